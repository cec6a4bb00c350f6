"""Property-based: random invoices, bills, payments, bank lines, reconciliations and
undos keep the books right, on both databases.

Each example works on a new company (earlier examples' companies share the
database and must stay invisible) and after every step checks that

- posted debits equal posted credits;
- every open item's residual is its amount less what its settlements took,
  and lies between zero and that amount;
- the bank suspense account holds exactly the unreconciled bank lines;
- no posted entry or line read earlier has changed;
- an undo right after a reconciliation gives every open item back exactly
  what it owed before.

A refused operation (amounts that do not add up, a line reconciled twice,
an undo of nothing) must leave everything as it was: it runs in a savepoint
that is rolled back, and the checks run after it all the same.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.app.companies import create_company
from booksync.app.context import Books
from booksync.app.invoices import add_invoice
from booksync.app.payments import add_payment
from booksync.app.reconcile import apply, auto, undo
from booksync.documents.invoices import DocumentInput, DocumentLineInput
from booksync.documents.models import InvoiceType
from booksync.errors import BooksyncError
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Company, Line
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.partners import add_partner
from booksync.reconciliation.auto import unreconciled_facts
from booksync.statements.manual import ManualLine, add_manual_line
from tests.helpers import entry_rows, line_rows
from tests.ledger.test_open_items import assert_residuals_follow_the_links

_names = itertools.count()
DAY = dt.date(2026, 4, 1)
PARTNERS = ("Osaka", "Nordwerk")
cents = st.integers(min_value=1, max_value=50_000)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("document"), st.sampled_from(list(InvoiceType)), st.integers(0, 1),
                  cents),
        st.tuples(st.just("payment"), st.integers(0, 1), cents, st.booleans(),
                  st.integers(0, 8)),
        st.tuples(st.just("line"), cents, st.booleans(), st.integers(0, 8), st.booleans()),
        st.tuples(st.just("reconcile"), st.integers(0, 8),
                  st.lists(st.integers(0, 8), max_size=3), st.booleans(), st.booleans()),
        st.tuples(st.just("undo"), st.integers(0, 8)),
        st.tuples(st.just("auto"),),
    ),
    min_size=3,
    max_size=14,
)


def _money(minor: int) -> Decimal:
    return Decimal(minor) / 100


def _residuals(session: Session, company: Company) -> dict[int, tuple[int, int]]:
    session.expire_all()
    return {
        line_id: (residual, residual_cur)
        for line_id, residual, residual_cur in session.execute(
            select(OpenItem.line_id, OpenItem.residual, OpenItem.residual_currency).where(
                OpenItem.company_id == company.id
            )
        )
    }


def _check(books: Books, suspense_id: int, before: tuple[dict[Any, Any], dict[Any, Any]]
           ) -> tuple[dict[Any, Any], dict[Any, Any]]:
    session, company = books.session, books.company
    session.expire_all()
    debit, credit = session.execute(
        select(func.coalesce(func.sum(Line.debit), 0), func.coalesce(func.sum(Line.credit), 0))
        .where(Line.company_id == company.id, Line.posted.is_(True))
    ).one()
    assert debit == credit
    assert_residuals_follow_the_links(session, company)
    suspense = session.scalar(
        select(func.coalesce(func.sum(Line.debit - Line.credit), 0)).where(
            Line.account_id == suspense_id, Line.posted.is_(True)
        )
    )
    unreconciled = sum(f.company_amount for f in unreconciled_facts(session, company))
    assert suspense == -unreconciled
    entries = {k: v for k, v in entry_rows(session, company.id).items() if v[2] == "posted"}
    lines = {k: v for k, v in line_rows(session, company.id).items() if v[-1]}
    for key, row in before[0].items():
        assert entries[key] == row
    for key, row in before[1].items():
        assert lines[key] == row
    return entries, lines


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations)
def test_random_reconciliation_work_keeps_the_books_right(session: Session, ops: list[Any]
                                                           ) -> None:
    session.rollback()
    company = create_company(session, f"Rec {next(_names)}", "EUR", "DE")
    for name in PARTNERS:
        add_partner(session, company, name)
    bank = create_bank_journal(session, company, "Bank")
    session.commit()
    assert bank.suspense_account_id is not None
    books = Books(session, company)
    numbers: list[str] = []
    lines: list[int] = []
    snapshot = _check(books, bank.suspense_account_id, ({}, {}))
    for op in ops:
        savepoint = session.begin_nested()
        try:
            _run(books, bank.code, op, numbers, lines)
        except BooksyncError as refused:
            savepoint.rollback()
            event(f"{op[0]} refused ({refused.code})")
        else:
            savepoint.commit()
            event(f"{op[0]} done")
        snapshot = _check(books, bank.suspense_account_id, snapshot)
    session.commit()


def _pick(items: list[Any], index: int) -> Any:
    return items[index % len(items)] if items else None


def _run(books: Books, journal: str, op: tuple[Any, ...], numbers: list[str], lines: list[int]
         ) -> None:
    kind = op[0]
    if kind == "document":
        _, doc_type, who, amount = op
        view = add_invoice(books, DocumentInput(
            doc_type, PARTNERS[who], DAY, (DocumentLineInput("Goods", Decimal(1), _money(amount)),)
        ), post=True)
        numbers.append(view.number)
    elif kind == "payment":
        _, who, amount, outbound, doc = op
        chosen = _pick(numbers, doc)
        add_payment(books, journal=journal, partner=PARTNERS[who], amount=_money(amount),
                    date=DAY, outbound=outbound, invoices=[chosen] if chosen and doc % 2 else [])
    elif kind == "line":
        _, amount, money_in, doc, names_it = op
        chosen = _pick(numbers, doc)
        label = f"Transfer {chosen}" if chosen and names_it else "Transfer"
        signed = _money(amount) if money_in else -_money(amount)
        lines.append(add_manual_line(books.session, books.company,
                                     ManualLine(journal, DAY, signed, label)))
    elif kind == "reconcile":
        _, line, docs, on_account, then_undo = op
        line_id = _pick(lines, line)
        if line_id is None:
            return
        chosen = [n for n in dict.fromkeys(_pick(numbers, d) for d in docs) if n]
        before = _residuals(books.session, books.company)
        apply(books, line_id, chosen, partner=PARTNERS[0] if on_account else None)
        if then_undo:
            undo(books, line_id)
            after = _residuals(books.session, books.company)
            assert {k: after[k] for k in before} == before
    elif kind == "undo":
        line_id = _pick(lines, op[1])
        if line_id is not None:
            undo(books, line_id)
    else:
        auto(books)
