"""Sync runs end to end: SimpleFIN over real loopback HTTP against the sandbox bank.

Every expectation is computed from the bank's own truth (``World.state()``).
Runs on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import (
    PendingTransaction,
    ProviderAccount,
    StatementLine,
    StatementSource,
    SyncRun,
    TransactionAlias,
)
from booksync.ledger.models import Company, Line
from booksync.sandbox.server import SandboxHandle
from booksync.sync.window import LOOKAHEAD_DAYS, OVERLAP_DAYS
from tests.sync.support import (
    HISTORY_DAYS,
    RATES,
    TODAY,
    Books,
    add_rates,
    assert_exactly_once,
    assert_ledger_consistent,
    assert_pending_staged,
    bank_truth,
    connect,
    connection_row,
    run_row,
    snapshot,
)


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _in(day: dt.date, start: dt.date, end: dt.date) -> bool:
    return start <= day < end


def _aliases(factory: sessionmaker[Session], books: Books) -> dict[str, set[str]]:
    """Provider account id -> the ids booked (as aliases) for it."""
    out: dict[str, set[str]] = {remote: set() for remote in books.accounts}
    reverse = {v: k for k, v in books.accounts.items()}
    with factory() as session:
        for account_id, tid in session.execute(
            select(StatementSource.provider_account_id, TransactionAlias.transaction_id)
            .join(StatementSource, StatementSource.id == TransactionAlias.source_id)
            .where(StatementSource.provider_account_id.in_(list(books.accounts.values())))
        ):
            out[reverse[account_id]].add(tid)
    return out


def _expected_claims(
    books: Books, before: dict[str, set[str]], start: dt.date, end: dt.date
) -> int:
    """Bank transactions in the window booked earlier under an id the bank has since changed."""
    claims = 0
    for remote, account in bank_truth(books).items():
        for t in account["transactions"]:
            if not _in(_d(t["posted"]), start, end) or t["id"] in before[remote]:
                continue
            if before[remote] & set(t["former_ids"]):
                claims += 1
    return claims


def _expected_new(books: Books, before: dict[str, set[str]], start: dt.date, end: dt.date) -> int:
    new = 0
    for remote, account in bank_truth(books).items():
        for t in account["transactions"]:
            if not _in(_d(t["posted"]), start, end):
                continue
            if t["id"] in before[remote] or before[remote] & set(t["former_ids"]):
                continue
            new += 1
    return new


def _business(books: Books) -> str:
    """The sandbox's busy EUR business account at the German bank."""
    return next(
        a.id
        for a in books.bank.world.accounts.values()
        if a.id in books.accounts and a.profile == "business" and a.institution.country == "DE"
    )


# -- first sync ---------------------------------------------------------------------


def test_first_sync_books_every_booked_transaction_once(
    books: Books, factory: sessionmaker[Session]
) -> None:
    start, end = TODAY - dt.timedelta(days=HISTORY_DAYS), TODAY + dt.timedelta(days=LOOKAHEAD_DAYS)
    truth = bank_truth(books)
    booked = sum(
        1 for a in truth.values() for t in a["transactions"] if _in(_d(t["posted"]), start, end)
    )
    pending = sum(
        1 for a in truth.values() for p in a["pending"] if _in(_d(p["transacted"]), start, end)
    )
    assert booked > 50 and pending > 0  # the sandbox is busy enough to mean something

    result = books.sync()

    assert result.state == "success", result.error
    assert (result.new, result.pending, result.duplicates, result.updated) == (
        booked,
        pending,
        0,
        0,
    )
    assert result.fetched == booked + pending
    assert result.balance_difference is None
    assert result.error is None
    assert_exactly_once(factory, books)
    assert_pending_staged(factory, books)
    assert_ledger_consistent(factory, books)

    run = run_row(factory, result.run)
    assert (run.window_start, run.window_end) == (start, end)
    assert (run.state, run.error, run.attempts) == ("success", None, 1)
    assert (run.fetched, run.new, run.duplicates, run.pending, run.updated) == (
        result.fetched,
        result.new,
        result.duplicates,
        result.pending,
        result.updated,
    )
    assert run.finished_at is not None and run.finished_at >= run.started_at
    connection = connection_row(factory, books)
    assert connection.state == "connected"
    assert connection.last_error is None
    assert connection.claimed_by is None and connection.claimed_until is None
    assert connection.last_refresh is not None and connection.next_sync_at is not None
    assert connection.next_sync_at - connection.last_refresh == dt.timedelta(
        seconds=connection.interval_seconds
    )


def test_opening_line_makes_each_journal_match_the_bank(
    books: Books, factory: sessionmaker[Session]
) -> None:
    books.sync()
    start = TODAY - dt.timedelta(days=HISTORY_DAYS)
    truth = bank_truth(books)
    with factory() as session:
        for remote, account_id in books.accounts.items():
            bank = truth[remote]
            exp = 0 if bank["currency"] == "JPY" else 2
            as_of = _d(bank["balance_date"])
            in_window = sum(
                int(Decimal(t["amount"]).scaleb(exp))
                for t in bank["transactions"]
                if start <= _d(t["posted"]) <= as_of
            )
            expected_opening = int(Decimal(bank["balance"]).scaleb(exp)) - in_window
            openings = session.scalars(
                select(StatementLine).where(
                    StatementLine.provider_account_id == account_id, StatementLine.is_opening
                )
            ).all()
            if expected_opening == 0:
                assert openings == []
                continue
            (opening,) = openings
            assert opening.amount == expected_opening
            assert opening.date < start
            assert opening.provider_transaction_id is None
            account = session.get(ProviderAccount, account_id)
            assert account is not None
            assert account.watermark == TODAY + dt.timedelta(days=1)
            assert account.balance_date == as_of


def test_resync_books_nothing_new(books: Books, factory: sessionmaker[Session]) -> None:
    first = books.sync()
    assert first.state == "success", first.error
    before = snapshot(factory, books)
    again = books.sync()
    assert again.state == "success", again.error
    assert (again.new, again.updated) == (0, 0)
    assert again.duplicates == again.fetched - again.pending > 0
    after = snapshot(factory, books)
    for part in ("lines", "entries", "entry_lines", "aliases", "pending"):
        assert after[part] == before[part], part
    run = run_row(factory, again.run)
    with factory() as session:
        oldest_pending = session.scalar(
            select(PendingTransaction.date)
            .where(PendingTransaction.provider_account_id.in_(list(books.accounts.values())))
            .order_by(PendingTransaction.date)
            .limit(1)
        )
    overlap_start = TODAY + dt.timedelta(days=1 - OVERLAP_DAYS)
    assert run.window_start == min(overlap_start, oldest_pending or overlap_start)
    assert_exactly_once(factory, books)


def test_the_bank_moves_and_each_transaction_stays_booked_once(
    books: Books, factory: sessionmaker[Session]
) -> None:
    """Pending -> booked under new ids, id changes, late postings, same-day pairs."""
    world = books.bank.world
    business = _business(books)
    assert books.sync().state == "success"
    synced = [t for t in world.accounts[business].booked if t.posted and t.posted < world.today]
    recent = next(t for t in reversed(synced) if t.posted and t.posted >= TODAY - dt.timedelta(3))
    world.change_id(business, recent.id)
    world.add_transactions(
        business,
        [
            {"amount": "-17.40", "description": "PARKING TWIN"},
            {"amount": "-17.40", "description": "PARKING TWIN"},
            {
                "amount": "-88.10",
                "description": "Late direct debit",
                "posted": (world.today - dt.timedelta(days=5)).isoformat(),
            },
            {
                "amount": "-23.99",
                "description": "CARD LATER",
                "pending": True,
                "book_after_days": 2,
            },
        ],
    )
    totals: dict[str, int] = {"claims": 0, "rounds": 0}
    for days in (1, 2, 3, 5, 4):
        pending_now = list(world.accounts[business].visible_pending(world.today))
        if pending_now and pending_now[0].linger_until is None:
            world.book_pending(business, pending_now[0].id)
        world.advance(days)
        before = _aliases(factory, books)
        result = books.sync()
        assert result.state == "success", result.error
        run = run_row(factory, result.run)
        assert run.window_start is not None and run.window_end is not None
        claims = _expected_claims(books, before, run.window_start, run.window_end)
        assert result.updated == claims
        assert result.new == _expected_new(books, before, run.window_start, run.window_end)
        assert run.balance_difference in (None, 0)
        assert result.balance_difference is None
        assert_exactly_once(factory, books)
        assert_pending_staged(factory, books)
        totals["claims"] += claims
        totals["rounds"] += 1
    assert totals["claims"] >= 1  # the id change above, at least
    assert_ledger_consistent(factory, books)
    kinds = {e.kind for e in world.events if e.day > TODAY}
    assert {"booked_from_pending", "id_changed", "late_posting"} <= kinds
    with factory() as session:
        runs = session.scalars(
            select(SyncRun).where(SyncRun.connection_id == books.connection_id)
        ).all()
        assert [r.state for r in runs] == ["success"] * 6


def test_pending_is_staged_then_booked_once_under_its_new_id(
    books: Books, factory: sessionmaker[Session]
) -> None:
    world = books.bank.world
    business = _business(books)
    (pending_id,) = world.add_transactions(
        business, [{"amount": "-12.34", "description": "CARD PENDING TEST", "pending": True}]
    )
    result = books.sync()
    account_id = books.accounts[business]
    with factory() as session:
        staged = session.execute(
            select(PendingTransaction.transaction_id, PendingTransaction.amount).where(
                PendingTransaction.provider_account_id == account_id
            )
        ).all()
        assert (pending_id, -1234) in staged
        labels = session.scalars(
            select(StatementLine.label).where(StatementLine.provider_account_id == account_id)
        ).all()
        assert "CARD PENDING TEST" not in labels
    assert result.pending >= 1
    booked_id = world.book_pending(business, pending_id)
    result = books.sync()
    assert result.state == "success", result.error
    with factory() as session:
        lines = session.scalars(
            select(StatementLine).where(
                StatementLine.provider_account_id == account_id,
                StatementLine.label == "CARD PENDING TEST",
            )
        ).all()
        assert [(ln.amount, ln.date, ln.provider_transaction_id) for ln in lines] == [
            (-1234, world.today, booked_id)
        ]
        staged_ids = session.scalars(
            select(PendingTransaction.transaction_id).where(
                PendingTransaction.provider_account_id == account_id
            )
        ).all()
        assert pending_id not in staged_ids
    assert_exactly_once(factory, books)


def test_same_ids_on_two_accounts_are_two_transactions(
    books: Books, factory: sessionmaker[Session]
) -> None:
    """Ids are unique per account only (docs/banking.md, "What real banks do")."""
    world = books.bank.world
    eur = [a.id for a in world.accounts.values() if a.currency == "EUR" and a.id in books.accounts]
    first, second = eur[:2]
    world.add_transactions(first, [{"id": "SHARED-1", "amount": "5.00"}])
    world.add_transactions(second, [{"id": "SHARED-1", "amount": "5.00"}])
    assert books.sync().state == "success"
    with factory() as session:
        owners = session.scalars(
            select(StatementLine.provider_account_id).where(
                StatementLine.provider_transaction_id == "SHARED-1"
            )
        ).all()
    assert sorted(o or 0 for o in owners) == sorted([books.accounts[first], books.accounts[second]])
    assert_exactly_once(factory, books)


def test_a_window_longer_than_90_days_misses_no_day(
    factory: sessionmaker[Session], session: Session, company: Company, bank: SandboxHandle
) -> None:
    add_rates(session, company)
    session.commit()
    books = connect(factory, company.id, bank, history_days=115)
    result = books.sync()
    assert result.state == "success", result.error
    run = run_row(factory, result.run)
    assert run.window_start == TODAY - dt.timedelta(days=115)
    assert_exactly_once(factory, books)  # checks every transaction since the window start


def test_since_refetches_without_duplicates(books: Books, factory: sessionmaker[Session]) -> None:
    assert books.sync().state == "success"
    books.bank.world.advance(3)
    before = _aliases(factory, books)
    since = TODAY - dt.timedelta(days=HISTORY_DAYS - 5)
    result = books.sync(since=since)
    assert result.state == "success", result.error
    run = run_row(factory, result.run)
    assert run.window_start == since
    assert run.window_end is not None
    assert result.new == _expected_new(books, before, since, run.window_end)
    assert result.duplicates > 0
    assert_exactly_once(factory, books)


def test_foreign_accounts_book_at_company_currency_value(
    books: Books, factory: sessionmaker[Session]
) -> None:
    assert books.sync().state == "success"
    with factory() as session:
        for remote, account_id in books.accounts.items():
            account = session.get(ProviderAccount, account_id)
            assert account is not None and account.journal is not None
            currency = account.currency_code
            lines = session.scalars(
                select(StatementLine).where(StatementLine.provider_account_id == account_id)
            ).all()
            assert lines, remote
            for statement in lines[:25]:
                bank_line = session.scalars(
                    select(Line).where(
                        Line.entry_id == statement.entry_id,
                        Line.account_id == account.journal.default_account_id,
                    )
                ).one()
                if currency == "EUR":
                    assert account.journal.currency_code is None
                    assert bank_line.debit - bank_line.credit == statement.amount
                    assert bank_line.amount_currency is None
                    continue
                assert account.journal.currency_code == currency
                exp = 0 if currency == "JPY" else 2
                value = Decimal(statement.amount).scaleb(-exp) * Decimal(RATES[currency])
                expected = int(value.scaleb(2).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
                assert bank_line.debit - bank_line.credit == expected
                assert bank_line.amount_currency == statement.amount
                assert bank_line.currency_code == currency


def test_without_pending_nothing_is_staged(
    factory: sessionmaker[Session], session: Session, company: Company, bank: SandboxHandle
) -> None:
    add_rates(session, company)
    session.commit()
    books = connect(factory, company.id, bank, include_pending=False)
    result = books.sync()
    assert result.state == "success", result.error
    assert result.pending == 0
    with factory() as check:
        staged = check.scalars(
            select(PendingTransaction.id).where(
                PendingTransaction.provider_account_id.in_(list(books.accounts.values()))
            )
        ).all()
    assert staged == []
    assert_exactly_once(factory, books)


def test_since_before_the_history_start_does_not_book_the_opening_balance_twice(
    books: Books, factory: sessionmaker[Session]
) -> None:
    """Older transactions are already in the first sync's opening line."""
    assert books.sync().state == "success"
    start = TODAY - dt.timedelta(days=HISTORY_DAYS)
    since = start - dt.timedelta(days=20)
    older = sum(
        1
        for a in bank_truth(books).values()
        for t in a["transactions"]
        if since <= _d(t["posted"]) < start
    )
    assert older > 0
    before = snapshot(factory, books)
    result = books.sync(since=since)
    assert result.state == "success", result.error
    assert result.new == 0
    assert result.balance_difference is None
    after = snapshot(factory, books)
    assert after["lines"] == before["lines"]
    assert_exactly_once(factory, books)


def test_a_changed_id_keeps_its_line_despite_an_earlier_payment_of_the_same_amount(
    lean_books: Books, factory: sessionmaker[Session]
) -> None:
    """Regression: the orphan goes to the nearest date, not to the earliest candidate."""
    books = lean_books
    world = books.bank.world
    business = _business(books)
    (original,) = world.add_transactions(
        business,
        [{"amount": "-12.50", "description": "SHOP", "posted": str(TODAY - dt.timedelta(1))}],
    )
    assert books.sync().state == "success"
    world.change_id(business, original)
    world.add_transactions(
        business,
        [{"amount": "-12.50", "description": "SHOP", "posted": str(TODAY - dt.timedelta(3))}],
    )
    result = books.sync()
    assert result.state == "success", result.error
    assert (result.new, result.updated) == (1, 1)
    assert_exactly_once(factory, books)
