"""``booksync statement import`` and ``booksync csv-profile``, through the command line on
SQLite and PostgreSQL: a file's lines booked once, a dry run writing nothing, balances
compared, a bad file refused whole with the place named."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.clitools import Cli

SAMPLES = Path(__file__).parent.parent / "bankfiles" / "samples"
BANK_CSV = (
    "Statement of account DE89 3704 0044 0532 0130 00\n"
    "Booked;Value;Text;Counterparty;Debit;Credit;Balance\n"
    "02.03.2026;02.03.2026;Rent March;Landlord GmbH;1.200,00;;8.800,00\n"
    "03.03.2026;03.03.2026;Invoice 2026/0042;Vega Design BV;;2.500,50;11.300,50\n"
    "03.03.2026;03.03.2026;Card fee;;4,50;;11.296,00\n"
).encode("cp1252")
PROFILE = ["csv-profile", "add", "mybank", "--date", "Booked", "--label", "Text",
           "--partner", "Counterparty", "--debit", "Debit", "--credit", "Credit",
           "--value-date", "Value", "--balance", "Balance", "--delimiter", ";",
           "--encoding", "cp1252", "--skip-rows", "1", "--date-format", "%d.%m.%Y",
           "--decimal", ",", "--thousands", ".", "--currency-default", "EUR"]


def _journal(cli: Cli, number: str = "DE89370400440532013000", currency: str = "EUR") -> str:
    code, out, err = cli("bank-account", "create", "--account-number", number, "--bank",
                         "Commerzbank", "--currency", currency, "--json")
    assert code == 0, err
    return str(json.loads(out)["journal"])


def _lines(cli: Cli, journal: str) -> list[dict[str, str]]:
    code, out, err = cli("statement", "list", "--journal", journal, "--json")
    assert code == 0, err
    return [row for row in json.loads(out) if row["label"] != "Opening balance"]


def _openings(cli: Cli, journal: str) -> list[str]:
    code, out, err = cli("statement", "list", "--journal", journal, "--json")
    assert code == 0, err
    return [row["amount"] for row in json.loads(out) if row["label"] == "Opening balance"]


def test_a_csv_profile_previews_then_a_file_is_booked_once(acme: Cli, tmp_path: Path) -> None:
    journal = _journal(acme)
    sample = tmp_path / "march.csv"
    sample.write_bytes(BANK_CSV)
    code, out, err = acme(*PROFILE, "--sample", str(sample))
    assert code == 0, err
    assert "Preview" in out and "Invoice 2026/0042" in out and "2500.50" in out
    code, out, err = acme("csv-profile", "list", "--json")
    assert [p["name"] for p in json.loads(out)] == ["mybank"]

    args = ("statement", "import", str(sample), "--journal", journal, "--profile", "mybank",
            "--json")
    code, out, err = acme(*args, "--dry-run")
    assert code == 0, err
    dry = json.loads(out)
    assert (dry["dry_run"], dry["new"], dry["format"]) == (True, 3, "csv")
    assert _lines(acme, journal) == []  # the dry run wrote nothing

    code, out, err = acme(*args)
    assert code == 0, err
    done = json.loads(out)
    assert (done["new"], done["duplicates"]) == (3, 0)
    assert sorted(row["amount"] for row in _lines(acme, journal)) == [
        "-1200.00", "-4.50", "2500.50"]
    # The running balance tells the opening one: 8,800.00 after the rent of 1,200.00.
    assert _openings(acme, journal) == ["10000.00"]
    assert done["statements"][0]["closing_difference"] == "0.00" and not done["problems"]
    code, out, err = acme(*args)
    assert code == 0, err
    assert (json.loads(out)["new"], json.loads(out)["duplicates"]) == (0, 3)
    assert len(_lines(acme, journal)) == 3


def test_a_row_that_does_not_read_keeps_the_profile_unsaved(acme: Cli, tmp_path: Path) -> None:
    sample = tmp_path / "bad.csv"
    sample.write_bytes(BANK_CSV.replace(b"03.03.2026;03.03.2026;Card", b"3rd March;x;Card"))
    code, out, err = acme(*PROFILE, "--sample", str(sample))
    assert code == 1
    assert "not saved: row 5" in err
    code, out, _ = acme("csv-profile", "list", "--json")
    assert json.loads(out) == []


def test_a_malformed_file_is_refused_whole_naming_the_place(acme: Cli, tmp_path: Path) -> None:
    journal = _journal(acme)
    acme(*PROFILE)
    broken = tmp_path / "broken.csv"
    broken.write_bytes(BANK_CSV.replace(b"2.500,50", b"2.5OO,50"))
    code, _, err = acme("statement", "import", str(broken), "--journal", journal,
                          "--profile", "mybank")
    assert code == 1
    assert "broken.csv: row 4" in err
    assert _lines(acme, journal) == []  # the good rows before it were not booked either


def test_an_ofx_file_books_in_its_journal_and_compares_the_closing_balance(acme: Cli) -> None:
    journal = _journal(acme, "00049812230", "USD")
    assert acme("currency", "rate", "set", "USD", "0.92", "--date", "2024-01-01")[0] == 0
    code, out, err = acme("statement", "import", str(SAMPLES / "checking_v102.ofx"),
                          "--journal", journal, "--json")
    assert code == 0, err
    done = json.loads(out)
    assert done["format"] == "ofx" and done["new"] > 0
    (statement,) = done["statements"]
    assert statement["account"] == "00049812230"
    # OFX states only the closing balance: in an empty journal it opens it, so it agrees.
    assert statement["opening_line"] and statement["closing_difference"] == "0.00"
    assert len(_lines(acme, journal)) == done["new"]


def test_a_file_of_another_account_or_currency_is_refused(acme: Cli) -> None:
    journal = _journal(acme)  # a EUR journal of a German IBAN
    code, _, err = acme("statement", "import", str(SAMPLES / "checking_v102.ofx"),
                        "--journal", journal)
    assert code == 1
    assert "checking_v102.ofx" in err and "no statement of journal" in err
    code, _, err = acme("statement", "import", str(SAMPLES / "checking_v102.ofx"),
                        "--journal", "SAL")
    assert code == 1 and "not a bank journal" in err


def test_csv_needs_a_profile_and_auto_never_guesses_csv(acme: Cli, tmp_path: Path) -> None:
    journal = _journal(acme)
    sample = tmp_path / "march.csv"
    sample.write_bytes(BANK_CSV)
    code, _, err = acme("statement", "import", str(sample), "--journal", journal)
    assert code == 1 and "--format csv and --profile NAME" in err
    code, _, err = acme("statement", "import", str(sample), "--journal", journal,
                        "--format", "csv")
    assert code == 1 and "give --profile NAME" in err
    code, _, err = acme("statement", "import", str(sample), "--journal", journal,
                        "--profile", "nobank")
    assert code == 1 and "no CSV profile named 'nobank'" in err
