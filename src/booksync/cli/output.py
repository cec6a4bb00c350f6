"""Output helpers: JSON on stdout for tools, Rich tables and lines for people.

Data reaches people only through :func:`human`: a label from a bank or a file
may hold terminal escape sequences (``\\x1b[2J`` clears the screen, ``\\r``
overwrites a line, U+202E reverses text), and Rich would read ``[bold]`` or
``:warning:`` in it as markup or emoji.  Tables and :func:`say` print such
text escaped and literally; JSON keeps it exact.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

# Piped output is read by people too (logs, CI): give tables room instead of 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)

# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what is shown.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_NEWLINE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def _escaped(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]  # "\x1b", "\n", "\u202e": as Python writes them


def human(value: Any, *, newlines: bool = False) -> str:
    """``value`` as text for a terminal: control characters escaped (``\\x1b``).

    ``newlines`` keeps line breaks, for messages whose own lines are wanted.
    """
    text = "" if value is None else str(value)
    return (_CONTROL_BUT_NEWLINE if newlines else _CONTROL).sub(_escaped, text)


def say(message: str, *, err: bool = False, soft_wrap: bool = False) -> None:
    """Print a line for people: data in it escaped, never read as markup or emoji."""
    (errors if err else console).print(
        Text(human(message, newlines=True)), soft_wrap=soft_wrap, highlight=False
    )


def _default(value: Any) -> Any:
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=orjson.OPT_INDENT_2)


def emit_json(data: Any) -> None:
    sys.stdout.write(_dumps(data).decode())
    sys.stdout.write("\n")
    sys.stdout.flush()


def emit_json_rows(rows: Iterable[Any]) -> int:
    """A JSON array written row by row, in exactly the form :func:`emit_json` gives a list.

    Long listings are read and written as a stream, so memory stays flat;
    returns the number of rows.  JSON strings hold no raw line breaks, so
    indenting every line of a row by two spaces nests it in the array.
    """
    count = 0
    for row in rows:
        sys.stdout.write("[\n  " if count == 0 else ",\n  ")
        sys.stdout.write(_dumps(row).replace(b"\n", b"\n  ").decode())
        count += 1
    sys.stdout.write("\n]\n" if count else "[]\n")
    sys.stdout.flush()
    return count


def table(
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    right: Iterable[str] = (),
) -> None:
    """A Rich table; columns named in ``right`` (amounts) are right-aligned.

    Cells and title are :func:`human` text objects: shown escaped, never markup.
    """
    aligned = set(right)
    t = Table(title=None if title is None else Text(human(title)), title_justify="left")
    for name in columns:
        t.add_column(name, justify="right" if name in aligned else "left")
    for row in rows:
        t.add_row(*(Text(human(v)) for v in row))
    console.print(t)


def moment(iso: str | None, empty: str = "") -> str:
    """An ISO 8601 timestamp from the JSON shapes, for people: ``2026-03-10 14:05 UTC``."""
    if not iso:
        return empty
    value = dt.datetime.fromisoformat(iso)
    if value.tzinfo is None:
        return value.strftime("%Y-%m-%d %H:%M")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
