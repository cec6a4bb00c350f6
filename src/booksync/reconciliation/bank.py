"""Reconciling one bank statement line, and undoing it.

A booked bank line is an entry from the bank account to the journal's
suspense account.  Reconciling it posts a *clearing entry* in the same
journal on the line's date: the suspense account against the counterparts —
the open items the money settles (an invoice's receivable line, a bill's
payable line, a payment's outstanding line), write-offs to chosen accounts,
and, when asked, the rest on the partner's account.  Each counterpart line is
then settled with its open item (origin ``bank:ID``).  The bank line and its
entry never change (docs/reconciliation.md).

Undoing removes those settlements, reverses the clearing entry and settles
each clearing line with its reversal, so every open item owes exactly what
it owed before and the suspense account holds the line again.

Amounts are allocated in the bank line's currency; the company-currency
amounts follow the bank line's own conversion, spread so that they add up to
it exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from booksync.banking.models import StatementLine
from booksync.db.base import utcnow
from booksync.errors import BooksyncError
from booksync.ledger.accounts import role_account
from booksync.ledger.entries import (
    PreparedEntry,
    PreparedLine,
    check_postable,
    get_entry,
    reverse_entry,
)
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.models import Account, AccountRole, Company, Journal, Line
from booksync.ledger.open_item_models import OpenItem, PartialReconcile
from booksync.ledger.open_items import open_items_of
from booksync.ledger.reconcile import reconcile, scaled, unreconcile
from booksync.ledger.writer import EntryWriter
from booksync.money import exponent, format_minor
from booksync.reconciliation.models import BankReconciliation, BankReconciliationDocument

__all__ = [
    "WriteOff", "active_reconciliation", "inactive_accounts", "reconcile_line", "undo_line",
]


@dataclass(frozen=True, slots=True)
class WriteOff:
    """Part of the bank amount booked to an account: ``amount`` in the bank line's
    currency, positive when taken from what the line brought in or sent out,
    negative when it adds to it (the difference of a payment short of what
    the documents owe, written off)."""

    account_id: int
    amount: int
    label: str
    partner_id: int | None = None


@dataclass(frozen=True, slots=True)
class _Part:
    """One counterpart of the clearing entry: ``share`` of the bank amount (bank
    currency, positive: on the side opposite the bank); ``item`` when it settles one."""

    account_id: int
    partner_id: int | None
    share: int
    label: str
    item: OpenItem | None = None
    own_currency: bool = True  # the line carries the bank currency's amount


def active_reconciliation(session: Session, line_id: int) -> BankReconciliation | None:
    return session.scalar(
        select(BankReconciliation).where(
            BankReconciliation.statement_line_id == line_id, BankReconciliation.state == "active"
        )
    )


def _owed(item: OpenItem, line: StatementLine, company: Company, totals: tuple[int, int]) -> int:
    """What ``item`` still owes, in the bank line's currency, signed the bank's way
    (positive: this bank line's money settles it)."""
    total_cur, total_comp = totals
    direction = 1 if line.amount > 0 else -1
    if item.currency_code == line.currency_code and item.residual_currency:
        owed = item.residual_currency
    elif line.currency_code == company.currency_code:
        owed = item.residual
    else:
        owed = scaled(item.residual, total_cur, total_comp)
    return owed * direction


def reconcile_line(
    session: Session,
    company: Company,
    line: StatementLine,
    items: Sequence[int] = (),
    write_offs: Sequence[WriteOff] = (),
    *,
    on_account_partner: int | None = None,
    partner_id: int | None = None,
    documents: Sequence[tuple[int | None, int | None]] = (),
    how: str = "manual",
) -> BankReconciliation:
    """Reconcile ``line`` with the open items of ``items`` (line ids, settled in that
    order, the last one partly if the money runs out) and ``write_offs``.

    What the items and write-offs do not take goes to ``on_account_partner``'s
    receivable (money in) or payable (money out); without one it is refused,
    naming the difference.  ``documents``: (invoice id, payment id) pairs the
    reconciliation is listed with.
    """
    if active_reconciliation(session, line.id) is not None:
        raise BooksyncError(f"statement line {line.id} is already reconciled", code="conflict")
    journal = session.get(Journal, line.journal_id)
    assert journal is not None and journal.suspense_account_id is not None
    bank_entry = get_entry(session, company, line.entry_id)
    bank_part = next(ln for ln in bank_entry.lines if ln.account_id != journal.suspense_account_id)
    total_cur, total_comp = abs(line.amount), abs(bank_part.debit - bank_part.credit)
    targets = open_items_of(session, company, list(dict.fromkeys(items)))
    parts = _allocate(line, company, targets, write_offs, (total_cur, total_comp))
    left = total_cur - sum(p.share for p in parts)
    if left and on_account_partner is not None:
        role = AccountRole.RECEIVABLE if line.amount > 0 else AccountRole.PAYABLE
        account = role_account(session, company, role).id
        parts.append(_Part(account, on_account_partner, left, line.label))
        left = 0
    if left:
        exp = exponent(line.currency_code)
        raise LedgerError(
            f"the amounts do not add up: {format_minor(left, exp)} {line.currency_code} of the "
            f"bank line are left; add a counterpart (write-off) or a partner to book it on account"
        )
    if not parts:
        raise LedgerError("nothing to reconcile the line with: name documents or counterparts")
    closed = inactive_accounts(session, company) & {part.account_id for part in parts}
    if closed:
        code = session.scalar(select(Account.code).where(Account.id == min(closed)))
        raise LedgerError(f"account {code} is inactive")
    clearing_id = _post_clearing(session, company, journal, line, parts, (total_cur, total_comp))
    record = BankReconciliation(
        company_id=company.id,
        statement_line_id=line.id,
        clearing_entry_id=clearing_id,
        partner_id=partner_id or on_account_partner,
        how=how,
    )
    session.add(record)
    session.flush()
    clearing_lines = session.scalars(
        select(Line.id).where(Line.entry_id == clearing_id).order_by(Line.id)
    ).all()
    # The suspense line comes first; the counterparts follow in the order of ``parts``.
    for part, clearing_line in zip(parts, clearing_lines[1:], strict=True):
        if part.item is not None:
            reconcile(session, company, [part.item.line_id, clearing_line],
                      origin=f"bank:{record.id}")
    for invoice_id, payment_id in documents:
        session.add(BankReconciliationDocument(
            company_id=company.id, reconciliation_id=record.id,
            invoice_id=invoice_id, payment_id=payment_id,
        ))
    session.flush()
    return record


def inactive_accounts(session: Session, company: Company) -> frozenset[int]:
    """The company's inactive accounts: nothing is booked to them, by hand or by a rule
    made while they were active (docs/reconciliation.md, "Reconciling a bank line")."""
    return frozenset(session.scalars(
        select(Account.id).where(Account.company_id == company.id, Account.active.is_(False))
    ))


def _allocate(
    line: StatementLine,
    company: Company,
    targets: Sequence[OpenItem],
    write_offs: Sequence[WriteOff],
    totals: tuple[int, int],
) -> list[_Part]:
    """The counterparts: write-offs first, items settled the other way (a credit note
    netted against an invoice) in full, then the items in order, while money is left."""
    parts = [
        _Part(w.account_id, w.partner_id, w.amount, w.label)
        for w in write_offs
    ]
    if any(w.amount == 0 for w in write_offs):
        raise LedgerError("a counterpart's amount cannot be zero")
    available = totals[0] - sum(w.amount for w in write_offs)
    if available < 0:
        raise LedgerError("the counterparts add up to more than the bank line")
    for item in targets:
        if item.full_reconcile_id is not None or not (item.residual or item.residual_currency):
            raise BooksyncError(f"line {item.line_id} is already settled", code="conflict")
    owed = {item.line_id: _owed(item, line, company, totals) for item in targets}
    if targets and all(due < 0 for due in owed.values()):
        way = "in" if line.amount > 0 else "out"
        raise LedgerError(
            f"money {way} pays none of the documents named: each is owed the other way "
            "(a bill or a credit note is paid by money out, an invoice or a refund by "
            "money in)"
        )
    for item in targets:
        if owed[item.line_id] < 0:  # settled the other way: it adds to what is available
            parts.append(_Part(item.account_id, item.partner_id, owed[item.line_id], line.label,
                               item, _same_currency(item, line)))
            available -= owed[item.line_id]
    for item in targets:
        due = owed[item.line_id]
        if due <= 0:
            continue
        share = min(due, available)
        if share <= 0:
            raise LedgerError(
                f"the bank line's amount is used up before line {item.line_id}'s open item"
            )
        parts.append(_Part(item.account_id, item.partner_id, share, line.label, item,
                           _same_currency(item, line)))
        available -= share
    return parts


def _same_currency(item: OpenItem, line: StatementLine) -> bool:
    return item.currency_code == line.currency_code


def _post_clearing(
    session: Session,
    company: Company,
    journal: Journal,
    line: StatementLine,
    parts: Sequence[_Part],
    totals: tuple[int, int],
) -> int:
    """The clearing entry: suspense against ``parts``; returns its id."""
    total_cur, total_comp = totals
    money_in = line.amount > 0
    foreign = line.currency_code if line.currency_code != company.currency_code else None
    assert journal.suspense_account_id is not None
    suspense = PreparedLine(
        journal.suspense_account_id,
        total_comp if money_in else 0,
        0 if money_in else total_comp,
        None,
        line.label,
        foreign,
        (total_cur if money_in else -total_cur) if foreign else None,
    )
    lines = [suspense]
    done_cur = done_comp = 0
    for part in parts:
        done_cur += part.share
        comp = scaled(total_comp, done_cur, total_cur) - done_comp
        done_comp += comp
        # Money in: the counterparts are credits (a negative share, a debit).
        signed = -comp if money_in else comp
        carries = foreign is not None and part.own_currency
        lines.append(PreparedLine(
            part.account_id,
            max(signed, 0),
            max(-signed, 0),
            part.partner_id,
            part.label,
            foreign if carries else None,
            (-part.share if money_in else part.share) if carries else None,
        ))
    entry = PreparedEntry(journal.id, line.date, f"Reconciliation of {line.label}"[:500], lines)
    check_postable(company, entry)
    writer = EntryWriter(session, company)
    (entry_id,) = writer.write([entry], post=True)
    writer.finish()
    return entry_id


def undo_line(session: Session, company: Company, line: StatementLine) -> BankReconciliation:
    """Undo the line's reconciliation: every open item owes again what it owed before."""
    record = active_reconciliation(session, line.id)
    if record is None:
        raise BooksyncError(f"statement line {line.id} is not reconciled", code="conflict")
    clearing = get_entry(session, company, record.clearing_entry_id)
    _check_unused(session, company, line, record, [ln.id for ln in clearing.lines])
    unreconcile(session, company, f"bank:{record.id}")
    reversal = reverse_entry(session, company, clearing)
    tracked = {
        item.line_id
        for item in session.scalars(
            select(OpenItem).where(OpenItem.entry_id.in_([clearing.id, reversal.id]))
        )
    }
    reversed_lines = [ln for ln in reversal.lines if ln.id in tracked]
    for original in clearing.lines:
        if original.id not in tracked:
            continue
        mirror = next(
            ln for ln in reversed_lines
            if (ln.account_id, ln.partner_id, ln.debit, ln.credit)
            == (original.account_id, original.partner_id, original.credit, original.debit)
        )
        reversed_lines.remove(mirror)
        reconcile(session, company, [original.id, mirror.id], origin=f"undo bank:{record.id}")
    record.state = "undone"
    record.reversal_entry_id = reversal.id
    record.undone_at = utcnow()
    session.flush()
    return record


def _check_unused(
    session: Session, company: Company, line: StatementLine, record: BankReconciliation,
    clearing_lines: Sequence[int],
) -> None:
    """Refuse the undo while a clearing line (money left on account) is settled by
    something else since, such as a later bank line refunding it: that one rests on
    this, and is undone first."""
    other = session.scalar(
        select(PartialReconcile.origin).where(
            PartialReconcile.company_id == company.id,
            PartialReconcile.origin != f"bank:{record.id}",
            or_(PartialReconcile.debit_line_id.in_(clearing_lines),
                PartialReconcile.credit_line_id.in_(clearing_lines)),
        ).order_by(PartialReconcile.id).limit(1)
    )
    if other is None:
        return
    user = other.removeprefix("bank:")
    later = session.get(BankReconciliation, int(user)) if user.isdigit() else None
    what = (f"statement line {later.statement_line_id}'s reconciliation" if later is not None
            else "another settlement")
    raise BooksyncError(
        f"statement line {line.id}'s money on account has been settled since, by {what}: "
        "undo it first", code="conflict",
    )


def statement_line(session: Session, company: Company, line_id: int) -> StatementLine:
    line = session.get(StatementLine, line_id)
    if line is None or line.company_id != company.id:
        raise NotFound(f"no statement line {line_id}")
    return line
