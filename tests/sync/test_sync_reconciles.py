"""End to end: the sandbox bank over loopback HTTP → a sync → automatic reconciliation →
the invoice a customer's transfer names is paid, and the run counts it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from booksync.app.context import Books as AppBooks
from booksync.app.invoices import add_invoice, show_invoice
from booksync.banking.models import Connection, SyncRun
from booksync.documents.invoices import DocumentInput, DocumentLineInput
from booksync.documents.models import InvoiceType
from booksync.ledger.models import Company
from booksync.ledger.partners import add_partner
from tests.sync.support import TODAY, Books


def _invoice(factory: sessionmaker[Session], company_id: int, amount: str) -> str:
    with factory.begin() as session:
        company = session.get(Company, company_id)
        assert company is not None
        add_partner(session, company, "Osaka Precision KK")
        view = add_invoice(AppBooks(session, company), DocumentInput(
            InvoiceType.INVOICE, "Osaka Precision KK", TODAY,
            (DocumentLineInput("Spindles", Decimal(3), Decimal(amount)),),
        ), post=True)
        assert view.number is not None
        return view.number


def _state(factory: sessionmaker[Session], company_id: int, number: str) -> str:
    with factory.begin() as session:
        company = session.get(Company, company_id)
        assert company is not None
        return show_invoice(AppBooks(session, company), number).payment_state


def _business(books: Books) -> str:
    """The linked EUR business account's id at the sandbox bank."""
    world = books.bank.world
    return next(
        account_id for account_id in books.accounts
        if world.account(account_id).profile == "business"
        and world.account(account_id).currency == "EUR"
    )


def test_a_sync_reconciles_the_transfer_that_names_an_invoice(
    factory: sessionmaker[Session], lean_books: Books
) -> None:
    books = lean_books
    books.sync()  # the account's history first
    number = _invoice(factory, books.company_id, "400.00")
    year, seq = number.split("/")[1:]
    books.bank.world.add_transactions(_business(books), [{
        "amount": "1200.00",
        "description": f"SEPA CREDIT OSAKA PRECISION KK inv {year} {int(seq)}",
        "payee": "Osaka Precision KK",
        "memo": f"INV {year}-{seq}",
    }])
    result = books.sync()
    assert result.ok and result.reconciled >= 1
    assert _state(factory, books.company_id, number) == "paid"
    with factory() as session:
        run = session.get(SyncRun, result.run)
        assert run is not None and run.reconciled == result.reconciled


def test_a_connection_can_leave_every_line_to_a_person(
    factory: sessionmaker[Session], lean_books: Books
) -> None:
    books = lean_books
    with factory.begin() as session:
        connection = session.get(Connection, books.connection_id)
        assert connection is not None
        connection.auto_reconcile = False
    number = _invoice(factory, books.company_id, "10.00")
    books.bank.world.add_transactions(_business(books), [
        {"amount": "30.00", "description": f"Payment {number}"}
    ])
    result = books.sync()
    assert result.ok and result.reconciled == 0
    assert _state(factory, books.company_id, number) == "not_paid"
