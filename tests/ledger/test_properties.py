"""Property-based: random books keep the ledger's invariants on both databases.

Each example books a random sequence of drafts, postings and reversals for a
new company (so earlier examples' companies sit in the same database and must
stay invisible), and after every step checks that

- the trial balance equals a model computed from the inputs, and its total
  debit equals its total credit;
- the balance sheet equation holds and the P&L result is its current result;
- numbers are gap-free per journal and year;
- no posted entry or line read earlier has changed in any column.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from booksync.ledger.chart import DEFAULT_JOURNALS, GENERIC_CHART
from booksync.ledger.companies import create_company
from booksync.ledger.entries import (
    EntryInput,
    LineInput,
    add_entries,
    get_entry,
    post_entry,
    reverse_entry,
)
from booksync.ledger.errors import InvalidEntry, UnbalancedEntry
from booksync.ledger.models import Company
from booksync.ledger.reports import balance_sheet, profit_loss, trial_balance
from tests.helpers import entry_rows, line_rows

ACCOUNTS = [spec.code for spec in GENERIC_CHART]
JOURNALS = [j.code for j in DEFAULT_JOURNALS]
_names = itertools.count()

amounts = st.integers(min_value=1, max_value=10**8)  # minor units, up to a million
dates = st.dates(min_value=dt.date(2025, 11, 1), max_value=dt.date(2027, 2, 28))


@st.composite
def entry_specs(draw: st.DrawFn) -> dict[str, Any]:
    """Lines as (account, debit, credit) in minor units; balanced unless ``skew``."""
    n = draw(st.integers(min_value=1, max_value=4))
    lines = []
    for _ in range(n):
        account = draw(st.sampled_from(ACCOUNTS))
        amount = draw(amounts)
        lines.append((account, amount, 0) if draw(st.booleans()) else (account, 0, amount))
    diff = sum(d for _, d, _ in lines) - sum(c for _, _, c in lines)
    skew = draw(st.sampled_from([0, 0, 0, 0, 1]))  # some entries are off by a cent
    balance = diff + skew
    account = draw(st.sampled_from(ACCOUNTS))
    if balance > 0:
        lines.append((account, 0, balance))
    elif balance < 0:
        lines.append((account, -balance, 0))
    else:
        lines.append((account, 0, 0))
    draw(st.randoms()).shuffle(lines)
    return {"journal": draw(st.sampled_from(JOURNALS)), "date": draw(dates), "lines": lines}


operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), entry_specs(), st.booleans()),
        st.tuples(st.just("post"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=50),
                  st.one_of(st.none(), dates)),
    ),
    min_size=1,
    max_size=12,
)


def as_input(spec: dict[str, Any]) -> EntryInput:
    return EntryInput(
        spec["journal"],
        spec["date"],
        tuple(LineInput(a, debit=Decimal(d).scaleb(-2), credit=Decimal(c).scaleb(-2))
              for a, d, c in spec["lines"]),
    )


class Model:
    """What the books should hold, from the inputs alone."""

    def __init__(self) -> None:
        self.sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.drafts: dict[int, list[tuple[str, int, int]]] = {}
        self.posted: list[int] = []
        self.reversed: set[int] = set()
        self.lines: dict[int, list[tuple[str, int, int]]] = {}

    def book(self, entry_id: int, lines: list[tuple[str, int, int]]) -> None:
        self.lines[entry_id] = lines
        self.posted.append(entry_id)
        for account, debit, credit in lines:
            self.sums[account][0] += debit
            self.sums[account][1] += credit

    def expected_rows(self) -> dict[str, tuple[int, int]]:
        return {a: (d, c) for a, (d, c) in self.sums.items()}


def posted_snapshot(session: Session, company: Company) -> tuple[dict[Any, Any], dict[Any, Any]]:
    entries = {k: v for k, v in entry_rows(session, company.id).items() if v[2] == "posted"}
    lines = {k: v for k, v in line_rows(session, company.id).items() if v[-1]}
    return entries, lines


def check(session: Session, company: Company, model: Model,
          earlier: tuple[dict[Any, Any], dict[Any, Any]]) -> tuple[dict[Any, Any], dict[Any, Any]]:
    session.rollback()
    tb = trial_balance(session, company)
    assert tb.total_debit == tb.total_credit
    assert {r.code: (r.debit, r.credit) for r in tb.rows} == model.expected_rows()
    bs = balance_sheet(session, company)
    assert bs.balanced
    assert bs.assets.total == bs.liabilities.total + bs.equity.total + bs.current_result
    assert profit_loss(session, company).net_result == bs.current_result

    now = posted_snapshot(session, company)
    for old, new in zip(earlier, now, strict=True):
        for key, row in old.items():
            assert new.get(key) == row, f"posted row {key} changed"
    assert len(now[0]) == len(model.posted)

    numbers: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in now[0].values():
        journal, year, seq = row[3].split("/")
        numbers[(journal, year)].append(int(seq))
    for seqs in numbers.values():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
    return now


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations)
def test_random_books_keep_the_invariants(session: Session, ops: list[Any]) -> None:
    session.rollback()
    company = create_company(session, f"Prop {next(_names)}", "EUR", "DE")
    session.commit()
    model = Model()
    snap = check(session, company, model, ({}, {}))
    for op in ops:
        if op[0] == "add":
            _, spec, post = op
            balanced = sum(d for _, d, _ in spec["lines"]) == sum(c for _, _, c in spec["lines"])
            if post and not balanced:
                with pytest.raises(UnbalancedEntry):
                    add_entries(session, company, [as_input(spec)], post=True)
                session.rollback()
            else:
                (entry_id,) = add_entries(session, company, [as_input(spec)], post=post)
                session.commit()
                if post:
                    model.book(entry_id, spec["lines"])
                else:
                    model.drafts[entry_id] = spec["lines"]
        elif op[0] == "post":
            if not model.drafts:
                continue
            entry_id = sorted(model.drafts)[op[1] % len(model.drafts)]
            lines = model.drafts[entry_id]
            e = get_entry(session, company, entry_id)
            if sum(d for _, d, _ in lines) != sum(c for _, _, c in lines):
                with pytest.raises(UnbalancedEntry):
                    post_entry(session, company, e)
                session.rollback()
            else:
                post_entry(session, company, e)
                session.commit()
                del model.drafts[entry_id]
                model.book(entry_id, lines)
        else:
            if not model.posted:
                continue
            _, index, day = op
            entry_id = model.posted[index % len(model.posted)]
            e = get_entry(session, company, entry_id)
            if entry_id in model.reversed:
                with pytest.raises(InvalidEntry, match="already reversed"):
                    reverse_entry(session, company, e, day)
                session.rollback()
            else:
                reversal = reverse_entry(session, company, e, day)
                session.commit()
                model.reversed.add(entry_id)
                model.book(reversal.id, [(a, c, d) for a, d, c in model.lines[entry_id]])
        snap = check(session, company, model, snap)
