"""CAMT.053 statement files read into file statements (tests/bankfiles/samples/camt053_*.xml).

The samples were written for these tests: version 02 with two statements (an
IBAN account, an account known by another id and without a currency, times on
dates), a split collective entry, a pending entry and a reversal; version 08
with the newer shapes (``Sts/Cd``, parties in ``Pty``, amounts in ``TxDtls``)
and collective entries that stay whole.  Every malformed case gives one exact
place and sentence.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from booksync.bankfiles import camt053, mt940
from booksync.bankfiles.records import FileError, FileStatement, StatementBalance
from booksync.providers.base import Transaction, TransactionStatus

SAMPLES = Path(__file__).parent / "samples"
D = dt.date
NS8 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _read(data: bytes, name: str = "bank.xml") -> list[FileStatement]:
    return list(camt053.read(io.BytesIO(data), name))


def _sample(name: str) -> list[FileStatement]:
    return _read((SAMPLES / name).read_bytes(), name)


def _seen(t: Transaction) -> tuple[object, ...]:
    return (t.provider_transaction_id, t.amount, t.currency, t.booking_date, t.value_date,
            t.description, t.counterparty_name, t.counterparty_iban, t.reference)


def test_version_02_with_two_statements() -> None:
    first, second = _sample("camt053_v02.xml")
    assert (first.account, first.currency, first.statement_id, first.place) == (
        "DE89370400440532013000", "EUR", "STMT-2026-03-02", "Stmt 1")
    assert first.opening == StatementBalance(Decimal("4200.00"), D(2026, 3, 1))
    assert first.closing == StatementBalance(Decimal("5010.10"), D(2026, 3, 2))
    assert [_seen(t) for t in first.transactions] == [
        ("2026030200001", Decimal("1250.00"), "EUR", D(2026, 3, 2), D(2026, 3, 2),
         "Invoice INV/2026/0042 thank you", "Vega Design BV", "NL91ABNA0417164300",
         "INV-2026-0042"),
        # no AcctSvcrRef: no id (NtryRef numbers the statement's entries); the structured
        # creditor reference wins over an end-to-end id, NOTPROVIDED is none; money out:
        # the creditor
        (None, Decimal("-89.90"), "EUR", D(2026, 3, 2), D(2026, 3, 1), "Office Supplies Ltd",
         "Office Supplies Ltd", "GB29NWBK60161331926819", "RF18539007547034"),
        # the pending entry makes nothing; the collective debit is split, the second
        # detail without a reference of its own taking the entry's and its number
        ("2026030200004-A", Decimal("-100.00"), "EUR", D(2026, 3, 2), D(2026, 3, 2),
         "Order 17", "First Supplier AG", "CH9300762011623852957", "PAY-0001"),
        ("2026030200004/2", Decimal("-200.00"), "EUR", D(2026, 3, 2), D(2026, 3, 2),
         "Order 18", "Second Supplier SA", None, "PAY-0002"),
        # a reversal: DBIT says the money went out, the reversal indicator does not flip it
        ("2026030200005", Decimal("-50.00"), "EUR", D(2026, 3, 2), D(2026, 3, 2),
         "Return of credit 2026022700017", None, None, None),
    ]
    assert sum(t.amount for t in first.transactions) == first.closing.amount - first.opening.amount
    assert all(t.status is TransactionStatus.BOOKED for t in first.transactions)
    # the second: the account's other id, trimmed; the currency from the amounts; a
    # previously closed balance as the opening; dates of DtTm as written, in no zone
    assert (second.account, second.currency, second.statement_id, second.place) == (
        "0532013000", "CHF", "STMT-2026-03-31", "Stmt 2")
    assert second.opening == StatementBalance(Decimal("-12.50"), D(2026, 3, 30))
    assert second.closing is None
    assert [_seen(t) for t in second.transactions] == [
        ("CH-0331-1", Decimal("30.00"), "CHF", D(2026, 3, 31), D(2026, 4, 1), "TRANSFER-IN",
         None, None, None),
        ("CH-0331-2", Decimal("-7.5"), "CHF", D(2026, 3, 31), None, "ACMT/MCOP/CHRG",
         None, None, None),
    ]


def test_version_08_collective_entries_split_only_when_their_details_add_up() -> None:
    (statement,) = _sample("camt053_v08.xml")
    assert (statement.account, statement.currency) == ("FR1420041010050500013M02606", "EUR")
    assert statement.opening == StatementBalance(Decimal("-150.00"), D(2025, 12, 31))
    assert statement.closing == StatementBalance(Decimal("480.00"), D(2026, 1, 2))
    assert [_seen(t) for t in statement.transactions] == [
        ("FR-0102-0001", Decimal("410.00"), "EUR", D(2026, 1, 2), D(2026, 1, 2),
         "Facture F-2025-118", "Atelier Nord SARL", "BE68539007547034", None),
        # split: a detail repeating the entry's reference is numbered like one without
        ("FR-0102-0003/1", Decimal("400.00"), "EUR", D(2026, 1, 2), D(2026, 1, 3),
         "Member One", "Member One", None, "DD-77"),
        ("FR-0102-0003/2", Decimal("-40.00"), "EUR", D(2026, 1, 2), D(2026, 1, 3),
         "Returned direct debit", "Member Two", None, "DD-78"),
        # 60 + 30 is not 100, and a detail without an amount: each entry stays whole, with
        # its first detail's counterparty and no one reference
        ("FR-0102-0004", Decimal("-100.00"), "EUR", D(2026, 1, 2), None, "Salaries",
         "Employee A", None, None),
        ("FR-0102-0005", Decimal("-40.00"), "EUR", D(2026, 1, 2), None, "Receipt 1",
         "Shop One", None, None),
    ]
    assert sum(t.amount for t in statement.transactions) == Decimal("630.00")


def test_raw_is_what_the_file_said_as_canonical_json() -> None:
    first, _ = _sample("camt053_v02.xml")
    reversal = first.transactions[4]
    assert reversal.raw == json.dumps(json.loads(reversal.raw), sort_keys=True,
                                      separators=(",", ":"), ensure_ascii=False)
    assert json.loads(reversal.raw) == {
        "AcctSvcrRef": "2026030200005", "AddtlNtryInf": "Return of credit 2026022700017",
        "Amt": {"#text": "50.00", "@Ccy": "EUR"},
        "BkTxCd": {"Domn": {"Cd": "PMNT", "Fmly": {"Cd": "RCDT", "SubFmlyCd": "RRTN"}}},
        "BookgDt": {"Dt": "2026-03-02"}, "CdtDbtInd": "DBIT", "RvslInd": "true",
        "Sts": "BOOK", "ValDt": {"Dt": "2026-03-02"},
    }
    part = json.loads(first.transactions[3].raw)  # a split part: the entry with its detail
    assert part["Amt"] == {"#text": "300.00", "@Ccy": "EUR"}
    assert part["NtryDtls"]["TxDtls"]["Refs"] == {"EndToEndId": "PAY-0002"}
    assert json.loads(first.transactions[0].raw)["NtryDtls"]["TxDtls"]["RmtInf"] == {
        "Ustrd": ["Invoice INV/2026/0042", "thank you"]}


def test_sniff() -> None:
    for name in ("camt053_v02.xml", "camt053_v08.xml"):
        assert camt053.sniff((SAMPLES / name).read_bytes()[:4096])
    assert camt053.sniff("<Document><BkToCstmrStmt>".encode("utf-16"))
    for name in ("mt940_swift_blocks.sta", "checking_v102.ofx", "savings_v220.ofx",
                 "plain_utf8.csv"):
        assert not camt053.sniff((SAMPLES / name).read_bytes()[:4096]), name
    assert not mt940.sniff((SAMPLES / "camt053_v02.xml").read_bytes()[:4096])


class _Counting(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        piece = super().read(size)
        self.taken += len(piece)
        return piece


def _doc(*statements: str, ns: str = NS8) -> bytes:
    return (f'<?xml version="1.0"?><Document xmlns="{ns}"><BkToCstmrStmt><GrpHdr><MsgId>M'
            f"</MsgId></GrpHdr>{''.join(statements)}</BkToCstmrStmt></Document>").encode()


ACCT = "<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>"


def _entry(amt: str = '<Amt Ccy="EUR">10.00</Amt>', ind: str = "<CdtDbtInd>CRDT</CdtDbtInd>",
           sts: str = "<Sts><Cd>BOOK</Cd></Sts>", dates: str = "<BookgDt><Dt>2026-01-02</Dt>"
           "</BookgDt>", more: str = "") -> str:
    return f"<Ntry>{amt}{ind}{sts}{dates}{more}</Ntry>"


def _stmt(*entries: str, head: str = ACCT) -> str:
    return f"<Stmt><Id>S</Id>{head}{''.join(entries)}</Stmt>"


def test_statements_come_as_the_file_streams_in() -> None:
    big = _stmt(*[_entry(more=f"<AcctSvcrRef>R{i}</AcctSvcrRef>") for i in range(20_000)])
    source = _Counting(_doc(_stmt(_entry()), big))
    statements = camt053.read(source, "big.xml")
    first = next(statements)
    assert len(first.transactions) == 1
    assert source.taken < len(source.getvalue()) // 4
    assert len(next(statements).transactions) == 20_000
    assert next(statements, None) is None


def test_a_namespace_less_document_reads_alike() -> None:
    (statement,) = _read(_doc(_stmt(_entry()), ns=""))
    assert [t.amount for t in statement.transactions] == [Decimal("10.00")]


def test_a_detail_in_another_currency_keeps_its_entry_whole() -> None:
    details = ("<NtryDtls><TxDtls><Amt Ccy='EUR'>4.00</Amt></TxDtls></NtryDtls>"
               "<NtryDtls><TxDtls><Amt Ccy='USD'>6.00</Amt></TxDtls></NtryDtls>")
    (statement,) = _read(_doc(_stmt(_entry(more=details + "<AcctSvcrRef>B</AcctSvcrRef>"))))
    assert [(t.provider_transaction_id, t.amount) for t in statement.transactions] == [
        ("B", Decimal("10.00"))]
    split = details.replace("USD", "EUR")
    (statement,) = _read(_doc(_stmt(_entry(more=split + "<AcctSvcrRef>B</AcctSvcrRef>"))))
    assert [(t.provider_transaction_id, t.amount) for t in statement.transactions] == [
        ("B/1", Decimal("4.00")), ("B/2", Decimal("6.00"))]
    with pytest.raises(FileError) as caught:
        _read(_doc(_stmt(_entry(more=details.replace("6.00", "6.001")))))
    assert (caught.value.place, caught.value.problem) == (
        "Stmt 1 / Ntry 1 / NtryDtls 2 / TxDtls / Amt",
        "amount 6.001 has more than 2 decimal places (USD)")


BAL = ('<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1.00</Amt>'
       "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-01-01</Dt></Dt></Bal>")
ONE = ("Stmt 1 / Ntry 1", "Stmt 1 / Ntry 1 / Amt", "Stmt 1 / Ntry 1 / CdtDbtInd")
MALFORMED: list[tuple[str, bytes, str, str]] = [
    ("empty", b"", "", "the file is empty"),
    ("not xml", b"hello", "line 1, column 1", "the XML is broken (syntax error)"),
    ("cut short", _doc(_stmt(_entry()))[:200], "line 1",
     "the file ends before its XML is complete"),
    ("garbage after", _doc(_stmt(_entry())) + b"<x/>", "line 1, column 384",
     "the XML is broken (junk after document element)"),
    ("wrong encoding", _doc(_stmt(_entry(more="<AddtlNtryInf>caf\xe9</AddtlNtryInf>")))
     .replace("caf\xe9".encode(), b"caf\xe9"), "line 1, column 360",
     "the XML is broken (not well-formed (invalid token))"),
    ("undefined entity", _doc(_stmt(_entry(more="<AddtlNtryInf>&lol;</AddtlNtryInf>"))),
     "line 1, column 357", "the XML is broken (undefined entity)"),
    ("entity bomb", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b '
     b'"&a;&a;&a;&a;&a;&a;&a;&a;">]><Document>&b;</Document>', "DOCTYPE",
     "the file declares a document type; a statement has none, and its entities or "
     "references could make reading unsafe"),
    ("external entity", b'<!DOCTYPE d SYSTEM "file:///etc/passwd"><Document/>', "DOCTYPE",
     "the file declares a document type; a statement has none, and its entities or "
     "references could make reading unsafe"),
    ("an unknown encoding", b'<?xml version="1.0" encoding="UTF-Y"?><Document/>', "",
     "the XML cannot be read (unknown encoding: UTF-Y)"),
    ("other root", b"<OFX><BANKMSGSRSV1/></OFX>", "OFX",
     "the file is not a CAMT.053 statement: its root is OFX, not Document"),
    ("a camt.052 report", b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08">'
     b"<BkToCstmrAcctRpt/></Document>", "Document / BkToCstmrAcctRpt",
     "the document holds no bank-to-customer statement (BkToCstmrStmt) but BkToCstmrAcctRpt"),
    ("empty document", b"<Document/>", "Document / nothing",
     "the document holds no bank-to-customer statement (BkToCstmrStmt) but nothing"),
    ("no statement", _doc(), "BkToCstmrStmt", "the file holds no statement (Stmt)"),
    ("decimal comma", _doc(_stmt(_entry('<Amt Ccy="EUR">12,50</Amt>'))), ONE[1],
     "'12,50' is not an amount (digits with a decimal point, e.g. 1234.50)"),
    ("negative amount", _doc(_stmt(_entry('<Amt Ccy="EUR">-5.00</Amt>'))), ONE[1],
     "'-5.00' is not an amount (digits with a decimal point, e.g. 1234.50)"),
    ("a 2 GB number, shortened", _doc(_stmt(_entry(f'<Amt Ccy="EUR">{"9" * 5000}</Amt>'))),
     ONE[1], "'99999999999999999999999999999999999999… is not an amount (digits with a "
     "decimal point, e.g. 1234.50)"),
    ("too many decimals", _doc(_stmt(_entry('<Amt Ccy="EUR">1.234</Amt>'))), ONE[1],
     "amount 1.234 has more than 2 decimal places (EUR)"),
    ("too large", _doc(_stmt(_entry('<Amt Ccy="EUR">10000000000000.00</Amt>'))), ONE[1],
     "amount 10000000000000.00 is too large: a line holds at most 9999999999999.99 (EUR)"),
    ("no currency", _doc(_stmt(_entry("<Amt>10.00</Amt>"))), ONE[1],
     "the amount names no currency (Ccy)"),
    ("a bad currency", _doc(_stmt(_entry('<Amt Ccy="euro">10.00</Amt>'))), ONE[1],
     "'euro' is not a currency code (three capital letters, e.g. EUR)"),
    ("two amounts", _doc(_stmt(_entry('<Amt Ccy="EUR">1</Amt><Amt Ccy="EUR">2</Amt>'))),
     ONE[1], "the amount appears more than once"),
    ("an amount with elements", _doc(_stmt(_entry('<Amt Ccy="EUR"><X>1</X></Amt>'))), ONE[1],
     "the amount holds elements where a number belongs"),
    ("no amount", _doc(_stmt(_entry(""))), ONE[0], "the amount (Amt) is missing"),
    ("no indicator", _doc(_stmt(_entry(ind=""))), ONE[2],
     "the credit or debit indicator (CRDT or DBIT) is missing"),
    ("a bad indicator", _doc(_stmt(_entry(ind="<CdtDbtInd>CRED</CdtDbtInd>"))), ONE[2],
     "the credit or debit indicator (CRDT or DBIT) 'CRED' is not one"),
    ("no status", _doc(_stmt(_entry(sts=""))), ONE[0], "the entry has no status (Sts)"),
    ("a bad status", _doc(_stmt(_entry(sts="<Sts>BOOKED</Sts>"))), "Stmt 1 / Ntry 1 / Sts",
     "the entry's status 'BOOKED' is none of BOOK, PDNG, INFO or FUTR"),
    ("two status codes", _doc(_stmt(_entry(sts="<Sts><Cd>BOOK</Cd><Cd>INFO</Cd></Sts>"))),
     "Stmt 1 / Ntry 1 / Sts / Cd", "Cd appears 2 times; one belongs"),
    ("a status of elements", _doc(_stmt(_entry(sts="<Sts><Prtry>X</Prtry></Sts>"))),
     "Stmt 1 / Ntry 1 / Sts", "Sts holds elements where a text belongs"),
    ("no date", _doc(_stmt(_entry(dates=""))), ONE[0],
     "the booked entry has neither a booking date (BookgDt) nor a value date (ValDt)"),
    ("a bad date", _doc(_stmt(_entry(dates="<BookgDt><Dt>2026-02-30</Dt></BookgDt>"))),
     "Stmt 1 / Ntry 1 / BookgDt", "'2026-02-30' is not a date (YYYY-MM-DD)"),
    ("a date of words", _doc(_stmt(_entry(dates="<ValDt><DtTm>today</DtTm></ValDt>"))),
     "Stmt 1 / Ntry 1 / ValDt", "'today' is not a date (YYYY-MM-DD)"),
    ("an empty entry", _doc(_stmt("<Ntry/>")), ONE[0], "the entry is empty"),
    ("a second entry in dollars", _doc(_stmt(_entry(), _entry('<Amt Ccy="USD">1.00</Amt>'))),
     "Stmt 1 / Ntry 2 / Amt", "the amount is in USD, but the statement's currency is EUR"),
    ("a balance in dollars", _doc(_stmt(head=ACCT + BAL.replace("EUR", "USD"))),
     "Stmt 1 / Bal 1 / Amt", "the amount is in USD, but the statement's currency is EUR"),
    ("two openings", _doc(_stmt(head=ACCT + BAL + BAL)), "Stmt 1 / Bal 2",
     "a second OPBD balance; a statement states one"),
    ("a balance without date", _doc(_stmt(head=ACCT + BAL.replace(
        "<Dt><Dt>2026-01-01</Dt></Dt>", ""))), "Stmt 1 / Bal 1", "the balance has no date (Dt)"),
    ("no account id", _doc(_stmt(head="<Acct><Id/></Acct>")), "Stmt 1 / Acct / Id",
     "the account has neither an IBAN nor another id"),
    ("a bad account currency", _doc(_stmt(head=ACCT.replace(">EUR<", ">E<"))),
     "Stmt 1 / Acct / Ccy", "'E' is not a currency code (three capital letters, e.g. EUR)"),
    ("no account", _doc(_stmt(head="")), "Stmt 1", "the statement names no account (Acct)"),
    ("no currency at all", _doc(_stmt(head="<Acct><Id><Othr><Id>1</Id></Othr></Id></Acct>")),
     "Stmt 1 / Acct", "the statement names no currency: no Acct/Ccy, balance or entry"),
    ("an entry outside statements", _doc(_entry()), "Stmt 1",
     "entries (Ntry) stand outside any statement (Stmt)"),
    ("a bad detail amount", _doc(_stmt(_entry(more="<NtryDtls><TxDtls><Amt Ccy='EUR'>x</Amt>"
                                              "</TxDtls><TxDtls/></NtryDtls>"))),
     "Stmt 1 / Ntry 1 / NtryDtls / TxDtls 1 / Amt",
     "'x' is not an amount (digits with a decimal point, e.g. 1234.50)"),
    ("nested too deep", _doc(_stmt(_entry(more="<a>" * 60 + "</a>" * 60))), ONE[0],
     "elements nest deeper than 40"),
]


@pytest.mark.parametrize(("data", "place", "problem"),
                         [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
def test_malformed_files_give_one_sentence(data: bytes, place: str, problem: str) -> None:
    with pytest.raises(FileError) as caught:
        _read(data, "bank.xml")
    assert (caught.value.file, caught.value.place, caught.value.problem) == (
        "bank.xml", place, problem)


def test_a_giant_text_or_a_pile_of_elements_is_refused_before_it_fills_the_memory(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(camt053, "_MAX_UNFINISHED", 1 << 20)
    giant = _doc(_stmt(_entry(f'<Amt Ccy="EUR">{"9" * (3 << 20)}</Amt>')))
    problem = "no entry ends within 1 MB or 500,000 tags; an entry takes a few kilobytes"
    with pytest.raises(FileError) as caught:
        _read(giant)
    assert (caught.value.place, caught.value.problem) == ("Stmt 1", problem)
    monkeypatch.setattr(camt053, "_MAX_TAGS", 100_000)
    pile = _doc(_stmt(_entry(more="<a>" * 150_000)))
    with pytest.raises(FileError) as caught:
        _read(pile)
    assert caught.value.problem == problem.replace("500,000", "100,000")


def test_a_file_that_cannot_be_read_is_a_file_error() -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError(5, "Input/output error")

    with pytest.raises(FileError) as caught:
        list(camt053.read(Broken(), "bank.xml"))
    assert str(caught.value) == "bank.xml: the file could not be read (Input/output error)"
