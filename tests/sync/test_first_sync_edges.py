"""What a sync books of answers at the edges of the bank's data, end to end over GoCardless.

A balance older than the first day fetched, and transactions of zero: the
run must never leave the books silently short, nor post an entry that moves
nothing (docs/banking.md, "A synchronization run").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update

from booksync.banking.models import PendingTransaction, ProviderAccount, StatementLine
from booksync.ledger.models import Company, Entry
from tests.sync.support import TODAY, snapshot
from tests.sync.test_gocardless_answers import Edited, _closing, edited
from tests.sync.test_gocardless_sync import NORDWERK

__all__ = ["edited"]  # the fixture, used by name


def test_a_balance_older_than_the_window_is_the_opening_and_the_gap_is_told(
    edited: Edited,
) -> None:
    """A bank that states only an old statement's closing balance: the opening line
    holds that day's balance, and the days between it and the first day fetched,
    which no line holds, are named on the run instead of passing unseen."""
    edited.connect(NORDWERK)
    start = TODAY - dt.timedelta(days=30)  # the connection's first window (30 days)
    long_ago = start - dt.timedelta(days=25)
    stated: dict[str, str] = {}

    def stale(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        currency = body["balances"][0]["balanceAmount"]["currency"]
        stated[account_id] = edited.world_balance(account_id, long_ago)
        return {"balances": [_closing(stated[account_id], currency, long_ago)]}

    edited.transport.edits["balances"] = stale
    result = edited.sync()
    assert result.state == "partial", result.error
    after = (long_ago + dt.timedelta(days=1)).isoformat()
    assert f"the bank's balance is of {long_ago.isoformat()}" in (result.error or "")
    assert f"from {after} to {(start - dt.timedelta(days=1)).isoformat()} are not booked" in (
        result.error or "")
    assert f"--since {after}" in (result.error or "")
    with edited.factory() as session:
        openings = session.execute(
            select(StatementLine.date, StatementLine.amount, ProviderAccount.provider_account_id)
            .join(ProviderAccount, ProviderAccount.id == StatementLine.provider_account_id)
            .where(StatementLine.is_opening.is_(True))
        ).all()
        earliest = session.scalar(
            select(StatementLine.date).where(StatementLine.is_opening.is_(False))
            .order_by(StatementLine.date).limit(1))
        starts = set(session.scalars(select(ProviderAccount.history_start)
                                     .where(ProviderAccount.journal_id.is_not(None))))
    assert openings and {day for day, _, _ in openings} == {long_ago}
    for _, amount, account_id in openings:
        assert amount == int(edited.world_balance(account_id, long_ago).replace(".", ""))
    assert earliest is not None and earliest >= start
    assert starts == {long_ago + dt.timedelta(days=1)}
    # Later runs go on from there and book nothing twice.
    books = edited.books()
    before = snapshot(edited.factory, books)
    again = edited.sync()
    assert again.state == "success", again.error
    assert again.new == 0
    assert snapshot(edited.factory, books)["lines"] == before["lines"]


def test_a_transaction_of_zero_is_not_booked_and_the_run_says_so(edited: Edited) -> None:
    """A bank's notice of 0.00 moves no money: an entry of two zero lines would only
    take a number of the journal's sequence (the ledger refuses such an entry)."""
    edited.connect(NORDWERK)
    edited.synced()
    edited.bank.world.advance(1)
    day = edited.bank.world.today.isoformat()

    def zero(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        body["transactions"]["booked"].append({
            "transactionId": f"ZERO-{account_id}", "bookingDate": day,
            "transactionAmount": {"amount": "-0.00", "currency": "EUR"},
            "remittanceInformationUnstructured": "Card check"})
        return body

    edited.transport.edits["transactions"] = zero
    for _ in range(2):
        result = edited.sync()
        assert result.state == "success", result.error
        assert "1 transaction of zero not booked: they move no money" in (result.error or "")
        with edited.factory() as session:
            found = session.scalars(
                select(StatementLine.id).where(StatementLine.label.like("%Card check%"))).all()
            zero_lines = session.scalars(
                select(StatementLine.id).where(StatementLine.amount == 0)).all()
        assert found == [] and zero_lines == []
    del edited.transport.edits["transactions"]
    edited.synced()


def test_a_pending_payment_in_another_currency_is_staged_in_its_own(edited: Edited) -> None:
    """A card payment abroad, pending in the shop's currency: staged as the account's
    money it would show dollars as euros, and yen with two decimals would refuse the
    whole account; it books nothing either way."""
    edited.connect(NORDWERK)
    edited.synced()
    day = edited.bank.world.today.isoformat()

    def abroad(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        body["transactions"]["pending"] += [
            {"transactionAmount": {"amount": amount, "currency": currency},
             "valueDate": day, "remittanceInformationUnstructured": f"Shop abroad {currency}"}
            for amount, currency in (("-12.5", "USD"), ("-1234", "JPY"), ("-3", "XTS"))]
        return body

    edited.transport.edits["transactions"] = abroad
    books = edited.books()
    before = snapshot(edited.factory, books)
    result = edited.sync()
    assert result.state == "success", result.error
    with edited.factory() as session:
        staged = {tuple(row) for row in session.execute(
            select(PendingTransaction.label, PendingTransaction.amount,
                   PendingTransaction.currency_code)
            .where(PendingTransaction.label.like("Shop abroad%"))).all()}
    assert staged == {("Shop abroad USD", -1250, "USD"), ("Shop abroad JPY", -1234, "JPY")}
    after = snapshot(edited.factory, books)
    for part in ("lines", "entries", "aliases"):
        assert after[part] == before[part], part


def test_a_late_bank_line_of_a_closed_period_is_booked_on_the_first_open_day(
    edited: Edited,
) -> None:
    """The bank posts a payment back-dated into a month the company has closed: the
    scheduled sync books it, its statement line at the bank's date and its entry on the
    first day after the lock date, instead of failing the account on every run."""
    edited.connect(NORDWERK)
    edited.synced()
    world = edited.bank.world
    books = edited.books()
    remote = sorted(books.accounts)[0]
    lock = world.today - dt.timedelta(days=5)
    back = (lock - dt.timedelta(days=2)).isoformat()
    with edited.factory.begin() as session:
        session.execute(update(Company).values(lock_date=lock))
    world.add_transactions(remote, [{"amount": "-42.17", "description": "Late card fee",
                                     "posted": back}])
    result = edited.synced()
    assert result.new >= 1
    with edited.factory() as session:
        line_day, entry_day = session.execute(
            select(StatementLine.date, Entry.date).join(Entry, Entry.id == StatementLine.entry_id)
            .where(StatementLine.label.like("%Late card fee%"))).one()
    assert line_day.isoformat() == back and entry_day == lock + dt.timedelta(days=1)
