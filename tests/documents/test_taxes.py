"""Taxes: the default set of a new company, adding one, and what is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.app.context import Books
from booksync.app.taxes import TaxView, add_tax, list_taxes
from booksync.documents.models import Tax
from booksync.errors import BooksyncError
from booksync.ledger.companies import create_company as create_ledger_company
from booksync.ledger.models import Company


def test_a_new_company_has_the_default_taxes(session: Session, company: Company) -> None:
    shown = [(t.name, t.type, t.rate, t.account) for t in list_taxes(Books(session, company))]
    assert shown == [
        ("VAT 20%", "sale", Decimal(20), "2100"),
        ("VAT 10%", "sale", Decimal(10), "2100"),
        ("VAT 0%", "sale", Decimal(0), "2100"),
        ("VAT 20%", "purchase", Decimal(20), "1600"),
        ("VAT 10%", "purchase", Decimal(10), "1600"),
        ("VAT 0%", "purchase", Decimal(0), "1600"),
    ]
    rates = session.scalars(select(Tax.rate).where(Tax.company_id == company.id)).all()
    assert sorted(rates) == [0, 0, 100_000, 100_000, 200_000, 200_000]  # ten-thousandths


def test_a_company_made_before_taxes_adds_its_own(session: Session) -> None:
    older = create_ledger_company(session, "Old GmbH", "EUR", "DE")
    books = Books(session, older)
    assert list_taxes(books) == []
    added = add_tax(books, "MwSt 19%", "19", "sale")
    assert added == TaxView("MwSt 19%", "sale", Decimal(19), "2100", False, True)
    reduced = add_tax(books, "Reduced", Decimal("5.5"), "purchase", account="6300",
                      price_included=True)
    assert reduced == TaxView("Reduced", "purchase", Decimal("5.5"), "6300", True, True)
    assert session.scalar(select(Tax.rate).where(Tax.name == "Reduced")) == 55_000


def test_the_same_name_may_exist_once_per_type(session: Session, company: Company) -> None:
    books = Books(session, company)
    with pytest.raises(BooksyncError, match="already exists") as caught:
        add_tax(books, "VAT 20%", "20", "sale")
    assert caught.value.code == "conflict"
    add_tax(books, "Export", "0", "sale")
    add_tax(books, "Export", "0", "purchase")


@pytest.mark.parametrize(
    ("name", "rate", "kind", "account", "message"),
    [
        ("Bad", "-1", "sale", None, "between 0 and 1000"),
        ("Bad", "1001", "sale", None, "between 0 and 1000"),
        ("Bad", "5.55555", "sale", None, "more than 4 decimal places"),
        ("Bad", "twenty", "sale", None, "is not an amount"),
        ("Bad", "5", "income", None, "not one of sale, purchase"),
        ("A:B", "5", "sale", None, "contain no ':'"),
        ("  ", "5", "sale", None, "non-empty"),
        ("Bad", "5", "sale", "9999", "unknown account"),
        ("Bad", "5", "sale", "1100", "reconcilable"),
    ],
)
def test_bad_taxes_are_refused_and_nothing_is_added(
    session: Session, company: Company, name: str, rate: str, kind: str, account: str | None,
    message: str,
) -> None:
    before = session.scalar(select(func.count(Tax.id)))
    with pytest.raises(BooksyncError, match=message):
        add_tax(Books(session, company), name, rate, kind, account=account)
    session.rollback()
    assert session.scalar(select(func.count(Tax.id))) == before
