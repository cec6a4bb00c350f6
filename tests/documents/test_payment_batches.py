"""Payment batches: one bank line for several payments of one journal and direction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from booksync.app.payments import add_payment, batch_payments, list_payments
from booksync.app.shapes import as_json
from booksync.documents.models import InvoiceType, Payment, PaymentBatch
from booksync.documents.payment_batches import (
    batch_outstanding_line_ids,
    get_batch,
    matched_payment_ids,
)
from booksync.errors import BooksyncError
from booksync.ledger.entries import EntryInput, LineInput, add_entries
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Line
from booksync.ledger.reconcile import reconcile
from tests.documents.payment_support import DAY, D, World, counts, document, world


@pytest.fixture
def w(session, company) -> World:
    return world(session, company)


def _pay(w: World, amount: str, *, outbound: bool = True, journal: str = "BNK1",
         date: dt.date = DAY, **more: Any) -> int:
    partner = "Kyoto" if outbound else "Osaka"
    return add_payment(w.books, journal=journal, partner=partner, amount=D(amount), date=date,
                       outbound=outbound, **more).id


def test_a_batch_groups_payments_with_their_total(session, company, w):
    bills = [document(session, company, w.kyoto, a, kind=InvoiceType.BILL) for a in ("30", "20")]
    first = _pay(w, "30", invoices=[bills[0].number], date=dt.date(2026, 3, 9))
    second = _pay(w, "20.5", invoices=[bills[1].number], date=dt.date(2026, 3, 11))
    view = batch_payments(w.books, journal="BNK1", payment_ids=[second, first])
    session.commit()
    assert as_json(view) == {
        "id": view.id, "journal": "BNK1", "direction": "outbound", "date": "2026-03-11",
        "total": "50.50", "currency": "EUR", "payments": [first, second],
    }
    batch = get_batch(session, company, view.id)
    assert (batch.total, batch.outbound, batch.journal_id) == (5050, True, w.bank.id)
    outstanding = [session.get(Payment, i).outstanding_line_id for i in (first, second)]
    assert batch_outstanding_line_ids(session, company, batch) == outstanding
    assert [v.batch for v in list_payments(w.books)] == [view.id, view.id]


def test_a_foreign_journal_s_batch_is_in_its_currency(session, company, w):
    from booksync.ledger.rates import set_rate

    yen = create_bank_journal(session, company, "Yen", "JPY")
    set_rate(session, company, "JPY", dt.date(2026, 1, 1), "0.0061")
    one = _pay(w, "1000", journal=yen.code, outbound=False)
    two = _pay(w, "2500", journal=yen.code, outbound=False)
    view = batch_payments(w.books, journal=yen.code, payment_ids=[one, two])
    assert (view.total, view.currency, view.direction) == (D("3500"), "JPY", "inbound")
    assert as_json(view)["total"] == "3500"


def _refused(session, w: World, code: str, fragment: str, ids: list[int],
             journal: str = "BNK1") -> None:
    before = counts(session)
    batches = dict(session.execute(select(Payment.id, Payment.batch_id)).all())
    with pytest.raises(BooksyncError) as caught:
        batch_payments(w.books, journal=journal, payment_ids=ids)
    assert caught.value.code == code, str(caught.value)
    assert fragment in str(caught.value)
    session.flush()
    session.expire_all()
    assert counts(session) == before
    assert dict(session.execute(select(Payment.id, Payment.batch_id)).all()) == batches


def test_batch_refusals_write_nothing(session, company, w):
    create_bank_journal(session, company, "Second")
    out1, out2 = _pay(w, "10"), _pay(w, "11")
    inbound = _pay(w, "12", outbound=False)
    elsewhere = _pay(w, "13", journal="BNK2")
    session.commit()
    _refused(session, w, "not_found", "no payment 999", [out1, 999])
    _refused(session, w, "not_found", "unknown journal", [out1], journal="BNK7")
    _refused(session, w, "invalid", f"payment {elsewhere} is not in journal BNK1",
             [out1, elsewhere])
    _refused(session, w, "invalid", "of one direction", [out1, inbound])
    _refused(session, w, "invalid", "named twice", [out1, out1])
    first = batch_payments(w.books, journal="BNK1", payment_ids=[out1])
    session.commit()
    _refused(session, w, "conflict", f"payment {out1} is already in batch {first.id}",
             [out2, out1])
    assert session.scalar(select(PaymentBatch.total).where(PaymentBatch.id == first.id)) == 1000


def test_a_payment_a_bank_line_matched_cannot_join_a_batch(session, company, w):
    paid = _pay(w, "40")
    other = _pay(w, "5")
    payment = session.get(Payment, paid)
    # What matching a bank line does to the payment: its outstanding line is settled.
    (bank_entry,) = add_entries(session, company, [EntryInput("BNK1", DAY, (
        LineInput("1260", debit=D("40")), LineInput("1200", credit=D("40")),
    ))], post=True)
    clearing = session.scalar(
        select(Line.id).where(Line.entry_id == bank_entry, Line.debit == 4000)
    )
    reconcile(session, company, [payment.outstanding_line_id, clearing], origin="bank:1")
    session.commit()
    assert matched_payment_ids(session, company, [paid, other]) == {paid}
    _refused(session, w, "conflict", f"payment {paid} is already matched to a bank line",
             [other, paid])
