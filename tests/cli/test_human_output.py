"""What people read is safe to print: data never drives the terminal or Rich.

A label holding an escape sequence is shown escaped (``\\x1b[31m``), Rich
markup and emoji codes in data print literally, and JSON keeps the exact text.
Such text is refused on input, but a bank's labels and older books may hold
it: the tests write it into the database directly.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from booksync.cli.output import human
from booksync.db.engine import make_engine
from booksync.ledger.models import Account, Entry, Line
from tests.cli.clitools import Cli, ok_json

ESC = "\x1b[31mred\x1b[0m"
MARKUP = "[bold]x[/bold] [link=https://evil.example]click[/link] :warning:"
BELL = "ring\x07\rover\x9bwrite\u202eevil"


def _plant(db_url: str, *values: object) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for statement in values:
            conn.execute(statement)  # type: ignore[call-overload]
    engine.dispose()


def _entry(acme: Cli, db_url: str, label: str, ref: str) -> dict[str, object]:
    """A draft entry whose ref and first line's label are the given text."""
    made = ok_json(
        acme, "entry", "add", "--journal", "MISC", "--date", "2026-03-01", "--ref", "x",
        "--line", "1200:10:0::y", "--line", "3000:0:10",
    )
    _plant(
        db_url,
        update(Entry).where(Entry.id == made["id"]).values(ref=ref),
        update(Line).where(Line.entry_id == made["id"], Line.label == "y").values(label=label),
    )
    data: dict[str, object] = ok_json(acme, "entry", "show", str(made["id"]))
    return data


def assert_safe(out: str) -> None:
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out and "\x9b" not in out
    assert "\u202e" not in out


@pytest.mark.parametrize("label", [ESC, MARKUP, BELL])
def test_entry_tables_show_data_escaped_and_literal(
    acme: Cli, db_url: str, label: str
) -> None:
    made = _entry(acme, db_url, label, label)
    assert made["lines"][0]["label"] == label  # type: ignore[index]
    assert made["ref"] == label
    assert ok_json(acme, "entry", "list")[0]["ref"] == label
    for args in (("entry", "show", str(made["id"])), ("entry", "list")):
        code, out, err = acme(*args)
        assert code == 0, err
        assert_safe(out)
        assert human(label) in out


def test_markup_in_data_prints_literally(acme: Cli, db_url: str) -> None:
    made = _entry(acme, db_url, MARKUP, "[bold]ref[/bold]")
    code, out, _ = acme("entry", "show", str(made["id"]))
    assert code == 0
    assert "[bold]ref[/bold]" in out
    assert "[bold]x[/bold]" in out and "[link=https://evil.example]click[/link]" in out
    assert ":warning:" in out and "\u26a0" not in out


def test_names_in_tables_and_messages_are_escaped(acme: Cli, db_url: str) -> None:
    code, out, _ = acme("account", "add", "6999", "Odd [bold]name[/bold] :warning:", "--type",
                        "expense")
    assert code == 0
    assert "Odd [bold]name[/bold] :warning:" in out
    _plant(db_url, update(Account).where(Account.code == "6999")
           .values(name=f"Odd {ESC} [bold]name[/bold]"))
    code, out, _ = acme("account", "list")
    assert_safe(out)
    assert "\\x1b[31mred" in out and "[bold]name[/bold]" in out
    names = {r["name"] for r in ok_json(acme, "account", "list")}
    assert f"Odd {ESC} [bold]name[/bold]" in names


def test_errors_are_escaped_and_one_line(acme: Cli) -> None:
    code, _, err = acme("entry", "show", "no\x1b[2J\nsuch")
    assert code == 1
    assert_safe(err)
    assert len(err.strip().splitlines()) == 1


def test_human_escapes_controls_only() -> None:
    assert human("a\x1bb\nc\td\x7fe\x85f") == "a\\x1bb\\nc\\td\\x7fe\\x85f"
    assert human("Grüße, 1\u00a0000 € [x]") == "Grüße, 1\u00a0000 € [x]"
    assert human("\u202eevil") == "\\u202eevil"
    assert human(None) == ""
    assert human(12) == "12"
