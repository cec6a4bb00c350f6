"""Matching many bank lines at once: the lines to reconcile, their proposals, applying them.

``reconcile list`` and ``reconcile auto`` (and a sync run, after it booked
new lines) read the unreconciled lines of a journal with one query, load the
open items, partners and rules once (:class:`~booksync.reconciliation.open_book.OpenBook`),
and then match each line in memory (docs/reconciliation.md, "Automatic
reconciliation").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import Session

from booksync.banking.models import StatementLine
from booksync.ledger.models import Company, Journal, Line
from booksync.ledger.writer import EntryWriter
from booksync.reconciliation import stamp
from booksync.reconciliation.bank import inactive_accounts, reconcile_line
from booksync.reconciliation.bulk_apply import Planned, plan, write
from booksync.reconciliation.facts import LineFacts
from booksync.reconciliation.matching import Proposal, Rule, choose, propose
from booksync.reconciliation.models import BankReconciliation
from booksync.reconciliation.open_book import OpenBook
from booksync.reconciliation.partners import Directory

BATCH = 5000  # matches written together by the batch path

__all__ = [
    "AutoResult",
    "Matcher",
    "apply_proposal",
    "reconcile_journals",
    "unreconciled_facts",
]


def _unreconciled(company: Company) -> Select[
    int, int, dt.date, int, str, str, str | None, int | None, str | None, str | None, int, int
]:
    """Lines without an active reconciliation, with their bank line's company amount.

    The opening line of a first sync sums up older history: it is no
    transaction to match, and is reconciled by hand if at all.
    """
    active = (
        select(BankReconciliation.id)
        .where(
            BankReconciliation.statement_line_id == StatementLine.id,
            BankReconciliation.state == "active",
        )
        .exists()
    )
    line = StatementLine
    return (
        select(
            line.id, line.journal_id, line.date, line.amount, line.currency_code, line.label,
            line.reference, line.partner_id, line.partner_name, line.counterparty_iban,
            Line.debit, Line.credit,
        )
        .join(Journal, Journal.id == StatementLine.journal_id)
        .join(
            Line,
            and_(Line.entry_id == StatementLine.entry_id,
                 Line.account_id == Journal.default_account_id),
        )
        .where(
            StatementLine.company_id == company.id,
            StatementLine.is_opening.is_(False),
            ~active,
        )
        .order_by(StatementLine.date, StatementLine.id)
    )


def _never_undone() -> ColumnElement[bool]:
    """The line was never reconciled and then undone: an undone match is one a person
    judged wrong, so no automatic pass applies it, or another, again; the line keeps its
    suggestions and is reconciled by hand (docs/reconciliation.md, "Automatic
    reconciliation")."""
    return ~(
        select(BankReconciliation.id)
        .where(
            BankReconciliation.statement_line_id == StatementLine.id,
            BankReconciliation.state == "undone",
        )
        .exists()
    )


def unreconciled_facts(
    session: Session,
    company: Company,
    journal_id: int | None = None,
    line_ids: Sequence[int] | None = None,
    *,
    automatic: bool = False,
    after: int | None = None,
) -> Iterator[LineFacts]:
    """The unreconciled lines; ``automatic``: only those a pass without a person may
    reconcile (none whose reconciliation was undone); ``after``: those above this id."""
    query = _unreconciled(company)
    if automatic:
        query = query.where(_never_undone())
    if after is not None:
        query = query.where(StatementLine.id > after)
    if journal_id is not None:
        query = query.where(StatementLine.journal_id == journal_id)
    if line_ids is not None:
        query = query.where(StatementLine.id.in_(line_ids))
    for (line_id, journal, date, amount, currency, label, reference, partner_id, partner_name,
         iban, debit, credit) in session.execute(query):
        yield LineFacts(
            line_id, journal, date, amount, debit - credit, currency, label, reference,
            partner_id, partner_name, iban,
        )


@dataclass(slots=True)
class AutoResult:
    lines: int = 0
    reconciled: int = 0
    suggested: int = 0
    left: int = 0


class Matcher:
    """The open book, partners and rules of one company, for matching many lines."""

    def __init__(self, session: Session, company: Company, rules: Sequence[Rule]) -> None:
        self.session = session
        self.company = company
        self.book = OpenBook.load(session, company)
        self.directory = Directory(session, company)
        self.rules = rules
        self.inactive = inactive_accounts(session, company)

    def may_apply(self) -> bool:
        """Whether any line could get a proposal to apply on its own.

        Matching against invoices and payments needs an open item, and the only
        other certain proposal comes from an automatic suggestion rule: without
        either, no line can be reconciled automatically, so a sync run need not
        read its lines at all (docs/reconciliation.md, "Automatic reconciliation").
        """
        return bool(self.book.items) or any(
            rule.kind == "suggestion" and rule.auto for rule in self.rules
        )

    def proposals(self, facts: LineFacts) -> list[Proposal]:
        return propose(facts, self.book, self.directory, self.rules)

    def _bookable(self, chosen: Proposal, line: LineFacts, lock: dt.date | None) -> bool:
        """Whether the clearing entry may be posted: not on or before the lock date, and
        to no inactive account (an old rule's); else a person decides, and the other
        lines keep their matches (docs/reconciliation.md, "Automatic reconciliation")."""
        if lock is not None and line.date <= lock:
            return False
        accounts = {w.account_id for w in chosen.write_offs}
        return not (accounts | {item.account_id for item in chosen.items}) & self.inactive

    def run(self, facts: Sequence[LineFacts]) -> AutoResult:
        """Apply the certain, automatic proposal of each line; count the rest.

        Matches the batch path can book wait in ``planned`` (their money already
        claimed in the open book) and are written ``BATCH`` at a time; a match
        that needs the one-by-one path first has the waiting ones written, so
        it reads the books as they are.
        """
        result = AutoResult(lines=len(facts))
        planned: list[Planned] = []
        # Shared by the batches; made anew after a one-by-one match, whose own writer
        # posted entries this one's running total of posted debits does not know.
        writer: EntryWriter | None = None

        def flush() -> None:
            nonlocal writer
            if planned:
                writer = writer or EntryWriter(self.session, self.company)
                write(self.session, self.company, planned, writer)
                planned.clear()

        lock = self.company.lock_date
        for line in facts:
            proposals = self.proposals(line)
            chosen = choose(proposals)
            if chosen is not None and not self._bookable(chosen, line, lock):
                chosen = None
            if chosen is None:
                if proposals:
                    result.suggested += 1
                else:
                    result.left += 1
                continue
            result.reconciled += 1
            batched = plan(line, chosen, self.company, self.book)
            if batched is not None:
                planned.append(batched)
                if len(planned) >= BATCH:
                    flush()
                continue
            flush()
            apply_proposal(self.session, self.company, line.line_id, chosen, how="auto")
            self.book.settle(chosen.items)
            writer = None
        flush()
        return result


def apply_proposal(
    session: Session, company: Company, line_id: int, proposal: Proposal, *, how: str = "manual"
) -> BankReconciliation:
    """Reconcile the line as ``proposal`` says."""
    line = session.get(StatementLine, line_id)
    assert line is not None
    return reconcile_line(
        session,
        company,
        line,
        [item.line_id for item in proposal.items],
        proposal.write_offs,
        on_account_partner=proposal.on_account,
        partner_id=proposal.partner_id,
        documents=[(item.invoice_id, item.payment_id) for item in proposal.items],
        how=how,
    )


def reconcile_journals(session: Session, company: Company, journal_ids: Sequence[int]) -> int:
    """Reconcile what is certain among the unreconciled lines of ``journal_ids``; returns
    how many were reconciled (a sync run's ``reconciled`` count).

    Exactly what matching every unreconciled line of the journals, in order, gives,
    but a journal's old lines are matched again only when they could find something
    new: an invoice posted since may be what an older line pays.  While nothing has
    been applied yet, a journal whose last pass applied nothing and whose inputs have
    not changed since (:mod:`~booksync.reconciliation.stamp`) has only its new lines
    matched, and all of them only when one of those would be applied
    (docs/reconciliation.md, "Automatic reconciliation").
    """
    from booksync.reconciliation.rules import load_rules

    journals = sorted(set(journal_ids))
    # Read before the open book is: what a concurrent commit adds in between is then
    # read as a change, never stamped as seen.
    now = stamp.inputs(session, company)
    seen = {journal_id: stamp.lines(session, journal_id) for journal_id in journals}
    matcher = Matcher(session, company, load_rules(session, company))
    if not matcher.may_apply():
        return 0
    reconciled = 0
    for journal_id in journals:
        after = stamp.new_after(session, journal_id, now) if not reconciled else None
        if after is not None:
            new = list(unreconciled_facts(session, company, journal_id, automatic=True,
                                          after=after))
            if all(choose(matcher.proposals(line)) is None for line in new):
                continue  # the old lines would find nothing either
        reconciled += matcher.run(
            list(unreconciled_facts(session, company, journal_id, automatic=True))
        ).reconciled
    if reconciled:
        stamp.forget(session, journals)
    else:
        for journal_id in journals:
            stamp.remember(session, company, journal_id, now, seen[journal_id])
    return reconciled
