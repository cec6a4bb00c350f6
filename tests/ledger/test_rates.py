import datetime as dt
from decimal import Decimal

import pytest

from booksync.cli.main import run
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.rates import convert, rate_at, set_rate
from booksync.money import MoneyError

D = dt.date


def test_rate_on_or_before_date(session, company):
    set_rate(session, company, "USD", D(2026, 1, 1), "0.9")
    set_rate(session, company, "usd", D(2026, 2, 1), Decimal("0.95"))
    assert rate_at(session, company, "USD", D(2026, 1, 15)) == Decimal("0.9")
    assert rate_at(session, company, "USD", D(2026, 3, 1)) == Decimal("0.95")
    assert rate_at(session, company, "EUR", D(2020, 1, 1)) == 1
    with pytest.raises(NotFound, match="no USD exchange rate on or before 2025-12-31"):
        rate_at(session, company, "USD", D(2025, 12, 31))


def test_replacing_a_rate_keeps_one_row(session, company):
    set_rate(session, company, "USD", D(2026, 1, 1), "0.9")
    set_rate(session, company, "USD", D(2026, 1, 1), "0.8")
    assert rate_at(session, company, "USD", D(2026, 1, 1)) == Decimal("0.8")


def test_convert_rounds_half_even_to_company_minor_unit(session, company):
    set_rate(session, company, "JPY", D(2026, 1, 1), "0.0061")
    # 1,250 JPY (exponent 0) * 0.0061 = 7.625 EUR -> 7.62 (half-even)
    assert convert(session, company, 1250, "JPY", D(2026, 1, 2)) == 762
    set_rate(session, company, "BHD", D(2026, 1, 1), "2.4")
    # 1.005 BHD (exponent 3) * 2.4 = 2.412 EUR -> 2.41
    assert convert(session, company, 1005, "BHD", D(2026, 1, 2)) == 241


def test_bad_rates_are_refused(session, company):
    with pytest.raises(LedgerError, match="positive"):
        set_rate(session, company, "USD", D(2026, 1, 1), "0")
    with pytest.raises(LedgerError, match="company currency"):
        set_rate(session, company, "EUR", D(2026, 1, 1), "1")
    with pytest.raises(MoneyError, match="unknown currency"):
        set_rate(session, company, "XXZ", D(2026, 1, 1), "1")


def test_rate_cli(db_url, company, capsys):
    assert run(["--db", db_url, "currency", "rate", "set", "USD", "0.92", "--date",
                "2026-05-01"]) == 0
    capsys.readouterr()
    assert run(["--db", db_url, "currency", "rate", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"rate": "0.92"' in out and '"date": "2026-05-01"' in out
    assert run(["--db", db_url, "currency", "rate", "set", "USD", "abc"]) == 1
    assert "error:" in capsys.readouterr().err
