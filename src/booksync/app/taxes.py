"""Use cases of taxes: add one, list them (docs/documents.md, "Taxes")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from booksync.app.context import Books
from booksync.documents import taxes
from booksync.documents.models import Tax

__all__ = ["TaxView", "add_tax", "list_taxes"]


@dataclass(frozen=True, slots=True)
class TaxView:
    """A tax as the CLI and the API show it; ``rate`` is a percentage (``"5.5"``)."""

    name: str
    type: str
    rate: Decimal
    account: str
    price_included: bool
    active: bool


def _view(tax: Tax) -> TaxView:
    return TaxView(
        tax.name, tax.type, taxes.percent(tax.rate), tax.account.code, tax.price_included,
        tax.active,
    )


def add_tax(
    books: Books,
    name: str,
    rate: Decimal | str,
    type: str,
    *,
    account: str | None = None,
    price_included: bool = False,
) -> TaxView:
    """A new sale or purchase tax, booked to ``account`` or the type's tax account."""
    tax = taxes.add_tax(
        books.session, books.company, name, rate, type, account=account,
        price_included=price_included,
    )
    books.session.refresh(tax)
    return _view(tax)


def list_taxes(books: Books, type: str | None = None) -> list[TaxView]:
    """The company's taxes, of one type when ``type`` is given."""
    kind = taxes.tax_type(type) if type is not None else None
    return [_view(t) for t in taxes.list_taxes(books.session, books.company, kind)]
