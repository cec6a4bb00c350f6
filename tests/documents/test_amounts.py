"""A document's amounts: per-line rounding, one rounding per tax, price-included taxes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booksync.documents.invoice_amounts import (
    AmountLine,
    TaxRate,
    compute,
    half_up,
)
from booksync.money import MoneyError

VAT20 = TaxRate(1, 200_000)
VAT10 = TaxRate(2, 100_000)
ZERO = TaxRate(3, 0)
VAT20_IN = TaxRate(4, 200_000, included=True)
VAT55 = TaxRate(5, 55_000)


def test_half_up_rounds_halves_away_from_zero() -> None:
    assert [half_up(n, 10) for n in (14, 15, 16, -14, -15, -16)] == [1, 2, 2, -1, -2, -2]
    assert half_up(5, -10) == -1


def test_quantity_times_price_is_rounded_half_up_once_per_line() -> None:
    # 1.5 x 0.33 = 0.495 -> 0.50; 0.333 x 0.01 = 0.00333 -> 0.00
    amounts = compute([AmountLine(1500, 33), AmountLine(333, 1)])
    assert amounts.subtotals == (50, 0)
    assert (amounts.untaxed, amounts.tax, amounts.total) == (50, 0, 50)


def test_a_tax_is_rounded_once_on_its_group_not_per_line() -> None:
    # three lines of 0.12 at 5.5 %: 0.0198 -> 0.02 on the sum, where each line would give 0.01.
    amounts = compute([AmountLine(1000, 12, VAT55)] * 3)
    assert [t.amount for t in amounts.taxes] == [2]
    assert (amounts.untaxed, amounts.tax, amounts.total) == (36, 2, 38)


def test_several_taxes_are_grouped_each_in_the_order_first_named() -> None:
    amounts = compute([
        AmountLine(2000, 50000, VAT20),
        AmountLine(1000, 1000, VAT10),
        AmountLine(1000, 1000, VAT20),
        AmountLine(1000, 999, ZERO),
        AmountLine(1000, 500),
    ])
    assert [(t.tax.key, t.base, t.amount) for t in amounts.taxes] == [
        (1, 101000, 20200), (2, 1000, 100), (3, 999, 0),
    ]
    assert (amounts.untaxed, amounts.tax, amounts.total) == (103499, 20300, 123799)


def test_a_zero_tax_adds_nothing() -> None:
    amounts = compute([AmountLine(1000, 1234, ZERO)])
    assert (amounts.untaxed, amounts.tax, amounts.total) == (1234, 0, 1234)
    assert amounts.taxes[0].amount == 0


def test_a_price_included_tax_keeps_the_total_the_prices_say() -> None:
    # 10.01 + 0.01 gross at 20 % included: base 10.02 / 1.2 = 8.35, tax 1.67.
    amounts = compute([AmountLine(1000, 1001, VAT20_IN), AmountLine(1000, 1, VAT20_IN)])
    assert amounts.total == 1002
    assert (amounts.untaxed, amounts.tax) == (835, 167)
    assert amounts.subtotals == (834, 1)  # 8.3417 -> 8.34, 0.0083 -> 0.01: add up to 8.35
    assert sum(amounts.subtotals) == amounts.untaxed


def test_included_and_excluded_taxes_on_one_document() -> None:
    amounts = compute([AmountLine(1000, 12000, VAT20_IN), AmountLine(1000, 10000, VAT20)])
    assert amounts.subtotals == (10000, 10000)
    assert [(t.base, t.amount) for t in amounts.taxes] == [(10000, 2000), (10000, 2000)]
    assert amounts.total == 24000


def test_a_discount_line_lowers_its_tax_s_base() -> None:
    amounts = compute([AmountLine(1000, 10000, VAT20), AmountLine(1000, -2500, VAT20)])
    assert (amounts.untaxed, amounts.tax, amounts.total) == (7500, 1500, 9000)


def test_amounts_a_line_cannot_hold_are_refused() -> None:
    with pytest.raises(MoneyError, match="too large"):
        compute([AmountLine(999_999_999_999_999, 999_999_999_999_999)])
    with pytest.raises(MoneyError, match="total is too large"):
        compute([AmountLine(1000, 999_999_999_999_999, VAT20)])


@given(
    st.lists(
        st.tuples(
            st.integers(1, 10**7),
            st.integers(-(10**7), 10**8),
            st.sampled_from([None, VAT20, VAT10, ZERO, VAT20_IN, VAT55]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_figures_always_add_up(lines: list[tuple[int, int, TaxRate | None]]) -> None:
    amounts = compute([AmountLine(q, p, t) for q, p, t in lines])
    assert amounts.untaxed == sum(amounts.subtotals)
    assert amounts.tax == sum(t.amount for t in amounts.taxes)
    assert amounts.total == amounts.untaxed + amounts.tax
    for tax in amounts.taxes:
        members = [i for i, (_, _, t) in enumerate(lines) if t is not None and t.key == tax.tax.key]
        assert tax.base == sum(amounts.subtotals[i] for i in members)
        if tax.tax.included:  # the group's total is what its prices say
            gross = sum(half_up(lines[i][0] * lines[i][1], 1000) for i in members)
            assert tax.base + tax.amount == gross
        else:
            assert tax.amount == half_up(tax.base * tax.tax.rate, 1_000_000)
