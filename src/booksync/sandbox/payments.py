"""Payments of documents the books issued: the sandbox's customers and suppliers pay them.

Left alone, the world's customers quote invoice numbers it makes up, which
no set of books ever issued.  A caller that did issue documents (``booksync
demo``) says instead which transfer pays what: the amount, the day, the text
the payer typed, the payer's name and IBAN (:class:`PaymentPlan`).  The world
books each plan on its day: at once when the day has come (with its own
date, the way a late posting appears), else when the clock reaches it
(docs/banking.md, "The sandbox bank").

The plan decides everything, so one seed and one list of plans always give
the same world; this module only holds the plans until they are due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from booksync.money import MoneyError, to_minor
from booksync.sandbox.model import Account, SandboxError

__all__ = ["PaymentPlan", "PlannedPayments"]

AddTransactions = Callable[[str, Sequence[Mapping[str, Any]]], list[str]]


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    """One transfer on one of the world's accounts.

    ``amount`` is signed like every sandbox amount (positive: money in, a
    customer paying; negative: money out, a supplier paid), in the account's
    currency.  ``payee`` and ``memo`` travel as SimpleFIN's fields of those
    names (the counterparty and the reference it quoted); SimpleFIN has no
    field for the counterparty's IBAN, so ``counterparty_iban`` travels in
    the transaction's ``extra`` object, where a client may read it.
    """

    account: str
    amount: Decimal
    posted: dt.date
    description: str
    payee: str | None = None
    memo: str | None = None
    counterparty_iban: str | None = None

    def spec(self, txn_id: str) -> dict[str, Any]:
        """The plan as :meth:`World.add_transactions` takes it."""
        spec: dict[str, Any] = {
            "id": txn_id,
            "amount": str(self.amount),
            "description": self.description,
            "posted": self.posted.isoformat(),
            "payee": self.payee,
            "memo": self.memo,
        }
        if self.counterparty_iban:
            spec["extra"] = {"counterparty_iban": self.counterparty_iban}
        return spec


class PlannedPayments:
    """The plans a world was given that are not due yet, with the ids fixed for them."""

    def __init__(self) -> None:
        self._waiting: list[tuple[str, PaymentPlan]] = []

    def __len__(self) -> int:
        return len(self._waiting)

    @staticmethod
    def check(plan: PaymentPlan, account: Account) -> None:
        """Refuse a plan the world could not book, before any plan is booked."""
        try:
            amount = to_minor(plan.amount, account.exponent)
        except MoneyError as exc:
            raise SandboxError(str(exc)) from None
        if amount == 0:
            raise SandboxError("a planned payment needs an amount other than zero")
        if not plan.description.strip():
            raise SandboxError("a planned payment needs a description")

    def add(
        self,
        planned: Sequence[tuple[str, PaymentPlan]],
        today: dt.date,
        add_transactions: AddTransactions,
    ) -> None:
        """Book the plans due on or before ``today`` and keep the others."""
        self._waiting += planned
        self.book_due(today, add_transactions)

    def book_due(self, today: dt.date, add_transactions: AddTransactions) -> None:
        """Book, in the order they were given, the plans whose day has come."""
        due = [(i, p) for i, p in self._waiting if p.posted <= today]
        if not due:
            return
        self._waiting = [(i, p) for i, p in self._waiting if p.posted > today]
        for txn_id, plan in due:
            add_transactions(plan.account, [plan.spec(txn_id)])
