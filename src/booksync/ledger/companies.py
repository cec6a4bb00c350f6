"""Companies: creation with their chart and journals, choosing one, and closing periods."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.ledger.chart import DEFAULT_JOURNALS, GENERIC_CHART
from booksync.ledger.errors import LedgerError
from booksync.ledger.lean import choose_company
from booksync.ledger.limits import MAX_NAME, check_text
from booksync.ledger.models import Account, Company, Currency, Journal
from booksync.money import CURRENCIES, MoneyError


def ensure_currencies(session: Session) -> None:
    """Load the ISO 4217 table once; later calls add only missing codes."""
    known = set(session.scalars(select(Currency.code)))
    for code, (exp, name) in CURRENCIES.items():
        if code not in known:
            session.add(Currency(code=code, name=name, exponent=exp))
    session.flush()


def create_company(session: Session, name: str, currency: str, country: str) -> Company:
    """A new company with the generic chart of accounts and default journals."""
    currency = currency.upper()
    if currency not in CURRENCIES:
        raise MoneyError(f"unknown currency {currency!r}")
    if len(country) != 2 or not country.isalpha():
        raise LedgerError(f"country {country!r} must be a two-letter ISO 3166 code")
    if not name.strip():
        raise LedgerError("a company needs a name")
    name = check_text(name.strip(), "company name", MAX_NAME) or ""
    ensure_currencies(session)
    company = Company(name=name, currency_code=currency, country=country.upper())
    session.add(company)
    session.flush()
    accounts = {}
    for spec in GENERIC_CHART:
        account = Account(
            company_id=company.id,
            code=spec.code,
            name=spec.name,
            type=spec.type,
            role=spec.role,
            reconcile=spec.reconcile,
        )
        session.add(account)
        accounts[spec.code] = account
    session.flush()
    for journal in DEFAULT_JOURNALS:
        default = accounts[journal.default_account] if journal.default_account else None
        session.add(
            Journal(
                company_id=company.id,
                code=journal.code,
                name=journal.name,
                type=journal.type,
                default_account_id=default.id if default else None,
            )
        )
    session.flush()
    return company


def find_company(session: Session, name: str | None) -> Company:
    """The company named, or the only one when no name is given (the rule and its
    sentences are :func:`~booksync.ledger.lean.choose_company`'s, shared with the
    listings that read without the ORM)."""
    if name:
        company = session.scalar(select(Company).where(Company.name == name))
        return choose_company(name, [] if company is None else [company])
    return choose_company(
        None, list(session.scalars(select(Company).order_by(Company.id).limit(2)))
    )


def lock_books(company: Company, day: dt.date | None, *, today: dt.date, reopen: bool) -> None:
    """Close the books up to ``day`` (None: open every period), as posting checks it.

    A lock date closes periods that are over, so it is never after today; and
    moving it back, or taking it away, reopens a closed period: the caller must
    say so (``reopen``), since entries may then be posted in a period whose
    reports were already given (docs/ledger.md, "Closing a period").
    """
    current = company.lock_date
    if day is not None and day > today:
        raise LedgerError(f"a lock date closes past days: {day.isoformat()} is after today")
    backwards = current is not None and (day is None or day < current)
    if backwards and not reopen:
        assert current is not None
        to = f"to {day.isoformat()}" if day is not None else "away"
        raise LedgerError(
            f"the books are closed up to {current.isoformat()}: moving the lock date {to} "
            "reopens a closed period; say so with --reopen"
        )
    company.lock_date = day
