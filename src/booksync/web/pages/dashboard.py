"""The Dashboard (``/``): a card per bank journal of the company.

Each card shows the balance in the books and the bank's last balance, the
statement lines left to reconcile (**Reconcile** opens them), the
connection's state and last refresh, **Fetch now** for those who may book,
and the book balance over the last 90 days as a line drawn on the server
(an SVG polyline: no script, no inline style).  The figures come from
:func:`booksync.app.dashboard.bank_cards` in a few aggregate queries
(docs/web.md, "Dashboard").
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from booksync.app.dashboard import CHART_DAYS, BankCard, CardCache, bank_cards
from booksync.banking.states import ConnectionState
from booksync.users.roles import Permission
from booksync.web.auth import Caller, need
from booksync.web.companies import opened
from booksync.web.pages.connections import STATE_LABELS, linker
from booksync.web.templating import page

router = APIRouter(include_in_schema=False)

WIDTH, HEIGHT, MARGIN = Decimal(300), Decimal(90), Decimal(5)

__all__ = ["chart_points", "router"]


def chart_points(values: Sequence[Decimal]) -> str:
    """The polyline's ``points`` for ``values``: the lowest at the bottom, the highest
    at the top, evenly spaced from left to right (a flat line in the middle when
    all are equal).  Decimal arithmetic, rounded to a tenth of a unit."""
    if not values:
        return ""
    low, high = min(values), max(values)
    step = WIDTH / (len(values) - 1) if len(values) > 1 else Decimal(0)
    usable = HEIGHT - 2 * MARGIN
    tenth = Decimal("0.1")
    points = []
    for n, value in enumerate(values):
        share = (value - low) / (high - low) if high != low else Decimal("0.5")
        x = (step * n).quantize(tenth)
        y = (HEIGHT - MARGIN - share * usable).quantize(tenth)
        points.append(f"{x},{y}")
    return " ".join(points)


def _card(card: BankCard) -> dict[str, Any]:
    values = [day.balance for day in card.history]
    return {
        "card": card,
        "points": chart_points(values),
        "low": min(values) if values else None,
        "high": max(values) if values else None,
        "fetchable": card.connection is not None
        and card.state != ConnectionState.DISCONNECTED,
    }


def _cache(request: Request) -> CardCache:
    """The app's cache of the cards' sums (made with the app)."""
    found: CardCache = request.app.state.card_cache
    return found


@router.get("/")
def dashboard(request: Request,
              caller: Annotated[Caller, Depends(need(Permission.READ))]) -> Response:
    with opened(request, caller) as books:
        cards = [_card(card) for card in bank_cards(books, cache=_cache(request))]
    return page(request, caller, "dashboard.html", active="dashboard", title="Dashboard",
                cards=cards, days=CHART_DAYS, states=STATE_LABELS, link=linker(request))
