"""Fixtures of the document tests: the company's books, with a customer and a vendor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from booksync.app.context import Books
from booksync.app.invoices import DocumentInput, DocumentLineInput
from booksync.documents.models import InvoiceType
from booksync.ledger.models import Company
from booksync.ledger.partners import add_partner
from tests.cli.conftest import acme, cli

__all__ = ["acme", "books", "cli", "document", "line"]

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def books(session: Session, company: Company) -> Books:
    add_partner(session, company, "Osaka")
    add_partner(session, company, "Paper Co")
    session.commit()
    return Books(session, company)


def line(
    description: str, quantity: str, price: str, tax: str | None = None,
    account: str | None = None,
) -> DocumentLineInput:
    return DocumentLineInput(description, Decimal(quantity), Decimal(price), tax, account)


def document(
    *lines: DocumentLineInput,
    kind: InvoiceType = InvoiceType.INVOICE,
    partner: str | None = None,
    date: dt.date = DAY,
    **more: object,
) -> DocumentInput:
    """An invoice (or ``kind``) to Osaka, or a bill from Paper Co, of ``lines``."""
    if partner is None:
        partner = "Osaka" if kind in (InvoiceType.INVOICE, InvoiceType.CREDIT_NOTE) else "Paper Co"
    return DocumentInput(kind, partner, date, lines, **more)  # type: ignore[arg-type]
