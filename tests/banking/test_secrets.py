"""Credentials at rest and in motion: sealed in the database, never in logs, errors or reprs."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import Connection, SyncRun
from booksync.banking.secrets import SecretKeyError, key_file, seal, unseal
from booksync.providers.base import Credentials
from booksync.providers.simplefin import SimpleFINProvider
from tests.sync.support import Books, snapshot


def _access_url(books: Books) -> str:
    with books.factory() as session:
        row = session.get(Connection, books.connection_id)
        assert row is not None and row.credentials is not None
        return unseal(row.credentials)


def _secrets_of(url: str) -> list[str]:
    parts = urlsplit(url)
    assert parts.username and parts.password
    return [url, unquote(parts.password), unquote(parts.username), f"{parts.username}:"]


def test_seal_round_trip_and_wrong_key(monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = seal("http://u:p4ssw0rd@127.0.0.1:1/simplefin")
    assert b"p4ssw0rd" not in sealed and b"127.0.0.1" not in sealed
    assert unseal(sealed) == "http://u:p4ssw0rd@127.0.0.1:1/simplefin"
    monkeypatch.setenv("BOOKSYNC_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(SecretKeyError, match="cannot be decrypted with this key"):
        unseal(sealed)
    monkeypatch.setenv("BOOKSYNC_SECRET_KEY", "not-a-fernet-key")
    with pytest.raises(SecretKeyError, match="not a valid Fernet key"):
        seal("x")


def test_key_file_is_created_private(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BOOKSYNC_SECRET_KEY")
    path = tmp_path / "keys" / "secret.key"
    monkeypatch.setenv("BOOKSYNC_KEY_FILE", str(path))
    assert key_file() == path
    sealed = seal("http://u:pw-pw@127.0.0.1:1/x")
    assert path.exists()
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert unseal(sealed) == "http://u:pw-pw@127.0.0.1:1/x"


def test_credentials_are_stored_encrypted(books: Books) -> None:
    url = _access_url(books)
    with books.factory() as session:
        raw = session.execute(
            text("SELECT credentials FROM connection WHERE id = :id"), {"id": books.connection_id}
        ).scalar_one()
    raw_bytes = bytes(raw)
    for secret in _secrets_of(url):
        assert secret.encode() not in raw_bytes
    Fernet(os.environ["BOOKSYNC_SECRET_KEY"].encode()).decrypt(raw_bytes)  # it is a Fernet token


def test_a_wrong_key_fails_the_run_clearly_and_writes_nothing(
    books: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(books.factory, books)
    monkeypatch.setenv("BOOKSYNC_SECRET_KEY", Fernet.generate_key().decode())
    result = books.sync()
    assert result.state == "error"
    assert result.error is not None and "BOOKSYNC_SECRET_KEY" in result.error
    assert "cannot be decrypted" in result.error
    after = snapshot(books.factory, books)
    assert after["lines"] == before["lines"] and after["accounts"] == before["accounts"]


def test_the_access_url_never_leaks(
    books: Books, factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """Logs at DEBUG (httpx, the sandbox, booksync), results, run rows, errors and reprs."""
    url = _access_url(books)
    secrets = _secrets_of(url)
    results = []
    with caplog.at_level(logging.DEBUG):
        results.append(books.sync())
        books.bank.world.advance(2)
        for kind, count in (
            ("http_500", 1),
            ("http_500", 3),
            ("rate_limit", 1),
            ("malformed", 1),
            ("payment_required", 1),
        ):
            books.bank.inject(kind, count)
            results.append(books.sync(sleep=lambda _s: None))
        results.append(books.sync())
        with SimpleFINProvider(timeout=5.0) as provider:
            credentials = Credentials("simplefin", url)
            provider.list_accounts(credentials)
            texts = [repr(credentials), str(credentials)]
        books.bank.inject("revoke")
        results.append(books.sync())
        results.append(books.sync())  # refused: re-authorisation needed
    states = [r.state for r in results]
    assert states == [
        "success",
        "success",
        "error",
        "rate_limited",
        "error",
        "error",
        "success",
        "reauth_required",
        "error",
    ]
    logged = "\n".join([r.getMessage() for r in caplog.records] + [caplog.text])
    assert "simplefin" in logged.lower() or "accounts" in logged  # something was logged
    texts += [repr(r) for r in results] + [str(r.as_dict()) for r in results]
    with factory() as session:
        connection = session.get(Connection, books.connection_id)
        assert connection is not None
        texts += [repr(connection), str(connection.last_error)]
        texts += [str(e) for e in session.scalars(select(SyncRun.error))]
        texts += [repr(a) for a in connection.accounts]
    texts.append(logged)
    for blob in texts:
        for secret in secrets:
            assert secret not in blob, f"a secret leaked into: {blob[:200]}"
