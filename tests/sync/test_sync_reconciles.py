"""End to end: the sandbox bank over loopback HTTP → a sync → automatic reconciliation →
the invoice a customer's transfer names is paid, and the run counts it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from booksync.app.context import Books as AppBooks
from booksync.app.invoices import add_invoice, show_invoice
from booksync.app.reconcile import apply, auto, to_reconcile, undo
from booksync.app.rules import CounterpartInput, RuleInput, add_rule
from booksync.banking.models import Connection, SyncRun
from booksync.documents.invoices import DocumentInput, DocumentLineInput
from booksync.documents.models import InvoiceType
from booksync.ledger.models import Company, Partner
from booksync.ledger.partners import add_partner
from booksync.reconciliation.auto import Matcher
from booksync.reconciliation.models import BankReconciliation, ReconcileStamp
from booksync.reconciliation.rules import load_rules
from tests.sync.support import TODAY, Books


def _invoice(factory: sessionmaker[Session], company_id: int, amount: str) -> str:
    with factory.begin() as session:
        company = session.get(Company, company_id)
        assert company is not None
        if session.scalar(select(Partner.id).where(
            Partner.company_id == company.id, Partner.name == "Osaka Precision KK"
        )) is None:
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


def _rule(factory: sessionmaker[Session], company_id: int, **given: object) -> None:
    with factory.begin() as session:
        company = session.get(Company, company_id)
        assert company is not None
        add_rule(AppBooks(session, company), RuleInput(**given))  # type: ignore[arg-type]


def test_an_automatic_rule_reconciles_when_nothing_is_open(
    factory: sessionmaker[Session], lean_books: Books
) -> None:
    """With no open item at all, a run still applies an automatic suggestion rule: the
    shortcut that skips matching when nothing can be applied must not skip this."""
    books = lean_books
    books.sync()
    _rule(factory, books.company_id, name="Card fees", kind="suggestion", auto=True,
          label_contains="CARD FEE XJ7", counterparts=(CounterpartInput("6500", Decimal(100)),))
    books.bank.world.add_transactions(_business(books), [
        {"amount": "-4.90", "description": "CARD FEE XJ7 MARCH"},
        {"amount": "-12.00", "description": "Office coffee"},
    ])
    result = books.sync()
    assert result.ok and result.reconciled == 1


def test_matching_is_skipped_only_when_nothing_could_be_applied(
    factory: sessionmaker[Session], lean_books: Books
) -> None:
    books = lean_books
    books.sync()

    def may_apply() -> bool:
        with factory() as session:
            company = session.get(Company, books.company_id)
            assert company is not None
            return Matcher(session, company, load_rules(session, company)).may_apply()

    assert not may_apply()  # the default rules match invoices, and none is open
    _rule(factory, books.company_id, name="Asks first", kind="suggestion", auto=False,
          counterparts=(CounterpartInput("6500", Decimal(100)),))
    assert not may_apply()  # a suggestion a person must accept
    _invoice(factory, books.company_id, "10.00")
    assert may_apply()


def test_a_match_the_user_undid_is_not_applied_again_by_the_next_sync(
    factory: sessionmaker[Session], lean_books: Books
) -> None:
    """An automatic match a person undid was judged wrong: neither the next sync nor
    ``reconcile auto`` applies it again, while the line keeps its suggestion and can
    still be reconciled by hand (docs/reconciliation.md, "Automatic reconciliation")."""
    books = lean_books
    books.sync()
    number = _invoice(factory, books.company_id, "400.00")
    books.bank.world.add_transactions(_business(books), [{
        "amount": "1200.00", "description": f"Transfer {number}", "payee": "Osaka Precision KK",
    }])
    assert books.sync().reconciled == 1
    with factory.begin() as session:
        company = session.get(Company, books.company_id)
        assert company is not None
        line_id = session.scalars(select(BankReconciliation.statement_line_id)).one()
        undo(AppBooks(session, company), line_id)
    assert _state(factory, books.company_id, number) == "not_paid"

    books.bank.world.add_transactions(_business(books), [
        {"amount": "-12.00", "description": "Office coffee"},
    ])
    result = books.sync()
    assert result.ok and result.reconciled == 0
    assert _state(factory, books.company_id, number) == "not_paid"
    with factory.begin() as session:
        company = session.get(Company, books.company_id)
        assert company is not None
        app_books = AppBooks(session, company)
        assert auto(app_books).reconciled == 0
        listed = {line.id: line for line in to_reconcile(app_books)}
        assert listed[line_id].suggestions[0].documents == [number]
        assert apply(app_books, line_id).documents == [number]
    assert _state(factory, books.company_id, number) == "paid"


def test_a_sync_matches_an_old_line_again_once_what_it_pays_is_posted(
    factory: sessionmaker[Session], lean_books: Books
) -> None:
    """A sync after a fruitless one matches only its new lines while nothing an old line
    could match has changed; an invoice posted since is such a change, so the old line
    that pays it is reconciled by a sync that brings only a coffee
    (docs/reconciliation.md, "Automatic reconciliation")."""
    books = lean_books
    books.sync()
    _invoice(factory, books.company_id, "100.00")  # an open item: the pass runs
    books.bank.world.add_transactions(_business(books), [
        {"amount": "1200.00", "description": "Transfer", "payee": "Osaka Precision KK"},
    ])
    assert books.sync().reconciled == 0
    with factory() as session:
        assert session.scalars(select(ReconcileStamp)).all()  # that pass applied nothing
    books.bank.world.add_transactions(_business(books), [
        {"amount": "-3.00", "description": "Office coffee"},
    ])
    assert books.sync().reconciled == 0
    number = _invoice(factory, books.company_id, "400.00")
    books.bank.world.add_transactions(_business(books), [
        {"amount": "-2.00", "description": "Office coffee"},
    ])
    assert books.sync().reconciled == 1
    assert _state(factory, books.company_id, number) == "paid"
