"""A bank that echoes the request, credentials and all: booksync shows and stores none of it.

End to end over real loopback HTTP: the sandbox bank's ``echo`` fault
reflects the request URL, its headers (``Authorization: Basic ...``) and the
access URL in its raw and percent-encoded spellings back in an error; then
``booksync sync`` (text and JSON), ``sync log --json``, ``connection list``
and the ``sync_run.error`` / ``connection.last_error`` columns, on SQLite and
PostgreSQL, hold no form of the secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

import pytest
from sqlalchemy import select

from booksync.banking.models import Connection, SyncRun
from booksync.banking.secrets import unseal
from booksync.cli.main import run
from booksync.db.engine import make_engine, session_factory
from booksync.sandbox import SandboxHandle, start


@pytest.fixture
def bank() -> Iterator[SandboxHandle]:
    handle = start(port=0, seed=3)
    yield handle
    handle.stop()


def _forms(access_url: str) -> list[str]:
    """Every spelling of the credentials a bank might echo."""
    parts = urlsplit(access_url)
    assert parts.username and parts.password
    user, password = unquote(parts.username), unquote(parts.password)
    assert quote(password, safe="") != password  # the sandbox's passwords need encoding
    pair = f"{user}:{password}".encode()
    return [
        access_url,
        password,
        parts.password,
        quote(password),
        quote_plus(password),
        user,
        base64.b64encode(pair).decode(),
        base64.b64encode(pair).decode().rstrip("="),
    ]


def test_an_echoing_bank_leaks_nothing(
    db_url: str, capsys: pytest.CaptureFixture[str], bank: SandboxHandle
) -> None:
    shown: list[str] = []

    def cli(*args: str) -> tuple[int, str]:
        code = run(["--db", db_url, *args])
        out, err = capsys.readouterr()
        shown.extend([out, err])
        return code, out

    assert cli("init", "--company", "Acme Ltd")[0] == 0
    day = (bank.world.first_day - dt.timedelta(days=1)).isoformat()
    for currency, rate in (("USD", "0.92"), ("JPY", "0.0061")):
        assert cli("currency", "rate", "set", currency, rate, "--date", day)[0] == 0
    code, out = cli("connect", "simplefin", bank.setup_token(), "--json")
    assert code == 0
    connection = str(json.loads(out)["id"])

    results: list[Any] = []
    for variant, flags in (
        ("text", ()),
        ("errors", ("--json",)),
        ("warning", ()),
        ("warning", ("--json",)),
        ("auth", ("--json",)),
    ):
        bank.inject("echo", variant=variant)
        code, out = cli("sync", connection, *flags)
        if flags:
            results.append(json.loads(out))
    assert [r[0]["state"] for r in results] == ["error", "partial", "reauth_required"]
    assert "HTTP 400" in results[0][0]["error"]
    assert "refused" in results[0][0]["error"]  # the echo's own error field, redacted
    assert "***" in results[2][0]["error"]

    log = cli("sync", "log", "--json")[1]
    assert json.loads(log)
    listed = cli("connection", "list", "--json")[1]
    assert json.loads(listed)[0]["last_error"]
    cli("connection", "list")
    cli("sync", "log")

    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            stored = [e for e in session.scalars(select(SyncRun.error)) if e]
            row = session.scalars(select(Connection)).one()
            assert row.credentials is not None
            access_url = unseal(row.credentials)
            stored.append(str(row.last_error))
    finally:
        engine.dispose()
    assert len(stored) >= 5
    for blob in shown + stored:
        for form in _forms(access_url):
            assert form not in blob, f"{form!r} leaked into: {blob[:300]}"
