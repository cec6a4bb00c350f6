"""One account of a connection failing while the others book, and the ECB filling rates.

The sandbox bank's Banque du Lac has a USD account ("Compte en dollars") next
to EUR ones; a company without a USD rate cannot book it.  With the ECB as
its rate source it books at the ECB's rates; without one, that account's part
of the run rolls back alone and the next run catches it up.  Runs on SQLite
and PostgreSQL; the bank speaks SimpleFIN over loopback.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import ProviderAccount, StatementLine, SyncRunAccount
from booksync.banking.runs import run_log
from booksync.ledger.models import Company, Entry, ExchangeRate, Journal, Line
from booksync.ledger.rates import set_rate
from booksync.rates.ecb import bundled
from booksync.sandbox.server import SandboxHandle
from tests.sync.support import (
    Books,
    assert_exactly_once,
    assert_ledger_consistent,
    connect,
    connection_row,
    run_row,
    snapshot,
)

USD_ACCOUNT = "Compte en dollars"


def _connected(
    factory: sessionmaker[Session], company: Company, bank: SandboxHandle, source: str | None
) -> Books:
    """The EUR business accounts and the USD one; no rate recorded, ``source`` named."""
    with factory.begin() as session:
        row = session.get(Company, company.id)
        assert row is not None
        row.rate_source = source
    return connect(factory, company.id, bank, profiles=("business", "usd"))


def _usd_id(books: Books) -> int:
    (account_id,) = [
        ident for remote, ident in books.accounts.items()
        if books.bank.world.accounts[remote].currency == "USD"
    ]
    return account_id


def _usd_lines(factory: sessionmaker[Session], books: Books) -> list[StatementLine]:
    with factory() as session:
        lines = list(session.scalars(
            select(StatementLine).where(StatementLine.provider_account_id == _usd_id(books))
        ))
        session.expunge_all()
        return lines


def _record_usd_rate(factory: sessionmaker[Session], company_id: int) -> None:
    with factory.begin() as session:
        row = session.get(Company, company_id)
        assert row is not None
        set_rate(session, row, "USD", dt.date(2000, 1, 1), "0.92")


def _numbers_without_gaps(factory: sessionmaker[Session], company_id: int) -> None:
    """Each journal's posted numbers of a year run 1, 2, 3, ... (docs/ledger.md, "Entries")."""
    with factory() as session:
        numbers = session.execute(
            select(Journal.code, Entry.number)
            .join(Journal, Journal.id == Entry.journal_id)
            .where(Entry.company_id == company_id, Entry.number.is_not(None))
        ).all()
    by_journal: dict[tuple[str, str], list[int]] = {}
    for code, number in numbers:
        assert number is not None
        journal, year, seq = number.rsplit("/", 2)
        assert journal == code
        by_journal.setdefault((code, year), []).append(int(seq))
    assert by_journal
    for key, seqs in by_journal.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), key


def test_the_ecb_source_books_a_usd_account_without_a_recorded_rate(
    factory: sessionmaker[Session], company: Company, bank: SandboxHandle
) -> None:
    books = _connected(factory, company, bank, "ecb")
    result = books.sync()
    assert result.state == "success", result.error
    assert {a.state for a in result.accounts} == {"success"}
    assert_exactly_once(factory, books)
    assert_ledger_consistent(factory, books)
    series = bundled().series("USD", "EUR")
    assert series is not None
    lines = _usd_lines(factory, books)
    used: set[dt.date] = set()
    with factory() as session:
        journal = session.get(Journal, lines[0].journal_id)
        assert journal is not None
        for line in lines:
            found = series.on_or_before(line.date)
            assert found is not None
            day, rate = found
            used.add(day)
            booked = session.scalar(
                select(Line.debit + Line.credit).where(
                    Line.entry_id == line.entry_id, Line.account_id == journal.default_account_id
                )
            )
            value = (Decimal(abs(line.amount)) * rate).quantize(
                Decimal(1), rounding=ROUND_HALF_EVEN
            )
            assert booked == int(value), (line.date, line.amount, rate)
        recorded = {
            r.date: Decimal(r.rate)
            for r in session.scalars(
                select(ExchangeRate).where(ExchangeRate.company_id == company.id)
            )
        }
    # Each ECB day a line needed is now the company's rate, and nothing else is.
    assert recorded == {day: series.rates[series.dates.index(day)] for day in used}
    again = books.sync()
    assert again.state == "success", again.error
    assert again.new == 0


def test_one_account_fails_the_others_book_and_the_next_run_catches_up(
    factory: sessionmaker[Session], company: Company, bank: SandboxHandle
) -> None:
    books = _connected(factory, company, bank, None)
    before = snapshot(factory, books)
    usd = _usd_id(books)
    first = books.sync()
    assert first.state == "partial"
    assert first.error is not None
    assert f"{USD_ACCOUNT}: nothing booked: no USD exchange rate on or before" in first.error
    parts = {a.name: a for a in first.accounts}
    failed = parts[USD_ACCOUNT]
    assert failed.state == "failed" and failed.new == 0 and failed.fetched > 0
    assert failed.error is not None and failed.error.startswith("no USD exchange rate")
    others = [a for name, a in parts.items() if name != USD_ACCOUNT]
    assert len(others) == 2 and all(a.state == "success" and a.new > 0 for a in others)
    assert first.new == sum(a.new for a in others)
    # The USD account's part rolled back whole: no lines, its watermark and balance as before.
    assert _usd_lines(factory, books) == []
    after = snapshot(factory, books)
    old = {row[0]: row for row in before["accounts"]}
    new = {row[0]: row for row in after["accounts"]}
    assert new[usd] == old[usd]
    assert all(new[i][1] is not None for i in new if i != usd)
    with factory() as session:
        stored = session.scalars(
            select(SyncRunAccount).where(SyncRunAccount.run_id == first.run)
            .order_by(SyncRunAccount.id)
        ).all()
        assert {(s.provider_account_id, s.state) for s in stored} == {
            (i, "failed" if i == usd else "success") for i in books.accounts.values()
        }
        row = session.get(Company, company.id)
        assert row is not None
        logged = run_log(session, row, books.connection_id)[0]
    assert logged["state"] == "partial"
    assert [a["state"] for a in logged["accounts"]] == [a.state for a in first.accounts]
    assert logged["accounts"] == [a.as_dict() for a in first.accounts]
    assert run_row(factory, first.run).error == first.error
    _numbers_without_gaps(factory, company.id)

    _record_usd_rate(factory, company.id)
    second = books.sync()
    assert second.state == "success", second.error
    assert {a.state for a in second.accounts} == {"success"}
    assert {a.name: a.new for a in second.accounts if a.name != USD_ACCOUNT} == {
        a.name: 0 for a in others
    }
    assert_exactly_once(factory, books)
    assert_ledger_consistent(factory, books)
    _numbers_without_gaps(factory, company.id)
    with factory() as session:
        account = session.get(ProviderAccount, usd)
        assert account is not None and account.watermark is not None
    third = books.sync()
    assert third.state == "success" and third.new == 0


def test_when_no_account_books_the_run_is_an_error(
    factory: sessionmaker[Session], company: Company, bank: SandboxHandle
) -> None:
    books = connect(factory, company.id, bank, profiles=("usd",))
    (usd,) = books.accounts.values()
    result = books.sync()
    assert result.state == "error"
    assert result.error is not None and f"{USD_ACCOUNT}: nothing booked" in result.error
    assert [(a.name, a.state) for a in result.accounts] == [(USD_ACCOUNT, "failed")]
    connection = connection_row(factory, books)
    assert (connection.state, connection.last_error) == ("error", result.error)
    assert connection.last_refresh is None and connection.claimed_by is None
    with factory() as session:
        (part,) = session.scalars(select(SyncRunAccount).where(SyncRunAccount.run_id == result.run))
        assert (part.provider_account_id, part.state) == (usd, "failed")
    assert _usd_lines(factory, books) == []
    _record_usd_rate(factory, company.id)
    again = books.sync()
    assert again.state == "success", again.error
    assert connection_row(factory, books).state == "connected"
    assert_exactly_once(factory, books)
