"""``booksync currency rate import|fetch|source`` and a sync whose accounts part ways.

Through ``booksync.cli.main.run`` on SQLite and PostgreSQL; the ECB feed and
the bank are the sandbox's, over loopback HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from booksync.rates.ecb import bundled, company_rate
from booksync.sandbox import SandboxHandle, start
from booksync.sandbox import ecb as sandbox_ecb
from booksync.sandbox.world import World
from tests.cli.clitools import Cli, ok_json, one_error

FEED_DAY = dt.date(2026, 3, 10)  # a Tuesday


@pytest.fixture
def feed() -> Iterator[SandboxHandle]:
    with start(world=World(3, today=FEED_DAY)) as handle:
        yield handle


def _rates(cli: Cli) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = ok_json(cli, "currency", "rate", "list")
    return rows


def test_fetch_records_the_feeds_rates_once(acme: Cli, feed: SandboxHandle) -> None:
    url = f"{feed.url}/ecb/eurofxref-daily.xml"
    first = ok_json(acme, "currency", "rate", "fetch", "--url", url, "--currency", "USD",
                    "--currency", "chf")
    assert (first["currencies"], first["first"], first["last"]) == (
        ["CHF", "USD"], "2026-03-10", "2026-03-10"
    )
    assert (first["written"], first["unchanged"], first["kept"]) == (2, 0, [])
    published = sandbox_ecb.rates_on(FEED_DAY)
    assert {(r["currency"], r["date"], Decimal(r["rate"])) for r in _rates(acme)} == {
        (code, "2026-03-10", company_rate(published[code], Decimal(1))) for code in ("USD", "CHF")
    }
    again = ok_json(acme, "currency", "rate", "fetch", "--url", url, "--currency", "USD",
                    "--currency", "CHF")
    assert (again["written"], again["unchanged"]) == (0, 2)
    # The 90-day file: every business day, the one already recorded left alone.
    history = ok_json(acme, "currency", "rate", "fetch", "--url",
                      f"{feed.url}/ecb/eurofxref-hist-90d.xml", "--currency", "USD")
    assert history["unchanged"] == 1 and history["written"] > 50
    code, out, err = acme("currency", "rate", "fetch", "--url", url, "--currency", "USD")
    assert code == 0, err
    assert "0 recorded, 1 already there" in out


@pytest.mark.parametrize("fault", ["malformed", "bad_rate"])
def test_a_malformed_feed_writes_nothing(acme: Cli, feed: SandboxHandle, fault: str) -> None:
    sandbox_ecb.inject(feed.server, fault)
    error = one_error(
        acme("currency", "rate", "fetch", "--url", f"{feed.url}/ecb/eurofxref-daily.xml",
             "--currency", "USD"),
        "The ECB rate feed at http://127.0.0.1:", "is malformed", exit_code=4,
    )
    assert "/ecb/" not in error  # the server is named by its origin only
    assert _rates(acme) == []
    one_error(acme("currency", "rate", "fetch", "--url", f"{feed.url}/ecb/other.xml"),
              "answered HTTP 404", exit_code=4)
    one_error(acme("currency", "rate", "fetch", "--url", "http://feed.example/x.xml"),
              "only https://")


def test_import_twice_and_a_rate_set_by_hand(acme: Cli) -> None:
    code, _, err = acme("currency", "rate", "set", "USD", "0.5", "--date", "2026-10-01")
    assert code == 0, err
    days = len([d for d in bundled().series("USD", "EUR").dates  # type: ignore[union-attr]
                if d >= dt.date(2026, 10, 1)])
    code, out, err = acme("currency", "rate", "import", "ecb", "--from", "2026-10-01")
    assert code == 0, err
    assert f"for USD, 2026-10-01..{bundled().last}: {days - 1} recorded" in out
    assert "Rates kept" in out and "0.5" in out
    again = ok_json(acme, "currency", "rate", "import", "ecb", "--from", "2026-10-01")
    assert (again["written"], again["unchanged"]) == (0, days - 1)
    assert [(k["currency"], k["date"], k["rate"]) for k in again["kept"]] == [
        ("USD", "2026-10-01", "0.5")
    ]
    assert len(_rates(acme)) == days
    one_error(acme("currency", "rate", "import", "boe"), "unknown rate source 'boe'")
    one_error(acme("currency", "rate", "import", "ecb", "--currency", "EUR"),
              "EUR is the company currency")
    one_error(acme("currency", "rate", "import", "ecb", "--from", "yesterday"), "--from")


def test_naming_the_rate_source(acme: Cli) -> None:
    code, out, _ = acme("currency", "rate", "source")
    assert code == 0 and "rate source: none" in out
    assert ok_json(acme, "currency", "rate", "source", "ecb") == {
        "rate_source": "ecb", "company_currency": "EUR"
    }
    assert ok_json(acme, "currency", "rate", "source")["rate_source"] == "ecb"
    one_error(acme("currency", "rate", "source", "bank"), "unknown rate source 'bank'")
    assert ok_json(acme, "currency", "rate", "source", "none")["rate_source"] is None


def test_sync_and_its_log_show_each_accounts_part(acme: Cli) -> None:
    with start(port=0, seed=3) as bank:
        made = ok_json(acme, "connect", "simplefin", bank.setup_token())
        ident = str(made["id"])
        (run,) = ok_json(acme, "sync", ident)  # no USD or JPY rate: those accounts fail
        assert run["state"] == "partial"
        failed = {a["currency"] for a in run["accounts"] if a["state"] == "failed"}
        assert failed == {"USD", "JPY"}
        assert all(a["new"] > 0 for a in run["accounts"] if a["state"] == "success")
        for part in run["accounts"]:
            assert set(part) == {"provider_account_id", "name", "journal", "currency", "state",
                                 "fetched", "new", "duplicates", "reversed", "error"}
            if part["state"] == "failed":
                assert f"{part['name']}: nothing booked: no {part['currency']}" in run["error"]
                assert part["error"].startswith(f"no {part['currency']} exchange rate")
        (logged,) = ok_json(acme, "sync", "log", ident)
        assert logged["accounts"] == run["accounts"]
        code, out, _ = acme("sync", "log")
        assert code == 0 and "Runs where an account failed" in out
        day = (bank.world.first_day - dt.timedelta(days=1)).isoformat()
        for currency, rate in (("USD", "0.92"), ("JPY", "0.0061")):
            assert acme("currency", "rate", "set", currency, rate, "--date", day)[0] == 0
        code, out, err = acme("sync", ident)
        assert code == 0, err
        assert "Accounts" in out and "failed" not in out
        newest = ok_json(acme, "sync", "log", ident, "--limit", "1")[0]
        assert newest["state"] == "success"
        assert {a["currency"] for a in newest["accounts"] if a["new"] > 0} >= {"USD", "JPY"}
