"""Books one provider account's fetched batch: statement lines, entries, aliases.

Called by a sync run inside its one database transaction (docs/banking.md,
"A synchronization run"): everything written here commits with the run record and
the watermark, or not at all.

Each new booked transaction becomes a statement line and a posted entry in
the account's bank journal: the bank ledger account against the journal's
suspense account (money in: bank debit; money out: bank credit), in company
currency, with the foreign amount on the lines when the account is in
another currency. Reconciliation later replaces the suspense side.

A first sync may bring a hundred thousand transactions: the per-row work
here is kept to plain attribute and integer operations, amounts are
converted once, and new lines go to the database a few thousand at a time
(``WRITE_BATCH``), built just before they are written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, islice
from typing import TypeVar

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from booksync.banking.bank_values import (
    counterparty_iban,
    fingerprint,
    line_label,
    partner_name,
    stored_id,
)
from booksync.banking.bulk import BulkInsert
from booksync.banking.models import (
    PendingTransaction,
    ProviderAccount,
    StatementLine,
    TransactionAlias,
)
from booksync.ledger.entries import PreparedEntry, PreparedLine, check_postable
from booksync.ledger.errors import LedgerError
from booksync.ledger.limits import fit_text
from booksync.ledger.models import Account, Company, Journal
from booksync.ledger.rates import RateTable
from booksync.ledger.writer import EntryWriter
from booksync.money import CURRENCIES, MAX_DIGITS, MoneyError, to_minor
from booksync.providers.base import Batch, Transaction, Window
from booksync.providers.errors import ProviderProtocolError
from booksync.sync.dedupe import Fetched, KnownLine, plan

T = TypeVar("T")

CHUNK = 500
# New lines are written this many at a time: the prepared entries and row
# tuples of a 100,000-transaction first sync would otherwise all be alive at once.
WRITE_BATCH = 5000
OPENING_LABEL = "Opening balance"
LINE_COLUMNS = (
    "company_id",
    "journal_id",
    "provider_account_id",
    "sync_run_id",
    "entry_id",
    "date",
    "value_date",
    "transacted_at",
    "amount",
    "currency_code",
    "label",
    "partner_name",
    "counterparty_iban",
    "provider_transaction_id",
    "is_opening",
    "reconciled",
    "raw",
)
ALIAS_COLUMNS = ("company_id", "provider_account_id", "statement_line_id", "transaction_id")

# A line to write: the fetched transaction (None for the opening line), date, amount, label.
Item = tuple[Fetched[Transaction] | None, dt.date, int, str]


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


def _chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


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
        self._scale: int = 10**self.exp
        self.foreign = account.currency_code != company.currency_code
        self.rates = RateTable(session, company, account.currency_code)
        self.writer = writer if writer is not None else EntryWriter(session, company)
        bank_id, suspense_id = journal.default_account_id, journal.suspense_account_id
        if bank_id is None or suspense_id is None:
            raise LedgerError(f"journal {journal.code} has no bank or suspense account")
        for account_id in (bank_id, suspense_id):
            ledger_account = session.get(Account, account_id)
            if ledger_account is None or not ledger_account.active:
                raise LedgerError(f"an account of journal {journal.code} is inactive")
        self.bank_id: int = bank_id
        self.suspense_id: int = suspense_id

    # -- conversions ----------------------------------------------------------

    def _minor(self, amount: Decimal, what: str) -> int:
        """``to_minor`` in the account's currency, as a protocol error if it does not fit.

        The usual amount (a finite Decimal of at most ``MAX_DIGITS`` digits in
        minor units, ``adjusted() + exp`` being ``to_minor``'s digit count
        less one) is converted with one exact integer division; a remainder
        or anything else takes ``to_minor``, which names what is wrong.
        """
        if amount.is_finite() and 0 <= amount.adjusted() + self.exp < MAX_DIGITS:
            num, den = amount.as_integer_ratio()
            minor, rest = divmod(num * self._scale, den)
            if not rest:
                return minor
        try:
            return to_minor(amount, self.exp)
        except MoneyError as exc:
            raise ProviderProtocolError(
                f"the bank sent {what} that does not fit {self.account.currency_code}: {exc}"
            ) from None

    def _fetched(self, booked: Sequence[Transaction]) -> list[Fetched[Transaction]]:
        occurrences: Counter[tuple[object, ...]] = Counter()
        out: list[Fetched[Transaction]] = []
        minor = self._minor
        for tx in booked:
            if tx.booking_date is None:  # a booked transaction always has a date
                continue
            amount = minor(tx.amount, "an amount")
            tx_id = tx.provider_transaction_id
            if tx_id and not tx.alternative_ids:  # the usual case, without the lists
                out.append(
                    Fetched((stored_id(tx_id),), tx.booking_date, amount, tx, line_label(tx))
                )
                continue
            ids = [stored_id(tx_id)] if tx_id else []
            ids += [i for i in map(stored_id, tx.alternative_ids) if i not in ids]
            if not ids:
                key = (tx.booking_date, amount, tx.description)
                occurrences[key] += 1
                ids = [fingerprint(tx, amount, occurrences[key])]
            out.append(Fetched(tuple(ids), tx.booking_date, amount, tx, line_label(tx)))
        return out

    # -- reads ----------------------------------------------------------------

    def _known(self, ids: Sequence[str]) -> dict[str, int]:
        """Line ids of the fetched ids that are already aliases of this account.

        An account without any alias (a first sync) answers with one query
        instead of one per ``CHUNK`` ids.
        """
        known: dict[str, int] = {}
        has_aliases = self.session.scalar(
            select(TransactionAlias.id)
            .where(TransactionAlias.provider_account_id == self.account.id)
            .limit(1)
        )
        if has_aliases is None:
            return known
        for chunk in _chunks(ids):
            rows = self.session.execute(
                select(TransactionAlias.transaction_id, TransactionAlias.statement_line_id).where(
                    TransactionAlias.provider_account_id == self.account.id,
                    TransactionAlias.transaction_id.in_(chunk),
                )
            )
            known.update((tid, line_id) for tid, line_id in rows)
        return known

    def _window_lines(self, window: Window) -> list[KnownLine]:
        rows = self.session.execute(
            select(
                StatementLine.id,
                StatementLine.date,
                StatementLine.amount,
                StatementLine.label,
                TransactionAlias.transaction_id,
            )
            .join(TransactionAlias, TransactionAlias.statement_line_id == StatementLine.id)
            .where(
                StatementLine.provider_account_id == self.account.id,
                StatementLine.date >= window.start,
                StatementLine.date < window.end,
            )
        )
        lines: dict[int, tuple[dt.date, int, str, set[str]]] = {}
        for line_id, date, amount, label, tid in rows:
            lines.setdefault(line_id, (date, amount, label, set()))[3].add(tid)
        return [
            KnownLine(i, d, a, frozenset(ids), label) for i, (d, a, label, ids) in lines.items()
        ]

    def _has_lines(self) -> bool:
        return (
            self.session.scalar(
                select(StatementLine.id)
                .where(StatementLine.provider_account_id == self.account.id)
                .limit(1)
            )
            is not None
        )

    def books_balance(self, as_of: dt.date) -> int:
        """The journal's booked balance from this account's lines at a bank date."""
        total = self.session.scalar(
            select(func.coalesce(func.sum(StatementLine.amount), 0)).where(
                StatementLine.provider_account_id == self.account.id,
                StatementLine.date <= as_of,
            )
        )
        return int(total or 0)

    # -- writes ---------------------------------------------------------------

    def _entries(self, items: Sequence[Item]) -> list[PreparedEntry]:
        """Each item's entry: bank against suspense for the amount, in company currency.

        Posting needs what ``check_postable`` checks, and both hold here
        without calling it per entry (it read the company's currency and
        lock date through the ORM for every one of a hundred thousand):

        - balance: one amount is the debit of one line and the credit of
          the other, so every entry balances by construction;
        - the lock date: checked once against the batch's earliest date.
          When it fails, the entries up to the first locked one are built
          (a missing exchange rate of an earlier one still comes first, as
          before) and ``check_postable`` itself refuses that one, with its
          own message.
        """
        lock = self.company.lock_date
        if lock is not None and min(date for _, date, _, _ in items) <= lock:
            first = next(i for i, (_, date, _, _) in enumerate(items) if date <= lock)
            *_, locked = self._entries_unchecked(items[: first + 1])
            check_postable(self.company, locked)  # raises: on or before the lock date
        return self._entries_unchecked(items)

    def _entries_unchecked(self, items: Sequence[Item]) -> list[PreparedEntry]:
        journal_id, bank_id, suspense_id = self.journal.id, self.bank_id, self.suspense_id
        convert = self.rates.convert if self.foreign else None
        foreign = self.account.currency_code if self.foreign else None
        entries = []
        for _, date, amount, label in items:
            value = abs(convert(amount, date)) if convert else abs(amount)
            mine, other = (None, None) if foreign is None else (amount, -amount)
            if amount >= 0:
                bank = PreparedLine(bank_id, value, 0, None, label, foreign, mine)
                suspense = PreparedLine(suspense_id, 0, value, None, label, foreign, other)
            else:
                bank = PreparedLine(bank_id, 0, value, None, label, foreign, mine)
                suspense = PreparedLine(suspense_id, value, 0, None, label, foreign, other)
            entries.append(PreparedEntry(journal_id, date, label[:500], [bank, suspense]))
        return entries

    def _write_lines(self, writer: EntryWriter, items: Sequence[Item], run_id: int) -> list[int]:
        """Statement lines (with their posted entries) for ``(fetched, date, amount, label)``."""
        if not items:
            return []
        entry_ids = writer.write(self._entries(items), post=True)
        cid, journal_id, account_id = self.company.id, self.journal.id, self.account.id
        currency = self.account.currency_code
        rows = []
        for (fetched, date, amount, label), entry_id in zip(items, entry_ids, strict=True):
            tx = fetched.item if fetched else None
            rows.append(
                (
                    cid,
                    journal_id,
                    account_id,
                    run_id,
                    entry_id,
                    date,
                    tx.value_date if tx else None,
                    tx.transacted_at if tx else None,
                    amount,
                    currency,
                    label[:500],
                    partner_name(tx) if tx else None,
                    counterparty_iban(tx) if tx else None,
                    fetched.ids[0] if fetched else None,
                    fetched is None,
                    False,
                    tx.raw if tx else None,
                )
            )
        return self._bulk(StatementLine, LINE_COLUMNS).insert_returning_ids(rows)

    def _bulk(
        self, model: type[StatementLine | TransactionAlias], columns: tuple[str, ...]
    ) -> BulkInsert:
        table = model.__table__
        assert isinstance(table, Table)
        return BulkInsert(self.session.connection(), table, columns)

    def _write_aliases(self, pairs: Sequence[tuple[int, str]]) -> None:
        if pairs:
            cid, account_id = self.company.id, self.account.id
            self._bulk(TransactionAlias, ALIAS_COLUMNS).insert(
                [(cid, account_id, line_id, tid) for line_id, tid in pairs]
            )

    def _replace_pending(self, pending: Sequence[Transaction]) -> None:
        self.session.execute(
            delete(PendingTransaction).where(
                PendingTransaction.provider_account_id == self.account.id
            )
        )
        if pending:
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
                        "amount": self._minor(tx.amount, "a pending amount"),
                        "currency_code": self.account.currency_code,
                        "label": fit_text(tx.description or ""),
                        "partner_name": partner_name(tx),
                        "raw": tx.raw,
                    }
                    for tx in pending
                ],
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
        first_sync = self.account.watermark is None and not self._has_lines()
        if first_sync and batch.balance is not None:
            # Older bank history is summed up in this sync's opening line.
            self.account.history_start = window.start
        history_start = self.account.history_start
        if history_start is not None and not first_sync:
            # A window reaching back before the opening line (``--since``) must not
            # book again what the opening balance already holds.
            older = sum(1 for f in fetched if f.date < history_start)
            fetched = [f for f in fetched if f.date >= history_start]
            result.duplicates += older
        known = self._known([i for tx in fetched for i in tx.ids])
        decided = plan(fetched, known, self._window_lines(window))
        result.duplicates += decided.duplicates
        result.updated = decided.updated
        # No ``writer.tune_for_bulk()``: its 128 MB SQLite page cache made no
        # measurable difference to a 100,000-transaction first sync (8.3-9.2 s
        # either way) but took the sync process from 191 to 330 MB.
        writer = self.writer
        opening: list[Item] = []
        if first_sync and batch.balance is not None:
            as_of = batch.balance.as_of
            bank_balance = self._minor(batch.balance.amount, "a balance")
            amount = bank_balance - sum(f.amount for f in decided.new if f.date <= as_of)
            if amount:
                day = min(window.start - dt.timedelta(days=1), as_of)
                opening.append((None, day, amount, OPENING_LABEL))
        new_items = (
            (f, f.date, f.amount, f.label) for f in decided.new
        )
        for batch_items in _chunks(chain(opening, new_items), WRITE_BATCH):
            line_ids = self._write_lines(writer, batch_items, run_id)
            self._write_aliases(
                [
                    (line_id, tid)
                    for (fetched_tx, *_), line_id in zip(batch_items, line_ids, strict=True)
                    if fetched_tx is not None
                    for tid in fetched_tx.ids
                ]
            )
        writer.finish()
        self._write_aliases(list(decided.aliases))
        result.new = len(decided.new)
        if include_pending:
            self._replace_pending(batch.pending)
            result.pending = len(batch.pending)
        else:
            self._replace_pending(())
        account = self.account
        if batch.balance is not None:
            account.balance = self._minor(batch.balance.amount, "a balance")
            account.balance_date = batch.balance.as_of
            account.balance_difference = account.balance - self.books_balance(batch.balance.as_of)
            result.balance_difference = account.balance_difference
        account.watermark = watermark
        account.last_sync = now
        return result
