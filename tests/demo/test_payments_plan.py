"""The demo's plan on its own: every way of paying is in it, the same seed gives the
same plan, and every reference it writes names the document it means."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from booksync.demo.payments_plan import Issued, document_plans, transfers
from booksync.reconciliation.references import document_key, free_keys, number_keys

TODAY = dt.date(2026, 3, 10)
START = dt.date(2025, 12, 1)


def _issued(start: dt.date = START, seed: int = 0) -> list[Issued]:
    """The plan's documents with the numbers posting would give them, in order."""
    counters: dict[str, int] = {}
    out = []
    for plan in document_plans(start, TODAY, seed):
        doc = plan.document
        prefix = "INV" if doc.type == "invoice" else "BILL"
        counters[prefix] = counters.get(prefix, 0) + 1
        untaxed = sum((line.quantity * line.unit_price for line in doc.lines), Decimal(0))
        total = untaxed + (untaxed / 5).quantize(Decimal("0.01"))
        out.append(Issued(plan.scenario, f"{prefix}/{doc.date.year}/{counters[prefix]:05d}",
                          doc.date, total, doc.ref))
    return out


def test_every_way_of_paying_is_planned() -> None:
    issued = _issued()
    plan = transfers(issued, TODAY, TODAY + dt.timedelta(days=2))
    assert {t.how for t in plan} == {
        "exact", "fee", "typo", "bill_ref", "spaced", "partial", "name", "iban", "several"
    }
    assert len({t.description for t in plan}) == len(plan)  # each line is told apart by label
    assert all(t.posted <= TODAY for t in plan if t.how != "several")
    (several,) = [t for t in plan if t.how == "several"]
    assert len(several.documents) == 2 and several.posted > TODAY
    assert several.amount == sum(d.total for d in issued if d.number in several.documents)
    (partial,) = [t for t in plan if t.how == "partial"]
    owed = next(d.total for d in issued if d.number == partial.documents[0])
    assert 0 < partial.amount < owed and partial.accepted and not partial.automatic
    (bill,) = [t for t in plan if t.how == "bill_ref"]
    assert bill.amount < 0 and bill.memo == next(d.ref for d in issued if d.scenario.how
                                                 == "bill_ref")
    unpaid = {d.number for d in issued if d.scenario.how == "unpaid"}
    assert unpaid and not unpaid & {n for t in plan for n in t.documents}
    assert len({d.total for d in issued}) == len(issued)  # one total, one document


def test_the_references_name_the_documents_meant() -> None:
    plan = transfers(_issued(), TODAY, TODAY + dt.timedelta(days=2))
    for t in plan:
        text = f"{t.description} {t.memo or ''}"
        if t.how in ("exact", "typo", "spaced", "several", "partial"):
            assert number_keys(text) == [document_key(n) for n in t.documents], text
        elif t.how == "bill_ref":
            assert t.memo is not None and t.memo.replace("-", "") in free_keys(text)
        elif t.how in ("name", "iban", "fee"):
            assert number_keys(text) == [], text
    typo = next(t for t in plan if t.how == "typo")
    assert typo.memo is not None and typo.memo.startswith("inv-2O2")


def test_one_seed_one_plan_and_dates_within_the_period() -> None:
    assert _issued() == _issued()
    assert _issued(seed=1) != _issued()
    late_start = dt.date(2026, 3, 1)
    issued = _issued(start=late_start)
    assert all(late_start <= d.date <= TODAY for d in issued)
    plan = transfers(issued, TODAY, TODAY + dt.timedelta(days=2))
    for t in plan:
        dates = [d.date for d in issued if d.number in t.documents]
        assert all(t.posted >= day for day in dates)
