"""Generated books where the right match of every bank line is known: the automatic
reconciliation may leave lines for a person, but never matches one wrongly.

The lines are built to tempt it: amounts shared by several partners'
invoices, a partner with two invoices of the same amount, a reference to
another partner's invoice sent from a known IBAN, partial payments,
payments of several invoices naming only some of them, references with
typos, and lines that pay nothing at all.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.app.context import Books
from booksync.app.invoices import add_invoice
from booksync.app.reconcile import auto
from booksync.documents.invoices import DocumentInput, DocumentLineInput
from booksync.documents.models import Invoice, InvoiceType
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Company
from booksync.ledger.partners import add_partner
from booksync.reconciliation.models import BankReconciliation, BankReconciliationDocument
from booksync.statements.manual import ManualLine, add_manual_line

DAY = dt.date(2026, 5, 4)
AMOUNTS = ["100.00", "100.00", "250.00", "80.50", "42.00", "1200.00"]


def _iban(n: int) -> str:
    """A valid German IBAN per partner number (check digits computed)."""
    bban = f"37040044{n:010d}"
    digits = int(f"{bban}131400")  # D=13, E=14, then 00
    return f"DE{98 - digits % 97:02d}{bban}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_books_get_no_wrong_automatic_match(
    session: Session, company: Company, seed: int
) -> None:
    rng = random.Random(seed)
    books = Books(session, company)
    bank = create_bank_journal(session, company, "Bank")
    partners = [f"Customer {i}" for i in range(6)]
    for i, name in enumerate(partners):
        add_partner(session, company, name, iban=_iban(i + 1))
    invoices: list[tuple[str, str, Decimal]] = []  # (number, partner, total)
    for i in range(24):
        partner = partners[i % len(partners)]
        amount = Decimal(rng.choice(AMOUNTS))
        view = add_invoice(books, DocumentInput(
            InvoiceType.INVOICE, partner, DAY, (DocumentLineInput("Work", Decimal(1), amount),)
        ), post=True)
        assert view.number is not None
        invoices.append((view.number, partner, view.total))
    truth: dict[int, set[str]] = {}

    def line(amount: Decimal, label: str, pays: set[str], iban: str | None = None) -> None:
        line_id = add_manual_line(session, company, ManualLine(
            bank.code, DAY + dt.timedelta(days=rng.randint(1, 20)), amount, label, iban=iban
        ))
        truth[line_id] = pays

    unpaid = list(invoices)
    rng.shuffle(unpaid)
    for number, partner, total in unpaid[:6]:  # exact reference, noisy spelling
        year, seq = number.split("/")[1:]
        typo = f"INV-{year}-{seq}".replace("0", "O")
        label = rng.choice([number, f"inv {year} {int(seq)}", typo])
        line(total, f"SEPA credit {partner} {label}", {number})
    for number, _, total in unpaid[6:9]:  # partial, naming it
        line(total / 2, f"Part payment {number}", {number})
    for number, partner, total in unpaid[9:12]:  # from the partner's IBAN, no reference
        line(total, "Transfer", {number}, iban=_iban(partners.index(partner) + 1))
    first, second = unpaid[12], unpaid[13]  # several invoices, only one named
    line(first[2] + second[2], f"Invoices {first[0]} and others", {first[0], second[0]})
    other = unpaid[14]  # another partner's invoice named, from a known IBAN
    sender = next(p for p in partners if p != other[1])
    line(other[2], f"Pays {other[0]}", set(), iban=_iban(partners.index(sender) + 1))
    for amount in ("100.00", "250.00", "999.99"):  # the same amounts, no clue at all
        line(Decimal(amount), "Transfer received", set())
    session.commit()

    auto(books)
    numbers = dict(session.execute(select(Invoice.id, Invoice.number)).tuples().all())
    applied: dict[int, set[str]] = {}
    for line_id, invoice_id in session.execute(
        select(BankReconciliation.statement_line_id, BankReconciliationDocument.invoice_id)
        .join(BankReconciliationDocument,
              BankReconciliationDocument.reconciliation_id == BankReconciliation.id)
        .where(BankReconciliation.state == "active", BankReconciliation.how == "auto")
    ):
        applied.setdefault(line_id, set()).add(numbers[invoice_id])
    assert applied, "nothing was reconciled: the exact references must be"
    wrong = {line_id: docs for line_id, docs in applied.items() if docs != truth[line_id]}
    assert wrong == {}
    exact = [i for i, docs in truth.items() if len(docs) == 1 and i in applied]
    assert len(exact) >= 6  # the six references at least
