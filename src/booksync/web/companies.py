"""The company a request is about, among those its caller sees.

Pages and the API take ``?company=NAME``; without it a page keeps to the
company chosen last (a cookie holding its id) and the API to the caller's
first company by name, as the command line takes the only one.  A company
the caller does not see is answered like one that does not exist, so that
its name is not confirmed to outsiders (docs/web.md, "Companies").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import select

from booksync.app.context import Books
from booksync.errors import BooksyncError
from booksync.ledger.models import Company
from booksync.web.auth import Caller, db_session

COMPANY_COOKIE = "booksync_company"

__all__ = ["COMPANY_COOKIE", "CompanyRef", "chosen", "opened", "visible"]


@dataclass(frozen=True, slots=True)
class CompanyRef:
    id: int
    name: str
    currency: str


def visible(request: Request, caller: Caller) -> list[CompanyRef]:
    """The companies the caller sees, by name; read once per request."""
    if hasattr(request.state, "companies"):
        known: list[CompanyRef] = request.state.companies
        return known
    rows = db_session(request).execute(
        select(Company.id, Company.name, Company.currency_code).order_by(Company.name)
    ).all()
    found = [CompanyRef(i, n, c) for i, n, c in rows if caller.principal.sees(i)]
    request.state.companies = found
    return found


def chosen(request: Request, caller: Caller) -> CompanyRef:
    """The request's company: ``?company=NAME``, else the cookie's, else the first."""
    companies = visible(request, caller)
    if not companies:
        raise BooksyncError("You see no company yet; ask an admin to grant one.",
                            code="not_found")
    name = request.query_params.get("company")
    if name is not None:
        for company in companies:
            if company.name == name.strip():
                return company
        raise BooksyncError(f"No company named {name.strip()[:80]!r}.", code="not_found")
    remembered = request.cookies.get(COMPANY_COOKIE, "")
    for company in companies:
        if str(company.id) == remembered:
            return company
    return companies[0]


@contextmanager
def opened(request: Request, caller: Caller) -> Iterator[Books]:
    """The chosen company's books in one transaction, as a use case takes them: in the
    request's session (booksync.web.auth.db_session), committed only if the block ends
    without error, as ``booksync.app.context.open_books`` does for the command line."""
    company = chosen(request, caller)
    session = db_session(request)
    try:
        found = session.get(Company, company.id)
        if found is None:  # removed since the list was read
            raise BooksyncError(f"No company named {company.name[:80]!r}.", code="not_found")
        yield Books(session, found)
        session.commit()
    except BaseException:
        session.rollback()
        raise
