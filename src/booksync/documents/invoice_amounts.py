"""A document's amounts from its lines: subtotals, taxes, untaxed, total.

Pure integer arithmetic, no database, so the rounding rules are easy to
test on their own (docs/documents.md, "Amounts"):

- A line's amount is its quantity (thousandths) times its unit price
  (minor units), rounded half away from zero to the minor unit, once.
- Taxes are grouped per tax and each group's tax is rounded once, on the
  group's sum, not line by line: three lines of 0.10 at 20 % owe 0.06 of
  tax, not 3 x 0.02.
- A price-included tax's prices contain it: the group's untaxed base is its
  gross amount divided by (1 + rate), rounded; its tax is the difference,
  so the total is exactly what the prices say.  Each line's untaxed
  subtotal is its own gross so divided, and the group's last cent of
  rounding goes to its largest line, so the subtotals add up to the base.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from booksync.ledger.limits import MAX_LINE_MINOR
from booksync.money import MoneyError

__all__ = [
    "QUANTITY_PLACES",
    "QUANTITY_SCALE",
    "RATE_PLACES",
    "RATE_SCALE",
    "AmountLine",
    "Amounts",
    "TaxAmount",
    "TaxRate",
    "compute",
    "half_up",
]

QUANTITY_PLACES = 3  # quantities are kept in thousandths
QUANTITY_SCALE = 10**QUANTITY_PLACES
RATE_PLACES = 4  # a tax rate is a percentage in ten-thousandths
RATE_SCALE = 100 * 10**RATE_PLACES  # RATE_SCALE units are 100 %


def half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero, in integers only."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, rest = divmod(abs(numerator), denominator)
    if 2 * rest >= denominator:
        quotient += 1
    return -quotient if numerator < 0 else quotient


@dataclass(frozen=True, slots=True)
class TaxRate:
    """What the arithmetic needs of a tax: a key to group by, its rate, whether prices hold it."""

    key: int  # the tax's id
    rate: int  # ten-thousandths of a percent
    included: bool = False


@dataclass(frozen=True, slots=True)
class AmountLine:
    quantity: int  # thousandths
    unit_price: int  # minor units of the document's currency
    tax: TaxRate | None = None


@dataclass(frozen=True, slots=True)
class TaxAmount:
    """One tax's group: the untaxed base it applies to and the tax it comes to."""

    tax: TaxRate
    base: int
    amount: int


@dataclass(frozen=True, slots=True)
class Amounts:
    """Every figure of a document, in minor units of its currency."""

    subtotals: tuple[int, ...]  # untaxed, per line, in the lines' order
    taxes: tuple[TaxAmount, ...]  # per tax, in the order the lines first name them
    untaxed: int
    tax: int
    total: int


def _fits(value: int, what: str) -> int:
    if abs(value) > MAX_LINE_MINOR:
        raise MoneyError(
            f"{what} is too large: an amount holds at most {len(str(MAX_LINE_MINOR))} digits "
            "of minor units"
        )
    return value


def compute(lines: Sequence[AmountLine]) -> Amounts:
    """The amounts of ``lines`` under the rules above; refuses amounts a line cannot hold."""
    gross = [
        _fits(half_up(line.quantity * line.unit_price, QUANTITY_SCALE), "a line's amount")
        for line in lines
    ]
    subtotals = list(gross)
    groups: dict[int, list[int]] = {}  # tax key -> indexes of its lines
    rates: dict[int, TaxRate] = {}
    for index, line in enumerate(lines):
        if line.tax is not None:
            groups.setdefault(line.tax.key, []).append(index)
            rates.setdefault(line.tax.key, line.tax)
    taxes = []
    for key, members in groups.items():
        tax = rates[key]
        if tax.included:
            total = sum(gross[i] for i in members)
            base = half_up(total * RATE_SCALE, RATE_SCALE + tax.rate)
            amount = total - base
            for i in members:
                subtotals[i] = half_up(gross[i] * RATE_SCALE, RATE_SCALE + tax.rate)
            largest = max(members, key=lambda i: abs(gross[i]))
            subtotals[largest] += base - sum(subtotals[i] for i in members)
        else:
            base = sum(gross[i] for i in members)
            amount = half_up(base * tax.rate, RATE_SCALE)
        taxes.append(TaxAmount(tax, base, _fits(amount, "a tax's amount")))
    untaxed = _fits(sum(subtotals), "the untaxed amount")
    tax_total = _fits(sum(t.amount for t in taxes), "the tax")
    return Amounts(
        tuple(subtotals), tuple(taxes), untaxed, tax_total,
        _fits(untaxed + tax_total, "the total"),
    )
