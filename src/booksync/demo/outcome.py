"""What the bank feed did to the demo's documents: read back from the books.

The demo prints it after its synchronizations, and its tests hold it to the
plan: which lines were reconciled on their own and with what, which wait
with a suggestion, and what every document still owes
(docs/reconciliation.md; docs/documents.md, "Residual and payment state").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from booksync.app.context import Books
from booksync.app.reconcile import LineToReconcile, ReconciledView, apply, to_reconcile
from booksync.banking.models import StatementLine
from booksync.demo.payments_plan import Transfer
from booksync.documents.models import Invoice
from booksync.ledger.models import Account, Journal, Line
from booksync.money import exponent, to_decimal
from booksync.reconciliation.models import BankReconciliation, BankReconciliationDocument

__all__ = ["Reconciled", "accept_planned", "reconciled", "suggested"]

CHUNK = 500  # ids per IN list


@dataclass(frozen=True, slots=True)
class Reconciled:
    """A reconciled line: the documents it paid, or for one without, the accounts
    it was booked to (``6500 Bank fees``)."""

    line: int
    journal: str
    date: dt.date
    label: str
    amount: Decimal
    currency: str
    documents: tuple[str, ...]
    counterparts: tuple[str, ...]


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def reconciled(books: Books, how: str = "auto") -> list[Reconciled]:
    """The active reconciliations made ``how`` (auto or manual), by line date."""
    session, company = books.session, books.company
    rows = session.execute(
        select(
            BankReconciliation.id, BankReconciliation.clearing_entry_id, StatementLine.id,
            Journal.code, Journal.suspense_account_id, StatementLine.date, StatementLine.label,
            StatementLine.amount, StatementLine.currency_code,
        )
        .join(StatementLine, StatementLine.id == BankReconciliation.statement_line_id)
        .join(Journal, Journal.id == StatementLine.journal_id)
        .where(
            BankReconciliation.company_id == company.id,
            BankReconciliation.state == "active",
            BankReconciliation.how == how,
        )
        .order_by(StatementLine.date, StatementLine.id)
    ).all()
    documents: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks([row[0] for row in rows]):
        for record_id, number in session.execute(
            select(BankReconciliationDocument.reconciliation_id, Invoice.number)
            .join(Invoice, Invoice.id == BankReconciliationDocument.invoice_id)
            .where(BankReconciliationDocument.reconciliation_id.in_(chunk))
            .order_by(BankReconciliationDocument.id)
        ):
            documents[record_id].append(number or "?")
    counterparts: dict[int, list[tuple[int, str]]] = defaultdict(list)
    bare = [row[1] for row in rows if row[0] not in documents]
    for chunk in _chunks(bare):
        for entry_id, account_id, code, label in session.execute(
            select(Line.entry_id, Line.account_id, Account.code, Line.label)
            .join(Account, Account.id == Line.account_id)
            .where(Line.entry_id.in_(chunk))
            .order_by(Line.id)
        ):
            counterparts[entry_id].append((account_id, f"{code} {label}".strip()))
    return [
        Reconciled(
            line_id, journal, date, label, to_decimal(amount, exponent(currency)), currency,
            tuple(documents.get(record_id, ())),
            tuple(text for account_id, text in counterparts.get(entry_id, ())
                  if account_id != suspense),
        )
        for (record_id, entry_id, line_id, journal, suspense, date, label, amount,
             currency) in rows
    ]


def suggested(books: Books, journal: str | None = None) -> list[LineToReconcile]:
    """The unreconciled lines (of ``journal``) that have a suggestion, oldest first."""
    return [line for line in to_reconcile(books, journal) if line.suggestions]


def accept_planned(
    books: Books, lines: Sequence[LineToReconcile], plan: Sequence[Transfer]
) -> list[tuple[LineToReconcile, ReconciledView]]:
    """Accept, as a person would, the suggestion of each planned transfer marked
    ``accepted``, when its best suggestion names exactly the documents it pays."""
    wanted = {t.description: t for t in plan if t.accepted}
    done = []
    for line in lines:
        transfer = wanted.get(line.label)
        if transfer is None or tuple(line.suggestions[0].documents) != transfer.documents:
            continue
        done.append((line, apply(books, line.id)))
    return done
