"""``booksync statement import`` against files real banks write, through the command line on
SQLite and PostgreSQL: an opening balance dated on the statement's first day, a transaction
in another currency than the statement's, an OFX correction of a transaction of the same
file, and a one-day CSV export listed newest first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tests.cli.clitools import Cli, one_error

IBAN = "DE89370400440532013000"
OFX_HEAD = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
    "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)


def _journal(cli: Cli) -> str:
    code, out, err = cli("bank-account", "create", "--account-number", IBAN, "--bank",
                         "Commerzbank", "--currency", "EUR", "--json")
    assert code == 0, err
    return str(json.loads(out)["journal"])


def _import(cli: Cli, path: Path, journal: str, *more: str) -> dict[str, Any]:
    code, out, err = cli("statement", "import", str(path), "--journal", journal, "--json", *more)
    assert code == 0, err
    return dict(json.loads(out))


def _amounts(cli: Cli, journal: str) -> list[str]:
    code, out, err = cli("statement", "list", "--journal", journal, "--json")
    assert code == 0, err
    return [row["amount"] for row in json.loads(out)]


def _camt(opening_day: str) -> bytes:
    """A day's CAMT.053 statement whose opening balance is dated ``opening_day``."""
    def bal(code: str, amount: str, day: str) -> str:
        return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amount}"
                f"</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>")

    def entry(ref: str, amount: str, side: str) -> str:
        return (f"<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd>"
                "<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt>"
                f"<AcctSvcrRef>{ref}</AcctSvcrRef><AddtlNtryInf>{ref}</AddtlNtryInf></Ntry>")

    return (
        '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:'
        'xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr><Stmt><Id>S1</Id>'
        f"<Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        + bal("OPBD", "1000.00", opening_day) + bal("CLBD", "1070.00", "2026-03-02")
        + entry("R1", "100.00", "CRDT") + entry("R2", "30.00", "DBIT")
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def test_an_opening_balance_dated_on_the_first_day_agrees_on_a_second_import(
        acme: Cli, tmp_path: Path) -> None:
    """Many banks date a statement's opening balance on its first day (the balance at its
    start), not on the day before: importing the file again, or after the same days came
    online, must not report the day's own lines as a difference."""
    journal = _journal(acme)
    for opening_day in ("2026-03-01", "2026-03-02"):
        path = tmp_path / f"day-{opening_day}.xml"
        path.write_bytes(_camt(opening_day))
        first = _import(acme, path, journal)
        again = _import(acme, path, journal)
        assert (again["new"], again["duplicates"]) == (0, 2)
        assert again["problems"] == [], again["problems"]
        assert again["statements"][0]["opening_difference"] == "0.00"
        assert first["statements"][0]["closing_difference"] == "0.00"
    assert _amounts(acme, journal) == ["1000.00", "100.00", "-30.00"]


def test_a_file_after_the_next_days_are_booked_compares_its_own_opening(
        acme: Cli, tmp_path: Path) -> None:
    """A gap is still a gap: a statement whose opening balance does not follow what the
    journal held before its first day is reported, whichever day the bank dates it."""
    journal = _journal(acme)
    path = tmp_path / "first.xml"
    path.write_bytes(_camt("2026-03-02"))
    _import(acme, path, journal)
    later = tmp_path / "later.xml"
    later.write_bytes(_camt("2026-03-02").replace(b"2026-03-02", b"2026-03-05")
                      .replace(b"R1", b"R3").replace(b"R2", b"R4"))
    done = _import(acme, later, journal)  # opens at 1000.00, the journal held 1070.00
    assert done["statements"][0]["opening_difference"] == "-70.00"


def _ofx(*rows: str, balance: str) -> bytes:
    return (
        OFX_HEAD + "<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO"
        f"</STATUS><STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>X<ACCTID>{IBAN}<ACCTTYPE>CHECKING"
        "</BANKACCTFROM><BANKTRANLIST><DTSTART>20260310<DTEND>20260312\n"
        + "\n".join(rows)
        + f"\n</BANKTRANLIST><LEDGERBAL><BALAMT>{balance}<DTASOF>20260312</LEDGERBAL>"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    ).encode()


def _trn(fitid: str, amount: str, day: str, more: str = "") -> str:
    return (f"<STMTTRN><TRNTYPE>OTHER<DTPOSTED>{day}<TRNAMT>{amount}<FITID>{fitid}"
            f"<NAME>Payee {fitid}{more}</STMTTRN>")


def test_an_ofx_transaction_in_another_currency_is_refused_not_booked_as_the_journals(
        acme: Cli, tmp_path: Path) -> None:
    journal = _journal(acme)
    path = tmp_path / "usd.ofx"
    path.write_bytes(_ofx(_trn("F1", "-10.00", "20260310"),
                          _trn("F2", "-100.00", "20260311",
                               "<CURRENCY><CURRATE>0.9<CURSYM>USD</CURRENCY>"),
                          balance="890.00"))
    one_error(acme("statement", "import", str(path), "--journal", journal),
              "usd.ofx: STMTRS 1, transaction 2", "-100.00 USD", "is in EUR")
    assert _amounts(acme, journal) == []


def test_an_ofx_correction_of_a_transaction_of_the_same_file_books_the_bank_s_word_once(
        acme: Cli, tmp_path: Path) -> None:
    """The file lists a transaction and, further on, its replacement: the corrected one is
    never booked, the replacement is, and a second import changes nothing."""
    journal = _journal(acme)
    path = tmp_path / "fixed.ofx"
    path.write_bytes(_ofx(
        _trn("F1", "-10.00", "20260310"), _trn("F2", "25.00", "20260311"),
        _trn("F3", "20.00", "20260311", "<CORRECTFITID>F2<CORRECTACTION>REPLACE"),
        balance="1010.00"))
    for attempt in range(2):
        done = _import(acme, path, journal)
        assert done["problems"] == [], done["problems"]
        assert done["statements"][0]["closing_difference"] == "0.00"
        assert done["new"] == (2 if attempt == 0 else 0)
    # 1000.00 before the file (its balance less what it books), then -10.00 and +20.00
    assert _amounts(acme, journal) == ["1000.00", "-10.00", "20.00"]


def test_a_csv_row_in_another_currency_is_refused(acme: Cli, tmp_path: Path) -> None:
    journal = _journal(acme)
    assert acme("csv-profile", "add", "cur", "--date", "Date", "--label", "Text", "--amount",
                "Amount", "--currency", "Ccy", "--currency-default", "EUR")[0] == 0
    path = tmp_path / "cur.csv"
    path.write_bytes(b"Date,Text,Amount,Ccy\n2026-03-02,Rent,-100.00,EUR\n"
                     b"2026-03-03,Hotel,-80.00,USD\n")
    one_error(acme("statement", "import", str(path), "--journal", journal, "--profile", "cur"),
              "cur.csv: row 2, transaction 2", "2026-03-03 is -80.00 USD", "BNK1 is in EUR")
    assert _amounts(acme, journal) == []


def test_a_one_day_csv_listed_newest_first_opens_and_closes_right(
        acme: Cli, tmp_path: Path) -> None:
    """All rows on one day: the running balance, not the dates, tells the order."""
    journal = _journal(acme)
    assert acme("csv-profile", "add", "day", "--date", "Date", "--label", "Text", "--amount",
                "Amount", "--balance", "Balance", "--currency-default", "EUR")[0] == 0
    path = tmp_path / "day.csv"
    path.write_bytes(b"Date,Text,Amount,Balance\n"  # newest first: 1000 -> 900 -> 950 -> 945
                     b"2026-03-02,Fee,-5.00,945.00\n2026-03-02,Refund,50.00,950.00\n"
                     b"2026-03-02,Rent,-100.00,900.00\n")
    done = _import(acme, path, journal, "--profile", "day")
    (statement,) = done["statements"]
    assert (statement["opening"], statement["closing"]) == ("1000.00", "945.00")
    assert statement["closing_difference"] == "0.00" and done["problems"] == []
    assert sorted(_amounts(acme, journal)) == sorted(["1000.00", "-5.00", "50.00", "-100.00"])


def test_an_mt940_naming_the_account_by_bank_code_and_number_is_the_journals(
        acme: Cli, tmp_path: Path) -> None:
    """German and Austrian banks write ``:25:`` as bank code/account number: it is the
    journal's IBAN when the IBAN is made of them, another account's otherwise."""
    journal = _journal(acme)

    def statement(account: str, ref: str) -> str:
        return (f":20:STARTUMS\r\n:25:{account}\r\n:28C:1\r\n:60F:C260301EUR1000,00\r\n"
                f":61:2603020302C100,00NTRFNONREF//{ref}\r\n:86:Invoice {ref}\r\n"
                ":62F:C260302EUR1100,00\r\n-\r\n")

    path = tmp_path / "blz.sta"
    path.write_bytes((statement("37040044/0532013000", "B1")
                      + statement("37040044/0532013001", "B2")).encode())
    done = _import(acme, path, journal)
    assert done["new"] == 1 and done["problems"] == []
    assert done["skipped"] == ["line 9 (account 37040044/0532013001) is not journal "
                               f"{journal}'s: skipped"]
    assert _amounts(acme, journal) == ["1000.00", "100.00"]
    # Dutch banks write the IBAN followed by the account's currency
    suffixed = tmp_path / "suffixed.sta"
    suffixed.write_bytes(statement(IBAN + "EUR", "B1").encode())
    assert _import(acme, suffixed, journal)["duplicates"] == 1


def _numbered_day(day: int, opening: str, amount: str, closing: str) -> bytes:
    """A day's CAMT.053 statement whose one entry has no AcctSvcrRef, only an NtryRef
    numbering the statement's entries from 1, as many banks write it."""
    def bal(code: str, value: str) -> str:
        return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{value}"
                f"</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-0{day}</Dt></Dt></Bal>")

    return (
        '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:'
        'xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr>'
        f"<Stmt><Id>S-{day}</Id><Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        + bal("OPBD", opening) + bal("CLBD", closing)
        + f"<Ntry><NtryRef>1</NtryRef><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
        f"<Sts>BOOK</Sts><BookgDt><Dt>2026-03-0{day}</Dt></BookgDt>"
        f"<AddtlNtryInf>Payment of day {day}</AddtlNtryInf></Ntry>"
        "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def test_an_entry_reference_numbering_each_statement_is_not_taken_for_a_known_id(
        acme: Cli, tmp_path: Path) -> None:
    """NtryRef 1 of the next day's statement is another payment than NtryRef 1 of today's:
    booked, not dropped as a duplicate; the same file again books nothing."""
    journal = _journal(acme)
    day2, day3 = tmp_path / "day2.xml", tmp_path / "day3.xml"
    day2.write_bytes(_numbered_day(2, "1000.00", "100.00", "1100.00"))
    day3.write_bytes(_numbered_day(3, "1100.00", "55.00", "1155.00"))
    assert _import(acme, day2, journal)["new"] == 1
    done = _import(acme, day3, journal)
    assert (done["new"], done["duplicates"], done["problems"]) == (1, 0, [])
    again = _import(acme, day3, journal)
    assert (again["new"], again["duplicates"], again["problems"]) == (0, 1, [])
    assert _amounts(acme, journal) == ["1000.00", "100.00", "55.00"]


def test_one_fitid_on_two_different_transactions_books_both_once(
        acme: Cli, tmp_path: Path) -> None:
    """A bank that gives two transactions of one file the same FITID: the id tells neither
    apart, so both are booked (by date, amount and text), and once only."""
    journal = _journal(acme)
    path = tmp_path / "same-fitid.ofx"
    path.write_bytes(_ofx(_trn("F1", "-10.00", "20260310"), _trn("F2", "25.00", "20260311"),
                          _trn("F2", "40.00", "20260311"), balance="1055.00"))
    for attempt in range(2):
        done = _import(acme, path, journal)
        assert (done["new"], done["duplicates"]) == ((3, 0) if attempt == 0 else (0, 3))
        assert done["statements"][0]["closing_difference"] == "0.00"
    assert _amounts(acme, journal) == ["1000.00", "-10.00", "25.00", "40.00"]


def test_same_amount_payments_on_two_pages_of_one_day_are_both_booked(
        acme: Cli, tmp_path: Path) -> None:
    """A long MT940 day comes in pages (:62M: then :60M:): the second page's payment of
    the same amount on the same day is another payment, not the first page's line under a
    changed id, with a bank reference or without one."""
    journal = _journal(acme)
    for refs in (("//B1", "//B2"), ("", "")):
        path = tmp_path / f"pages{len(refs[0])}.sta"
        day = "03" if refs[0] else "04"
        opening = "1000,00" if refs[0] else "1100,00"
        middle = "1050,00" if refs[0] else "1150,00"
        closing = "1100,00" if refs[0] else "1200,00"
        path.write_bytes((
            f":20:STARTUMS\r\n:25:{IBAN}\r\n:28C:7/1\r\n"
            f":60F:C2603{int(day) - 1:02d}EUR{opening}\r\n"
            f":61:2603{day}03{day}C50,00NTRFNONREF{refs[0]}\r\n:86:Invoice 1 Vega\r\n"
            f":62M:C2603{day}EUR{middle}\r\n-\r\n"
            f":20:STARTUMS\r\n:25:{IBAN}\r\n:28C:7/2\r\n:60M:C2603{day}EUR{middle}\r\n"
            f":61:2603{day}03{day}C50,00NTRFNONREF{refs[1]}\r\n:86:Invoice 2 Orion\r\n"
            f":62F:C2603{day}EUR{closing}\r\n-\r\n").encode())
        done = _import(acme, path, journal)
        assert (done["new"], done["duplicates"], done["problems"]) == (2, 0, [])
        again = _import(acme, path, journal)  # the first page closes in the day's middle
        assert (again["new"], again["duplicates"], again["problems"]) == (0, 2, [])
    assert _amounts(acme, journal) == ["1000.00"] + ["50.00"] * 4


def test_a_later_payment_of_a_deleted_transaction_s_amount_is_booked(
        acme: Cli, tmp_path: Path) -> None:
    """The counter-line of an OFX DELETE, and the line it reverses, are no lines a new
    transaction of the same amount may take as its own."""
    journal = _journal(acme)
    first = tmp_path / "first.ofx"
    first.write_bytes(_ofx(_trn("F1", "-10.00", "20260310"), _trn("F2", "25.00", "20260311"),
                           balance="1015.00"))
    _import(acme, first, journal)
    fix = tmp_path / "fix.ofx"
    fix.write_bytes(_ofx(
        _trn("F2", "25.00", "20260311", "<CORRECTFITID>F2<CORRECTACTION>DELETE"),
        _trn("F5", "-25.00", "20260311"), _trn("F6", "25.00", "20260312"), balance="990.00"))
    done = _import(acme, fix, journal)
    assert (done["new"], done["statements"][0]["corrected"]) == (2, 1)
    assert done["statements"][0]["closing_difference"] == "0.00"
    assert sorted(_amounts(acme, journal)) == sorted(
        ["1000.00", "-10.00", "25.00", "-25.00", "-25.00", "25.00"])


def test_a_file_of_another_account_names_both_accounts(acme: Cli, tmp_path: Path) -> None:
    journal = _journal(acme)
    path = tmp_path / "other.xml"
    path.write_bytes(_camt("2026-03-01").replace(IBAN.encode(), b"CH9300762011623852957"))
    one_error(acme("statement", "import", str(path), "--journal", journal),
              f"other.xml: holds no statement of journal {journal}'s account ({IBAN}): "
              "the file's are of CH9300762011623852957")
    assert _amounts(acme, journal) == []


def test_a_fitid_an_earlier_file_gave_another_amount_is_not_taken_for_that_line(
        acme: Cli, tmp_path: Path) -> None:
    """A bank that numbers each download's transactions from 1: the next download's FITID
    1 is another transaction (its amount says so), booked rather than dropped as the
    first's duplicate; the same download again books nothing."""
    journal = _journal(acme)
    first, second = tmp_path / "first.ofx", tmp_path / "second.ofx"
    first.write_bytes(_ofx(_trn("1", "-10.00", "20260310"), _trn("2", "25.00", "20260311"),
                           balance="1015.00"))
    second.write_bytes(_ofx(_trn("1", "-7.50", "20260312"), _trn("2", "25.00", "20260311"),
                            balance="1007.50"))
    _import(acme, first, journal)
    for attempt in range(2):
        done = _import(acme, second, journal)
        assert (done["new"], done["duplicates"]) == ((1, 1) if attempt == 0 else (0, 2))
        assert done["statements"][0]["closing_difference"] == "0.00"
    assert _amounts(acme, journal) == ["1000.00", "-10.00", "25.00", "-7.50"]


def test_a_replacement_under_the_fitid_it_corrects_is_booked(
        acme: Cli, tmp_path: Path) -> None:
    """The spec gives a replacement a FITID of its own; a bank that repeats the corrected
    one must not leave the books with the line reversed and the replacement dropped."""
    journal = _journal(acme)
    first = tmp_path / "first.ofx"
    first.write_bytes(_ofx(_trn("F1", "-10.00", "20260310"), _trn("F2", "25.00", "20260311"),
                           balance="1015.00"))
    _import(acme, first, journal)
    fix = tmp_path / "fix.ofx"
    fix.write_bytes(_ofx(_trn("F2", "25.00", "20260311", "<CORRECTFITID>F2"
                              "<CORRECTACTION>REPLACE<MEMO>Corrected text"), balance="1015.00"))
    for attempt in range(2):
        done = _import(acme, fix, journal)
        assert done["statements"][0]["closing_difference"] == "0.00", done
        assert (done["new"], done["statements"][0]["corrected"]) == (
            (1, 1) if attempt == 0 else (0, 0))
    assert sorted(_amounts(acme, journal)) == sorted(
        ["1000.00", "-10.00", "25.00", "-25.00", "25.00"])


def test_an_abn_amro_mt940_with_its_header_lines_and_account_number(
        acme: Cli, tmp_path: Path) -> None:
    """ABN AMRO writes three lines (its BIC, 940, its BIC) before each statement and the
    account number alone in :25:; the format is recognised and the account is the
    journal's IBAN's."""
    code, out, err = acme("bank-account", "create", "--account-number", "NL31ABNA0869623141",
                          "--bank", "ABN AMRO", "--currency", "EUR", "--json")
    assert code == 0, err
    journal = str(json.loads(out)["journal"])

    def record(day: str, opening: str, amount: str, closing: str) -> str:
        return ("ABNANL2A\r\n940\r\nABNANL2A\r\n:20:ABN AMRO BANK NV\r\n:25:869623141\r\n"
                f":28:13701/1\r\n:60F:C2405{int(day) - 1:02d}EUR{opening}\r\n"
                f":61:2405{day}05{day}D{amount}N426NONREF\r\n:86:BEA, BETAALPAS {day}\r\n"
                f":62F:C2405{day}EUR{closing}\r\n-\r\n")

    path = tmp_path / "abn.sta"
    path.write_bytes((record("16", "151,31", "5,75", "145,56")
                      + record("17", "145,56", "5,75", "139,81")).encode())
    done = _import(acme, path, journal)
    assert (done["format"], done["new"], done["problems"], done["skipped"]) == (
        "mt940", 2, [], [])
    assert _amounts(acme, journal) == ["151.31", "-5.75", "-5.75"]
    rabo = tmp_path / "rabo.sta"  # Rabobank: a :940: line first, the IBAN with its currency
    rabo.write_bytes(b":940:\r\n:20:940S240518\r\n:25:NL31ABNA0869623141 EUR\r\n:28C:0\r\n"
                     b":60F:C240517EUR139,81\r\n:61:240518D1,00N426NONREF\r\n"
                     b":62F:C240518EUR138,81\r\n")
    assert _import(acme, rabo, journal)["new"] == 1


def test_a_transaction_of_zero_is_not_booked_as_a_sync_s_is_not(
        acme: Cli, tmp_path: Path) -> None:
    """An OFX ``-0.00`` (a card check) moves no money: no line, no entry of two zero lines;
    the import says so."""
    journal = _journal(acme)
    path = tmp_path / "zero.ofx"
    path.write_bytes(_ofx(_trn("F0", "-0.00", "20260310"), _trn("F1", "-10.00", "20260310"),
                          balance="990.00"))
    done = _import(acme, path, journal)
    assert (done["transactions"], done["new"]) == (2, 1)
    assert done["problems"] == ["1 transaction of zero not booked: it moves no money"]
    assert _amounts(acme, journal) == ["1000.00", "-10.00"]


def test_a_correction_of_a_line_in_a_closed_period_is_booked_on_the_first_open_day(
        acme: Cli, tmp_path: Path, db_url: str) -> None:
    """The corrected line's date is on or before the lock date: its counter-line goes to
    the day after it, as an accountant books a correction of a closed period, instead of
    refusing the whole file."""
    journal = _journal(acme)
    first = tmp_path / "first.ofx"
    first.write_bytes(_ofx(_trn("F1", "-10.00", "20260310"), _trn("F2", "25.00", "20260311"),
                           balance="1015.00"))
    _import(acme, first, journal)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE company SET lock_date = '2026-03-11'"))
    engine.dispose()
    fix = tmp_path / "fix.ofx"
    fix.write_bytes(_ofx(
        _trn("F2", "25.00", "20260311", "<CORRECTFITID>F2<CORRECTACTION>DELETE"),
        balance="990.00"))
    done = _import(acme, fix, journal)
    assert done["statements"][0]["corrected"] == 1
    code, out, err = acme("statement", "list", "--journal", journal, "--json")
    assert code == 0, err
    counter = [row for row in json.loads(out) if row["amount"] == "-25.00"]
    assert [row["date"] for row in counter] == ["2026-03-12"]
