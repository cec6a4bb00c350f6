"""Web sessions: a signed-in browser holds a random cookie; the database its SHA-256.

Whoever reads the ``web_session`` table (a backup, a leaked dump) cannot sign
in with it: the cookie value is never stored.  A session ends after
:data:`IDLE_TIMEOUT` without a request, and after :data:`ABSOLUTE_LIFETIME`
whatever happens; each request within the idle time moves the idle end
forward, but at most once per :data:`TOUCH_INTERVAL`, so that reading pages
does not write a row on every request (docs/users.md, "Sessions").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete
from sqlalchemy.orm import Session

from booksync.users.accounts import principal_for
from booksync.users.clock import instant
from booksync.users.models import AppUser, WebSession
from booksync.users.principal import Principal

__all__ = [
    "ABSOLUTE_LIFETIME",
    "IDLE_TIMEOUT",
    "TOUCH_INTERVAL",
    "end_session",
    "resolve_session",
    "start_session",
]

IDLE_TIMEOUT = dt.timedelta(hours=12)  # without a request, the session ends
ABSOLUTE_LIFETIME = dt.timedelta(days=7)  # from sign-in, whatever happens
TOUCH_INTERVAL = dt.timedelta(minutes=1)  # the idle end moves at most this often
COOKIE_BYTES = 32  # of randomness in a cookie value (43 URL-safe characters)
# Longer than any cookie value start_session makes: hashing it is pointless.
_MAX_COOKIE = 200


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _expires(created_at: dt.datetime, seen_at: dt.datetime) -> dt.datetime:
    return min(seen_at + IDLE_TIMEOUT, created_at + ABSOLUTE_LIFETIME)


def start_session(
    session: Session, user_id: int, now: dt.datetime | None = None
) -> tuple[str, str]:
    """A new session of the user: (cookie value, CSRF token); the caller sets the cookie.

    The cookie value is shown only here; the row holds its hash.  Sessions
    already over are deleted on the way, so the table holds live ones.
    """
    moment = instant(now)
    session.execute(delete(WebSession).where(WebSession.expires_at <= moment))
    cookie = secrets.token_urlsafe(COOKIE_BYTES)
    csrf = secrets.token_urlsafe(COOKIE_BYTES)
    session.add(WebSession(
        id=_digest(cookie),
        user_id=user_id,
        csrf_token=csrf,
        created_at=moment,
        last_seen_at=moment,
        expires_at=_expires(moment, moment),
    ))
    session.flush()
    return cookie, csrf


def resolve_session(
    session: Session, cookie_value: str, now: dt.datetime | None = None
) -> tuple[Principal, str] | None:
    """Who the cookie signs in, and the session's CSRF token; None if it signs in nobody.

    None for a value no session has, a session past its idle or absolute
    end (deleted then), and a disabled user's.  A live session seen more
    than :data:`TOUCH_INTERVAL` ago gets its idle end moved forward.
    """
    if not cookie_value or len(cookie_value) > _MAX_COOKIE:
        return None
    moment = instant(now)
    row = session.get(WebSession, _digest(cookie_value))
    if row is None:
        return None
    if moment >= row.expires_at or moment >= row.created_at + ABSOLUTE_LIFETIME:
        session.delete(row)
        session.flush()
        return None
    user = session.get(AppUser, row.user_id)
    if user is None or user.disabled:
        return None
    if moment - row.last_seen_at >= TOUCH_INTERVAL:
        row.last_seen_at = moment
        row.expires_at = _expires(row.created_at, moment)
        session.flush()
    return principal_for(session, user), row.csrf_token


def end_session(session: Session, cookie_value: str) -> None:
    """Sign the cookie's session out (nothing happens for a value no session has)."""
    if not cookie_value or len(cookie_value) > _MAX_COOKIE:
        return
    session.execute(delete(WebSession).where(WebSession.id == _digest(cookie_value)))
