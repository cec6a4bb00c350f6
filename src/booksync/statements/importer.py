"""Books one provider account's fetched batch through its online statement source.

Called by a sync run inside its one database transaction (docs/banking.md,
"A synchronization run"): everything written here commits with the run
record and the watermark, or not at all.

The account's transactions belong to its ``online`` source
(:mod:`booksync.statements.sources`); what the source booked already is read
by :mod:`booksync.statements.known`, the exactly-once rules decide what is
new (:mod:`booksync.statements.dedupe`), and the new lines are written
through the path every source shares (:mod:`booksync.statements.writing`):
each a statement line and a posted entry, bank against suspense.

A first sync may bring a hundred thousand transactions: the per-row work
here is kept to plain attribute and integer operations, amounts are
converted once, and new lines go to the database a few thousand at a time
(``WRITE_BATCH``), built just before they are written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from booksync.banking.bank_values import (
    counterparty_iban,
    partner_name,
    reference,
    stored_id,
)
from booksync.banking.models import PendingTransaction, ProviderAccount
from booksync.ledger.errors import LedgerError
from booksync.ledger.limits import fit_text
from booksync.ledger.models import Company, Journal
from booksync.ledger.writer import EntryWriter
from booksync.money import CURRENCIES, MoneyError, to_minor
from booksync.providers.base import Batch, Transaction, Window
from booksync.providers.errors import ProviderProtocolError
from booksync.statements.across import claim_across, mirrored_balance
from booksync.statements.booking import NewLine
from booksync.statements.dedupe import Fetched, plan
from booksync.statements.fetched import Minor, fetched_of, moving
from booksync.statements.known import KnownLines, chunks
from booksync.statements.sources import online_source
from booksync.statements.withdrawn import drop_settled_pending, reverse_withdrawn
from booksync.statements.writing import StatementWriter

# New lines are written this many at a time: the prepared entries and row
# tuples of a 100,000-transaction first sync would otherwise all be alive at once.
WRITE_BATCH = 5000
OPENING_LABEL = "Opening balance"


@dataclass(slots=True)
class AccountResult:
    """What one account's batch did, for the run record."""

    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    pending: int = 0
    updated: int = 0
    balance_difference: int | None = None
    problems: list[str] = field(default_factory=list)
    reversed: int = 0
    notes: list[str] = field(default_factory=list)
    """What the run says without being partial (a withdrawn transaction reversed)."""


def _new_line(fetched: Fetched[Transaction]) -> NewLine:
    tx = fetched.item
    return NewLine(
        fetched.date,
        fetched.amount,
        fetched.label,
        tx.value_date,
        tx.transacted_at,
        None,
        partner_name(tx),
        counterparty_iban(tx),
        reference(tx),
        fetched.ids,
        False,
        tx.raw,
    )


class StatementImporter:
    """Applies batches for one provider account within the caller's transaction."""

    def __init__(
        self,
        session: Session,
        company: Company,
        account: ProviderAccount,
        writer: EntryWriter | None = None,
    ) -> None:
        """``writer``: one shared by the importers of one transaction, so that the
        journals and the company's posted total are read once, not per account."""
        journal = account.journal
        if journal is None:
            raise LedgerError(f"provider account {account.name!r} is not linked to a journal")
        self.session = session
        self.company = company
        self.account = account
        self.journal: Journal = journal
        self.exp = CURRENCIES[account.currency_code][0]
        # ``to_minor`` in the account's currency, a protocol error when it does not fit.
        self._minor_units = Minor(self.exp, self._refuse)
        self.source = online_source(session, account)
        if self.source.journal_id != journal.id:
            # A source's ids are unique within it, so its lines stay in one journal.
            raise LedgerError(
                f"provider account {account.name!r} is linked to journal {journal.code}, "
                "but its earlier lines are in another journal"
            )
        self.known = KnownLines(session, self.source.id)
        self.writer = writer if writer is not None else EntryWriter(session, company)
        self.lines = StatementWriter(
            session, company, self.source, journal, self.writer, currency=account.currency_code,
            late_to_open=True,
        )

    # -- conversions ----------------------------------------------------------

    def _refuse(self, exc: MoneyError, what: str) -> ProviderProtocolError:
        return ProviderProtocolError(
            f"the bank sent {what} that does not fit {self.account.currency_code}: {exc}")

    def _fetched(self, booked: Sequence[Transaction]) -> list[Fetched[Transaction]]:
        return fetched_of(booked, self._minor_units, lambda _: "an amount")

    # -- writes ---------------------------------------------------------------

    def _replace_pending(self, pending: Sequence[Transaction], *, keep: bool = False) -> None:
        """Stage ``pending``: in place of the staged ones, or beside them (``keep``)."""
        if not keep:
            self.session.execute(
                delete(PendingTransaction).where(
                    PendingTransaction.provider_account_id == self.account.id
                )
            )
        # A card payment abroad may be pending in the shop's currency: it is staged
        # in its own (it books nothing), one booksync does not know is left out.
        own = self.account.currency_code
        staged = [(tx, tx.currency or own) for tx in pending]
        staged = [(tx, code) for tx, code in staged if code in CURRENCIES]
        if staged:
            self.session.execute(
                insert(PendingTransaction),
                [
                    {
                        "company_id": self.company.id,
                        "provider_account_id": self.account.id,
                        "transaction_id": stored_id(tx.provider_transaction_id)
                        if tx.provider_transaction_id
                        else None,
                        "date": tx.booking_date
                        or (tx.transacted_at.date() if tx.transacted_at else None),
                        "amount": self._pending_amount(tx.amount, code),
                        "currency_code": code,
                        "label": fit_text(tx.description or ""),
                        "partner_name": partner_name(tx),
                        "raw": tx.raw,
                    }
                    for tx, code in staged
                ],
            )

    def _pending_amount(self, amount: Decimal, currency: str) -> int:
        if currency == self.account.currency_code:
            return self._minor_units(amount, "a pending amount")
        try:
            return to_minor(amount, CURRENCIES[currency][0])
        except MoneyError as exc:
            raise ProviderProtocolError(
                f"the bank sent a pending amount that does not fit {currency}: {exc}"
            ) from None

    def books_balance(self, as_of: dt.date) -> int:
        """What the journal's lines from the bank (this account's, a statement file's)
        add up to at a bank date: what the bank's balance should equal."""
        return mirrored_balance(self.session, self.journal.id, as_of)

    def _gap_before(self, as_of: dt.date, window: Window) -> str | None:
        """What a first sync misses when the bank's balance is older than the first
        day fetched: the opening line holds that day's balance, so the days between
        are in no line (docs/banking.md, "A synchronization run").  They become the
        account's history to book (``--since``, a statement file), not the opening's;
        None when the balance leaves no gap."""
        first = window.start
        if as_of >= first - dt.timedelta(days=1):
            return None
        after = as_of + dt.timedelta(days=1)
        return (
            f"{self.account.name}: the bank's balance is of {as_of.isoformat()}, before the "
            f"first day fetched ({first.isoformat()}), so the transactions from "
            f"{after.isoformat()} to {(first - dt.timedelta(days=1)).isoformat()} are not "
            f"booked: run the sync with --since {after.isoformat()} if the bank still has "
            "them, or import a statement file of those days"
        )

    # -- the batch ------------------------------------------------------------

    def apply(
        self,
        batch: Batch,
        window: Window,
        *,
        run_id: int,
        include_pending: bool,
        watermark: dt.date,
        now: dt.datetime,
    ) -> AccountResult:
        result = AccountResult(problems=[p.message for p in batch.problems])
        fetched = self._fetched(batch.booked)
        result.fetched = len(fetched) + len(batch.pending)
        if not batch.complete:
            # The bank may have left transactions out: booking the rest could book a
            # changed id twice. Keep the watermark and try the whole window again.
            result.problems.append(
                f"{self.account.name}: the bank's answer was incomplete; nothing booked"
            )
            return result
        fetched, zero = moving(fetched)
        if zero:
            result.notes.append(
                f"{self.account.name}: {zero} transaction{'s' if zero > 1 else ''} of zero "
                "not booked: they move no money"
            )
        first_sync = self.account.watermark is None and not self.known.any()
        if first_sync and batch.balance is not None:
            # Older bank history is summed up in this sync's opening line.
            as_of = batch.balance.as_of
            gap = self._gap_before(as_of, window)
            # The days a balance older than the window leaves out are history to book.
            self.account.history_start = as_of + dt.timedelta(days=1) if gap else window.start
            if gap:
                result.problems.append(gap)
        history_start = self.account.history_start
        if history_start is not None and not first_sync:
            # A window reaching back before the opening line (``--since``) must not
            # book again what the opening balance already holds.
            older = sum(1 for f in fetched if f.date < history_start)
            fetched = [f for f in fetched if f.date >= history_start]
            result.duplicates += older
        decided = plan(
            fetched,
            self.known.known([i for tx in fetched for i in tx.ids]),
            # A cursor-based provider sends only what changed: every line in the window
            # would look orphaned (docs/banking.md, "Plaid"), and its ids are stable.
            self.known.window_lines(window) if batch.next_cursor is None else [],
        )
        # What another source of the journal booked already (a statement file) is
        # claimed, not booked again (docs/banking.md, "Exactly once across sources").
        across = claim_across(self.session, self.journal.id, self.source.id, decided.new)
        result.duplicates += decided.duplicates + len(decided.new) - len(across.new)
        result.updated = decided.updated
        # No ``writer.tune_for_bulk()``: its 128 MB SQLite page cache made no
        # measurable difference to a 100,000-transaction first sync (8.3-9.2 s
        # either way) but took the sync process from 191 to 330 MB.
        opening: list[NewLine] = []
        if first_sync and batch.balance is not None:
            as_of = batch.balance.as_of
            bank_balance = self._minor_units(batch.balance.amount, "a balance")
            held = mirrored_balance(self.session, self.journal.id, as_of)
            amount = bank_balance - held - sum(f.amount for f in across.new if f.date <= as_of)
            if amount:
                day = min(window.start - dt.timedelta(days=1), as_of)
                opening.append(NewLine(day, amount, OPENING_LABEL, is_opening=True))
        new_lines: Iterator[NewLine] = chain(opening, map(_new_line, across.new))
        for lines in chunks(new_lines, WRITE_BATCH):
            self.lines.write(lines, run_id)
        if batch.removed:  # docs/banking.md, "A synchronization run": withdrawn ones
            day = batch.balance.as_of if batch.balance is not None else now.date()
            done = reverse_withdrawn(self.session, self.known, self.lines, batch.removed,
                                     run_id=run_id, day=day, account_name=self.account.name)
            result.reversed, result.notes = done.count, done.notes
        self.writer.finish()
        self.lines.add_aliases(decided.aliases + across.aliases)
        result.new = len(across.new)
        if include_pending:
            if batch.next_cursor is not None:  # changes: the staged ones stay but settled
                drop_settled_pending(self.session, self.account.id, batch)
            self._replace_pending(batch.pending, keep=batch.next_cursor is not None)
            result.pending = len(batch.pending)
        else:
            self._replace_pending(())
        account = self.account
        if batch.balance is not None:
            account.balance = self._minor_units(batch.balance.amount, "a balance")
            account.balance_date = batch.balance.as_of
            account.balance_difference = account.balance - self.books_balance(batch.balance.as_of)
            result.balance_difference = account.balance_difference
        account.watermark = watermark
        account.last_sync = now
        return result


__all__ = ["OPENING_LABEL", "WRITE_BATCH", "AccountResult", "StatementImporter"]
