"""Whatever documents, payments and credit notes happen, the figures agree.

For one partner after any sequence: the partner ledger's balance is the sum
of its open items' residuals, each document's residual is its open item's,
and the aged balances of any date add up to the partner's lines dated up to
it (docs/ledger.md, "Aged balances"; docs/documents.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.app.context import Books
from booksync.app.invoices import add_invoice, credit_note, list_invoices
from booksync.app.payments import add_payment
from booksync.documents.models import InvoiceType
from booksync.errors import BooksyncError
from booksync.ledger.aged import aged_balances
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Account, AccountRole, Company, Journal, Line
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.partner_ledger import partner_ledger
from booksync.ledger.partners import add_partner, partner_named
from booksync.ledger.rates import set_rate
from tests.documents.conftest import document, line

START = dt.date(2026, 1, 1)
_names = itertools.count(1)

# (what, amount in cents, day offset, in USD, pay which earlier document)
step = st.tuples(
    st.sampled_from(["invoice", "bill", "pay_in", "pay_out", "credit"]),
    st.integers(1, 50_000),
    st.integers(0, 120),
    st.booleans(),
    st.integers(0, 5),
)


def _act(books: Books, partner: str, what: str, cents: int, day: dt.date, usd: bool,
         pick: int, numbers: list[str]) -> None:
    amount = str(Decimal(cents).scaleb(-2))
    currency = "USD" if usd else None
    if what in ("invoice", "bill"):
        kind = InvoiceType.INVOICE if what == "invoice" else InvoiceType.BILL
        view = add_invoice(books, document(line("Work", "1", amount), kind=kind, partner=partner,
                                           date=day, terms=30, currency=currency), post=True)
        assert view.number is not None
        numbers.append(view.number)
    elif what == "credit" and numbers:
        credit_note(books, numbers[pick % len(numbers)], date=day)
    elif what.startswith("pay"):
        chosen = [numbers[pick % len(numbers)]] if numbers and pick else []
        add_payment(books, journal="BNK2" if usd else "BNK1", partner=partner,
                    amount=Decimal(amount), date=day, outbound=what == "pay_out",
                    invoices=chosen)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=8), probe=st.integers(0, 130))
def test_ledger_open_items_documents_and_aged_balances_agree(
    session: Session, company: Company, steps: list[tuple[str, int, int, bool, int]],
    probe: int,
) -> None:
    books = Books(session, company)
    if session.scalar(select(Journal.id).where(Journal.company_id == company.id,
                                               Journal.code == "BNK1")) is None:
        create_bank_journal(session, company, "EUR bank")
        create_bank_journal(session, company, "USD bank", currency="USD")
        set_rate(session, company, "USD", START, "0.5")
        set_rate(session, company, "USD", START + dt.timedelta(days=40), "0.8")
        set_rate(session, company, "USD", START + dt.timedelta(days=80), "0.65")
    name = f"P{next(_names)}"
    add_partner(session, company, name)
    numbers: list[str] = []
    for what, cents, offset, usd, pick in steps:
        try:
            with session.begin_nested():
                _act(books, name, what, cents, START + dt.timedelta(days=offset), usd, pick,
                     numbers)
        except BooksyncError:
            pass  # refused (already paid, already credited, mixed sides): nothing written
    session.flush()
    session.expire_all()
    partner = partner_named(session, company, name)
    ledger = partner_ledger(session, company, name)
    roles = (AccountRole.RECEIVABLE.value, AccountRole.PAYABLE.value)
    residual = session.scalar(
        select(func.coalesce(func.sum(OpenItem.residual), 0))
        .join(Account, Account.id == OpenItem.account_id)
        .where(OpenItem.partner_id == partner.id, Account.role.in_(roles))
    )
    assert ledger.balance == residual
    for view in list_invoices(books, partner=name):
        assert view.residual >= 0
        if view.payment_state == "paid" or view.payment_state == "reversed":
            assert view.residual == 0
    at = START + dt.timedelta(days=probe)
    for role, sign in ((AccountRole.RECEIVABLE, 1), (AccountRole.PAYABLE, -1)):
        aged = aged_balances(session, company, role, at)
        total = sum(r.total for r in aged.partners if r.partner == name)
        lines = session.scalar(
            select(func.coalesce(func.sum(Line.debit - Line.credit), 0))
            .join(Account, Account.id == Line.account_id)
            .where(Line.partner_id == partner.id, Line.posted.is_(True), Line.date <= at,
                   Account.role == role.value)
        )
        assert total == sign * lines, (role, at)
