"""API tokens: shown once, stored as their hash, resolved until revoked."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.errors import BooksyncError
from booksync.users.models import ApiToken, AppUser
from booksync.users.roles import Role
from booksync.users.tokens import USE_INTERVAL, create_token, resolve_token

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_a_token_is_shown_once_and_stored_as_its_hash(session: Session, clerk: AppUser) -> None:
    row, token = create_token(session, "CLERK@example.com", " nightly export ", now=T0)
    session.commit()
    assert token.startswith("bks_") and len(token) == 4 + 43
    session.expire_all()
    stored = session.scalars(select(ApiToken)).one()
    assert stored.id == row.id
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (stored.prefix, stored.name, stored.revoked) == (token[:8], "nightly export", False)
    assert (stored.created_at, stored.last_used_at) == (T0, None)
    assert token not in repr(stored) and stored.token_hash not in repr(stored)


def test_a_token_resolves_to_its_user(
    session: Session, companies: dict[str, int], clerk: AppUser
) -> None:
    _, token = create_token(session, "clerk@example.com", "ci")
    session.commit()
    principal = resolve_token(session, f"  {token}\n")
    assert principal is not None
    assert (principal.user_id, principal.role) == (clerk.id, Role.ACCOUNTANT)
    assert principal.sees(companies["Acme Ltd"]) and not principal.sees(companies["Globex GmbH"])


@pytest.mark.parametrize("bearer", ["", "bks_", "bks_unknown", "Bearer x", "bks_\x00",
                                    "bks_" + "x" * 5000])
def test_an_unknown_token_resolves_to_nobody(
    session: Session, clerk: AppUser, bearer: str
) -> None:
    create_token(session, "clerk@example.com", "ci")
    assert resolve_token(session, bearer) is None


def test_a_revoked_token_resolves_to_nobody(session: Session, clerk: AppUser) -> None:
    row, token = create_token(session, "clerk@example.com", "ci")
    _, other = create_token(session, "clerk@example.com", "other")
    row.revoked = True
    session.commit()
    assert resolve_token(session, token) is None
    assert resolve_token(session, other) is not None


def test_last_use_is_written_at_most_once_a_minute(session: Session, clerk: AppUser) -> None:
    row, token = create_token(session, "clerk@example.com", "ci", now=T0)
    session.commit()
    assert resolve_token(session, token, now=T0) is not None
    session.commit()
    session.expire_all()
    assert row.last_used_at == T0
    assert resolve_token(session, token, now=T0 + USE_INTERVAL / 2) is not None
    session.commit()
    session.expire_all()
    assert row.last_used_at == T0
    assert resolve_token(session, token, now=T0 + USE_INTERVAL) is not None
    session.commit()
    session.expire_all()
    assert row.last_used_at == T0 + USE_INTERVAL


@pytest.mark.parametrize(
    ("email", "name", "code", "fragment"),
    [("nobody@example.com", "ci", "not_found", "no user with the email 'nobody@example.com'"),
     ("clerk@example.com", "  ", "invalid", "a token needs a name"),
     ("clerk@example.com", "x" * 201, "invalid", "longer than 200 characters"),
     ("clerk@example.com", "ci \udcff", "invalid", "is not valid text")],
)
def test_a_refused_token_is_not_made(
    session: Session, clerk: AppUser, email: str, name: str, code: str, fragment: str
) -> None:
    with pytest.raises(BooksyncError) as caught:
        create_token(session, email, name)
    assert (caught.value.code, fragment in str(caught.value)) == (code, True), str(caught.value)
    assert session.scalars(select(ApiToken)).all() == []


def test_a_disabled_user_gets_no_token(session: Session, clerk: AppUser) -> None:
    clerk.disabled = True
    with pytest.raises(BooksyncError, match="is disabled") as caught:
        create_token(session, "clerk@example.com", "ci")
    assert caught.value.code == "conflict"
