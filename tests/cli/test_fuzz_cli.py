"""Arbitrary text as an id or as ``--db`` never ends in a traceback.

The answer is always an exit code of 0, 1, 2 or 3; an error is one line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booksync.cli.ids import parse_id
from booksync.db.engine import DatabaseUnavailable, check_url
from booksync.ledger.errors import LedgerError
from booksync.ledger.limits import MAX_ID
from tests.cli.clitools import Result, call

FUZZ = settings(
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SCHEMES = st.sampled_from(
    ["", "sqlite://", "sqlite:///", "postgresql://", "postgres://", "postgresql+psycopg://",
     "mysql://", "x://", "://", "file:", "~", "/", "./"]
)
# Whole commands cost milliseconds each, where the parsers cost microseconds:
# fewer examples for them, the parsers above take the volume.
FUZZ_COMMANDS = settings(FUZZ, max_examples=40)
DIGITY = st.text(alphabet="0123456789 +-_.e\u00b2\u0661\u0662\x00\n", max_size=40)


def one_answer(result: Result) -> None:
    code, out, err = result
    # 0 done, 1 refused, 2 usage, 3 the database cannot be used (booksync.errors)
    assert code in (0, 1, 2, 3), (code, err)
    assert "Traceback" not in out + err
    if code in (1, 3):
        assert len(err.strip().splitlines()) == 1, err


@FUZZ
@given(text=st.one_of(st.text(max_size=60), DIGITY))
def test_parse_id_accepts_exactly_the_ids(text: str) -> None:
    try:
        value = parse_id(text, "connection id")
    except LedgerError as exc:
        assert "\n" not in str(exc)
        stripped = text.strip()
        assert not (stripped.isascii() and stripped.isdigit() and 1 <= int(stripped) <= MAX_ID)
    else:
        assert 1 <= value <= MAX_ID and str(value) == text.strip().lstrip("0")


@FUZZ
@given(rest=st.text(max_size=60), scheme=SCHEMES)
def test_check_url_answers_or_refuses_in_one_sentence(scheme: str, rest: str) -> None:
    try:
        url = check_url(scheme + rest)
    except DatabaseUnavailable as exc:
        assert "\n" not in str(exc)
    else:
        assert url.get_backend_name() in ("sqlite", "postgresql")


@FUZZ_COMMANDS
@given(text=st.one_of(st.text(max_size=60), DIGITY))
def test_any_id_on_the_command_line(
    acme_path: str, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    for args in (("entry", "show", text), ("connection", "disconnect", text),
                 ("sync", "log", "--after", text), ("entry", "list", "--limit", text)):
        one_answer(call(capsys, "--db", acme_path, *args))


@FUZZ_COMMANDS
@given(rest=st.text(max_size=60), scheme=st.sampled_from(["", "sqlite:///", "x://", "~"]))
def test_any_db_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scheme: str, rest: str,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paths and URLs that need no server: the answer is a sentence, never a new file."""
    monkeypatch.chdir(tmp_path)
    one_answer(call(capsys, "--db", scheme + rest, "account", "list"))
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def acme_path(tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path_factory.mktemp("fuzz") / "books.db"
    assert call(capsys, "--db", str(path), "init", "--company", "Acme Ltd")[0] == 0
    return str(path)
