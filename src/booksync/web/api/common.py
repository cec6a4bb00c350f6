"""What every API resource shares: the company parameter, cursors and list answers.

A list answers ``{"items": [...], "next": CURSOR}``: ``items`` in the JSON
shape of the command line's ``--json`` listing, ``next`` the cursor of the
following page (null on the last).  A cursor is opaque to clients: today
it carries the last item's id, for a keyset query (``WHERE id > ...``) that
stays fast at any depth, unlike an offset (docs/web.md, "API").
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

import orjson
from fastapi import Path, Query
from fastapi.responses import Response
from pydantic import BeforeValidator

from booksync.errors import BooksyncError
from booksync.ledger.limits import MAX_ID

CompanyQuery = Annotated[
    str | None,
    Query(description="The company's name; default: the first the caller sees, by name.",
          max_length=200),
]
CursorQuery = Annotated[
    str | None, Query(description="`next` of the previous page.", max_length=100)
]
LimitQuery = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id.")]
"""A record's id in a path: a larger number names nothing, and the database drivers
refuse to bind one past 64 bits, so it is refused here as invalid input."""



def _iso_day(value: object) -> dt.date:
    """A day written ``YYYY-MM-DD``, nothing else: not a number of seconds (Pydantic reads
    "0" as 1970-01-01), not a time (docs/web.md, "Ledger API")."""
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("must be a date written YYYY-MM-DD")
    return dt.date.fromisoformat(value)


Day = Annotated[dt.date, BeforeValidator(_iso_day)]
"""A date of a request body, as every body of the API takes it."""

DEFAULT_LIMIT = 100

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_ID",
    "CompanyQuery",
    "CursorQuery",
    "Day",
    "IdPath",
    "LimitQuery",
    "after_id",
    "cursor_of",
    "json_answer",
    "listing",
]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_answer(data: Any, status_code: int = 200) -> Response:
    """``data`` (already in its JSON shape, Decimals as strings) as the answer, written
    by orjson: FastAPI's own encoder walks every value of a long list again, which cost
    a busy list several times its query (docs/web.md, "Speed")."""
    return Response(orjson.dumps(data, default=_plain), status_code=status_code,
                    media_type="application/json")


def cursor_of(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def after_id(cursor: str | None) -> int | None:
    """The id a cursor carries; a cursor not made by :func:`cursor_of` is refused."""
    if cursor is None or cursor == "":
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind == "id" and value.isascii() and value.isdigit() and len(value) < 19:
            found = int(value)
            if found <= MAX_ID:
                return found
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BooksyncError("cursor: not a cursor this API gave; use a list's `next` as it is.")


def listing(items: Sequence[dict[str, Any]], limit: int, *, key: str = "id") -> dict[str, Any]:
    """The answer for one page: ``items`` read with one more than ``limit`` so that the
    last page is known without another query."""
    shown = list(items[:limit])
    more = len(items) > limit
    return {"items": shown, "next": cursor_of(int(shown[-1][key])) if more and shown else None}
