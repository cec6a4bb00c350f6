"""A run stores no secret, even from a provider that forgot to mask its errors.

Providers mask credentials at their edge (tests/providers/test_echo_end_to_end.py
proves it for SimpleFIN end to end); the run masks what it stores once more,
so a provider written tomorrow cannot leak through the run log.
"""

from __future__ import annotations

import base64
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import Connection, SyncRun
from booksync.banking.secrets import unseal
from booksync.providers.base import Credentials, Provider
from booksync.providers.errors import ProviderError, RateLimited, ReauthRequired
from tests.sync.support import Books


class LeakyBank:
    """A provider whose every error repeats the credentials it was given, in every spelling."""

    name = "simplefin"

    def __init__(self, error: type[ProviderError]) -> None:
        self.error = error

    def fetch(self, credentials: Credentials, *_args: Any, **_kwargs: Any) -> Any:
        raise self.error(f"the bank answered: {' | '.join(spellings(credentials.secret))}")


def spellings(access_url: str) -> list[str]:
    """The access URL, its user, its password raw and percent-encoded, Base64 ``user:password``."""
    parts = urlsplit(access_url)
    user, encoded = unquote(parts.username or ""), parts.password or ""
    password = unquote(encoded)
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    return [access_url, password, encoded, user, f"Authorization: Basic {basic}"]


@pytest.mark.parametrize("error", [ProviderError, RateLimited, ReauthRequired])
def test_a_leaky_providers_error_is_stored_without_the_secret(
    lean_books: Books, factory: sessionmaker[Session], error: type[ProviderError]
) -> None:
    with factory() as session:
        connection = session.get(Connection, lean_books.connection_id)
        assert connection is not None and connection.credentials is not None
    secret = unseal(connection.credentials)
    result = lean_books.sync(providers=lambda _name: cast(Provider, LeakyBank(error)))
    assert result.state != "success"
    with factory() as session:
        stored = session.scalars(select(SyncRun.error)).all()
        last_error = session.get(Connection, lean_books.connection_id)
        assert last_error is not None
        shown = [result.error or "", last_error.last_error or "", *(e or "" for e in stored)]
    assert any("the bank answered" in text for text in shown)
    for text in shown:
        for form in spellings(secret):
            assert form not in text, (form, text)
