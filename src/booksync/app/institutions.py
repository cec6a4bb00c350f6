"""Use cases of "Add a bank account" that the command line does not need: the
catalogue and a company's bank accounts a page at a time, the bank journals an
account may join, and a hand-made account's fields checked one by one.

The command line prints the whole catalogue (:func:`booksync.app.banking.institutions`);
the web app and the API read it a page at a time with a keyset (``name``, then
the row id) so that a long catalogue costs the same at any depth.  The form's
fields are checked one by one, so that each mistake is shown next to its own
field, and nothing is written: :func:`booksync.app.banking.add_bank_account`
does the writing, and checks everything again (docs/web.md, "Add a bank account").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select

from booksync.app.banking import InstitutionView
from booksync.app.context import Books
from booksync.banking.bank_accounts import normalize_account_number, normalize_bic
from booksync.banking.models import BankAccount, Institution
from booksync.db.engine import session_factory
from booksync.errors import BooksyncError
from booksync.ledger.journals import get_journal
from booksync.ledger.limits import MAX_NAME, check_text
from booksync.ledger.models import Journal, JournalType
from booksync.money import CURRENCIES

__all__ = [
    "BankAccountRow",
    "BankJournalView",
    "InstitutionPage",
    "bank_account_problems",
    "bank_accounts",
    "bank_journals",
    "institution_page",
]

MAX_ACCOUNT_NUMBER = 64  # the bank_account.account_number column


@dataclass(frozen=True, slots=True)
class InstitutionPage:
    """One page of the catalogue, by name; ``after`` is the row id the next page
    starts after (None on the last), ``catalogue_empty`` when none exists at all."""

    found: tuple[InstitutionView, ...]
    after: int | None
    catalogue_empty: bool


@dataclass(frozen=True, slots=True)
class BankAccountRow:
    """A bank account entered by hand, as ``bank-account create --json`` shows it
    (without ``new_journal``, which only a creation knows)."""

    account_number: str
    bank: str | None
    bic: str | None
    journal: str
    currency: str


@dataclass(frozen=True, slots=True)
class BankJournalView:
    """A bank journal an account can be booked in, with its currency."""

    code: str
    name: str
    currency: str


def _matching(text: str | None) -> list[ColumnElement[bool]]:
    """The name or BIC holds ``text``, or the country is ``text`` (``de``)."""
    words = (text or "").strip()
    if not words:
        return []
    pattern = f"%{words.lower()}%"
    return [or_(Institution.name.ilike(pattern), Institution.bic.ilike(pattern),
                func.upper(Institution.country) == words.upper())]


def institution_page(
    engine: Engine, search: str | None = None, *, after: int | None = None, limit: int = 100
) -> InstitutionPage:
    """The institutions whose name or BIC holds ``search`` or whose country it is,
    by name, ``limit`` of them after row ``after``."""
    with session_factory(engine).begin() as session:
        query = select(Institution).where(*_matching(search))
        if after is not None:
            anchor = select(Institution.name).where(Institution.id == after).scalar_subquery()
            query = query.where(or_(Institution.name > anchor,
                                    and_(Institution.name == anchor, Institution.id > after)))
        rows = list(session.scalars(
            query.order_by(Institution.name, Institution.id).limit(limit + 1)))
        shown = rows[:limit]
        found = tuple(
            InstitutionView(id=i.provider_institution_id, name=i.name, bic=i.bic,
                            country=i.country, provider=i.provider, online_sync=i.online_sync)
            for i in shown
        )
        empty = not rows and after is None and session.scalar(
            select(Institution.id).limit(1)) is None
        return InstitutionPage(found, shown[-1].id if len(rows) > limit else None, empty)


def bank_accounts(
    books: Books, *, after: int | None = None, limit: int = 100
) -> tuple[tuple[int, BankAccountRow], ...]:
    """The company's hand-made bank accounts by id, ``limit`` of them after id
    ``after``, each with its id (for the next page's cursor); one query."""
    query = select(BankAccount).where(BankAccount.company_id == books.company.id)
    if after is not None:
        query = query.where(BankAccount.id > after)
    rows = books.session.scalars(query.order_by(BankAccount.id).limit(limit))
    return tuple(
        (a.id, BankAccountRow(account_number=a.account_number,
                              bank=a.bank.name if a.bank else None,
                              bic=a.bank.bic if a.bank else None,
                              journal=a.journal.code, currency=a.currency_code))
        for a in rows
    )


def bank_journals(books: Books) -> tuple[BankJournalView, ...]:
    """The company's bank journals by code, each with its currency."""
    home = books.company.currency_code
    rows = books.session.execute(
        select(Journal.code, Journal.name, Journal.currency_code)
        .where(Journal.company_id == books.company.id, Journal.type == JournalType.BANK)
        .order_by(Journal.code)
    ).all()
    return tuple(BankJournalView(code, name, currency or home) for code, name, currency in rows)


def bank_account_problems(
    books: Books,
    account_number: str,
    bank: str,
    *,
    bic: str | None = None,
    journal: str | None = None,
    currency: str | None = None,
) -> dict[str, str]:
    """What is wrong with each field of a bank account to create, by field name
    (``account_number``, ``bank``, ``bic``, ``journal``, ``currency``); empty when
    each field is right on its own.  Reads only."""
    problems: dict[str, str] = {}

    def check(field: str, test: Callable[[], object]) -> None:
        try:
            test()
        except BooksyncError as exc:
            problems[field] = str(exc)

    def number() -> None:
        normal = normalize_account_number(account_number)
        if len(normal) > MAX_ACCOUNT_NUMBER:
            raise BooksyncError(f"an account number has at most {MAX_ACCOUNT_NUMBER} characters")
        if books.session.scalar(select(BankAccount.id).where(
                BankAccount.company_id == books.company.id,
                BankAccount.account_number == normal)) is not None:
            raise BooksyncError(f"bank account {normal} already exists")

    def bank_name() -> None:
        if not bank.strip():
            raise BooksyncError("a bank name is needed")
        check_text(bank.strip(), "bank name", MAX_NAME)

    def journal_code() -> None:
        if journal and get_journal(books.session, books.company, journal).type != JournalType.BANK:
            raise BooksyncError(f"journal {journal} is not a bank journal")

    def currency_code() -> None:
        if currency and currency.strip().upper() not in CURRENCIES:
            raise BooksyncError(f"unknown currency {currency.strip()[:10]!r}")

    check("account_number", number)
    check("bank", bank_name)
    check("bic", lambda: normalize_bic(bic) if bic and bic.strip() else None)
    check("journal", journal_code)
    check("currency", currency_code)
    return problems
