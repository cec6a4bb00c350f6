"""One bank line at a time, as the web app's reconciliation widget works on it.

``reconcile list`` matches every unreconciled line against the company's
whole open book, loaded once; the widget shows one line, so it loads only
the open items the matching engine can look up for that line (its
documents, its partner's, those of its amount) and so answers in a few
queries what the whole book takes seconds to load for.  Its suggestions are
the ones ``reconcile list`` makes, and applying one checks it is still
proposed (docs/web.md, "Reconciliation widget").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, distinct, func, or_, select, true

from booksync.app.context import Books
from booksync.app.statements import AMOUNT
from booksync.banking.models import StatementLine
from booksync.documents.models import Invoice, Payment
from booksync.errors import BooksyncError
from booksync.ledger.limits import shown
from booksync.ledger.models import Account, AccountRole, Partner
from booksync.ledger.open_item_models import OpenItem
from booksync.money import MoneyError, exponent, parse_amount, to_decimal, to_minor
from booksync.reconciliation.auto import apply_proposal, unreconciled_facts
from booksync.reconciliation.bank import (
    active_reconciliation,
    statement_line,
)
from booksync.reconciliation.facts import LineFacts
from booksync.reconciliation.matching import Proposal, propose
from booksync.reconciliation.open_book import ROLES, OpenBook, open_rows
from booksync.reconciliation.partners import Directory
from booksync.reconciliation.references import free_key, free_keys, number_keys
from booksync.reconciliation.rules import load_rules

__all__ = [
    "MAX_OPEN_ITEMS",
    "OpenItemView",
    "apply_suggestion",
    "line_to_reconcile",
    "open_items",
    "reconciliation_of",
]
from booksync.app.reconcile import (
    LineToReconcile,
    ReconciledView,
    account_codes,
    reconciled_view,
    suggestion_view,
)

MAX_OPEN_ITEMS = 200  # open items listed at once


@dataclass(frozen=True, slots=True)
class OpenItemView:
    """An open invoice, bill or payment a line could settle, as the widget lists it:
    ``document`` is what ``apply`` takes (a number, or ``payment N``)."""

    document: str
    kind: str
    number: str | None
    payment: int | None
    partner: str | None
    date: dt.date
    due_date: dt.date
    owed: Decimal  # what it still owes, unsigned, in ``currency``
    currency: str


def _unreconciled(books: Books, line_id: int) -> tuple[StatementLine, LineFacts | None]:
    """The line and its facts (None for a first sync's opening line); reconciled: a conflict."""
    line = statement_line(books.session, books.company, line_id)
    if active_reconciliation(books.session, line.id) is not None:
        raise BooksyncError(f"statement line {line.id} is already reconciled", code="conflict")
    return line, next(unreconciled_facts(books.session, books.company, line_ids=[line.id]), None)


def _proposals(books: Books, facts: LineFacts) -> tuple[list[Proposal], Directory]:
    """The line's proposals exactly as ``reconcile list`` makes them, from only the open
    items the engine can look up for this line: the company's whole open book takes
    seconds to load (3.5 s for 100,000 open invoices), this one line's a few queries."""
    session, company = books.session, books.company
    rules = load_rules(session, company)
    directory = Directory(session, company)
    mapped = next((p for p in (r.map_partner(facts.text) for r in rules if r.applies(facts))
                   if p is not None), None)
    # The engine's partner: the sure one, else a close name's (matching._Search.who).
    who = (directory.recognize(facts, mapped, guess=False), directory.recognize(facts))
    book = _line_book(books, facts, {w.partner_id for w in who if w is not None})
    return propose(facts, book, directory, rules), directory


def _line_book(books: Books, facts: LineFacts, partners: set[int]) -> OpenBook:
    """The open items of every lookup the matching engine makes for ``facts``, loaded
    as OpenBook.load loads them all: the documents its text numbers (booksync's
    numbers are ``PREFIX/YEAR/00012``) or a bill's reference names, the partners it
    may be from, what owes its amount, and the payment batches of that total."""
    session, company = books.session, books.company
    amount = abs(facts.amount)
    numbers = [f"{p}/{y}/{int(n):05d}" for p, y, n in
               (key.split("/") for key in number_keys(facts.text)) if len(y) == 4]
    free = free_keys(facts.text)
    vendor = [entry for entry, ref in session.execute(
        select(Invoice.entry_id, Invoice.ref).join(OpenItem, OpenItem.entry_id == Invoice.entry_id)
        .where(Invoice.company_id == company.id, Invoice.type.in_(("bill", "refund")),
               Invoice.ref.is_not(None), OpenItem.full_reconcile_id.is_(None))
    ) if ref and free_key(ref) in free] if free else []
    same = [OpenItem.company_id == company.id, OpenItem.currency_code == facts.currency,
            OpenItem.residual_currency.in_((amount, -amount))]
    if facts.currency == company.currency_code:  # the same amount there: the index's
        same.append(OpenItem.residual.in_((amount, -amount)))
    batches = (
        select(Payment.batch_id).join(OpenItem, OpenItem.entry_id == Payment.entry_id)
        .join(Account, Account.id == OpenItem.account_id)
        .where(Payment.company_id == company.id, Payment.batch_id.is_not(None),
               OpenItem.full_reconcile_id.is_(None), Account.role.in_(ROLES),
               or_(OpenItem.residual != 0, OpenItem.residual_currency != 0))
        .group_by(Payment.batch_id)
        .having(func.count(distinct(OpenItem.currency_code)) == 1,
                func.min(OpenItem.currency_code) == facts.currency,
                func.sum(func.abs(OpenItem.residual_currency)) == amount)
    )
    # Each lookup a condition on the open item that one of its indexes seeks: the
    # company's by partner or amount; by entry for documents (whose entries are the
    # company's: with the company's there too, SQLite walked all its open items).
    lookups = [and_(*same), OpenItem.entry_id.in_(
        select(Payment.entry_id).where(Payment.batch_id.in_(batches)))]
    lookups += [and_(OpenItem.company_id == company.id, OpenItem.partner_id.in_(partners))
                ] if partners else []
    lookups += [OpenItem.entry_id.in_(select(Invoice.entry_id).where(
        Invoice.company_id == company.id, Invoice.number.in_(numbers)))] if numbers else []
    lookups += [OpenItem.entry_id.in_(vendor)] if vendor else []
    rows = {row[0]: row for lookup in lookups
            for row in session.execute(open_rows().where(lookup))}
    book = OpenBook(company.currency_code)
    book.add_rows(sorted(rows.values(), key=lambda row: row[1]))
    return book


def line_to_reconcile(books: Books, line_id: int) -> LineToReconcile:
    """One unreconciled line with its suggestions, best first, as ``reconcile list``
    shows each line; a reconciled line is a conflict.  A first sync's opening line
    comes without suggestions, to be reconciled by hand if at all."""
    line, facts = _unreconciled(books, line_id)
    exp = exponent(line.currency_code)
    if facts is None:
        partner = books.session.get(Partner, line.partner_id) if line.partner_id else None
        return LineToReconcile(
            line.id, line.date, to_decimal(line.amount, exp), line.currency_code, line.label,
            partner.name if partner else line.partner_name, line.reference,
            line.counterparty_iban, [],
        )
    proposals, directory = _proposals(books, facts)
    codes = account_codes(books)
    return LineToReconcile(
        facts.line_id, facts.date, to_decimal(facts.amount, exp), facts.currency, facts.label,
        directory.names.get(facts.partner_id) if facts.partner_id else facts.partner_name,
        facts.reference, facts.counterparty_iban,
        [suggestion_view(p, facts, codes, books.company.currency_code) for p in proposals],
    )


def apply_suggestion(
    books: Books, line_id: int, rule: str, documents: Sequence[str] | None = None
) -> ReconciledView:
    """Reconcile a line as its suggestion of ``rule`` says (with exactly ``documents``
    when given: one rule may suggest several sets); a button is applied this way too.

    The suggestions are worked out again, so a suggestion that no longer holds
    (its invoice paid meanwhile) is a conflict, never a wrong booking.
    """
    line, facts = _unreconciled(books, line_id)
    if facts is None:
        raise BooksyncError(f"statement line {line.id} is an opening balance: it has no "
                            "suggestions; name documents or counterparts", code="conflict")
    wanted = None if documents is None else [d.strip() for d in documents]
    for proposal in _proposals(books, facts)[0]:
        if proposal.rule == rule and (wanted is None or proposal.documents == wanted):
            return reconciled_view(books, apply_proposal(books.session, books.company, line.id,
                                                     proposal))
    with_documents = f" with {', '.join(wanted)}" if wanted else ""
    raise BooksyncError(
        f"statement line {line.id} has no suggestion {shown(rule)}{with_documents} (any "
        "more): look at its suggestions again", code="conflict",
    )


def reconciliation_of(books: Books, line_id: int) -> ReconciledView | None:
    """The line's active reconciliation (its clearing entry and documents), if any."""
    line = statement_line(books.session, books.company, line_id)
    record = active_reconciliation(books.session, line.id)
    return None if record is None else reconciled_view(books, record)


def open_items(
    books: Books, line_id: int, search: str | None = None, limit: int = 50
) -> list[OpenItemView]:
    """Open invoices, bills and payments ``line_id``'s money can settle, by due date.

    Money in settles what is owed to the company, money out what it owes; only
    items in the line's currency, or any when the line is in the company's.
    Without ``search``: the items of the line's partner (given on the line) and
    those owing its amount exactly.  ``search``: an amount (``1,234.50``) is
    what an item still owes exactly; other text is looked for in the number and
    the partner's name.  Each lookup is an index's or stops at ``limit`` rows.
    """
    session, company = books.session, books.company
    line = statement_line(session, company, line_id)
    text = (search or "").strip()[:200]
    lookups: list[ColumnElement[bool]] = []
    if text and not AMOUNT.fullmatch(text):
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
        lookups = [
            and_(OpenItem.company_id == company.id, OpenItem.partner_id.in_(select(Partner.id)
                 .where(Partner.company_id == company.id,
                        Partner.name.ilike(pattern, escape="\\")))),
            OpenItem.entry_id.in_(select(Invoice.entry_id).where(
                Invoice.company_id == company.id, Invoice.number.ilike(pattern, escape="\\"))),
        ]
    else:
        try:
            amount = abs(to_minor(parse_amount(text.replace(",", "")), exponent(
                line.currency_code))) if text else abs(line.amount)
        except MoneyError:  # more decimals than the currency has: nothing owes that
            return []
        lookups = [and_(OpenItem.company_id == company.id,
                        OpenItem.residual_currency.in_((amount, -amount)),
                        OpenItem.residual.in_((amount, -amount))
                        if line.currency_code == company.currency_code else true())]
        if not text and line.partner_id is not None:
            lookups.append(and_(OpenItem.company_id == company.id,
                                OpenItem.partner_id == line.partner_id))
    outstanding = (AccountRole.OUTSTANDING_IN.value, AccountRole.OUTSTANDING_OUT.value)
    query = (
        select(OpenItem.id, Invoice.number, Invoice.type, Payment.id, Partner.name,
               OpenItem.date, OpenItem.due_date, OpenItem.residual_currency,
               OpenItem.currency_code)
        .join(Account, Account.id == OpenItem.account_id)
        .outerjoin(Invoice, Invoice.entry_id == OpenItem.entry_id)
        .outerjoin(Payment, Payment.entry_id == OpenItem.entry_id)
        .outerjoin(Partner, Partner.id == OpenItem.partner_id)
        .where(
            OpenItem.full_reconcile_id.is_(None),  # the company: each lookup's
            or_(and_(Invoice.number.is_not(None),
                     Account.role.in_((AccountRole.RECEIVABLE.value, AccountRole.PAYABLE.value))),
                and_(Payment.id.is_not(None), Account.role.in_(outstanding))),
            OpenItem.residual_currency > 0 if line.amount > 0 else OpenItem.residual_currency < 0,
        )
        .order_by(OpenItem.due_date, OpenItem.id).limit(min(limit, MAX_OPEN_ITEMS))
    )
    if line.currency_code != company.currency_code:
        query = query.where(OpenItem.currency_code == line.currency_code)
    rows = sorted({row[0]: row for lookup in lookups
                   for row in session.execute(query.where(lookup))}.values(),
                  key=lambda row: (row[6], row[0]))[:limit]
    return [
        OpenItemView(
            number if number else f"payment {payment_id}", str(kind) if number else "payment",
            number, None if number else payment_id, partner, date, due,
            to_decimal(abs(residual), exponent(currency)), currency,
        )
        for _, number, kind, payment_id, partner, date, due, residual, currency in rows
    ]
