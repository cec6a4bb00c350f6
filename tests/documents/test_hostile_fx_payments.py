"""Foreign-currency documents paid at another rate than their own (docs/payments.md,
"Settling documents"): a payment settles what it paid in the documents' currency,
never more, and the rates' difference is an exchange gain or loss."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from booksync.app.context import Books
from booksync.app.invoices import add_invoice, show_invoice
from booksync.app.payments import add_payment
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Account, Line
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.rates import set_rate
from tests.documents.conftest import document, line

D = Decimal
PAID_ON = dt.date(2026, 3, 10)


def _usd_invoice(books: Books, journal_currency: str | None) -> str:
    """An invoice of 100.00 USD booked at 0.5 (50.00 EUR), USD at 0.6 on the payment's day."""
    create_bank_journal(books.session, books.company, "Main", currency=journal_currency)
    set_rate(books.session, books.company, "USD", dt.date(2026, 1, 1), "0.5")
    set_rate(books.session, books.company, "USD", dt.date(2026, 3, 5), "0.6")
    number = add_invoice(books, document(line("Work", "1", "100"), currency="USD"),
                         post=True).number
    assert number is not None
    return number


def _receivable(books: Books) -> tuple[int, int]:
    """The receivable's balance and the sum of its open items' residuals (EUR cents)."""
    session = books.session
    session.expire_all()
    balance = session.scalar(select(func.sum(Line.debit - Line.credit)).join(Account)
                             .where(Account.code == "1100"))
    residual = session.scalar(select(func.sum(OpenItem.residual)).join(Account)
                              .where(Account.code == "1100"))
    return int(balance or 0), int(residual or 0)


def test_part_of_a_usd_invoice_paid_in_usd_leaves_the_rest_owed(books: Books) -> None:
    number = _usd_invoice(books, "USD")
    add_payment(books, journal="BNK1", partner="Osaka", amount=D("40"), date=PAID_ON,
                invoices=[number])
    view = show_invoice(books, number)
    assert (view.residual, view.payment_state) == (D("60.00"), "partial")
    # 40 USD took 20.00 EUR of the invoice's 50.00; the payment booked 24.00: a gain of 4.00.
    item = books.session.scalar(select(OpenItem).join(Line, Line.id == OpenItem.line_id)
                                .where(Line.label == number))
    assert item is not None
    assert (item.residual, item.residual_currency) == (3000, 6000)
    assert _receivable(books) == (3000, 3000)  # 50.00 - 24.00 + the 4.00 gain moved out


def test_a_usd_invoice_paid_in_eur_settles_what_the_euros_buy_that_day(books: Books) -> None:
    number = _usd_invoice(books, None)
    # 40.00 EUR buy 66.67 USD at 0.6: 33.33 USD are still owed.
    payment = add_payment(books, journal="BNK1", partner="Osaka", amount=D("40"),
                          date=PAID_ON, invoices=[number])
    assert payment.invoices == (number,)
    view = show_invoice(books, number)
    assert (view.residual, view.payment_state) == (D("33.33"), "partial")
    # 20.00 EUR more buy 33.33 USD: paid, and nothing is left on account as a credit.
    add_payment(books, journal="BNK1", partner="Osaka", amount=D("20"), date=PAID_ON,
                invoices=[number])
    assert show_invoice(books, number).payment_state == "paid"
    assert _receivable(books) == (0, 0)  # the 10.00 EUR more than booked is an exchange gain
    gain = books.session.scalar(select(func.sum(Line.credit - Line.debit)).join(Account)
                                .where(Account.role == "exchange_gain"))
    assert gain == 1000
