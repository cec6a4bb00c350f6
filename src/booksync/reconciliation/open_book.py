"""Every open item a bank line could settle, loaded once and indexed in memory.

Matching a hundred thousand bank lines against a hundred thousand open
invoices must not query the database per line, let alone scan the open
items per line: the candidates of a line come from dictionaries keyed by
what the line can carry — a document number, a vendor's reference, a
partner, an amount (docs/reconciliation.md, "Matching").  An automatic run
updates the in-memory residuals as it settles items, so two lines never
claim the same money.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from booksync.documents.models import Invoice, Payment
from booksync.ledger.models import Account, AccountRole, Company
from booksync.ledger.open_item_models import OpenItem
from booksync.reconciliation.references import document_key, free_key

__all__ = ["Candidate", "OpenBook"]

ROLES = (
    AccountRole.RECEIVABLE.value,
    AccountRole.PAYABLE.value,
    AccountRole.OUTSTANDING_IN.value,
    AccountRole.OUTSTANDING_OUT.value,
)


@dataclass(slots=True)
class Candidate:
    """An open item and the document it belongs to (an invoice, a bill, a payment)."""

    line_id: int
    item_id: int  # the open item's own id
    amount: int  # what the line owed at first, company currency, signed
    account_id: int
    role: str
    partner_id: int | None
    currency: str
    residual: int  # company currency, signed like the line
    residual_currency: int  # the item's currency
    due_date: dt.date
    number: str | None = None  # the invoice's or bill's number
    invoice_id: int | None = None
    payment_id: int | None = None
    batch_id: int | None = None

    def owed(self, currency: str, company_currency: str) -> int | None:
        """What it owes in ``currency`` (signed like the line), None when not comparable."""
        if currency == self.currency:
            return self.residual_currency
        if currency == company_currency:
            return self.residual
        return None

    @property
    def label(self) -> str:
        if self.number:
            return self.number
        if self.payment_id is not None:
            return f"payment {self.payment_id}"
        return f"line {self.line_id}"


def open_rows() -> Select[*tuple[Any, ...]]:
    """The rows an open book is made of: open items on the accounts matching settles,
    with their document or payment; the caller keeps them to a company."""
    return (
        select(
            OpenItem.line_id, OpenItem.id, OpenItem.amount, OpenItem.account_id,
            Account.role, OpenItem.partner_id,
            OpenItem.currency_code, OpenItem.residual, OpenItem.residual_currency,
            OpenItem.due_date, Invoice.number, Invoice.id, Invoice.ref, Invoice.type,
            Payment.id, Payment.batch_id,
        )
        .join(Account, Account.id == OpenItem.account_id)
        .outerjoin(Invoice, Invoice.entry_id == OpenItem.entry_id)
        .outerjoin(Payment, Payment.entry_id == OpenItem.entry_id)
        .where(OpenItem.full_reconcile_id.is_(None), Account.role.in_(ROLES))
    )


@dataclass(slots=True)
class OpenBook:
    """The company's open items by document key, free reference, partner, amount, batch."""

    company_currency: str
    items: dict[int, Candidate] = field(default_factory=dict)
    by_key: dict[str, list[Candidate]] = field(default_factory=lambda: defaultdict(list))
    by_free: dict[str, list[Candidate]] = field(default_factory=lambda: defaultdict(list))
    # Per partner by line id: a settled item leaves at once, so a busy customer's
    # open items stay few to read however many it paid before.
    by_partner: dict[int, dict[int, Candidate]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    by_amount: dict[tuple[str, int], list[Candidate]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Per partner, currency and what is owed (unsigned), kept up to date as this run
    # takes items: a line's exact match is a lookup, not a walk over a busy partner's
    # hundreds of open items.  An item in another currency than the company's is also
    # kept under the company currency, since a line in that currency settles it by
    # its company residual (Candidate.owed).
    by_partner_amount: dict[tuple[int, str, int], dict[int, Candidate]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    batches: dict[int, list[Candidate]] = field(default_factory=lambda: defaultdict(list))
    _batch_totals: dict[tuple[str, int], list[int]] | None = None

    @classmethod
    def load(cls, session: Session, company: Company) -> OpenBook:
        book = cls(company.currency_code)
        book.add_rows(session.execute(open_rows().where(OpenItem.company_id == company.id)))
        return book

    def add_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        """Add the open items of ``rows`` as :func:`open_rows` reads them (those owing
        nothing left are skipped)."""
        for (line_id, item_id, amount, account_id, role, partner_id, currency, residual,
             residual_cur, due, number, invoice_id, ref, kind, payment_id, batch_id
             ) in rows:
            if not residual and not residual_cur:
                continue
            item = Candidate(line_id, item_id, amount, account_id, str(role), partner_id,
                             currency, residual, residual_cur, due, number, invoice_id,
                             payment_id, batch_id)
            self.add(item, vendor_ref=ref if kind in ("bill", "refund") else None)

    def add(self, item: Candidate, *, vendor_ref: str | None = None) -> None:
        self.items[item.line_id] = item
        key = document_key(item.number) if item.number else None
        if key:
            self.by_key[key].append(item)
        free = free_key(vendor_ref) if vendor_ref else None
        if free:
            self.by_free[free].append(item)
        if item.partner_id is not None:
            self.by_partner[item.partner_id][item.line_id] = item
            self._index_amounts(item)
        self.by_amount[(item.currency, abs(item.residual_currency))].append(item)
        if item.batch_id is not None:
            self.batches[item.batch_id].append(item)

    def of_partner(self, partner_id: int) -> list[Candidate]:
        """The partner's open items."""
        found = self.by_partner.get(partner_id)
        return list(found.values()) if found else []

    def of_partner_owing(self, partner_id: int, currency: str, amount: int) -> list[Candidate]:
        """The partner's open items that owe ``amount`` (unsigned) in ``currency``; the
        caller checks the sign."""
        found = self.by_partner_amount.get((partner_id, currency, amount))
        return list(found.values()) if found else []

    def _amount_keys(self, item: Candidate) -> list[tuple[int, str, int]]:
        assert item.partner_id is not None
        keys = [(item.partner_id, item.currency, abs(item.residual_currency))]
        if item.currency != self.company_currency:
            keys.append((item.partner_id, self.company_currency, abs(item.residual)))
        return keys

    def _index_amounts(self, item: Candidate) -> None:
        for key in self._amount_keys(item):
            self.by_partner_amount[key][item.line_id] = item

    def _unindex_amounts(self, item: Candidate) -> None:
        for key in self._amount_keys(item):
            found = self.by_partner_amount.get(key)
            if found is not None:
                found.pop(item.line_id, None)
                if not found:
                    del self.by_partner_amount[key]

    def batches_of_total(self, currency: str, total: int) -> list[int]:
        """Batches whose open items owed ``total`` in ``currency`` when first asked; the
        caller checks they still do (a match in this run may have taken a member)."""
        if self._batch_totals is None:
            self._batch_totals = defaultdict(list)
            for batch_id, members in self.batches.items():
                currencies = {item.currency for item in members}
                if len(currencies) == 1:
                    owed = sum(abs(item.residual_currency) for item in members)
                    self._batch_totals[(currencies.pop(), owed)].append(batch_id)
        return self._batch_totals.get((currency, total), [])

    def settle(self, items: Iterable[Candidate]) -> None:
        """Take ``items`` out of the book: a match in this run has claimed them."""
        for item in items:
            self._drop(item)

    def _drop(self, item: Candidate) -> None:
        if self.items.pop(item.line_id, None) is not None and item.partner_id is not None:
            self.by_partner.get(item.partner_id, {}).pop(item.line_id, None)
            self._unindex_amounts(item)

    def take(self, item: Candidate, residual: int, residual_currency: int) -> None:
        """What ``item`` owes after a match in this run took part of it; out when nothing."""
        if not residual and not residual_currency:
            self._drop(item)
            return
        partnered = item.partner_id is not None and item.line_id in self.items
        if partnered:
            self._unindex_amounts(item)
        item.residual, item.residual_currency = residual, residual_currency
        if partnered:
            self._index_amounts(item)
