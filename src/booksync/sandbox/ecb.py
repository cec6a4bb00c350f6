"""The sandbox's ECB rate feed: the ECB's XML, with rates that move with the world's clock.

Served under ``/ecb/`` (:mod:`booksync.sandbox.protocols`; docs/banking.md,
"The sandbox bank"), so ``booksync currency rate fetch --url`` and the tests
read the same format as the ECB's own feed, over loopback:

- ``GET /ecb/eurofxref-daily.xml``: the rates of the latest ECB business day
  (Monday to Friday; holidays are not modelled) on or before the world's date;
- ``GET /ecb/eurofxref-hist-90d.xml``: the business days of the last 90 days,
  newest first, as the ECB's 90-day file gives them.

Each rate is a fixed base moved by at most one per cent, the move derived
from the currency and the date alone, so two runs of one world serve the
same rates.  :func:`inject` queues broken answers for the tests (the ECB's
feed is not the bank's, so its faults stay here, in the server's
``protocol_state``).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from xml.sax.saxutils import quoteattr

from booksync.sandbox.protocols import SandboxReply, SandboxRequest

__all__ = ["BASE_RATES", "DAILY", "HISTORY", "handle", "inject", "rates_on"]

DAILY = "/ecb/eurofxref-daily.xml"
HISTORY = "/ecb/eurofxref-hist-90d.xml"
HISTORY_DAYS = 90
BASE_RATES = {
    "USD": Decimal("1.0850"),
    "JPY": Decimal("162.50"),
    "GBP": Decimal("0.85420"),
    "CHF": Decimal("0.95310"),
    "SEK": Decimal("11.2350"),
}
"""Units of each currency one euro buys before the day's move, with the ECB's decimals."""
FAULTS = ("malformed", "bad_rate")
_XML = "text/xml; charset=utf-8"


def _business_day(day: dt.date) -> dt.date:
    """``day``, or the Friday before it on a weekend."""
    return day - dt.timedelta(days=max(0, day.weekday() - 4))


def rates_on(day: dt.date) -> dict[str, Decimal]:
    """The feed's rates of ``day``: each base moved by -1 % .. +1 %, fixed per date."""
    moved = {}
    for index, (code, base) in enumerate(BASE_RATES.items()):
        step = (day.toordinal() * 37 + index * 101) % 41 - 20  # -20 .. 20
        value = base * (1 + Decimal(step) / 2000)
        moved[code] = value.quantize(base, rounding=ROUND_HALF_EVEN)
    return moved


def _cube(day: dt.date) -> str:
    rates = "".join(
        f"<Cube currency={quoteattr(code)} rate={quoteattr(str(rate))}/>"
        for code, rate in rates_on(day).items()
    )
    return f"<Cube time={quoteattr(day.isoformat())}>{rates}</Cube>"


def _envelope(days: list[dt.date]) -> str:
    cubes = "".join(_cube(day) for day in days)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">'
        "<gesmes:subject>Reference rates</gesmes:subject>"
        "<gesmes:Sender><gesmes:name>European Central Bank (sandbox)</gesmes:name>"
        "</gesmes:Sender>"
        f"<Cube>{cubes}</Cube></gesmes:Envelope>"
    )


def _days(today: dt.date, path: str) -> list[dt.date]:
    if path == DAILY:
        return [_business_day(today)]
    first = today - dt.timedelta(days=HISTORY_DAYS - 1)
    every = (today - dt.timedelta(days=n) for n in range(HISTORY_DAYS))
    return [day for day in every if day >= first and day.weekday() < 5]


def _state(server: Any) -> dict[str, Any]:
    state: dict[str, Any] = server.protocol_state.setdefault("ecb", {"faults": []})
    return state


def inject(server: Any, kind: str, count: int = 1) -> None:
    """Make the next ``count`` feed answers broken: ``malformed`` (cut-off XML) or
    ``bad_rate`` (well-formed, one rate not a number)."""
    if kind not in FAULTS:
        raise ValueError(f"unknown ECB feed fault {kind!r}: one of {', '.join(FAULTS)}")
    with server.world.lock:
        _state(server)["faults"].extend([kind] * count)


def handle(server: Any, request: SandboxRequest) -> SandboxReply:
    """Answer one request under ``/ecb/`` (called under the world's lock)."""
    if request.path not in (DAILY, HISTORY):
        return SandboxReply(404, b"no such ECB file\n", "text/plain; charset=utf-8")
    if request.method != "GET":
        return SandboxReply(405, b"GET only\n", "text/plain; charset=utf-8", {"Allow": "GET"})
    body = _envelope(_days(server.world.today, request.path))
    faults: list[str] = _state(server)["faults"]
    if faults:
        fault = faults.pop(0)
        if fault == "malformed":
            body = body[: len(body) // 2]
        else:
            body = body.replace('rate="', 'rate="x', 1)
    return SandboxReply(200, body.encode("utf-8"), _XML)
