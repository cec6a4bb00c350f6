"""Where money is kept: the institutions catalogue and bank accounts entered by
hand; the use cases, with typed results.

The catalogue is the database's, not a company's: :func:`institutions` takes
the engine and needs no company.  It starts empty; connections fill it
(docs/banking.md).  Each result is a frozen dataclass whose fields are its
JSON shape (:func:`booksync.app.shapes.as_json`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from booksync.app.context import Books
from booksync.banking.bank_accounts import create_bank_account
from booksync.banking.institutions import catalogue_is_empty, search_institutions
from booksync.db.engine import session_factory

__all__ = [
    "BankAccountView",
    "InstitutionView",
    "Institutions",
    "add_bank_account",
    "institutions",
]


@dataclass(frozen=True, slots=True)
class InstitutionView:
    """A bank of the catalogue; ``id`` is the provider's."""

    id: str
    name: str
    bic: str | None
    country: str | None
    provider: str
    online_sync: bool


@dataclass(frozen=True, slots=True)
class Institutions:
    """The institutions found, by name; ``catalogue_empty`` when none was found
    because the catalogue has none at all."""

    found: tuple[InstitutionView, ...]
    catalogue_empty: bool


@dataclass(frozen=True, slots=True)
class BankAccountView:
    """A bank account entered by hand, booked in bank journal ``journal``;
    ``new_journal`` when that journal was made for it."""

    account_number: str
    bank: str
    bic: str | None
    journal: str
    currency: str
    new_journal: bool


def institutions(
    engine: Engine, search: str | None = None, country: str | None = None
) -> Institutions:
    """The institutions whose name or BIC holds ``search``, in ``country``."""
    with session_factory(engine).begin() as session:
        found = tuple(
            InstitutionView(
                id=i.provider_institution_id,
                name=i.name,
                bic=i.bic,
                country=i.country,
                provider=i.provider,
                online_sync=i.online_sync,
            )
            for i in search_institutions(session, search, country)
        )
        return Institutions(found, not found and catalogue_is_empty(session))


def add_bank_account(
    books: Books,
    account_number: str,
    bank: str,
    *,
    bic: str | None = None,
    journal: str | None = None,
    currency: str | None = None,
) -> BankAccountView:
    """A bank account at ``bank`` (found in the catalogue, or added), booked in
    bank journal ``journal`` or a new one; number and BIC are checked."""
    made = create_bank_account(
        books.session,
        books.company,
        account_number,
        bank,
        bic=bic,
        journal_code=journal,
        currency=currency,
    )
    account = made.account
    return BankAccountView(
        account_number=account.account_number,
        bank=account.bank.name if account.bank else bank,
        bic=account.bank.bic if account.bank else None,
        journal=account.journal.code,
        currency=account.currency_code,
        new_journal=made.new_journal,
    )
