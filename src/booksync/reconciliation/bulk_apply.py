"""Applying many automatic matches at once.

``reconcile auto`` over a first sync's hundred thousand lines cannot afford
:func:`~booksync.reconciliation.bank.reconcile_line` per line (a clearing
entry written, read back and settled through the ORM each time).  The
common match — a line in company currency paying open items in company
currency, each as far as the money goes, plus a write-off — is applied here
for a whole batch: the clearing entries through one entry writer call,
their reconciliation records, the settlements and the closed groups with one
multi-row statement each, and the residuals with one executemany update
(docs/reconciliation.md, "Automatic reconciliation").

The books come out exactly as the one-by-one path leaves them (a test holds
the two equal); anything else — another currency, money left on account, an
item settled the other way, an item some earlier settlement already touched
and that this one would close — takes the one-by-one path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from booksync.db.base import Base
from booksync.db.bulk import BulkInsert, BulkSQL
from booksync.ledger.entries import PreparedEntry, PreparedLine, check_postable
from booksync.ledger.models import Company, Journal, Line
from booksync.ledger.open_item_models import FullReconcile, OpenItem, PartialReconcile
from booksync.ledger.writer import EntryWriter
from booksync.reconciliation.facts import LineFacts
from booksync.reconciliation.matching import Proposal
from booksync.reconciliation.models import BankReconciliation, BankReconciliationDocument
from booksync.reconciliation.open_book import Candidate, OpenBook

__all__ = ["Planned", "plan", "write"]

@dataclass(frozen=True, slots=True)
class _Settle:
    """``share`` (company currency, positive) of ``item``, which owed ``before`` and
    owes ``left`` after this line (signed like the item)."""

    item: Candidate
    share: int
    before: int
    left: int

    @property
    def closes(self) -> bool:
        return self.left == 0


@dataclass(frozen=True, slots=True)
class Planned:
    """A line's match, its settlements decided: what :func:`write` books."""

    facts: LineFacts
    proposal: Proposal
    settles: tuple[_Settle, ...]


def _fits(facts: LineFacts, proposal: Proposal, company: Company) -> bool:
    currency = company.currency_code
    sign = 1 if facts.money_in else -1
    return (
        facts.currency == currency
        and proposal.on_account is None
        and bool(proposal.items)
        and all(
            item.currency == currency and item.residual * sign > 0
            and item.residual == item.residual_currency
            for item in proposal.items
        )
    )


def plan(facts: LineFacts, proposal: Proposal, company: Company, book: OpenBook
         ) -> Planned | None:
    """The line's settlements, each item as far as the money goes, claimed in ``book``
    at once (so the next line cannot take the same money); None when the batch path
    cannot book it: another currency, money left on account, an item settled the
    other way, parts that do not add up to the line, or an item an earlier
    settlement touched that this one would close."""
    if not _fits(facts, proposal, company):
        return None
    available = abs(facts.amount) - sum(w.amount for w in proposal.write_offs)
    sign = 1 if facts.money_in else -1
    settles = []
    for item in proposal.items:
        owed = abs(item.residual)
        share = min(owed, available)
        if share <= 0 or (share == owed and item.residual != item.amount):
            return None
        settles.append(_Settle(item, share, item.residual, item.residual - sign * share))
        available -= share
    if available:
        return None
    for settle in settles:
        book.take(settle.item, settle.left, settle.left)
    return Planned(facts, proposal, tuple(settles))


def _bulk(session: Session, model: type[Base], columns: tuple[str, ...]) -> BulkInsert:
    table = model.__table__
    assert isinstance(table, Table)
    return BulkInsert(session.connection(), table, columns)


def _suspense_accounts(session: Session, company: Company) -> dict[int, int]:
    return {
        journal_id: suspense
        for journal_id, suspense in session.execute(
            select(Journal.id, Journal.suspense_account_id).where(Journal.company_id == company.id)
        )
        if suspense is not None
    }


def _clearing_entry(planned: Planned, suspense: int) -> PreparedEntry:
    """Suspense against the items' accounts and the write-offs, in company currency."""
    facts, proposal, settles = planned.facts, planned.proposal, planned.settles
    total, money_in = abs(facts.company_amount), facts.money_in

    def line(account: int, amount: int, partner: int | None, label: str) -> PreparedLine:
        # Money in: the suspense side is a debit, every counterpart a credit.
        debit, credit = (0, amount) if money_in else (amount, 0)
        if amount < 0:
            debit, credit = -credit, -debit
        return PreparedLine(account, debit, credit, partner, label)

    lines = [PreparedLine(suspense, total if money_in else 0, 0 if money_in else total, None,
                          facts.label)]
    lines += [line(w.account_id, w.amount, w.partner_id, w.label) for w in proposal.write_offs]
    lines += [line(s.item.account_id, s.share, s.item.partner_id, facts.label) for s in settles]
    return PreparedEntry(facts.journal_id, facts.date, f"Reconciliation of {facts.label}"[:500],
                         lines)


def write(
    session: Session, company: Company, work: Sequence[Planned], writer: EntryWriter
) -> None:
    """Book the planned matches: clearing entries, records, settlements, residuals.

    ``writer``: one per run, shared by its batches, so that the company's posted
    total (read once per writer, a sum over every posted line) is read once.
    """
    if not work:
        return
    suspense = _suspense_accounts(session, company)
    entries = [_clearing_entry(planned, suspense[planned.facts.journal_id]) for planned in work]
    for entry in entries:
        check_postable(company, entry)
    entry_ids = writer.write(entries, post=True)
    writer.finish()
    # Each entry's lines in the order written: suspense, write-offs, then the items'.
    # One read over the batch's range of entry ids (the writer numbers a batch in one
    # run) instead of one per few hundred ids; entries of others in it are skipped.
    ours = set(entry_ids)
    lines_of: dict[int, list[int]] = {}
    for line_id, entry_id in session.execute(
        select(Line.id, Line.entry_id)
        .where(Line.entry_id.between(min(entry_ids), max(entry_ids)))
        .order_by(Line.entry_id, Line.id)
    ):
        if entry_id in ours:
            lines_of.setdefault(entry_id, []).append(line_id)
    counterparts = {
        entry_id: lines_of[entry_id][1 + len(planned.proposal.write_offs):]
        for planned, entry_id in zip(work, entry_ids, strict=True)
    }
    cid = company.id
    records = _bulk(session, BankReconciliation, (
        "company_id", "statement_line_id", "clearing_entry_id", "partner_id", "state", "how"
    )).insert_returning_ids([
        (cid, planned.facts.line_id, entry_id, planned.proposal.partner_id, "active", "auto")
        for planned, entry_id in zip(work, entry_ids, strict=True)
    ])
    closing = sum(1 for planned in work for s in planned.settles if s.closes)
    fulls = iter(
        _bulk(session, FullReconcile, ("company_id",)).insert_returning_ids(
            [(cid,)] * closing
        )
    )
    partials: list[tuple[object, ...]] = []
    residuals: list[tuple[int, int, int | None, int]] = []
    cleared: list[tuple[int | None, int]] = []
    documents: list[tuple[object, ...]] = []
    for planned, entry_id, record in zip(work, entry_ids, records, strict=True):
        money_in = planned.facts.money_in
        for settle, clearing in zip(planned.settles, counterparts[entry_id], strict=True):
            full = next(fulls) if settle.closes else None
            item, share = settle.item, settle.share
            debit, credit = (item.line_id, clearing) if money_in else (clearing, item.line_id)
            partials.append(
                (cid, debit, credit, share, share, share, full, f"bank:{record}")
            )
            residuals.append((settle.left, settle.left, full, item.item_id))
            # The clearing line's own open item (the writer made it) owes nothing now.
            cleared.append((full, clearing))
        documents += [
            (cid, record, item.invoice_id, item.payment_id)
            for item in planned.proposal.items
            if item.invoice_id is not None or item.payment_id is not None
        ]
    _bulk(session, PartialReconcile, (
        "company_id", "debit_line_id", "credit_line_id", "amount", "debit_amount_currency",
        "credit_amount_currency", "full_reconcile_id", "origin",
    )).insert(partials)
    conn = session.connection()
    driver = BulkSQL(conn.dialect)
    driver.run_each(
        conn,
        f"UPDATE {OpenItem.__tablename__} SET residual = {{p}}, residual_currency = {{p}}, "
        "full_reconcile_id = {p} WHERE id = {p}",
        residuals,
    )
    driver.run_each(
        conn,
        f"UPDATE {OpenItem.__tablename__} SET residual = 0, residual_currency = 0, "
        "full_reconcile_id = {p} WHERE line_id = {p}",
        cleared,
    )
    _bulk(session, BankReconciliationDocument, (
        "company_id", "reconciliation_id", "invoice_id", "payment_id"
    )).insert(documents)
    session.expire_all()  # objects read before hold the residuals of before
