"""A company's reconciliation rules as plain values, and what each one says of a line.

The matching engine reads the rules once per run (:func:`load_rules`) and asks
each one, in order, whether it applies to a line, what it would book, and
whether a difference is small enough to write off.  Those questions are pure
functions of a :class:`~booksync.reconciliation.facts.LineFacts`, so they are
tested without a database and cost nothing per line: every regex is compiled
once, when the rules are loaded (docs/reconciliation.md, "Rules").

Amounts are integer minor units; percentages ten-thousandths of a percent
point (:data:`~booksync.reconciliation.rule_models.PERCENT_SCALE`); no float
ever holds money.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.errors import BooksyncError
from booksync.ledger.limits import MAX_TEXT, shown
from booksync.ledger.models import Company
from booksync.reconciliation.bank import WriteOff
from booksync.reconciliation.facts import LineFacts
from booksync.reconciliation.rule_models import (
    HUNDRED_PERCENT,
    Nature,
    ReconcileRule,
    RuleKind,
    ToleranceKind,
)

__all__ = [
    "DEFAULT_RULES",
    "Counterpart",
    "PartnerMapping",
    "Rule",
    "Tolerance",
    "compile_regex",
    "ensure_default_rules",
    "load_rules",
    "rule_of",
]


@dataclass(frozen=True, slots=True)
class Counterpart:
    """A share of the line booked to ``account_id``: ``percent`` in ten-thousandths
    of a percent point; ``label`` None means the rule's name."""

    account_id: int
    percent: int
    label: str | None = None


@dataclass(frozen=True, slots=True)
class PartnerMapping:
    """A line whose label or reference ``pattern`` finds is ``partner_id``'s."""

    pattern: re.Pattern[str]
    partner_id: int


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far a bank amount may differ from the documents it pays.

    ``value``: ten-thousandths of a percent point of the expected amount
    (``PERCENT``), or minor units of the company currency (``FIXED``); the
    difference is written off to ``account_id``.
    """

    kind: ToleranceKind = ToleranceKind.NONE
    value: int = 0
    account_id: int | None = None


NO_TOLERANCE = Tolerance()


@dataclass(frozen=True, slots=True)
class Rule:
    """One active rule, as the matching engine uses it.

    A condition that is None (or, for ``journal_ids``, empty) does not
    restrict.  Amount bounds are minor units of the company currency,
    compared with the absolute value of the line's ``company_amount``, so a
    rule reads alike on bank accounts in any currency.
    """

    id: int
    name: str
    kind: RuleKind
    sequence: int
    auto: bool
    journal_ids: frozenset[int] = frozenset()
    nature: Nature = Nature.BOTH
    amount_min: int | None = None
    amount_max: int | None = None
    label_contains: str | None = None
    label_regex: re.Pattern[str] | None = None
    partner_id: int | None = None
    currency: str | None = None
    tolerance: Tolerance = NO_TOLERANCE
    counterparts: tuple[Counterpart, ...] = ()
    partner_mappings: tuple[PartnerMapping, ...] = ()

    def applies(self, facts: LineFacts) -> bool:
        """Whether every condition of the rule holds for the line.

        The label conditions look at the label and at the reference, each on
        its own (a regex anchored with ``^`` anchors at the start of either);
        ``label_contains`` ignores case, a regex is read as written (``(?i)``
        makes it ignore case).
        """
        if self.journal_ids and facts.journal_id not in self.journal_ids:
            return False
        if self.nature is Nature.IN and facts.amount <= 0:
            return False
        if self.nature is Nature.OUT and facts.amount >= 0:
            return False
        size = abs(facts.company_amount)
        if self.amount_min is not None and size < self.amount_min:
            return False
        if self.amount_max is not None and size > self.amount_max:
            return False
        if self.partner_id is not None and facts.partner_id != self.partner_id:
            return False
        if self.currency is not None and facts.currency != self.currency:
            return False
        return self._label_matches(facts)

    def _label_matches(self, facts: LineFacts) -> bool:
        fields = [facts.label] + ([facts.reference] if facts.reference else [])
        if self.label_contains is not None:
            needle = self.label_contains.casefold()
            return any(needle in field.casefold() for field in fields)
        if self.label_regex is not None:
            return any(self.label_regex.search(field) for field in fields)
        return True

    def write_offs(self, facts: LineFacts, amount: int | None = None) -> list[WriteOff]:
        """The counterparts' write-offs for ``amount`` (default: the whole line).

        ``amount`` is in minor units of the line's currency; its absolute
        value is spread.  Each counterpart but the last gets its percent of
        it rounded down, and the last takes the rest of the rule's total (all
        of ``amount`` when the percents make 100 %, else that share rounded
        half up): the write-offs add up exactly and none goes below zero.
        One that rounds to nothing is left out, as the bank reconciliation
        refuses a zero counterpart.
        """
        base = abs(facts.amount if amount is None else amount)
        if not self.counterparts or base == 0:
            return []
        percent = sum(c.percent for c in self.counterparts)
        total = base if percent == HUNDRED_PERCENT else _half_up(base * percent, HUNDRED_PERCENT)
        shares = [base * c.percent // HUNDRED_PERCENT for c in self.counterparts[:-1]]
        shares.append(total - sum(shares))
        return [
            WriteOff(c.account_id, share, c.label or self.name, facts.partner_id)
            for c, share in zip(self.counterparts, shares, strict=True)
            if share > 0
        ]

    def within_tolerance(
        self, difference: int, expected: int, facts: LineFacts | None = None
    ) -> bool:
        """Whether ``difference`` (bank amount minus the matched documents' residual
        total ``expected``, both in minor units of the line's currency) may be
        written off under the rule's tolerance; either sign counts alike.

        A percent tolerance is relative to ``expected``.  A fixed one is in
        company currency: given the line's ``facts``, the difference is
        converted at the line's own rate (its ``company_amount`` over its
        ``amount``) before comparing; without them it is taken as company
        currency.  All in integers: no rounding can let a cent through.
        """
        gap = abs(difference)
        if gap == 0:
            return True
        kind, value = self.tolerance.kind, self.tolerance.value
        if kind is ToleranceKind.PERCENT:
            return gap * HUNDRED_PERCENT <= value * abs(expected)
        if kind is ToleranceKind.FIXED:
            if facts is None or facts.amount == 0:
                return gap <= value
            return gap * abs(facts.company_amount) <= value * abs(facts.amount)
        return False

    def map_partner(self, text: str | None) -> int | None:
        """The partner of the first mapping whose regex finds a match in ``text``
        (a line's label and reference: :attr:`LineFacts.text`), else None."""
        if not text:
            return None
        for mapping in self.partner_mappings:
            if mapping.pattern.search(text):
                return mapping.partner_id
        return None


def _half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def compile_regex(pattern: str, what: str) -> re.Pattern[str]:
    """``pattern`` compiled, or one sentence naming ``what`` and why it does not compile.

    Bounded in length like any text the books keep, so no stored pattern is
    longer than what its column holds.
    """
    if len(pattern) > MAX_TEXT:
        raise BooksyncError(f"{what} is longer than {MAX_TEXT} characters ({len(pattern)})")
    if not pattern:
        raise BooksyncError(f"{what} is empty")
    if "\x00" in pattern:  # PostgreSQL cannot store it; write \x00 to look for one
        raise BooksyncError(f"{what} holds a NUL character")
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        reason = exc.msg if isinstance(exc, re.error) else "it is too deeply nested"
        raise BooksyncError(f"{what} {shown(pattern)} is not a valid regex: {reason}") from None


def rule_of(row: ReconcileRule) -> Rule:
    """The stored rule as plain values, its regexes compiled."""
    counterparts: list[dict[str, Any]] = json.loads(row.counterparts or "[]")
    mappings: list[dict[str, Any]] = json.loads(row.partner_mappings or "[]")
    return Rule(
        id=row.id,
        name=row.name,
        kind=RuleKind(row.kind),
        sequence=row.sequence,
        auto=row.auto,
        journal_ids=frozenset(int(j) for j in json.loads(row.journal_ids or "[]")),
        nature=Nature(row.nature),
        amount_min=row.amount_min,
        amount_max=row.amount_max,
        label_contains=row.label_contains,
        label_regex=(
            compile_regex(row.label_regex, "label regex") if row.label_regex is not None else None
        ),
        partner_id=row.partner_id,
        currency=row.currency_code,
        tolerance=Tolerance(
            ToleranceKind(row.tolerance_kind), row.tolerance_value, row.tolerance_account_id
        ),
        counterparts=tuple(
            Counterpart(int(c["account_id"]), int(c["percent"]), c.get("label"))
            for c in counterparts
        ),
        partner_mappings=tuple(
            PartnerMapping(compile_regex(m["regex"], "partner regex"), int(m["partner_id"]))
            for m in mappings
        ),
    )


# name, sequence, auto: what a company starts with (docs/reconciliation.md, "Rules").
DEFAULT_RULES: tuple[tuple[str, int, bool], ...] = (
    ("Invoices: exact match", 10, True),
    ("Invoices: suggestions", 20, False),
)


def _has_rules(session: Session, company: Company) -> bool:
    found = session.scalar(
        select(ReconcileRule.id).where(ReconcileRule.company_id == company.id).limit(1)
    )
    return found is not None


def ensure_default_rules(session: Session, company: Company) -> bool:
    """Give ``company`` the default invoice-matching rules if it has no rule at all;
    True when they were made.

    A company that disabled them keeps them disabled: only a company with no
    rule, active or not, gets them.  The company's row is locked before the
    second look, so two transactions on PostgreSQL cannot both make them
    (SQLite has one writer at a time).
    """
    if _has_rules(session, company):
        return False
    session.execute(select(Company.id).where(Company.id == company.id).with_for_update())
    if _has_rules(session, company):
        return False
    for name, sequence, auto in DEFAULT_RULES:
        session.add(ReconcileRule(
            company_id=company.id,
            name=name,
            kind=RuleKind.INVOICE_MATCHING.value,
            sequence=sequence,
            auto=auto,
            active=True,
            journal_ids="[]",
            nature=Nature.BOTH.value,
            tolerance_kind=ToleranceKind.NONE.value,
            tolerance_value=0,
            counterparts="[]",
            partner_mappings="[]",
        ))
    session.flush()
    return True


def load_rules(session: Session, company: Company) -> list[Rule]:
    """The company's active rules in the order they are tried: by sequence, then id.

    Only reads: a sync run calls it inside its booking transaction, where
    making the default rules (which locks the company's row) deadlocked two
    connections' runs on PostgreSQL.  A company gets them when it is created
    (:func:`booksync.app.companies.create_company`), or by migration 0010.
    """
    rows = session.scalars(
        select(ReconcileRule)
        .where(ReconcileRule.company_id == company.id, ReconcileRule.active)
        .order_by(ReconcileRule.sequence, ReconcileRule.id)
    )
    return [rule_of(row) for row in rows]
