"""A company: creating it (the ledger's chart and journals, the documents' default taxes
and the default reconciliation rules), showing it, and closing its periods.

The ledger knows nothing of documents or reconciliation, so the one place
that creates a company for every caller (``init``, the demo, the tests) is
here, above them (docs/documents.md, "Taxes"; docs/reconciliation.md, "Rules").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from booksync.app.context import Books
from booksync.documents.taxes import create_default_taxes
from booksync.ledger import companies
from booksync.ledger.models import Company
from booksync.reconciliation.rules import ensure_default_rules

__all__ = ["CompanyView", "company_view", "create_company", "lock"]


def create_company(session: Session, name: str, currency: str, country: str) -> Company:
    """A new company with the generic chart, the default journals, taxes and rules."""
    company = companies.create_company(session, name, currency, country)
    create_default_taxes(session, company)
    ensure_default_rules(session, company)
    return company


@dataclass(frozen=True, slots=True)
class CompanyView:
    """``booksync company show --json``: the company and the day its books are closed up to."""

    name: str
    currency: str
    country: str
    lock_date: dt.date | None


def company_view(books: Books) -> CompanyView:
    company = books.company
    return CompanyView(company.name, company.currency_code, company.country, company.lock_date)


def lock(books: Books, day: dt.date | None, *, today: dt.date, reopen: bool) -> CompanyView:
    """Close the books up to ``day``, or open them all (None); see ``ledger.companies``."""
    companies.lock_books(books.company, day, today=today, reopen=reopen)
    books.session.flush()
    return company_view(books)
