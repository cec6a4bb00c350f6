"""Typed results become plain JSON the same way for every adapter."""

from __future__ import annotations

import datetime as dt
import enum
import json
from dataclasses import dataclass, field
from decimal import Decimal

from booksync.app.shapes import as_json


class Kind(enum.StrEnum):
    INVOICE = "invoice"


@dataclass(frozen=True)
class Line:
    amount: Decimal
    day: dt.date


@dataclass(frozen=True)
class Doc:
    kind: Kind
    lines: tuple[Line, ...]
    total: Decimal
    note: str | None


def test_amounts_stay_exact_strings_and_nesting_is_kept() -> None:
    doc = Doc(Kind.INVOICE, (Line(Decimal("0.10"), dt.date(2026, 3, 2)),), Decimal("100.00"), None)
    shaped = as_json(doc)
    assert shaped == {
        "kind": "invoice",
        "lines": [{"amount": "0.10", "day": "2026-03-02"}],
        "total": "100.00",
        "note": None,
    }
    assert json.loads(json.dumps(shaped)) == shaped


@dataclass(frozen=True)
class Aged:
    current: Decimal
    days_1_30: Decimal = field(metadata={"json": "1-30"})


def test_a_field_may_name_a_key_that_is_no_python_name() -> None:
    assert as_json(Aged(Decimal("1.00"), Decimal("2.00"))) == {"current": "1.00", "1-30": "2.00"}
