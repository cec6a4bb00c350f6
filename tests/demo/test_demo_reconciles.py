"""``booksync demo`` end to end on SQLite and PostgreSQL: the demo issues invoices and
bills, the sandbox bank (over loopback HTTP, in the same process) pays them the ways
people pay, the syncs reconcile what is certain, and the demo prints it.

Everything is read back from the database and held to the demo's own plan,
rebuilt here from the same seed and dates: each automatic reconciliation must
have settled exactly the documents its transfer was meant to pay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from booksync.app.context import Books, open_books
from booksync.app.invoices import InvoiceView, list_invoices
from booksync.cli.demo import period_start
from booksync.cli.main import run
from booksync.db.engine import make_engine
from booksync.demo.outcome import Reconciled, reconciled, suggested
from booksync.demo.payments_plan import Issued, Transfer, document_plans, transfers
from booksync.documents.models import Invoice
from booksync.money import exponent, to_decimal

MONTHS = 3
SEED = 0
AUTOMATIC = ("exact", "typo", "spaced", "several", "name", "bill_ref")


def _plan(books: Books, today: dt.date) -> list[Transfer]:
    """The demo's plan: its documents in posting order, as the books numbered them."""
    plans = document_plans(period_start(today, MONTHS), today, SEED)
    rows = books.session.scalars(
        select(Invoice).where(Invoice.company_id == books.company.id).order_by(Invoice.id)
    ).all()
    assert len(rows) == len(plans)
    issued = [
        Issued(plan.scenario, row.number or "", row.date,
               to_decimal(row.total, exponent(row.currency_code)), row.ref)
        for plan, row in zip(plans, rows, strict=True)
    ]
    assert all(p.document.partner == r.partner.name for p, r in zip(plans, rows, strict=True))
    return transfers(issued, today, today + dt.timedelta(days=2))


@pytest.fixture
def demo(db_url: str, capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[Books, str]]:
    """The demo run once in ``db_url``; its books and what it printed."""
    assert run(["--db", db_url, "demo", "--months", str(MONTHS), "--seed", str(SEED)]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    engine = make_engine(db_url)
    try:
        with open_books(engine, None) as books:
            yield books, out
    finally:
        engine.dispose()


def test_the_bank_feed_pays_the_demo_s_documents(demo: tuple[Books, str]) -> None:
    books, out = demo
    plan = _plan(books, dt.date.today())
    views: dict[str, InvoiceView] = {v.number or "": v for v in list_invoices(books)}
    by_how: dict[str, list[Transfer]] = {}
    for t in plan:
        by_how.setdefault(t.how, []).append(t)

    for how in AUTOMATIC:
        for t in by_how[how]:
            for number in t.documents:
                assert views[number].payment_state == "paid", (how, number)
    (several,) = by_how["several"]
    assert len(several.documents) == 2  # one transfer paid both
    (partial,) = by_how["partial"]
    part = views[partial.documents[0]]
    assert part.payment_state == "partial" and part.residual == part.total - partial.amount
    (iban,) = by_how["iban"]
    assert views[iban.documents[0]].payment_state == "not_paid"  # suggested, not applied
    paid = {n for t in plan for n in t.documents}
    unpaid = [v for n, v in views.items() if n not in paid]
    assert unpaid and all(v.payment_state == "not_paid" for v in unpaid)

    # No automatic reconciliation is wrong: each is the plan's, or a bank fee by the rule.
    planned = {t.description: t for t in plan}
    auto: list[Reconciled] = reconciled(books)
    for r in auto:
        meant = planned.get(r.label)
        if meant is not None:
            assert meant.automatic and r.documents == meant.documents, r
            assert r.amount == meant.amount and r.journal == "BNK1"
        else:
            assert "fee" in r.label.lower() and not r.documents, r
            assert r.counterparts == ("6500 Bank fees",), r
    assert {r.label for r in auto if r.label in planned} == {
        t.description for t in plan if t.automatic
    }
    (fee,) = [r for r in auto if r.label == by_how["fee"][0].description]
    assert fee.amount == Decimal("-7.50") and fee.counterparts == ("6500 Bank fees",)
    assert any(r.label == "Monthly account fee" for r in auto)
    # The part payment was accepted as suggested (by hand, so not automatic).
    (accepted,) = reconciled(books, "manual")
    assert accepted.label == partial.description and accepted.documents == partial.documents
    # The IBAN alone did not name the customer on the way: the amount is suggested.
    waiting = {line.label: line for line in suggested(books, "BNK1")}
    best = waiting[iban.description].suggestions[0]
    assert best.documents == list(iban.documents) and "same amount" in best.reason

    # What the demo printed names them.
    reconciled_part = out.split("Reconciled automatically", 1)[1]
    suggested_part = reconciled_part.split("Suggested in BNK1", 1)[1]
    invoices_part = suggested_part.split("Invoices and bills", 1)[1]
    auto_section = reconciled_part.split("Suggested in BNK1", 1)[0]
    for t in plan:
        if t.automatic:
            assert all(n in auto_section for n in t.documents), t
    assert "6500 Bank fees" in auto_section
    section = suggested_part.split("Invoices and bills", 1)[0]
    assert partial.documents[0] in section and iban.documents[0] in section
    assert f"Accepted the suggestion for line {accepted.line}" in section
    for number, view in views.items():
        row = next(line for line in invoices_part.splitlines() if f" {number} " in line)
        assert view.payment_state in row and view.partner in row


def test_the_demo_fills_only_an_empty_database(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given with --db, a database that already holds a company is left as it was."""
    assert run(["--db", db_url, "init", "--company", "Acme Ltd"]) == 0
    assert run(["--db", db_url, "demo", "--no-bank"]) == 1
    assert "already holds a company" in capsys.readouterr().err
    assert run(["--db", db_url, "account", "list", "--json"]) == 0
    capsys.readouterr()
    assert run(["--db", db_url, "--company", "Demo Trading Ltd", "journal", "list"]) == 1
    assert run(["--db", db_url, "demo", "--path", "x.db"]) == 2  # one database or the other


def test_the_demo_s_connection_stops_syncing_on_schedule_once_its_bank_is_gone(
    demo: tuple[Books, str],
) -> None:
    from booksync.banking.models import Connection

    books, out = demo
    connections = books.session.scalars(
        select(Connection).where(Connection.company_id == books.company.id)
    ).all()
    assert connections and not any(c.auto_sync for c in connections)
    assert all(c.last_refresh is not None for c in connections)
    assert "no longer synchronizes on schedule" in out


def test_the_demo_connects_through_every_provider_and_imports_every_format(
    demo: tuple[Books, str],
) -> None:
    """Three connections, one per provider, each run a success; four files, one per format,
    whose days the first syncs found booked; every account's bank balance equals its
    journal's lines at the bank's date."""
    from booksync.banking.models import (
        Connection,
        ProviderAccount,
        SourceKind,
        StatementLine,
        StatementSource,
        SyncRun,
    )

    books, out = demo
    session, company = books.session, books.company
    connections = session.scalars(
        select(Connection).where(Connection.company_id == company.id)).all()
    assert sorted(c.provider for c in connections) == ["gocardless", "plaid", "simplefin"]
    runs = session.scalars(select(SyncRun).where(SyncRun.company_id == company.id)).all()
    assert len(runs) == 6 and all(r.state == "success" for r in runs), [
        (r.state, r.error) for r in runs]
    files = session.execute(
        select(StatementSource.journal_id, StatementLine.id)
        .join(StatementLine, StatementLine.source_id == StatementSource.id)
        .where(StatementSource.company_id == company.id,
               StatementSource.kind == SourceKind.FILE)).all()
    assert len({journal for journal, _ in files}) == 4
    for fmt in ("camt053", "mt940", "ofx", "csv"):
        assert f" {fmt} " in out
    assert "(differs)" not in out  # every file's closing balance agrees with its journal
    first_runs = [r for r in runs if r.id <= 3]
    assert sum(r.duplicates for r in first_runs) > 0  # the files' last days, matched
    accounts = session.scalars(
        select(ProviderAccount).where(ProviderAccount.company_id == company.id)).all()
    assert len(accounts) == 6
    assert all(a.balance_difference == 0 for a in accounts), [
        (a.name, a.balance_difference) for a in accounts]
