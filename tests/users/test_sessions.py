"""Web sessions: a cookie resolves to its user until its idle or absolute end."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.users.accounts import disable_user
from booksync.users.models import AppUser, WebSession
from booksync.users.roles import Role
from booksync.users.sessions import (
    ABSOLUTE_LIFETIME,
    IDLE_TIMEOUT,
    end_session,
    resolve_session,
    start_session,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _row(session: Session) -> WebSession:
    session.expire_all()
    return session.scalars(select(WebSession)).one()


def test_a_new_session_resolves_to_its_user_and_csrf_token(
    session: Session, companies: dict[str, int], clerk: AppUser
) -> None:
    cookie, csrf = start_session(session, clerk.id, now=T0)
    session.commit()
    assert len(cookie) >= 43 and len(csrf) >= 43 and cookie != csrf
    resolved = resolve_session(session, cookie, now=T0 + dt.timedelta(minutes=5))
    assert resolved is not None
    principal, token = resolved
    assert token == csrf
    assert (principal.user_id, principal.email, principal.role) == (
        clerk.id, "clerk@example.com", Role.ACCOUNTANT)
    assert principal.sees(companies["Acme Ltd"]) and not principal.sees(companies["Globex GmbH"])


def test_only_the_cookie_s_hash_is_stored(session: Session, clerk: AppUser) -> None:
    cookie, _ = start_session(session, clerk.id, now=T0)
    session.commit()
    row = _row(session)
    assert row.id == hashlib.sha256(cookie.encode()).hexdigest()
    assert cookie not in repr(row) and row.id not in repr(row) and row.csrf_token not in repr(row)
    assert row.expires_at == T0 + IDLE_TIMEOUT


def test_unknown_and_odd_cookies_resolve_to_nobody(session: Session, clerk: AppUser) -> None:
    start_session(session, clerk.id)
    for cookie in ("", "x", "nul\x00", "x" * 10_000):
        assert resolve_session(session, cookie) is None


def test_an_idle_session_ends(session: Session, clerk: AppUser) -> None:
    cookie, _ = start_session(session, clerk.id, now=T0)
    session.commit()
    just_before = T0 + IDLE_TIMEOUT - dt.timedelta(seconds=1)
    assert resolve_session(session, cookie, now=T0 + IDLE_TIMEOUT) is None
    # An idle session past its end is deleted: it cannot come back.
    assert resolve_session(session, cookie, now=just_before) is None


def test_requests_move_the_idle_end_at_most_once_a_minute(session: Session, clerk: AppUser) -> None:
    cookie, _ = start_session(session, clerk.id, now=T0)
    session.commit()
    assert resolve_session(session, cookie, now=T0 + dt.timedelta(seconds=30)) is not None
    session.commit()
    assert _row(session).last_seen_at == T0  # too soon to write
    later = T0 + dt.timedelta(hours=11)
    assert resolve_session(session, cookie, now=later) is not None
    session.commit()
    row = _row(session)
    assert (row.last_seen_at, row.expires_at) == (later, later + IDLE_TIMEOUT)
    # Past the first idle end, alive because it was used.
    assert resolve_session(session, cookie, now=T0 + dt.timedelta(hours=20)) is not None


def test_a_session_ends_after_its_absolute_lifetime_however_busy(
    session: Session, clerk: AppUser
) -> None:
    cookie, _ = start_session(session, clerk.id, now=T0)
    session.commit()
    moment = T0
    while moment + dt.timedelta(hours=6) < T0 + ABSOLUTE_LIFETIME:
        moment += dt.timedelta(hours=6)
        assert resolve_session(session, cookie, now=moment) is not None, moment
        session.commit()
    assert _row(session).expires_at == T0 + ABSOLUTE_LIFETIME
    assert resolve_session(session, cookie, now=T0 + ABSOLUTE_LIFETIME) is None


def test_an_ended_session_resolves_to_nobody(session: Session, clerk: AppUser) -> None:
    cookie, _ = start_session(session, clerk.id)
    other, _ = start_session(session, clerk.id)
    session.commit()
    end_session(session, cookie)
    end_session(session, "never issued")
    session.commit()
    assert resolve_session(session, cookie) is None
    assert resolve_session(session, other) is not None


def test_a_disabled_user_s_session_resolves_to_nobody(session: Session, clerk: AppUser) -> None:
    cookie, _ = start_session(session, clerk.id)
    clerk.disabled = True  # even if a session were left behind
    session.commit()
    assert resolve_session(session, cookie) is None
    disable_user(session, clerk.email)
    assert session.scalars(select(WebSession)).all() == []


def test_starting_a_session_deletes_the_ones_over(session: Session, clerk: AppUser) -> None:
    start_session(session, clerk.id, now=T0)
    start_session(session, clerk.id, now=T0 + IDLE_TIMEOUT + dt.timedelta(seconds=1))
    session.commit()
    assert len(session.scalars(select(WebSession)).all()) == 1


def test_now_must_say_its_zone(session: Session, clerk: AppUser) -> None:
    with pytest.raises(ValueError, match="aware"):
        start_session(session, clerk.id, now=dt.datetime(2026, 3, 2, 9, 0))
    # Another zone is the same instant.
    cookie, _ = start_session(session, clerk.id, now=T0)
    berlin = T0.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert resolve_session(session, cookie, now=berlin + IDLE_TIMEOUT) is None
