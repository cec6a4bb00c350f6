"""The sandbox bank's world: accounts, a clock, and a history that keeps moving.

The world is what a real bank would be if we could see its back office: every
account's booked and pending transactions, and a log of the movements that
break naive importers (docs/banking.md, "What real banks do"):

- a card payment is first a pending authorisation, then books one to three
  days later under a *different* id (no link on the wire; some authorisations
  linger one more day after booking);
- booked transactions occasionally change id (a block of one booking date),
  the old ids kept in ``former_ids``;
- direct debits appear today with a booking date several days back;
- two genuine payments on one day with the same amount and text;
- balances come with an as-of date (one bank reports yesterday's), and always
  equal the opening balance plus the booked transactions up to that date.

Its customers quote invoice numbers it makes up, unless the world is built
with ``invent_invoices=False`` for books that issue their own documents and
say how they are paid (:meth:`World.expect_payments`; docs/banking.md, "The
sandbox bank").

Everything derives from ``seed``: each account's activity on a date comes from
its own random stream named by (seed, account, date), ids from a stream per
account, so one seed and one sequence of calls always give the same world, and
``advance(3)`` equals three ``advance(1)``.  The world knows nothing of
booksync's database; it only borrows ``booksync.money`` for exact amounts.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from booksync.money import MoneyError, parse_amount, to_minor
from booksync.sandbox.activity import Draft, day_drafts, late_draft, pair_draft
from booksync.sandbox.catalogue import INSTITUTIONS, account_plans, iban, new_id
from booksync.sandbox.model import Account, Event, Institution, SandboxError, Transaction
from booksync.sandbox.payments import PaymentPlan, PlannedPayments
from booksync.sandbox.snapshot import world_state

__all__ = ["PaymentPlan", "SandboxError", "World"]

ONE_DAY = dt.timedelta(days=1)


class World:
    """A deterministic simulated bank.  Thread-safe: every public method locks."""

    def __init__(
        self,
        seed: int = 0,
        *,
        today: dt.date | None = None,
        history_days: int = 120,
        bulk_transactions: int = 0,
        invent_invoices: bool = True,
    ) -> None:
        """``invent_invoices=False``: the customers' own transfers are card-terminal
        payouts quoting no invoice, so that every invoice number the bank shows
        is one the books issued (:meth:`expect_payments`)."""
        self.seed = seed
        self.invent_invoices = invent_invoices
        self.planned = PlannedPayments()
        self.institutions: tuple[Institution, ...] = INSTITUTIONS
        self.accounts: dict[str, Account] = {}
        self.events: list[Event] = []
        self.lock = threading.RLock()
        self._today = (today or dt.date.today()) - dt.timedelta(days=history_days)
        self.first_day = self._today
        self._seq = 0
        self._invoices: dict[int, int] = {}
        self._id_rngs: dict[str, random.Random] = {}
        for index, plan in enumerate(account_plans()):
            rng = random.Random(f"{seed}:account:{index}")
            account = Account(
                new_id("ACT", rng),
                plan.institution,
                plan.name,
                plan.currency,
                iban(plan.institution.country, rng),
                0,
                plan.profile,
            )
            account.opening = (plan.opening_major + rng.randrange(1000)) * 10**account.exponent
            self._register(account)
        for day in range(history_days + 1):
            self._today += dt.timedelta(days=min(day, 1))
            self._step()
        if bulk_transactions:
            self.add_bulk_account(bulk_transactions)

    # -- reading ---------------------------------------------------------

    @property
    def today(self) -> dt.date:
        """The bank's business date (bank-local calendar)."""
        return self._today

    def account(self, account_id: str) -> Account:
        try:
            return self.accounts[account_id]
        except KeyError:
            raise SandboxError(f"no account {account_id!r} in the sandbox") from None

    def balance_date(self, account_id: str) -> dt.date:
        """The as-of date of the balance the bank reports for the account."""
        account = self.account(account_id)
        return self._today - dt.timedelta(days=account.institution.balance_lag_days)

    def balance(self, account_id: str, as_of: dt.date | None = None) -> Decimal:
        """Opening balance plus booked transactions posted on or before ``as_of``."""
        with self.lock:
            account = self.account(account_id)
            day = as_of or self.balance_date(account_id)
            return account.decimal(account.balance(day))

    def state(self, account_ids: Iterable[str] | None = None) -> dict[str, Any]:
        """The whole truth as JSON-ready data (what ``GET /_sandbox/state`` shows)."""
        with self.lock:
            wanted = [self.account(a) for a in account_ids] if account_ids else None
            return world_state(self, wanted or list(self.accounts.values()))

    # -- moving ----------------------------------------------------------

    def advance(self, days: int = 1) -> list[Event]:
        """Move the clock ``days`` forward, generating each day's activity."""
        if days < 0:
            raise SandboxError("the bank's clock only moves forward")
        with self.lock:
            first = len(self.events)
            for _ in range(days):
                self._today += ONE_DAY
                self._step()
            return self.events[first:]

    def add_transactions(self, account_id: str, specs: Sequence[Mapping[str, Any]]) -> list[str]:
        """Add given transactions to an account and return their ids.

        Each spec: ``amount`` (decimal string, positive = money in),
        ``description``, ``posted`` (ISO date, default today, never in the
        future; an earlier date is a late posting), ``pending`` (bool),
        ``book_after_days`` (a pending one then books later under a new id),
        ``transacted``, ``id`` (default: a fresh one), ``extra``, ``payee``,
        ``memo``.
        """
        with self.lock:
            account = self.account(account_id)
            txns = [self._from_spec(account, spec) for spec in specs]
            ids = [t.id for t in txns]
            if len(set(ids)) < len(ids) or account.used_ids.intersection(ids):
                raise SandboxError(f"transaction ids must be new on {account_id}")
            for txn in txns:
                account.add(txn)
                if txn.pending:
                    self._log("pending", account, txn.id)
                elif txn.posted is not None and txn.posted < self._today:
                    self._log("late_posting", account, txn.id)
            return ids

    def expect_payments(self, plans: Sequence[PaymentPlan]) -> list[str]:
        """Have the world's customers and suppliers pay documents the books issued.

        A plan dated today or earlier books at once, with its own date; a
        later one books when the clock reaches its day.  Every plan is
        checked before any is booked.  Returns each plan's transaction id,
        fixed now, in the plans' order.
        """
        with self.lock:
            for plan in plans:
                self.planned.check(plan, self.account(plan.account))
            ids = [self._new_txn_id(self.account(plan.account)) for plan in plans]
            self.planned.add(list(zip(ids, plans, strict=True)), self._today,
                             self.add_transactions)
            return ids

    def book_pending(self, account_id: str, pending_id: str) -> str:
        """Book a pending transaction today under a new id; return the new id."""
        with self.lock:
            account = self.account(account_id)
            txn = account.pending.get(pending_id)
            if txn is None or txn.linger_until is not None:
                raise SandboxError(f"no pending transaction {pending_id!r} on {account_id}")
            return self._book(account, txn, linger=False)

    def change_id(self, account_id: str, txn_id: str) -> str:
        """Give a booked transaction a new id (the bank's id rotation); return it."""
        with self.lock:
            account = self.account(account_id)
            txn = account.by_id.get(txn_id)
            if txn is None or txn.pending:
                raise SandboxError(f"no booked transaction {txn_id!r} on {account_id}")
            new = self._new_txn_id(account)
            account.rename(txn, new)
            self._log("id_changed", account, txn_id, new)
            return new

    def add_bulk_account(self, n: int, *, days: int = 60, currency: str = "EUR") -> str:
        """A quiet account holding ``n`` booked transactions over the last ``days``.

        For benchmarks: ids and amounts come from the seed, bookings are
        appended in date order, and the account does nothing on ``advance``.
        """
        with self.lock:
            rng = random.Random(f"{self.seed}:bulk:{len(self.accounts)}")
            institution = self.institutions[0]
            account = Account(
                new_id("ACT", rng),
                institution,
                f"Bulk account {len(self.accounts) + 1}",
                currency,
                iban(institution.country, rng),
                0,
                "bulk",
            )
            self._register(account)
            first = self._today - dt.timedelta(days=days - 1)
            exp = account.exponent
            for i in range(n):
                posted = first + dt.timedelta(days=i * days // max(n, 1))
                amount = rng.randrange(-50_000, 80_000) * 10**exp // 100 or 1
                text = (
                    f"Customer payment INV/{posted.year}/{i % 10_000:04d}"
                    if amount > 0
                    else (f"CARD {i % 97:02d} SUPPLIES")
                )
                self._seq += 1
                account.add(
                    Transaction(
                        self._new_txn_id(account), amount, text, posted, posted, self._seq, posted
                    )
                )
            return account.id

    # -- internals -------------------------------------------------------

    def _register(self, account: Account) -> None:
        self.accounts[account.id] = account
        self._id_rngs[account.id] = random.Random(f"{self.seed}:ids:{account.id}")

    def _new_txn_id(self, account: Account) -> str:
        rng = self._id_rngs[account.id]
        while True:
            candidate = new_id("TRN", rng)
            if candidate not in account.used_ids:
                return candidate

    def _next_invoice(self, year: int) -> str:
        number = self._invoices.get(year, 0) + 1
        self._invoices[year] = number
        return f"INV/{year}/{number:04d}"

    def _log(self, kind: str, account: Account, *ids: str) -> None:
        self.events.append(Event(self._today, kind, account.id, ids))

    def _new(self, account: Account, draft: Draft, posted: dt.date | None) -> Transaction:
        self._seq += 1
        transacted = posted or self._today
        return Transaction(
            self._new_txn_id(account),
            draft.amount,
            draft.description,
            transacted,
            posted,
            self._seq,
            self._today,
            extra=dict(draft.extra),
            payee=draft.payee,
            memo=draft.memo,
        )

    def _book(self, account: Account, pending: Transaction, *, linger: bool) -> str:
        self._seq += 1
        booked = Transaction(
            self._new_txn_id(account),
            pending.amount,
            pending.description,
            pending.transacted,
            self._today,
            self._seq,
            self._today,
            from_pending=pending.id,
            extra=dict(pending.extra),
            payee=pending.payee,
            memo=pending.memo,
        )
        account.add(booked)
        if linger:
            pending.linger_until = self._today
        else:
            account.drop_pending(pending.id)
        self._log("booked_from_pending", account, pending.id, booked.id)
        return booked.id

    def _step(self) -> None:
        """One business day: bookings due, the day's activity, the odd movements."""
        day = self._today
        for index, account in enumerate(list(self.accounts.values())):
            rng = random.Random(f"{self.seed}:{account.id}:{day.isoformat()}")
            for txn in list(account.pending.values()):
                if txn.linger_until is not None and txn.linger_until < day:
                    account.drop_pending(txn.id)
                elif txn.linger_until is None and txn.book_on is not None and txn.book_on <= day:
                    self._book(account, txn, linger=rng.random() < 0.3)
            invoices = self._next_invoice if self.invent_invoices else None
            for draft in day_drafts(
                account.profile, account.currency, account.exponent, day, rng, invoices
            ):
                self._apply(account, draft, rng)
            if account.profile not in ("bulk", "quiet"):
                self._odd_movements(index, account, rng)
        self.planned.book_due(day, self.add_transactions)

    def _apply(self, account: Account, draft: Draft, rng: random.Random) -> None:
        if draft.card:
            txn = self._new(account, draft, None)
            txn.transacted = self._today
            txn.book_on = self._today + dt.timedelta(days=rng.choice((1, 1, 2, 3)))
            account.add(txn)
            self._log("pending", account, txn.id)
            return
        account.add(self._new(account, draft, self._today))
        target = self._transfer_target(account, draft.transfer_to)
        if target is not None:
            credit = Draft(-draft.amount, f"Transfer from {account.name}")
            target.add(self._new(target, credit, self._today))

    def _transfer_target(self, account: Account, profile: str | None) -> Account | None:
        if profile is None:
            return None
        for other in self.accounts.values():
            if (
                other.profile == profile
                and other.institution is account.institution
                and other.currency == account.currency
            ):
                return other
        return None

    def _odd_movements(self, index: int, account: Account, rng: random.Random) -> None:
        """Late postings every 7 days, id changes every 9, same-day pairs every 11."""
        phase = self._today.toordinal() + index
        active = account.profile != "savings"
        if active and phase % 7 == 3:
            posted = max(self._today - dt.timedelta(days=rng.randint(2, 6)), self.first_day)
            txn = self._new(account, late_draft(account.currency, account.exponent, rng), posted)
            account.add(txn)
            self._log("late_posting", account, txn.id)
        if phase % 9 == 5:
            self._rotate_block(account, rng)
        if active and phase % 11 == 7:
            draft = pair_draft(account.currency, account.exponent, rng)
            pair = [self._new(account, draft, self._today) for _ in range(2)]
            for txn in pair:
                account.add(txn)
            self._log("same_day_pair", account, pair[0].id, pair[1].id)

    def _rotate_block(self, account: Account, rng: random.Random) -> None:
        """The bank re-issues ids for (up to three) bookings of one recent date."""
        back = rng.randint(2, 8)
        for days in range(back, 31):
            block = account.booked_between(
                self._today - dt.timedelta(days=days), self._today - dt.timedelta(days=days)
            )
            if block:
                for txn in list(block)[:3]:
                    old = txn.id
                    new = self._new_txn_id(account)
                    account.rename(txn, new)
                    self._log("id_changed", account, old, new)
                return

    def _from_spec(self, account: Account, spec: Mapping[str, Any]) -> Transaction:
        try:
            amount = to_minor(parse_amount(spec["amount"]), account.exponent)
        except KeyError:
            raise SandboxError("a transaction needs an amount") from None
        except MoneyError as exc:
            raise SandboxError(str(exc)) from None
        pending = bool(spec.get("pending", False))
        posted = None if pending else _day(spec.get("posted"), self._today)
        if posted is not None and posted > self._today:
            raise SandboxError(f"posted date {posted} is after the bank's today {self._today}")
        payee, memo = spec.get("payee"), spec.get("memo")
        draft = Draft(
            amount,
            str(spec.get("description", "Sandbox transaction")),
            payee=None if payee is None else str(payee),
            memo=None if memo is None else str(memo),
        )
        txn = self._new(account, draft, posted)
        txn.transacted = _day(spec.get("transacted"), posted or self._today)
        txn.extra = dict(spec.get("extra") or {})
        if spec.get("id"):
            txn.id = str(spec["id"])
        if pending and spec.get("book_after_days") is not None:
            txn.book_on = self._today + dt.timedelta(days=int(spec["book_after_days"]))
        return txn


def _day(value: Any, default: dt.date) -> dt.date:
    if value is None or value == "":
        return default
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise SandboxError(f"{value!r} is not a date (YYYY-MM-DD)") from None
