"""A statement file's corrections of transactions an earlier file brought (OFX ``CORRECTFITID``).

An OFX file may say that a transaction it sent before (named by its FITID)
was wrong: ``REPLACE`` it with the one the correction carries, or ``DELETE``
it.  A booked line is never changed or deleted: the corrected one gets a
counter-line of the opposite amount, as a transaction a provider withdraws does
(:func:`booksync.statements.withdrawn.reverse_withdrawn`), and a replacement is
booked as a new line with its own FITID, so the journal adds up to what the
bank now says (docs/banking.md, "Statement files").  A correction of a
transaction never imported only books the replacement; one already applied
does nothing again, since the counter-line's id is known to the source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from booksync.bankfiles.records import Correction, CorrectionAction
from booksync.providers.base import Transaction
from booksync.statements.known import KnownLines
from booksync.statements.withdrawn import reverse_withdrawn
from booksync.statements.writing import StatementWriter

__all__ = ["Corrected", "apply_corrections"]


@dataclass(slots=True)
class Corrected:
    """How many lines the corrections reversed, the replacements they leave to book."""

    reversed: int
    replacements: list[Transaction]
    notes: list[str]


def apply_corrections(session: Session, known: KnownLines, lines: StatementWriter,
                      corrections: Sequence[Correction], account_name: str) -> Corrected:
    """Reverse the lines the corrections name; the replacing transactions are returned for
    the caller to book with the statement's own."""
    done = reverse_withdrawn(session, known, lines, [c.replaces for c in corrections],
                             run_id=None, day=dt.date.min, account_name=account_name)
    replacements = [c.transaction for c in corrections
                    if c.action is CorrectionAction.REPLACE and c.transaction is not None]
    return Corrected(done.count, replacements, done.notes)

