"""Hostile input refused at once, with one sentence: JSONL lines, amounts, rates, file sizes.

The commands run as real processes with a hard timeout as a guard only: an
amount such as ``1e-999999999`` used to take minutes of CPU, and
``entry import /dev/zero`` grew by half a gigabyte a second.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.cli.main import run
from booksync.db.engine import make_engine
from booksync.formats import beancount_import
from booksync.formats.jsonl import read_entries, read_prepared
from booksync.ledger.entries import Resolver
from booksync.ledger.errors import InvalidEntry, LedgerError
from booksync.ledger.limits import MAX_JSONL_LINE
from booksync.ledger.models import Company, Entry, Line

EXE = [sys.executable, "-c", "from booksync.cli.main import main; main()"]


def booksync(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EXE, "--db", db, *args], capture_output=True, text=True, timeout=60, check=False
    )


def one_sentence(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def books(db_url: str) -> str:
    """A company to refuse things to; made in-process, as only the refusals need a guard."""
    assert run(["--db", db_url, "init", "--company", "Acme Ltd"]) == 0
    return db_url


def entry_count(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Entry)) or 0)
    finally:
        engine.dispose()


def sale(debit: str = "10.00", **line: Any) -> dict[str, Any]:
    return {
        "journal": "MISC", "date": "2026-03-10",
        "lines": [{"account": "1200", "debit": debit, **line},
                  {"account": "3000", "credit": debit}],
    }


# --- JSONL line length ---------------------------------------------------------------------


def padded(size: int) -> bytes:
    """A valid JSONL line of exactly ``size`` bytes, the newline not counted."""
    body = json.dumps(sale()).encode()
    return body + b" " * (size - len(body))


def test_a_line_of_the_limit_is_read_and_one_byte_more_is_refused() -> None:
    fits = padded(MAX_JSONL_LINE)
    assert [n for n, _ in read_entries(io.BytesIO(fits + b"\n" + fits))] == [1, 2]
    long = b"\n\n" + padded(MAX_JSONL_LINE + 1) + b"\n"
    with pytest.raises(InvalidEntry, match=f"^line 3 is longer than {MAX_JSONL_LINE} bytes$"):
        list(read_entries(io.BytesIO(long)))
    with pytest.raises(InvalidEntry, match="line 1 is longer than"):
        list(read_entries([padded(MAX_JSONL_LINE + 1)]))  # any iterable of lines


def test_entry_import_of_an_endless_line_stops_at_the_limit(books: str) -> None:
    one_sentence(
        booksync(books, "entry", "import", "/dev/zero", "--post"),
        f"line 1 is longer than {MAX_JSONL_LINE} bytes",
    )


# --- amounts and rates with huge exponents ---------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["entry", "add", "--journal", "MISC", "--date", "2026-03-10",
         "--line", "1200:1e-999999999:0", "--line", "3000:0:1"],
        ["entry", "add", "--journal", "MISC", "--date", "2026-03-10",
         "--line", "1200:1" + "0" * 99 + ":0", "--line", "3000:0:1"],
        ["currency", "rate", "set", "USD", "1e-999999999"],
        ["currency", "rate", "set", "USD", "1e30"],
    ],
    ids=["tiny-amount", "long-amount", "tiny-rate", "huge-rate"],
)
def test_huge_exponents_are_refused_at_once(books: str, args: list[str]) -> None:
    one_sentence(booksync(books, *args))


@pytest.mark.parametrize(
    "line",
    [
        {"debit": "1e-999999999"},
        {"currency": "USD", "amount_currency": "1e-999999999"},
        {"label": "x" * 501},
        {"label": "tab\there"},
    ],
    ids=["debit", "amount_currency", "long-label", "control-label"],
)
def test_entry_import_refuses_hostile_lines(
    books: str, tmp_path: Path, line: dict[str, Any]
) -> None:
    obj = sale("1e-999999999") if "debit" in line else sale(**line)
    file = tmp_path / "e.jsonl"
    file.write_text(json.dumps(sale()) + "\n" + json.dumps(obj) + "\n")
    one_sentence(booksync(books, "entry", "import", str(file), "--post"), "line 2:")
    assert entry_count(books) == 0


def test_entry_import_refuses_a_bare_json_number_that_a_float_would_turn_to_zero(
    books: str, tmp_path: Path
) -> None:
    """``"debit": 1e-999999999`` is not 0.0: the line is read exactly, and refused at once."""
    tiny = json.dumps(sale("0")).replace('"debit": "0"', '"debit": 1e-999999999')
    assert "1e-999999999" in tiny
    file = tmp_path / "e.jsonl"
    file.write_text(json.dumps(sale()) + "\n" + tiny + "\n")
    one_sentence(booksync(books, "entry", "import", str(file), "--post"), "line 2:")
    assert entry_count(books) == 0


def test_the_bulk_path_refuses_long_and_control_text(session: Session, company: Company) -> None:
    resolver = Resolver(session, company)
    for bad, fragment in [({"label": "x" * 501}, "label is longer than 500"),
                          ({"label": "a\x00b"}, "contains a control character (U+0000)")]:
        data = io.BytesIO(json.dumps(sale(**bad)).encode() + b"\n")
        with pytest.raises(InvalidEntry, match=r"^line 1: .*" + re.escape(fragment)):
            list(read_prepared(data, resolver))
    ref = io.BytesIO(json.dumps({**sale(), "ref": "r" * 501}).encode())
    with pytest.raises(InvalidEntry, match="line 1: ref is longer than 500"):
        list(read_prepared(ref, resolver))


# --- the company total, through the bulk import ----------------------------------------------


def test_entry_import_beyond_the_company_total_writes_nothing(
    books: str, tmp_path: Path, session: Session
) -> None:
    file = tmp_path / "big.jsonl"
    file.write_text((json.dumps(sale("9999999999999.99")) + "\n") * 9224)
    one_sentence(
        booksync(books, "entry", "import", str(file), "--post"),
        "beyond the 92233720368547758.07 EUR the books can add up",
    )
    assert session.scalar(select(func.count()).select_from(Line)) == 0
    report = booksync(books, "report", "trial-balance", "--json")
    assert report.returncode == 0, report.stderr


# --- Beancount files -------------------------------------------------------------------------


def test_a_beancount_file_beyond_the_size_bound_is_refused(
    session: Session, company: Company, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.beancount"
    path.write_text("2026-01-01 open Assets:1200-Bank\n" * 4)
    monkeypatch.setattr(beancount_import, "MAX_BEANCOUNT_BYTES", 64)
    with pytest.raises(LedgerError, match=r"is larger than \d+ MiB: Beancount reads a file whole"):
        beancount_import.import_beancount(session, company, path)
