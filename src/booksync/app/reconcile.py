"""Use cases of bank reconciliation: list with suggestions, reconcile automatically,
apply, undo (docs/reconciliation.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from booksync.app.context import Books
from booksync.banking.models import StatementLine
from booksync.documents.models import Invoice, Payment
from booksync.errors import BooksyncError
from booksync.ledger.errors import NotFound
from booksync.ledger.limits import shown
from booksync.ledger.models import Account, AccountRole, Entry
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.partners import partner_named
from booksync.ledger.pipeline import gc_relaxed
from booksync.money import exponent, parse_amount, to_decimal, to_minor
from booksync.reconciliation.auto import Matcher, apply_proposal, unreconciled_facts
from booksync.reconciliation.bank import (
    WriteOff,
    reconcile_line,
    statement_line,
    undo_line,
)
from booksync.reconciliation.facts import LineFacts
from booksync.reconciliation.matching import Proposal
from booksync.reconciliation.models import BankReconciliation, BankReconciliationDocument
from booksync.reconciliation.rules import load_rules
from booksync.statements.sources import bank_journal

__all__ = [
    "AutoView",
    "CounterpartView",
    "LineToReconcile",
    "ReconciledView",
    "SuggestionView",
    "account_codes",
    "apply",
    "auto",
    "reconciled_view",
    "suggestion_view",
    "to_reconcile",
    "undo",
]


@dataclass(frozen=True, slots=True)
class CounterpartView:
    account: str
    amount: Decimal
    label: str


@dataclass(frozen=True, slots=True)
class SuggestionView:
    rule: str
    kind: str
    documents: list[str]
    counterparts: list[CounterpartView]
    score: int
    reason: str


@dataclass(frozen=True, slots=True)
class LineToReconcile:
    id: int
    date: dt.date
    amount: Decimal
    currency: str
    label: str
    partner: str | None
    reference: str | None
    counterparty_iban: str | None
    suggestions: list[SuggestionView]


@dataclass(frozen=True, slots=True)
class AutoView:
    lines: int
    reconciled: int
    suggested: int
    left: int


@dataclass(frozen=True, slots=True)
class ReconciledView:
    line: int
    entry: str | None
    documents: list[str]
    state: str


def _matcher(books: Books) -> Matcher:
    return Matcher(books.session, books.company, load_rules(books.session, books.company))


def _journal_id(books: Books, journal: str | None) -> int | None:
    return bank_journal(books.session, books.company, journal).id if journal else None


def to_reconcile(
    books: Books, journal: str | None = None, limit: int | None = None
) -> list[LineToReconcile]:
    """The unreconciled lines (of ``journal``), oldest first, each with its suggestions."""
    matcher = _matcher(books)
    codes = account_codes(books)
    partners = matcher.directory.names
    out: list[LineToReconcile] = []
    for facts in unreconciled_facts(books.session, books.company, _journal_id(books, journal)):
        if limit is not None and len(out) >= limit:
            break
        exp = exponent(facts.currency)
        out.append(LineToReconcile(
            facts.line_id, facts.date, to_decimal(facts.amount, exp), facts.currency, facts.label,
            partners.get(facts.partner_id) if facts.partner_id else facts.partner_name,
            facts.reference, facts.counterparty_iban,
            [suggestion_view(p, facts, codes, matcher.book.company_currency)
             for p in matcher.proposals(facts)],
        ))
    return out


def account_codes(books: Books) -> dict[int, str]:
    return {
        account_id: code
        for account_id, code in books.session.execute(
            select(Account.id, Account.code).where(Account.company_id == books.company.id)
        )
    }


def suggestion_view(
    proposal: Proposal, facts: LineFacts, codes: dict[int, str], company_currency: str
) -> SuggestionView:
    """The proposal as the counterparts its clearing entry would book."""
    exp = exponent(facts.currency)
    left = abs(facts.amount) - sum(w.amount for w in proposal.write_offs)
    parts = [
        CounterpartView(codes[w.account_id], to_decimal(w.amount, exp), w.label)
        for w in proposal.write_offs
    ]
    for item in proposal.items:
        owed = abs(item.owed(facts.currency, company_currency) or 0)
        share = min(owed, max(left, 0))
        left -= share
        parts.append(CounterpartView(codes[item.account_id], to_decimal(share, exp), item.label))
    if left > 0 and proposal.on_account is not None:
        parts.append(CounterpartView("on account", to_decimal(left, exp), "On account"))
    return SuggestionView(
        proposal.rule, proposal.kind.replace("_", "-"), proposal.documents, parts,
        proposal.score, proposal.reason,
    )


def auto(books: Books, journal: str | None = None) -> AutoView:
    """Reconcile every line whose match is certain, with an automatic rule.

    Under :func:`~booksync.ledger.pipeline.gc_relaxed`: the open book and the
    proposals are a few hundred thousand objects that reference counting
    frees, which the cyclic collector would otherwise walk again and again.
    """
    with gc_relaxed():
        matcher = _matcher(books)
        facts = list(
            unreconciled_facts(
                books.session, books.company, _journal_id(books, journal), automatic=True
            )
        )
        result = matcher.run(facts)
    return AutoView(result.lines, result.reconciled, result.suggested, result.left)


def apply(
    books: Books,
    line_id: int,
    documents: Sequence[str] = (),
    payments: Sequence[int] = (),
    counterparts: Sequence[str] = (),
    partner: str | None = None,
) -> ReconciledView:
    """Reconcile a line with the documents, payments and counterparts given, the rest on
    ``partner``'s account; with none of them, as its best suggestion."""
    session, company = books.session, books.company
    line = statement_line(session, company, line_id)
    if not (documents or payments or counterparts or partner):
        return _apply_best(books, line)
    items: list[int] = []
    links: list[tuple[int | None, int | None]] = []
    for number in dict.fromkeys(n.strip() for n in documents):  # each named once
        invoice, item = _document_item(books, number)
        items.append(item)
        links.append((invoice, None))
    for payment_id in dict.fromkeys(payments):
        items += _payment_items(books, payment_id)
        links.append((None, payment_id))
    exp = exponent(line.currency_code)
    write_offs = [_counterpart(books, text, exp, line.label) for text in counterparts]
    partner_id = partner_named(books.session, books.company, partner).id if partner else None
    record = reconcile_line(
        session, company, line, items, write_offs,
        on_account_partner=partner_id, partner_id=partner_id, documents=links,
    )
    return reconciled_view(books, record)


def _apply_best(books: Books, line: StatementLine) -> ReconciledView:
    matcher = _matcher(books)
    facts = next(unreconciled_facts(books.session, books.company, line_ids=[line.id]), None)
    if facts is None:
        raise BooksyncError(f"statement line {line.id} is already reconciled", code="conflict")
    proposals = [p for p in matcher.proposals(facts) if p.kind != "button"]
    if not proposals:
        raise BooksyncError(
            f"statement line {line.id} has no suggestion: name documents, payments or "
            "counterparts", code="invalid",
        )
    record = apply_proposal(books.session, books.company, line.id, proposals[0])
    return reconciled_view(books, record)


def _document_item(books: Books, number: str) -> tuple[int, int]:
    """(invoice id, line id of its open receivable or payable item)."""
    row = books.session.execute(
        select(Invoice.id, OpenItem.line_id, OpenItem.full_reconcile_id)
        .join(OpenItem, OpenItem.entry_id == Invoice.entry_id)
        .join(Account, Account.id == OpenItem.account_id)
        .where(
            Invoice.company_id == books.company.id,
            Invoice.number == number.strip(),
            Account.role.in_([AccountRole.RECEIVABLE.value, AccountRole.PAYABLE.value]),
        )
    ).first()
    if row is None:
        raise NotFound(f"no posted invoice or bill {shown(number)}")
    if row[2] is not None:
        raise BooksyncError(f"{shown(number)} is already settled: it owes nothing",
                            code="conflict")
    return row[0], row[1]


def _payment_items(books: Books, payment_id: int) -> list[int]:
    payment = books.session.get(Payment, payment_id)
    if payment is None or payment.company_id != books.company.id:
        raise NotFound(f"no payment {payment_id}")
    outstanding = [AccountRole.OUTSTANDING_IN.value, AccountRole.OUTSTANDING_OUT.value]
    rows = books.session.execute(
        select(OpenItem.line_id, OpenItem.full_reconcile_id)
        .join(Account, Account.id == OpenItem.account_id)
        .where(OpenItem.entry_id == payment.entry_id, Account.role.in_(outstanding))
    ).all()
    if rows and all(closed is not None for _, closed in rows):
        raise BooksyncError(f"payment {payment_id} is already settled: its bank line came",
                            code="conflict")
    return [line_id for line_id, _ in rows]


def _counterpart(books: Books, text: str, exp: int, default_label: str) -> WriteOff:
    """``ACCOUNT:AMOUNT[:LABEL]``: part of the bank amount booked to an account."""
    code, sep, rest = text.partition(":")
    amount_text, _, label = rest.partition(":")
    if not sep or not amount_text.strip():
        raise BooksyncError(f"counterpart {shown(text)} is not ACCOUNT:AMOUNT[:LABEL]")
    account = books.session.scalar(
        select(Account).where(Account.company_id == books.company.id, Account.code == code.strip())
    )
    if account is None:
        raise NotFound(f"unknown account {shown(code.strip())}")
    amount = to_minor(parse_amount(amount_text.strip()), exp)
    return WriteOff(account.id, amount, label.strip() or default_label)


def reconciled_view(books: Books, record: BankReconciliation) -> ReconciledView:
    documents = [
        number or f"payment {payment_id}"
        for number, payment_id in books.session.execute(
            select(Invoice.number, BankReconciliationDocument.payment_id)
            .outerjoin(Invoice, Invoice.id == BankReconciliationDocument.invoice_id)
            .where(BankReconciliationDocument.reconciliation_id == record.id)
            .order_by(BankReconciliationDocument.id)
        )
    ]
    entry = books.session.scalar(select(Entry.number).where(Entry.id == record.clearing_entry_id))
    return ReconciledView(record.statement_line_id, entry, documents, record.state)


def undo(books: Books, line_id: int) -> ReconciledView:
    """Undo a line's reconciliation; the documents it settled are open again."""
    line = statement_line(books.session, books.company, line_id)
    record = undo_line(books.session, books.company, line)
    return reconciled_view(books, record)
