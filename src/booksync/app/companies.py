"""Creating a company: the ledger's chart and journals, and the documents' default taxes.

The ledger knows nothing of documents, so the one place that creates a
company for every caller (``init``, the demo, the tests) is here, above
both (docs/documents.md, "Taxes").
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from booksync.documents.taxes import create_default_taxes
from booksync.ledger import companies
from booksync.ledger.models import Company

__all__ = ["create_company"]


def create_company(session: Session, name: str, currency: str, country: str) -> Company:
    """A new company with the generic chart, the default journals and the default taxes."""
    company = companies.create_company(session, name, currency, country)
    create_default_taxes(session, company)
    return company
