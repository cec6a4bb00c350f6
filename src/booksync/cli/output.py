"""Output helpers: JSON on stdout for tools, Rich tables for people."""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

# Piped output is read by people too (logs, CI): give tables room instead of 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def emit_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, default=_default, option=orjson.OPT_INDENT_2).decode())
    sys.stdout.write("\n")
    sys.stdout.flush()


def table(
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    right: Iterable[str] = (),
) -> None:
    """A Rich table; columns named in ``right`` (amounts) are right-aligned."""
    aligned = set(right)
    t = Table(title=title, title_justify="left")
    for name in columns:
        t.add_column(name, justify="right" if name in aligned else "left")
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    console.print(t)


def moment(iso: str | None, empty: str = "") -> str:
    """An ISO 8601 timestamp from the JSON shapes, for people: ``2026-03-10 14:05 UTC``."""
    if not iso:
        return empty
    value = dt.datetime.fromisoformat(iso)
    if value.tzinfo is None:
        return value.strftime("%Y-%m-%d %H:%M")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
