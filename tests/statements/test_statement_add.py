"""``booksync statement add``: a line entered by hand, booked like a fetched one.

Through ``booksync.cli.main.run`` on real SQLite files and PostgreSQL.  Every
refusal is one sentence on stderr, a non-zero exit, and no row written: the
tables the command could touch are counted before and after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from booksync.banking.models import SourceKind, StatementLine, StatementSource, TransactionAlias
from booksync.db.engine import session_factory
from booksync.ledger.models import Account, Company, Entry, Journal, Line, Sequence
from booksync.sandbox import SandboxHandle, start
from tests.cli.clitools import Cli, ok_json

LINE_KEYS = {
    "id", "date", "label", "amount", "partner", "counterparty_iban", "reference",
    "provider_transaction_id", "source", "entry", "reconciled", "matched",
}
IBAN = "DE89370400440532013000"
ADD = ("statement", "add", "--journal", "BNK1", "--date", "2026-03-02")


@pytest.fixture
def bank_books(acme: Cli) -> Cli:
    """Acme with a bank journal BNK1 (EUR) entered by hand, and a partner."""
    made = ok_json(acme, "bank-account", "create", "--account-number", IBAN, "--bank", "Hausbank")
    assert made["journal"] == "BNK1"
    code, _, err = acme("partner", "add", "Vega Design BV")
    assert code == 0, err
    return acme


def counts(engine: Engine) -> dict[str, Any]:
    """Every row ``statement add`` may write, counted."""
    with engine.connect() as conn:
        found: dict[str, Any] = {
            model.__tablename__: conn.scalar(select(func.count()).select_from(model))
            for model in (StatementSource, StatementLine, TransactionAlias, Entry, Line)
        }
        found["numbers"] = conn.scalar(select(func.coalesce(func.sum(Sequence.last_number), 0)))
    return found


def bank_account_code(engine: Engine, journal: str) -> str:
    with session_factory(engine)() as session:
        code = session.scalar(
            select(Account.code).join(Journal, Journal.default_account_id == Account.id)
            .where(Journal.code == journal)
        )
    assert code is not None
    return code


def test_a_line_by_hand_is_booked_like_a_fetched_one(bank_books: Cli, engine: Engine) -> None:
    code, out, err = bank_books(
        *ADD, "--amount", "1250.00", "--label", "SEPA credit Vega Design BV INV/2026/0042",
        "--partner", "Vega Design BV", "--ref", "INV/2026/0042",
        "--iban", "de89 3704 0044 0532 0130 00",
    )
    assert code == 0, err
    assert "BNK1/2026/00001" in out and "1250.00" in out and "2026-03-02" in out
    assert "SEPA credit Vega Design BV INV/2026/0042" in " ".join(out.split())
    paid = ok_json(bank_books, "statement", "add", "--journal", "BNK1", "--date", "2026-03-04",
                   "--amount", "-89.90", "--label", "Office chair")
    listed = ok_json(bank_books, "statement", "list", "--journal", "BNK1")
    assert all(set(row) == LINE_KEYS for row in listed)
    assert listed[1] == paid
    first = listed[0]
    assert first["id"] < paid["id"] and str(first["id"]) in out
    assert first == {
        "id": first["id"], "date": "2026-03-02",
        "label": "SEPA credit Vega Design BV INV/2026/0042",
        "amount": "1250.00", "partner": "Vega Design BV", "counterparty_iban": IBAN,
        "reference": "INV/2026/0042", "provider_transaction_id": None, "source": "manual",
        "entry": "BNK1/2026/00001", "reconciled": False, "matched": [],
    }
    assert (paid["amount"], paid["partner"], paid["reference"], paid["counterparty_iban"]) == (
        "-89.90", None, None, None)
    assert paid["entry"] == "BNK1/2026/00002"
    # the entries: bank against suspense, posted, the partner on both lines
    bank = bank_account_code(engine, "BNK1")
    entry = ok_json(bank_books, "entry", "show", first["entry"])
    assert entry["state"] == "posted" and entry["date"] == "2026-03-02"
    assert [(ln["account"] == bank, ln["debit"], ln["credit"], ln["partner"])
            for ln in entry["lines"]] == [
        (True, "1250.00", "0.00", "Vega Design BV"), (False, "0.00", "1250.00", "Vega Design BV")]
    out_entry = ok_json(bank_books, "entry", "show", paid["entry"])
    assert [(ln["account"] == bank, ln["debit"], ln["credit"]) for ln in out_entry["lines"]] == [
        (True, "0.00", "89.90"), (False, "89.90", "0.00")]
    ledger = ok_json(bank_books, "report", "ledger", bank)
    assert Decimal(ledger["closing_balance"]) == Decimal("1160.10")
    # one manual source for the journal, made on first use; no transaction ids
    with engine.connect() as conn:
        sources = conn.execute(select(StatementSource.kind, StatementSource.name)).all()
        assert [tuple(s) for s in sources] == [(SourceKind.MANUAL, "Entered by hand")]
        assert conn.scalar(select(func.count()).select_from(TransactionAlias)) == 0


def test_a_foreign_journal_books_at_the_rate_of_the_day(acme: Cli, engine: Engine) -> None:
    made = ok_json(acme, "bank-account", "create", "--account-number", "000123456789",
                   "--bank", "First Prairie", "--currency", "USD")
    journal = made["journal"]
    for day, rate in (("2026-01-01", "0.90"), ("2026-03-01", "0.92"), ("2026-03-10", "0.95")):
        code, _, err = acme("currency", "rate", "set", "USD", rate, "--date", day)
        assert code == 0, err
    row = ok_json(acme, "statement", "add", "--journal", journal, "--date", "2026-03-05",
                  "--amount", "100.00", "--label", "Wire from Northwind")
    assert row["amount"] == "100.00" and row["source"] == "manual"
    entry = ok_json(acme, "entry", "show", row["entry"])
    assert [(ln["debit"], ln["credit"], ln["currency"], ln["amount_currency"])
            for ln in entry["lines"]] == [
        ("92.00", "0.00", "USD", "100.00"), ("0.00", "92.00", "USD", "-100.00")]


def _lock(engine: Engine, day: dt.date) -> None:
    with session_factory(engine).begin() as session:
        session.execute(update(Company).values(lock_date=day))


REFUSED = [
    (("--journal", "NOPE"), "unknown journal 'NOPE'"),
    (("--journal", "SAL"), "journal SAL is not a bank journal"),
    (("--amount", "12,50"), "is not an amount"),
    (("--amount", "1.234"), "more than 2 decimal places"),
    (("--amount", "12345678901234567"), "too large"),
    (("--amount", "1e40"), "out of range"),
    (("--amount", "0"), "zero moves no money"),
    (("--amount", "-0.00"), "zero moves no money"),
    (("--date", "2026-02-30"), "is not a date"),
    (("--date", "yesterday"), "is not a date"),
    (("--date", "2026-01-31"), "on or before the lock date 2026-01-31"),
    (("--date", "2025-12-01"), "on or before the lock date"),
    (("--partner", "Nobody Ltd"), "unknown partner 'Nobody Ltd'"),
    (("--iban", "DE00 1234"), "is not a valid IBAN"),
    (("--iban", "DE89370400440532013001"), "is not a valid IBAN"),
    (("--iban", "000123456789"), "is not a valid IBAN"),
    (("--label", "   "), "needs a label"),
    (("--label", "Coffee\x1b[2J"), "control character"),
    (("--ref", "R" * 501), "reference is longer than 500"),
]


@pytest.mark.parametrize(("change", "message"), REFUSED, ids=[m for _, m in REFUSED])
def test_bad_input_is_one_sentence_and_writes_nothing(
    bank_books: Cli, engine: Engine, change: tuple[str, str], message: str
) -> None:
    ok_json(bank_books, *ADD, "--amount", "10.00", "--label", "Before")  # a source exists
    _lock(engine, dt.date(2026, 1, 31))
    options = {"--journal": "BNK1", "--date": "2026-03-02", "--amount": "42.00",
               "--label": "Payment", **dict([change])}
    before = counts(engine)
    code, out, err = bank_books("statement", "add", *[x for kv in options.items() for x in kv])
    assert code != 0 and out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err
    assert counts(engine) == before


def test_a_refused_first_line_leaves_no_source(bank_books: Cli, engine: Engine) -> None:
    """The journal's manual source is made in the command's transaction, or not at all."""
    _lock(engine, dt.date(2026, 12, 31))
    before = counts(engine)
    code, _, err = bank_books(*ADD, "--amount", "5.00", "--label", "Too early")
    assert code != 0 and "lock date" in err
    assert counts(engine) == before and before["statement_source"] == 0


def test_a_foreign_journal_without_a_rate_writes_nothing(acme: Cli, engine: Engine) -> None:
    made = ok_json(acme, "bank-account", "create", "--account-number", "000123456789",
                   "--bank", "First Prairie", "--currency", "USD")
    before = counts(engine)
    code, out, err = acme("statement", "add", "--journal", made["journal"], "--date",
                          "2026-03-05", "--amount", "100.00", "--label", "Wire")
    assert code != 0 and out == ""
    assert err.startswith("error: no USD exchange rate on or before 2026-03-05")
    assert counts(engine) == before


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = start(port=0, seed=3)
    yield handle
    handle.stop()


def test_lines_by_hand_and_from_the_bank_share_a_journal(
    acme: Cli, engine: Engine, sandbox: SandboxHandle
) -> None:
    day = (sandbox.world.first_day - dt.timedelta(days=1)).isoformat()
    for currency, rate in (("USD", "0.92"), ("JPY", "0.0061")):
        assert acme("currency", "rate", "set", currency, rate, "--date", day)[0] == 0
    made = ok_json(acme, "connect", "simplefin", sandbox.setup_token())
    assert ok_json(acme, "sync", str(made["id"]))[0]["state"] == "success"
    by_hand = ok_json(acme, "statement", "add", "--journal", "BNK1", "--date",
                      sandbox.world.today.isoformat(), "--amount", "-12.50",
                      "--label", "Cash handling fee", "--ref", "FEE-7")
    listed = ok_json(acme, "statement", "list", "--journal", "BNK1")
    assert all(set(row) == LINE_KEYS for row in listed)
    assert [row for row in listed if row["source"] == "manual"] == [by_hand]
    online = [row for row in listed if row["source"] == "online"]
    assert len(online) == len(listed) - 1 and online[0]["label"] == "Opening balance"
    assert listed == sorted(listed, key=lambda row: (row["date"], row["id"]))
    # the journal's balance is every line's, whatever its source
    ledger = ok_json(acme, "report", "ledger", bank_account_code(engine, "BNK1"))
    total = sum((Decimal(row["amount"]) for row in listed), Decimal(0))
    assert Decimal(ledger["closing_balance"]) == total
    # a later sync books nothing again, and leaves the line by hand alone: the bank's
    # balance is compared with what the connection booked
    again = ok_json(acme, "sync", str(made["id"]))[0]
    assert (again["state"], again["new"], again["balance_difference"]) == ("success", 0, None)
    assert ok_json(acme, "statement", "list", "--journal", "BNK1") == listed
    # what the bank says of a transfer: the payer and the invoice it quotes
    paid = [row for n in range(1, 7)
            for row in ok_json(acme, "statement", "list", "--journal", f"BNK{n}")
            if "INV/" in row["label"]]
    assert paid
    for row in paid:
        assert row["reference"] is not None and row["reference"] in row["label"]
        assert row["partner"] and row["partner"].upper() in row["label"].upper()
