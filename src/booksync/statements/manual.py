"""A statement line entered by hand (``booksync statement add``).

A bank journal without a connection (or a transaction the connection does
not show) still needs its lines.  One entered by hand is booked exactly
like a fetched one (docs/banking.md, "Lines entered by hand"): a statement
line of the journal's ``manual`` source and a posted entry, bank account
against suspense, written through the same path
(:class:`booksync.statements.writing.StatementWriter`).  What the user
types is checked first, each mistake one sentence, and nothing is written
unless every check passes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from booksync.banking.bank_accounts import normalize_iban
from booksync.ledger.errors import InvalidEntry
from booksync.ledger.limits import MAX_NAME, MAX_TEXT, check_text
from booksync.ledger.models import Company, Partner
from booksync.ledger.partners import partner_named
from booksync.ledger.writer import EntryWriter
from booksync.money import CURRENCIES, MoneyError, to_minor
from booksync.statements.booking import NewLine
from booksync.statements.sources import bank_journal, manual_source
from booksync.statements.writing import StatementWriter


@dataclass(frozen=True, slots=True)
class ManualLine:
    """A line as the user states it: a signed decimal amount in the journal's currency."""

    journal: str
    date: dt.date
    amount: Decimal
    label: str
    partner: str | None = None
    reference: str | None = None
    iban: str | None = None


def _partner(session: Session, company: Company, name: str) -> Partner:
    check_text(name, "partner name", MAX_NAME)
    return partner_named(
        session, company, name.strip(), hint=": add it first with `booksync partner add`"
    )


def _label(text: str) -> str:
    label = check_text(text.strip(), "label", MAX_TEXT)
    if not label:
        raise InvalidEntry("a statement line needs a label")
    return label


def add_manual_line(session: Session, company: Company, given: ManualLine) -> int:
    """Book ``given`` in its bank journal; returns the new statement line's id."""
    journal = bank_journal(session, company, given.journal)
    currency = journal.currency_code or company.currency_code
    try:
        amount = to_minor(given.amount, CURRENCIES[currency][0])
    except MoneyError as exc:
        raise InvalidEntry(f"amount in {currency}: {exc}") from None
    if not amount:
        raise InvalidEntry("a statement line needs an amount: zero moves no money")
    label = _label(given.label)
    reference = check_text(given.reference, "reference", MAX_TEXT) or None
    partner = _partner(session, company, given.partner) if given.partner else None
    iban = normalize_iban(given.iban) if given.iban else None
    line = NewLine(
        given.date,
        amount,
        label,
        partner_id=partner.id if partner else None,
        partner_name=partner.name if partner else None,
        counterparty_iban=iban,
        reference=reference,
    )
    # What is refused below (the lock date, a missing exchange rate, the company's
    # posted total) raises before the caller's transaction commits, so a refused
    # line leaves nothing behind, not even the journal's new manual source.
    writer = EntryWriter(session, company)
    booking = StatementWriter(session, company, manual_source(session, journal), journal, writer)
    (line_id,) = booking.write([line])
    writer.finish()
    return line_id


__all__ = ["ManualLine", "add_manual_line"]
