"""The demo company's invoices and bills, issued before its bank is synchronized.

They are real documents (docs/documents.md): numbered, posted, owed until
something pays them, so that the sandbox's customers and suppliers have
something to pay and the synchronization something to reconcile.  With
them comes the rule a bookkeeper sets up first: bank fees booked to 6500
without asking (docs/reconciliation.md, "Rules").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from booksync.app.context import Books
from booksync.app.invoices import add_invoice
from booksync.app.rules import CounterpartInput, RuleInput, add_rule
from booksync.demo.payments_plan import PARTNERS, Issued, document_plans
from booksync.ledger.partners import add_partner

__all__ = ["BANK_FEES", "issue_documents"]

BANK_FEES = RuleInput(
    name="Bank fees",
    kind="suggestion",
    auto=True,
    nature="out",
    label_contains="FEE",
    counterparts=(CounterpartInput("6500", Decimal(100)),),
)


def issue_documents(books: Books, start: dt.date, today: dt.date, seed: int) -> list[Issued]:
    """Add the partners, post the plan's documents in date order, add the bank fee rule."""
    for name, iban in PARTNERS.items():
        add_partner(books.session, books.company, name, iban=iban)
    issued: list[Issued] = []
    for plan in document_plans(start, today, seed):
        view = add_invoice(books, plan.document, post=True)
        assert view.number is not None  # posted
        issued.append(Issued(plan.scenario, view.number, view.date, view.total, view.ref))
    add_rule(books, BANK_FEES)
    return issued
