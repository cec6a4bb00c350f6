"""Each new statement line's posted entry: the bank account against suspense.

Whatever the line's source (a fetch, a file, a hand), its entry is the
same (docs/banking.md, "A synchronization run"): in the line's bank
journal, the journal's bank ledger account against its suspense account
(money in: bank debit; money out: bank credit), in company currency, with
the foreign amount on both lines when the journal is in another currency,
converted at the rate of the line's date.  Reconciliation later replaces the
suspense side.  A partner known when the line is made goes on both lines.

A first sync may bring a hundred thousand lines, so the company's rules are
checked once per batch, not per entry (see :meth:`JournalBooking.entries`),
and the entries go to the writer as their rows, built column by column
(:meth:`JournalBooking.rows`), without an object per entry or line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy.orm import Session

from booksync.ledger.entries import PreparedEntry, PreparedLine, check_postable
from booksync.ledger.errors import LedgerError
from booksync.ledger.models import Account, Company, Journal
from booksync.ledger.rates import RateTable
from booksync.ledger.writer import BatchRows, RowBuilder


class NewLine(NamedTuple):
    """A statement line to book: what its row and its entry are made of.

    ``amount`` is signed (positive = money in) in minor units of the
    journal's currency; ``ids`` are the source's ids for it (its aliases),
    ``ids[0]`` the one shown; the opening line of a first sync has none.
    """

    date: dt.date
    amount: int
    label: str
    value_date: dt.date | None = None
    transacted_at: dt.datetime | None = None
    partner_id: int | None = None
    partner_name: str | None = None
    counterparty_iban: str | None = None
    reference: str | None = None
    ids: tuple[str, ...] = ()
    is_opening: bool = False
    raw: str | None = None


class JournalBooking:
    """A bank journal's ledger side: its two accounts, its currency's rates.

    ``currency`` is the lines' currency: the journal's unless a source says
    otherwise (a provider account's, which linking keeps the journal's).
    ``late_to_open``: a line dated on or before the company's lock date gets its
    entry on the first open day (its statement line keeps the bank's date)
    instead of being refused: what a sync brings late nobody is there to
    redate, and an accountant books a closed period's late item so
    (docs/ledger.md, "Closing a period").  Lines someone enters or imports
    are refused instead, with the lock date named.
    """

    def __init__(
        self, session: Session, company: Company, journal: Journal, currency: str | None = None,
        *, late_to_open: bool = False,
    ) -> None:
        self.company = company
        self.late_to_open = late_to_open
        self.journal = journal
        self.currency = currency or journal.currency_code or company.currency_code
        self.foreign = self.currency != company.currency_code
        self.rates = RateTable(session, company, self.currency) if self.foreign else None
        bank_id, suspense_id = journal.default_account_id, journal.suspense_account_id
        if bank_id is None or suspense_id is None:
            raise LedgerError(f"journal {journal.code} has no bank or suspense account")
        for account_id in (bank_id, suspense_id):
            ledger_account = session.get(Account, account_id)
            if ledger_account is None or not ledger_account.active:
                raise LedgerError(f"an account of journal {journal.code} is inactive")
        self.bank_id: int = bank_id
        self.suspense_id: int = suspense_id

    def entries(self, lines: Sequence[NewLine]) -> list[PreparedEntry]:
        """Each line's entry: bank against suspense for the amount, in company currency.

        Posting needs what ``check_postable`` checks, and both hold here
        without calling it per entry (it read the company's currency and
        lock date through the ORM for every one of a hundred thousand):

        - balance: one amount is the debit of one line and the credit of
          the other, so every entry balances by construction;
        - the lock date: checked once against the batch's earliest date.
          When it fails, the entries up to the first locked one are built
          (a missing exchange rate of an earlier one still comes first)
          and ``check_postable`` itself refuses that one, with its own
          message.
        """
        self._check_lock(lines)
        return self._entries(lines)

    def rows(self, lines: Sequence[NewLine], builder: RowBuilder) -> BatchRows:
        """The entries :meth:`entries` makes, as the rows ``builder`` makes of them,
        checked the same way: what the entry writer inserts (``write_rows``)."""
        dates = [line.date for line in lines]
        amounts = [line.amount for line in lines]
        convert = self.rates.convert if self.rates is not None else None
        if convert is None:
            values = [abs(amount) for amount in amounts]
        else:  # at the bank's date, whatever day the entry takes
            values = [abs(convert(a, d)) for a, d in zip(amounts, dates, strict=True)]
        lock = self.company.lock_date
        if self.late_to_open and lock is not None:
            first_open = lock + dt.timedelta(days=1)
            dates = [max(day, first_open) for day in dates]
        else:
            self._check_lock(lines)
        return builder.pairs(
            self.journal.id, self.bank_id, self.suspense_id, dates, amounts, values,
            [line.label for line in lines], [line.partner_id for line in lines],
            self.currency if self.foreign else None,
        )

    def _check_lock(self, lines: Sequence[NewLine]) -> None:
        lock = self.company.lock_date
        if lock is not None and lines and min(line.date for line in lines) <= lock:
            first = next(i for i, line in enumerate(lines) if line.date <= lock)
            *_, locked = self._entries(lines[: first + 1])
            check_postable(self.company, locked)  # raises: on or before the lock date

    def _entries(self, lines: Sequence[NewLine]) -> list[PreparedEntry]:
        journal_id, bank_id, suspense_id = self.journal.id, self.bank_id, self.suspense_id
        convert = self.rates.convert if self.rates is not None else None
        foreign = self.currency if self.foreign else None
        entries = []
        for line in lines:
            amount, label, partner = line.amount, line.label, line.partner_id
            value = abs(convert(amount, line.date)) if convert else abs(amount)
            mine, other = (None, None) if foreign is None else (amount, -amount)
            if amount >= 0:
                bank = PreparedLine(bank_id, value, 0, partner, label, foreign, mine)
                suspense = PreparedLine(suspense_id, 0, value, partner, label, foreign, other)
            else:
                bank = PreparedLine(bank_id, 0, value, partner, label, foreign, mine)
                suspense = PreparedLine(suspense_id, value, 0, partner, label, foreign, other)
            entries.append(PreparedEntry(journal_id, line.date, label[:500], [bank, suspense]))
        return entries


__all__ = ["JournalBooking", "NewLine"]
