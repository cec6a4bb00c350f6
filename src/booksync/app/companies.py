"""Creating a company: the ledger's chart and journals, the documents' default taxes
and the default reconciliation rules.

The ledger knows nothing of documents or reconciliation, so the one place
that creates a company for every caller (``init``, the demo, the tests) is
here, above them (docs/documents.md, "Taxes"; docs/reconciliation.md, "Rules").
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from booksync.documents.taxes import create_default_taxes
from booksync.ledger import companies
from booksync.ledger.models import Company
from booksync.reconciliation.rules import ensure_default_rules

__all__ = ["create_company"]


def create_company(session: Session, name: str, currency: str, country: str) -> Company:
    """A new company with the generic chart, the default journals, taxes and rules."""
    company = companies.create_company(session, name, currency, country)
    create_default_taxes(session, company)
    ensure_default_rules(session, company)
    return company
