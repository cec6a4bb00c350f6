"""Listings are streamed and paged: ``--limit N`` and ``--after ID`` on entries,
statement lines and the sync log; pages never repeat or skip a row.

``entry list --json`` lists everything by default (written as it is read);
the table shows the first 100 entries and says how to see more.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from booksync.sandbox import SandboxHandle, start
from tests.cli.clitools import Cli, ok_json, one_error


def _import(acme: Cli, tmp_path: Path, count: int, *, post: bool = True) -> None:
    """``count`` entries whose dates do not follow their ids, in two journals."""
    rows = []
    for i in range(count):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=(i * 7) % 31)
        journal = "SAL" if i % 3 == 0 else "MISC"
        rows.append({
            "journal": journal, "date": day.isoformat(), "ref": f"R{i}",
            "lines": [
                {"account": "1200", "debit": f"{i + 1}.25", "credit": "0", "label": f"line {i}"},
                {"account": "1300", "debit": "0", "credit": f"{i + 1}.25",
                 "currency": "USD", "amount_currency": f"-{i + 2}.00"},
            ],
        })
    file = tmp_path / "entries.jsonl"
    file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, _, err = acme("entry", "import", str(file), *(["--post"] if post else []))
    assert code == 0, err


def pages(acme: Cli, *args: str, size: int, cursor: str) -> Iterator[list[dict[str, Any]]]:
    after: list[str] = []
    while True:
        page: list[dict[str, Any]] = ok_json(acme, *args, "--limit", str(size), *after)
        if not page:
            return
        assert len(page) <= size
        yield page
        after = ["--after", str(page[-1][cursor])]


def test_entry_pages_cover_the_listing_once_in_order(acme: Cli, tmp_path: Path) -> None:
    _import(acme, tmp_path, 23)
    reversed_id = ok_json(acme, "entry", "reverse", "MISC/2026/00001")["id"]
    full = ok_json(acme, "entry", "list")
    assert len(full) == 24
    assert [(e["date"], e["id"]) for e in full] == sorted((e["date"], e["id"]) for e in full)
    got = [page for page in pages(acme, "entry", "list", size=5, cursor="id")]
    assert [len(p) for p in got] == [5, 5, 5, 5, 4]
    assert [e for page in got for e in page] == full
    sal = ok_json(acme, "entry", "list", "--journal", "SAL")
    assert [e for p in pages(acme, "entry", "list", "--journal", "SAL", size=3, cursor="id")
            for e in p] == sal
    # each listed entry is exactly what `entry show` says about it
    for entry in full:
        assert ok_json(acme, "entry", "show", str(entry["id"])) == entry
    states = {e["id"]: e["state"] for e in full}
    assert states[reversed_id] == "posted" and "reversed" in states.values()


def test_entry_list_json_is_streamed_in_the_same_form(acme: Cli, tmp_path: Path) -> None:
    code, out, _ = acme("entry", "list", "--json")
    assert code == 0 and out == "[]\n"
    _import(acme, tmp_path, 4, post=False)
    code, out, _ = acme("entry", "list", "--json")
    assert code == 0
    data = json.loads(out)
    assert out == orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    assert [e["state"] for e in data] == ["draft"] * 4
    assert data[0]["lines"][1]["currency"] == "USD"


def test_entry_table_shows_a_first_page_and_how_to_see_more(acme: Cli, tmp_path: Path) -> None:
    _import(acme, tmp_path, 103)
    code, out, _ = acme("entry", "list")
    assert code == 0
    listed = ok_json(acme, "entry", "list")
    shown = [e for e in listed if f" {e['number']} " in out]
    assert shown == listed[:100]
    assert f"--after {listed[99]['id']}" in out
    code, out, _ = acme("entry", "list", "--after", str(listed[99]["id"]))
    assert code == 0 and "--after" not in out
    assert all(f" {e['number']} " in out for e in listed[100:])
    code, out, _ = acme("entry", "list", "--limit", "2")
    assert code == 0 and f"--after {listed[1]['id']}" in out


def test_after_an_unknown_entry(acme: Cli) -> None:
    one_error(acme("entry", "list", "--after", "42"), "no entry 42")


# --- statement lines and the sync log, from the sandbox bank --------------------------------


@pytest.fixture
def synced(acme: Cli) -> Iterator[Cli]:
    bank: SandboxHandle = start(port=0, seed=3)
    try:
        day = (bank.world.first_day - dt.timedelta(days=1)).isoformat()
        for currency, rate in (("USD", "0.92"), ("JPY", "0.0061")):
            assert acme("currency", "rate", "set", currency, rate, "--date", day)[0] == 0
        made = ok_json(acme, "connect", "simplefin", bank.setup_token())
        for _ in range(3):
            assert acme("sync", str(made["id"]))[0] == 0
        yield acme
    finally:
        bank.stop()


def test_statement_and_log_pages(synced: Cli) -> None:
    full = ok_json(synced, "statement", "list", "--journal", "BNK1")
    assert len(full) > 6 and len({r["id"] for r in full}) == len(full)
    got = list(pages(synced, "statement", "list", "--journal", "BNK1", size=4, cursor="id"))
    assert [r for page in got for r in page] == full
    pending = ok_json(synced, "statement", "list", "--journal", "BNK1", "--pending")
    assert [r for p in pages(synced, "statement", "list", "--journal", "BNK1", "--pending",
                             size=1, cursor="id") for r in p] == pending
    code, out, _ = synced("statement", "list", "--journal", "BNK1", "--limit", "3")
    assert code == 0 and f"--after {full[2]['id']}" in out

    log = ok_json(synced, "sync", "log")
    assert [r["run"] for r in log] == [3, 2, 1]
    assert [r for p in pages(synced, "sync", "log", size=2, cursor="run") for r in p] == log
    assert [r["run"] for r in ok_json(synced, "sync", "log", "1", "--after", "3")] == [2, 1]
    one_error(synced("sync", "log", "--after", "99"), "no synchronization run 99")
