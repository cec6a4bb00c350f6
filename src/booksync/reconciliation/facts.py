"""What the matching engine and the rules know of one bank statement line.

Read once per line from the statement line (and its journal), so that rules
and matching are pure functions of plain values (docs/reconciliation.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LineFacts:
    """A statement line reduced to what matching needs.

    ``amount`` is signed (positive: money in) in minor units of ``currency``
    (the bank account's); ``company_amount`` the same in company currency,
    as booked.  ``partner_id`` is the partner the line names (given by hand,
    or recognized); ``text`` the label and reference together, for searching.
    """

    line_id: int
    journal_id: int
    date: dt.date
    amount: int
    company_amount: int
    currency: str
    label: str
    reference: str | None = None
    partner_id: int | None = None
    partner_name: str | None = None
    counterparty_iban: str | None = None

    @property
    def money_in(self) -> bool:
        return self.amount > 0

    @property
    def text(self) -> str:
        return f"{self.label} {self.reference or ''}".strip()


__all__ = ["LineFacts"]
