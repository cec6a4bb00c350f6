"""``booksync currency rate import|fetch`` at the edges of the ECB's data, and a
sync with the ECB as rate source whose USD and JPY accounts outrun the bundled
history: those fail naming currency and date, the others book, and the next
run catches up once the feed has brought the rates (docs/banking.md,
"Exchange rates").  Through ``booksync.cli.main.run`` on SQLite and
PostgreSQL; the feed and the bank are the sandbox's, over loopback HTTP."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from booksync.rates.ecb import bundled, company_rate
from booksync.rates.feed import MAX_FEED_BYTES
from booksync.sandbox import ecb as sandbox_ecb
from booksync.sandbox import start
from booksync.sandbox.world import World
from tests.cli.clitools import Cli, ok_json, one_error

LAST = bundled().last
assert LAST is not None


def _rates(cli: Cli) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = ok_json(cli, "currency", "rate", "list")
    return rows


@pytest.mark.parametrize("start_day", [LAST + dt.timedelta(days=1), dt.date(2099, 1, 1)])
def test_import_from_after_the_bundled_history_is_refused(acme: Cli, start_day: dt.date) -> None:
    one_error(
        acme("currency", "rate", "import", "ecb", "--from", start_day.isoformat(),
             "--currency", "USD"),
        f"--from {start_day.isoformat()} is after the last day of the bundled ECB rates "
        f"({LAST.isoformat()})", "currency rate fetch",
    )
    assert _rates(acme) == []
    done = ok_json(acme, "currency", "rate", "import", "ecb", "--from", LAST.isoformat(),
                   "--currency", "USD")
    assert (done["first"], done["last"], done["written"]) == (LAST.isoformat(),) * 2 + (1,)


def test_a_feed_dated_after_today_writes_nothing(acme: Cli) -> None:
    ahead = dt.date.today() + dt.timedelta(days=3)
    with start(world=World(3, today=ahead, history_days=5)) as feed:
        error = one_error(
            acme("currency", "rate", "fetch", "--url", f"{feed.url}/ecb/eurofxref-hist-90d.xml",
                 "--currency", "USD"),
            "is malformed: it gives rates for", "after today", exit_code=4,
        )
    assert "/ecb/" not in error
    assert _rates(acme) == []


def test_a_sync_with_the_ecb_source_fails_only_the_accounts_it_cannot_rate(acme: Cli) -> None:
    world_today = LAST + dt.timedelta(days=20)
    if world_today > dt.date.today():
        pytest.skip("the bundled ECB history ends less than 20 days ago")
    assert ok_json(acme, "currency", "rate", "source", "ecb")["rate_source"] == "ecb"
    with start(world=World(3, today=world_today)) as bank:
        ident = str(ok_json(acme, "connect", "simplefin", bank.setup_token())["id"])
        (run,) = ok_json(acme, "sync", ident)
        assert run["state"] == "partial"
        failed = [a for a in run["accounts"] if a["state"] == "failed"]
        assert {a["currency"] for a in failed} == {"USD", "JPY"}
        assert all(a["new"] > 0 for a in run["accounts"] if a["state"] == "success")
        for part in failed:
            error = part["error"]
            assert error.startswith(f"no {part['currency']} exchange rate on or before ")
            day = dt.date.fromisoformat(error.split("on or before ")[1][:10])
            assert LAST + dt.timedelta(days=7) < day <= world_today
            assert f"nor an ECB rate within 7 days of it (its rates end on {LAST})" in error
        # A failed account books nothing, not even the ECB rates its earlier lines took.
        assert _rates(acme) == []

        fetched = ok_json(acme, "currency", "rate", "fetch", "--url",
                          f"{bank.url}/ecb/eurofxref-hist-90d.xml")
        assert fetched["currencies"] == ["JPY", "USD"] and fetched["written"] > 0
        (again,) = ok_json(acme, "sync", ident)
        assert again["state"] == "success", again["error"]
        assert {a["currency"] for a in again["accounts"] if a["new"] > 0} == {"USD", "JPY"}

    rates = {(r["currency"], dt.date.fromisoformat(r["date"])): Decimal(r["rate"])
             for r in _rates(acme)}
    assert max(day for code, day in rates if code == "USD") > LAST
    # Each rate is the feed's of its day, or the ECB's bundled one the source filled in.
    for (code, day), rate in rates.items():
        ecb = bundled().series(code, "EUR")
        assert ecb is not None
        feed = company_rate(sandbox_ecb.rates_on(day)[code], Decimal(1))
        assert rate == feed or ecb.on_or_before(day) == (day, rate), (code, day)


class _Endless(BaseHTTPRequestHandler):
    """A feed that never ends: the ECB's opening, then megabytes of days."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.end_headers()
        day = b'<Cube time="2026-03-10"><Cube currency="USD" rate="1.0850"/></Cube>' * 16384
        try:
            self.wfile.write(b'<?xml version="1.0"?><gesmes:Envelope><Cube>')
            for _ in range(1024):  # about 1 GiB unless the reader stops
                self.wfile.write(day)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_feed_larger_than_the_bound_is_refused_unread(acme: Cli) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endless)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        one_error(
            acme("currency", "rate", "fetch", "--url",
                 f"http://127.0.0.1:{server.server_address[1]}/eurofxref-daily.xml",
                 "--currency", "USD"),
            f"sent more than {MAX_FEED_BYTES} bytes", exit_code=4,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert _rates(acme) == []
