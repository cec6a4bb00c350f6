"""A statement file's corrections of transactions an earlier file brought (OFX ``CORRECTFITID``).

An OFX file may say that a transaction it sent before (named by its FITID)
was wrong: ``REPLACE`` it with the one the correction carries, or ``DELETE``
it.  A booked line is never changed or deleted: the corrected one gets a
counter-line of the opposite amount, as a transaction a provider withdraws does
(:func:`booksync.statements.withdrawn.reverse_withdrawn`), and a replacement is
booked as a new line with its own FITID, so the journal adds up to what the
bank now says (docs/banking.md, "Statement files").  A correction of a
transaction never imported only books the replacement; one already applied
does nothing again, since the counter-line's id is known to the source.  A
transaction the same file lists and corrects is left out of what is booked:
otherwise a first import would book it beside its replacement, and the same
file imported again would reverse it then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from booksync.bankfiles.records import Correction, CorrectionAction
from booksync.banking.bank_values import stored_id
from booksync.providers.base import Transaction
from booksync.statements.known import KnownLines
from booksync.statements.withdrawn import reverse_withdrawn
from booksync.statements.writing import StatementWriter

__all__ = ["Corrected", "apply_corrections"]


@dataclass(slots=True)
class Corrected:
    """How many lines the corrections reversed, and the statement's transactions left to
    book: those no correction names, then the replacements."""

    reversed: int
    transactions: list[Transaction]
    notes: list[str]


def apply_corrections(session: Session, known: KnownLines, lines: StatementWriter,
                      corrections: Sequence[Correction], account_name: str,
                      transactions: Sequence[Transaction]) -> Corrected:
    """Reverse the lines the corrections name; the statement's ``transactions`` less those
    the corrections name, and the replacing ones, are returned for the caller to book."""
    done = reverse_withdrawn(session, known, lines, [c.replaces for c in corrections],
                             run_id=None, day=dt.date.min, account_name=account_name)
    named = {stored_id(c.replaces) for c in corrections}
    kept = [t for t in transactions
            if not t.provider_transaction_id or stored_id(t.provider_transaction_id) not in named]
    # A replacement under the very FITID it corrects (the spec gives it its own) would be
    # a duplicate of the reversed line: it goes by its date, amount and text instead.
    replacements = [replace(c.transaction, provider_transaction_id=None)
                    if c.transaction.provider_transaction_id == c.replaces else c.transaction
                    for c in corrections
                    if c.action is CorrectionAction.REPLACE and c.transaction is not None]
    return Corrected(done.count, kept + replacements, done.notes)

