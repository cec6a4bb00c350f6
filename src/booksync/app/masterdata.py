"""The chart of accounts, journals and partners: the use cases, with typed results.

Each result is a frozen dataclass whose fields are its JSON shape
(:func:`booksync.app.shapes.as_json`).  The CLI's listings read a plainly
named SQLite file with the driver alone (:mod:`booksync.ledger.lean`) and
give the same rows; these are the listings over any database.
"""

from __future__ import annotations

from dataclasses import dataclass

from booksync.app.context import Books
from booksync.ledger.accounts import add_account as create_account
from booksync.ledger.accounts import list_accounts
from booksync.ledger.journals import list_journals
from booksync.ledger.partners import add_partner as create_partner
from booksync.ledger.partners import list_partners

__all__ = [
    "AccountView",
    "JournalView",
    "PartnerView",
    "accounts",
    "add_account",
    "add_partner",
    "journals",
    "partners",
]


@dataclass(frozen=True, slots=True)
class AccountView:
    """An account of the chart; ``type`` asset, liability, equity, income or expense."""

    code: str
    name: str
    type: str
    reconcile: bool
    active: bool


@dataclass(frozen=True, slots=True)
class JournalView:
    code: str
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class PartnerView:
    name: str
    iban: str | None
    email: str | None


def accounts(books: Books) -> tuple[AccountView, ...]:
    """The chart of accounts, by code."""
    return tuple(
        AccountView(code=a.code, name=a.name, type=str(a.type), reconcile=a.reconcile,
                    active=a.active)
        for a in list_accounts(books.session, books.company)
    )


def add_account(
    books: Books, code: str, name: str, type: str, *, reconcile: bool = False
) -> AccountView:
    """Add an account to the chart; ``type`` as the user names it."""
    a = create_account(books.session, books.company, code, name, type, reconcile=reconcile)
    return AccountView(code=a.code, name=a.name, type=str(a.type), reconcile=a.reconcile,
                       active=a.active)


def journals(books: Books) -> tuple[JournalView, ...]:
    """The journals, by code."""
    return tuple(
        JournalView(code=j.code, name=j.name, type=str(j.type))
        for j in list_journals(books.session, books.company)
    )


def partners(books: Books) -> tuple[PartnerView, ...]:
    """The partners, by name."""
    return tuple(
        PartnerView(name=p.name, iban=p.iban, email=p.email)
        for p in list_partners(books.session, books.company)
    )


def add_partner(
    books: Books, name: str, *, iban: str | None = None, email: str | None = None
) -> PartnerView:
    """Add a partner (a customer, a supplier, ...)."""
    p = create_partner(books.session, books.company, name, iban=iban, email=email)
    return PartnerView(name=p.name, iban=p.iban, email=p.email)
