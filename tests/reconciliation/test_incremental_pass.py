"""A sync's pass that matches only the new lines reconciles exactly what a full pass does.

Two companies in one database live the same long history, step by step:
invoices and bills, registered payments, hand-entered lines, partners given
an IBAN, rules added and disabled, reconciliations by hand and undos, and
syncs (lines booked, then the pass a sync runs, ``reconcile_journals``).  The
first company's passes use their stamps (docs/reconciliation.md,
"Automatic reconciliation"); the second's stamps are dropped before each
pass, so each of its passes matches every line: the oracle.  After every
sync both must have reconciled the same lines with the same documents.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from booksync.app.companies import create_company
from booksync.app.context import Books
from booksync.app.invoices import add_invoice
from booksync.app.masterdata import add_partner_iban
from booksync.app.payments import add_payment
from booksync.app.reconcile import apply, undo
from booksync.app.rules import CounterpartInput, RuleInput, add_rule, disable_rule
from booksync.db.engine import session_factory
from booksync.documents.invoices import DocumentInput, DocumentLineInput
from booksync.documents.models import InvoiceType, Payment
from booksync.errors import BooksyncError
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Company
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.partners import add_partner
from booksync.reconciliation import stamp
from booksync.reconciliation.auto import reconcile_journals
from booksync.reconciliation.models import BankReconciliation, ReconcileStamp
from booksync.reconciliation.rule_models import ReconcileRule
from booksync.reconciliation.status import matched_documents
from booksync.statements.manual import ManualLine, add_manual_line

DAY = dt.date(2026, 5, 4)
PARTNERS = ("Osaka Precision", "Nordwerk GmbH", "Lumen SARL")
IBANS = ("GB82WEST12345698765432", "DE89370400440532013000", "FR1420041010050500013M02606")
KINDS = ("invoice", "invoice", "payment", "line", "sync", "sync", "sync", "sync", "sync",
         "iban", "rule", "apply", "undo")
STEPS = 120
PRICE = Decimal("123.45")  # no tax on the line
PRICES = (Decimal("100.00"), Decimal("250.00"), Decimal("40.00"), Decimal("75.50"))


@dataclass
class Twin:
    """One of the two companies, with its lines in the order both booked them."""

    books: Books
    journal: str
    journal_id: int
    second: tuple[str, int]  # another bank journal: a connection may book into several
    lines: list[int] = field(default_factory=list)

    def reconciled(self) -> dict[int, list[str]]:
        """{index of the line: documents} of the lines reconciled now."""
        index = {line_id: i for i, line_id in enumerate(self.lines)}
        active = self.books.session.scalars(
            select(BankReconciliation.statement_line_id).where(
                BankReconciliation.company_id == self.books.company.id,
                BankReconciliation.state == "active",
            )
        ).all()
        documents = matched_documents(self.books.session, list(active))
        payments = {
            f"payment {payment_id}": f"payment #{i}"
            for i, payment_id in enumerate(self.books.session.scalars(
                select(Payment.id).where(Payment.company_id == self.books.company.id)
                .order_by(Payment.id)
            ))
        }
        return {
            index[line]: [payments.get(d, d) for d in documents.get(line, [])]
            for line in active
        }


def _twin(session: Session, name: str) -> Twin:
    company = create_company(session, name, "EUR", "DE")
    for partner in PARTNERS:
        add_partner(session, company, partner)
    bank = create_bank_journal(session, company, "Bank")
    other = create_bank_journal(session, company, "Savings")
    session.flush()
    return Twin(Books(session, company), bank.code, bank.id, (other.code, other.id))


def _both(twins: tuple[Twin, Twin], session: Session, step: Any, *args: Any) -> list[Any]:
    """``step(twin, *args)`` on each, a refusal rolling back that twin's part alone; what
    each returned (None when refused)."""
    done: list[Any] = []
    refused: list[bool] = []
    for twin in twins:
        savepoint = session.begin_nested()
        try:
            done.append(step(twin, *args))
        except BooksyncError:
            savepoint.rollback()
            done.append(None)
            refused.append(True)
        else:
            savepoint.commit()
            refused.append(False)
    assert refused[0] == refused[1]
    return done


def _post(twin: Twin, doc: InvoiceType, partner: str, price: Decimal) -> str | None:
    return add_invoice(twin.books, DocumentInput(
        doc, partner, DAY, (DocumentLineInput("Goods", Decimal(1), price),)
    ), post=True).number


def _pay(twin: Twin, partner: str, price: Decimal) -> None:
    add_payment(twin.books, journal=twin.journal, partner=partner, amount=price, date=DAY)


def _give_iban(twin: Twin, who: int) -> None:
    add_partner_iban(twin.books, _partner_id(twin, who), IBANS[who])


def _disable(twin: Twin, pick: int) -> None:
    disable_rule(twin.books, _rule_id(twin, pick))


def _apply(twin: Twin, pick: int) -> None:
    apply(twin.books, twin.lines[pick])


def _undo(twin: Twin, pick: int) -> None:
    undo(twin.books, twin.lines[pick])


def _open_amounts(twin: Twin) -> list[Decimal]:
    residuals = twin.books.session.scalars(
        select(OpenItem.residual).where(
            OpenItem.company_id == twin.books.company.id, OpenItem.full_reconcile_id.is_(None),
            OpenItem.residual != 0,
        ).order_by(OpenItem.id)
    ).all()
    return [Decimal(abs(r)) / 100 for r in residuals]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matching_only_new_lines_reconciles_what_a_full_pass_does(
    session: Session, seed: int
) -> None:
    rng = random.Random(seed)
    twins = (_twin(session, f"Incremental {seed}"), _twin(session, f"Full {seed}"))
    session.commit()
    numbers: list[str] = []
    used = syncs = 0

    def line(twin: Twin, second: bool, amount: Decimal, label: str, iban: str | None) -> None:
        journal = twin.second[0] if second else twin.journal
        twin.lines.append(add_manual_line(
            session, twin.books.company, ManualLine(journal, DAY, amount, label, iban=iban)
        ))

    for _ in range(STEPS):
        kind = rng.choice(KINDS)
        if kind == "invoice":
            doc = rng.choice((InvoiceType.INVOICE, InvoiceType.INVOICE, InvoiceType.BILL))
            partner, price = rng.choice(PARTNERS), rng.choice(PRICES)
            posted = _both(twins, session, _post, doc, partner, price)
            assert posted[0] == posted[1] and posted[0] is not None
            numbers.append(posted[0])
        elif kind == "payment":
            partner, price = rng.choice(PARTNERS), rng.choice(PRICES)
            _both(twins, session, _pay, partner, price)
        elif kind in ("line", "sync"):
            for _ in range(rng.randint(1, 3) if kind == "sync" else 1):
                amounts = _open_amounts(twins[0])
                amount = rng.choice(amounts) if amounts and rng.random() < 0.7 else \
                    Decimal(rng.randint(100, 99_999)) / 100
                sign = rng.choice((1, 1, -1))
                named = rng.choice(numbers) if numbers and rng.random() < 0.4 else None
                label = rng.choice((f"Transfer {named}" if named else "Transfer",
                                    "CARD FEE 7", "Payment"))
                who = rng.randrange(4)
                iban = IBANS[who] if who < 3 else None
                second = rng.random() < 0.3
                _both(twins, session, line, second, sign * amount, label, iban)
            if kind == "sync":
                syncs += 1
                incremental, full = twins
                now = stamp.inputs(session, incremental.books.company)
                used += any(
                    stamp.new_after(session, journal_id, now) is not None
                    for journal_id in (incremental.journal_id, incremental.second[1])
                )
                session.execute(delete(ReconcileStamp).where(
                    ReconcileStamp.company_id == full.books.company.id
                ))
                counts = [
                    reconcile_journals(session, t.books.company, [t.journal_id, t.second[1]])
                    for t in twins
                ]
                assert counts[0] == counts[1]
                assert incremental.reconciled() == full.reconciled()
        elif kind == "iban":
            who = rng.randrange(3)
            _both(twins, session, _give_iban, who)
        elif kind == "rule":
            if rng.random() < 0.6:
                _both(twins, session, _rule)
            else:
                pick = rng.randrange(8)
                _both(twins, session, _disable, pick)
        elif kind == "apply" and twins[0].lines:
            pick = rng.randrange(len(twins[0].lines))
            _both(twins, session, _apply, pick)
        elif kind == "undo" and twins[0].lines:
            pick = rng.randrange(len(twins[0].lines))
            _both(twins, session, _undo, pick)
        session.commit()
    assert twins[0].reconciled() == twins[1].reconciled()
    assert syncs >= 10 and used >= 3  # both kinds of pass were taken


def _partner_id(twin: Twin, who: int) -> int:
    from booksync.ledger.partners import partner_named

    return partner_named(twin.books.session, twin.books.company, PARTNERS[who]).id


def _rule_id(twin: Twin, pick: int) -> int:
    ids = twin.books.session.scalars(
        select(ReconcileRule.id).where(ReconcileRule.company_id == twin.books.company.id)
        .order_by(ReconcileRule.id)
    ).all()
    return ids[pick % len(ids)] if ids else 0


def _invoice(books: Books, partner: str, price: str) -> str:
    view = add_invoice(books, DocumentInput(
        InvoiceType.INVOICE, partner, DAY, (DocumentLineInput("Goods", Decimal(1), Decimal(price)),)
    ), post=True)
    assert view.number is not None
    return view.number


def _total(books: Books, number: str) -> Decimal:
    from booksync.app.invoices import show_invoice

    return show_invoice(books, number).total


def _sync(twin: Twin, *lines: tuple[str, str, str | None]) -> int:
    """Book ``lines`` (amount, label, IBAN), then run a sync's pass."""
    for amount, label, iban in lines:
        twin.lines.append(add_manual_line(twin.books.session, twin.books.company, ManualLine(
            twin.journal, DAY, Decimal(amount), label, iban=iban
        )))
    return reconcile_journals(twin.books.session, twin.books.company, [twin.journal_id])


def _posted(twin: Twin) -> None:
    """An invoice for the line's partner, of the line's amount, posted after the pass."""
    assert _total(twin.books, _invoice(twin.books, PARTNERS[0], "123.45")) == PRICE


def _iban(twin: Twin) -> None:
    """The line's IBAN given to the partner it is from: the line's partner is now sure."""
    add_partner_iban(twin.books, _partner_id(twin, 0), IBANS[0])


def _rule(twin: Twin) -> None:
    """A rule that books card fees without asking."""
    add_rule(twin.books, RuleInput(
        name="Card fees", kind="suggestion", auto=True, label_contains="CARD FEE",
        counterparts=(CounterpartInput("6500", Decimal(100)),),
    ))


def _closed(twin: Twin) -> None:
    """One of two open items of the amount reconciled by hand with another line: the
    other is the only one left."""
    first = _numbers(twin)[1]  # [0] is the other partner's
    line_id = add_manual_line(twin.books.session, twin.books.company, ManualLine(
        twin.journal, DAY, _total(twin.books, first), f"Cash for {first}"
    ))
    twin.lines.append(line_id)
    apply(twin.books, line_id, [first])


def _numbers(twin: Twin) -> list[str]:
    from booksync.documents.models import Invoice

    return list(twin.books.session.scalars(
        select(Invoice.number).where(Invoice.company_id == twin.books.company.id,
                                     Invoice.number.is_not(None)).order_by(Invoice.id)
    ))


@pytest.mark.parametrize("change", [_posted, _iban, _rule, _closed])
def test_a_change_an_old_line_could_match_has_the_old_lines_matched_again(
    session: Session, change: object
) -> None:
    """A line a fruitless pass left is reconciled by the next sync once something it can
    match has changed, though that sync books only an unrelated line."""
    twin = _twin(session, f"Old line {getattr(change, '__name__', '')}")
    books = twin.books
    other = _invoice(books, PARTNERS[1], "9.99")  # an open item: the pass runs
    if change is _iban:
        old = (str(_total(books, _invoice(books, PARTNERS[0], "123.45"))), "Transfer", IBANS[0])
    elif change is _closed:
        add_partner_iban(books, _partner_id(twin, 0), IBANS[0])
        twice = [_invoice(books, PARTNERS[0], "50.00") for _ in range(2)]
        old = (str(_total(books, twice[0])), "Transfer", IBANS[0])
    elif change is _rule:
        old = ("-4.90", "CARD FEE 9", None)
    else:
        add_partner_iban(books, _partner_id(twin, 0), IBANS[0])
        old = (str(PRICE), "Transfer", IBANS[0])
    assert _sync(twin, old) == 0
    assert session.scalar(select(ReconcileStamp.line_max_id).where(
        ReconcileStamp.journal_id == twin.journal_id
    )) == twin.lines[0]
    assert _sync(twin, ("-3.00", "Coffee", None)) == 0  # nothing changed: only the new line
    change(twin)  # type: ignore[operator]
    assert _sync(twin, ("-2.00", "Coffee", None)) == 1
    assert other not in twin.reconciled()[0]  # the old line, with its own match


def test_a_match_in_one_journal_has_the_next_journals_old_lines_matched_again(
    session: Session,
) -> None:
    """A pass over two journals: the first journal's new line pays one of two open
    items of the amount, so the second journal's old line, which could not choose
    between them, pays the other in the same pass, as a full pass would."""
    twin = _twin(session, "Two journals")
    books = twin.books
    add_partner_iban(books, _partner_id(twin, 0), IBANS[0])
    first, _ = (_invoice(books, PARTNERS[0], "50.00") for _ in range(2))
    savings_code, savings = twin.second
    twin.lines.append(add_manual_line(session, books.company, ManualLine(
        savings_code, DAY, _total(books, first), "Transfer", iban=IBANS[0]
    )))
    journals = [twin.journal_id, savings]
    assert reconcile_journals(session, books.company, journals) == 0
    twin.lines.append(add_manual_line(session, books.company, ManualLine(
        twin.journal, DAY, _total(books, first), f"Transfer {first}", iban=IBANS[0]
    )))
    assert reconcile_journals(session, books.company, journals) == 2
    assert twin.reconciled().keys() == {0, 1}


def test_two_passes_stamping_one_journal_at_once_both_end_well(engine: Engine) -> None:
    """Two connections' runs into one journal, each in its own transaction, both find
    nothing to apply and stamp the journal: the second waits for the first, finds its
    stamp there and keeps it, and its run still commits (PostgreSQL: SQLite has one
    writer at a time)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("two writers at once need PostgreSQL")
    factory = session_factory(engine)
    with factory.begin() as session:
        twin = _twin(session, "Two runs")
        _invoice(twin.books, PARTNERS[1], "9.99")
        company_id, journal_id = twin.books.company.id, twin.journal_id
    first, second = factory(), factory()
    outcome: list[object] = []

    def run_second() -> None:
        try:
            company = second.get(Company, company_id)
            assert company is not None
            outcome.append(reconcile_journals(second, company, [journal_id]))
            second.commit()
        except Exception as exc:  # what the run would die of
            outcome.append(exc)

    company = first.get(Company, company_id)
    assert company is not None
    assert reconcile_journals(first, company, [journal_id]) == 0
    first.flush()
    thread = threading.Thread(target=run_second)
    thread.start()
    thread.join(1.0)  # it waits on the first one's stamp
    first.commit()
    thread.join()
    first.close()
    second.close()
    assert outcome == [0]
    with factory() as session:
        assert len(session.scalars(select(ReconcileStamp)).all()) == 1
