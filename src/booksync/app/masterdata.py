"""The chart of accounts, journals and partners: the use cases, with typed results.

Each result is a frozen dataclass whose fields are its JSON shape
(:func:`booksync.app.shapes.as_json`).  The CLI's listings read a plainly
named SQLite file with the driver alone (:mod:`booksync.ledger.lean`) and
give the same rows; these are the listings over any database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, select

from booksync.app.context import Books
from booksync.banking.bank_accounts import normalize_iban
from booksync.documents.models import Invoice, Payment
from booksync.ledger.accounts import add_account as create_account
from booksync.ledger.accounts import list_accounts
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.journals import list_journals
from booksync.ledger.limits import text_ok
from booksync.ledger.models import Account, AccountRole, Entry, Partner
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.partners import add_partner as create_partner
from booksync.ledger.partners import list_partners, partner_named
from booksync.money import exponent, to_decimal

__all__ = [
    "AccountView",
    "JournalView",
    "OpenItemView",
    "PartnerDetail",
    "PartnerRow",
    "PartnerView",
    "accounts",
    "add_account",
    "add_partner",
    "add_partner_iban",
    "find_partners",
    "get_partner",
    "journals",
    "new_partner",
    "partner_detail",
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


# -- partners for the web app: by id, in pages, with what they owe -------------------


@dataclass(frozen=True, slots=True)
class PartnerRow:
    """A partner with its id, for the web app and the API (:class:`PartnerView` and ``id``)."""

    id: int
    name: str
    iban: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class OpenItemView:
    """What one posted line of the partner still owes, in its own currency: positive
    when the partner owes the company, negative when the company owes the partner."""

    date: dt.date
    due_date: dt.date
    entry: str | None
    entry_id: int
    account: str
    currency: str
    residual: Decimal
    document: str | None
    document_id: int | None
    document_type: str | None
    payment: int | None


@dataclass(frozen=True, slots=True)
class PartnerDetail:
    """A partner, its open items (oldest due first, at most the number asked for;
    ``more`` when there are others) and what is owed in company currency:
    ``receivable`` by the partner, ``payable`` to it, ``balance`` their difference."""

    id: int
    name: str
    iban: str | None
    email: str | None
    currency: str
    receivable: Decimal
    payable: Decimal
    balance: Decimal
    open_items: tuple[OpenItemView, ...]
    more: bool


def _row(p: Partner) -> PartnerRow:
    return PartnerRow(id=p.id, name=p.name, iban=p.iban, email=p.email)


def get_partner(books: Books, key: int | str) -> PartnerRow:
    """A partner by id (an int) or by its exact name (a str)."""
    if isinstance(key, str):
        return _row(partner_named(books.session, books.company, key.strip()))
    found = books.session.scalar(
        select(Partner).where(Partner.company_id == books.company.id, Partner.id == key)
    )
    if found is None:
        raise NotFound(f"no partner {key}")
    return _row(found)


def find_partners(
    books: Books, *, q: str | None = None, after: int | None = None, limit: int = 100
) -> list[PartnerRow]:
    """At most ``limit`` partners by name, after the one of id ``after``; ``q`` matches
    the name, the IBAN or the email in part, whatever the case.

    A keyset page on the unique (company, name) index: any page costs what
    the first does.
    """
    company = books.company
    query = select(Partner).where(Partner.company_id == company.id)
    if after is not None:
        last = select(Partner.name).where(
            Partner.company_id == company.id, Partner.id == after
        ).scalar_subquery()
        query = query.where(Partner.name > last)
    if q is not None and q.strip():
        if not text_ok(q, len(q)):  # stored text holds no control character: nothing matches
            return []
        text = q.strip()
        query = query.where(
            Partner.name.icontains(text, autoescape=True)
            | Partner.email.icontains(text, autoescape=True)
            | Partner.iban.icontains(text.replace(" ", ""), autoescape=True)
        )
    found = books.session.scalars(query.order_by(Partner.name).limit(limit))
    return [_row(p) for p in found]


def new_partner(
    books: Books, name: str, *, iban: str | None = None, email: str | None = None
) -> PartnerRow:
    """Add a partner, its IBAN checked in full (check digits, the country's length)."""
    checked = normalize_iban(iban) if iban and iban.strip() else None
    created = create_partner(
        books.session, books.company, name, iban=checked, email=(email or "").strip() or None
    )
    return _row(created)


def add_partner_iban(books: Books, partner_id: int, iban: str) -> PartnerRow:
    """Give a partner its bank account (IBAN), checked in full.

    A partner holds one IBAN (``partner.iban``, which reconciliation
    recognizes bank lines by): one already there is not replaced (conflict).
    """
    partner = books.session.scalar(
        select(Partner).where(Partner.company_id == books.company.id, Partner.id == partner_id)
    )
    if partner is None:
        raise NotFound(f"no partner {partner_id}")
    checked = normalize_iban(iban)
    if partner.iban is not None:
        raise LedgerError(
            f"{partner.name} already has a bank account ({partner.iban}); "
            "a partner holds one IBAN",
            code="conflict",
        )
    partner.iban = checked
    books.session.flush()
    return _row(partner)


_SIDES = (AccountRole.RECEIVABLE.value, AccountRole.PAYABLE.value)


def partner_detail(books: Books, partner_id: int, *, items: int = 200) -> PartnerDetail:
    """A partner with its open receivable and payable items and what they add up to.

    Reads the open items' partial index (company, partner, account); three
    queries whatever the number of items.
    """
    row = get_partner(books, partner_id)
    session, company = books.session, books.company
    exp = exponent(company.currency_code)
    open_now = and_(
        OpenItem.company_id == company.id,
        OpenItem.partner_id == row.id,
        OpenItem.full_reconcile_id.is_(None),
        OpenItem.residual != 0,
        Account.role.in_(_SIDES),
    )
    sums: dict[str, int] = {
        str(role): int(total or 0)
        for role, total in session.execute(
            select(Account.role, func.sum(OpenItem.residual))
            .join(Account, Account.id == OpenItem.account_id)
            .where(open_now)
            .group_by(Account.role)
        )
    }
    receivable = sums.get(AccountRole.RECEIVABLE.value, 0)
    payable = -sums.get(AccountRole.PAYABLE.value, 0)
    rows = session.execute(
        select(
            OpenItem.date, OpenItem.due_date, Entry.number, Entry.id, Account.code,
            OpenItem.currency_code, OpenItem.residual_currency, Invoice.number, Invoice.id,
            Invoice.type, Payment.id,
        )
        .join(Account, Account.id == OpenItem.account_id)
        .join(Entry, Entry.id == OpenItem.entry_id)
        .outerjoin(Invoice, and_(Invoice.entry_id == OpenItem.entry_id,
                                 Invoice.company_id == company.id))
        .outerjoin(Payment, and_(Payment.partner_line_id == OpenItem.line_id,
                                 Payment.company_id == company.id))
        .where(open_now)
        .order_by(OpenItem.due_date, OpenItem.id)
        .limit(items + 1)
    ).all()
    shown = tuple(
        OpenItemView(day, due, number, entry_id, code, currency,
                     to_decimal(residual, exponent(currency)), doc, doc_id, doc_type, payment)
        for day, due, number, entry_id, code, currency, residual, doc, doc_id, doc_type, payment
        in rows[:items]
    )
    return PartnerDetail(
        id=row.id, name=row.name, iban=row.iban, email=row.email,
        currency=company.currency_code, receivable=to_decimal(receivable, exp),
        payable=to_decimal(payable, exp), balance=to_decimal(receivable - payable, exp),
        open_items=shown, more=len(rows) > items,
    )
