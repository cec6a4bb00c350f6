"""Property-based, hostile: the random reconciliation work of
``test_reconciliation_properties`` with more in its way — a lock date that moves
over the lines' days, an automatic write-off rule for every line, payers known by
their IBAN (money on account, and refunds of it), and inactive accounts.  After
every step the same checks hold (balanced books, residuals that follow their
links, the suspense account holding the unreconciled lines, nothing posted
changed), and an automatic pass is never refused: what it may not book it
leaves to a person (docs/reconciliation.md, "Automatic reconciliation")."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.orm import Session

from booksync.app.companies import create_company
from booksync.app.context import Books
from booksync.app.reconcile import auto
from booksync.app.rules import CounterpartInput, RuleInput, add_rule
from booksync.documents.models import InvoiceType
from booksync.errors import BooksyncError
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Account
from booksync.ledger.partners import add_partner
from booksync.statements.manual import ManualLine, add_manual_line
from tests.reconciliation.test_reconciliation_properties import (
    DAY,
    PARTNERS,
    _check,
    _money,
    _run,
)

_names = itertools.count()
LATER = DAY + dt.timedelta(days=10)
IBANS = ("GB82WEST12345698765432", "DE89370400440532013000")
cents = st.integers(min_value=1, max_value=50_000)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("document"), st.sampled_from(list(InvoiceType)), st.integers(0, 1),
                  cents),
        st.tuples(st.just("payment"), st.integers(0, 1), cents, st.booleans(),
                  st.integers(0, 8)),
        st.tuples(st.just("line"), cents, st.booleans(), st.integers(0, 8), st.booleans()),
        st.tuples(st.just("pays"), st.integers(0, 8), st.booleans()),
        st.tuples(st.just("paid by"), st.integers(0, 1), cents, st.booleans(), st.booleans()),
        st.tuples(st.just("reconcile"), st.integers(0, 8),
                  st.lists(st.integers(0, 8), max_size=3), st.booleans(), st.booleans()),
        st.tuples(st.just("undo"), st.integers(0, 8)),
        st.tuples(st.just("lock"), st.sampled_from([None, DAY, LATER - dt.timedelta(days=1)])),
        st.tuples(st.just("write-off rule"),),
        st.tuples(st.just("inactive"), st.sampled_from(["4900", "6500"])),
        st.tuples(st.just("auto"),),
    ),
    min_size=3,
    max_size=16,
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations)
def test_hostile_reconciliation_work_keeps_the_books_right(session: Session, ops: list[Any]
                                                           ) -> None:
    session.rollback()
    company = create_company(session, f"Hostile {next(_names)}", "EUR", "DE")
    for name, iban in zip(PARTNERS, IBANS, strict=True):
        add_partner(session, company, name, iban=iban)
    bank = create_bank_journal(session, company, "Bank")
    session.commit()
    assert bank.suspense_account_id is not None
    books = Books(session, company)
    numbers: list[str] = []
    lines: list[int] = []
    documents: list[tuple[int, int, bool]] = []  # (partner, amount, money in)
    snapshot = _check(books, bank.suspense_account_id, ({}, {}))
    for op in [*ops, ("auto",)]:  # every example ends with an automatic pass
        savepoint = session.begin_nested()
        try:
            _hostile(books, bank.code, op, numbers, lines, documents)
        except BooksyncError as refused:
            assert op[0] != "auto", refused  # an automatic pass leaves, never fails
            savepoint.rollback()
            event(f"{op[0]} refused ({refused.code})")
        else:
            savepoint.commit()
            event(f"{op[0]} done")
        snapshot = _check(books, bank.suspense_account_id, snapshot)
    session.commit()


def _hostile(books: Books, journal: str, op: tuple[Any, ...], numbers: list[str],
             lines: list[int], documents: list[tuple[int, int, bool]]) -> None:
    session, company = books.session, books.company
    kind = op[0]
    if kind == "pays" and documents:
        # The exact amount of a document from its partner's IBAN: a certain match.
        who, amount, money_in = documents[op[1] % len(documents)]
        signed = _money(amount) if money_in else -_money(amount)
        lines.append(add_manual_line(session, company, ManualLine(
            journal, LATER if op[2] else DAY, signed, "Transfer", iban=IBANS[who])))
    elif kind == "paid by":
        _, who, amount, money_in, later = op
        signed = _money(amount) if money_in else -_money(amount)
        lines.append(add_manual_line(session, company, ManualLine(
            journal, LATER if later else DAY, signed, "Transfer", iban=IBANS[who])))
    elif kind == "lock":
        company.lock_date = op[1]
        session.flush()
    elif kind == "write-off rule":
        add_rule(books, RuleInput("Everything", "suggestion", auto=True,
                                  counterparts=(CounterpartInput("4900", Decimal(100)),)))
    elif kind == "inactive":
        session.execute(update(Account).where(Account.company_id == company.id,
                                              Account.code == op[1]).values(active=False))
    elif kind == "auto":
        auto(books)
    elif kind != "pays":
        _run(books, journal, op, numbers, lines)
        if kind == "document":
            documents.append((op[2], op[3], op[1] in (InvoiceType.INVOICE, InvoiceType.REFUND)))
