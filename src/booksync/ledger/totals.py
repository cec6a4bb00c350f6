"""The sum of a company's posted debits, kept within what reports can add up.

Reports add posted lines up in the database, and SQLite's ``SUM`` fails
for good ("integer overflow") once a sum passes a signed 64-bit integer.
Every posted entry balances, so the company's posted credits add up to its
posted debits, and any account total, report sum or running balance is at
most that sum: bounding it (``MAX_POSTED_TOTAL``) keeps every report
working on both databases.  See docs/ledger.md, "Limits".

The check costs one aggregate query per writer (an index-only scan of the
posted-lines index ``ix_line_report``), then a sum per batch in Python.
"""

from __future__ import annotations

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from booksync.ledger.errors import InvalidEntry
from booksync.ledger.limits import MAX_POSTED_TOTAL
from booksync.ledger.models import Company, Line
from booksync.money import format_minor


class PostedTotal:
    """The company's posted debits, read on first use and kept up to date by :meth:`add`."""

    def __init__(self, session: Session, company: Company) -> None:
        self._session = session
        self._company_id = company.id
        self._exp = company.currency.exponent
        self._currency = company.currency_code
        self._total: int | None = None

    def add(self, debits: int) -> None:
        """Count ``debits`` about to be posted; refuses them if the total would not fit.

        Called before the rows are written: when it refuses, nothing of the
        batch is, and the caller's transaction rolls back what came before.
        """
        if self._total is None:
            self._total = int(
                self._session.scalar(
                    select(func.coalesce(func.sum(Line.debit), 0)).where(
                        Line.company_id == self._company_id, Line.posted == true()
                    )
                )
                or 0
            )
        total = self._total + debits
        if total > MAX_POSTED_TOTAL:
            exp, code = self._exp, self._currency
            raise InvalidEntry(
                f"posting this would bring the company's posted debits to "
                f"{format_minor(total, exp)} {code}, beyond the "
                f"{format_minor(MAX_POSTED_TOTAL, exp)} {code} the books can add up"
            )
        self._total = total
