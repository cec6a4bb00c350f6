"""Who is calling, and whether they may: sessions, bearer tokens, roles and CSRF.

A browser is signed in by its session cookie; a program sends
``Authorization: Bearer bks_...``.  Either way the caller is a
:class:`~booksync.users.principal.Principal`, read from the database on
every request (a revoked token or an ended session fails on the next one).
A route asks for a permission with ``Depends(need(Permission.BOOK))``,
never for a role (docs/web.md, "Roles").

A request reads the caller, its companies and its data through one
database session (:func:`db_session`), closed by :class:`RequestSession`
once the answer is sent: a session of its own for each cost a small
list more than its query (docs/web.md, "Speed").

A request that changes something and comes with the session cookie must
also carry the session's CSRF token, as the form field ``csrf`` or the
header ``X-CSRF-Token``: another site can make a browser send the cookie,
but cannot read the token.  A bearer token is never sent by a browser on
its own, so requests with one need no CSRF token.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from booksync.db.engine import session_factory
from booksync.errors import BooksyncError
from booksync.users.principal import Principal
from booksync.users.roles import Permission
from booksync.users.sessions import resolve_session
from booksync.users.tokens import resolve_token

COOKIE = "booksync_session"
CSRF_FIELD = "csrf"
_SESSION = "booksync.db"  # where the request's database session is kept in its state
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "Caller",
    "NotSignedIn",
    "RequestSession",
    "caller_of",
    "db_session",
    "need",
]


class NotSignedIn(BooksyncError):
    """No valid session or token: a page sends the browser to the login page."""

    code = "unauthenticated"


@dataclass(frozen=True, slots=True)
class Caller:
    """The signed-in user of a request; ``csrf`` is the session's token (None for a
    bearer token, whose requests need none)."""

    principal: Principal
    via: Literal["session", "token"]
    csrf: str | None


def engine_of(request: Request) -> Engine:
    engine = request.app.state.engine
    assert isinstance(engine, Engine)
    return engine


def db_session(request: Request) -> Session:
    """The request's database session, opened on first use.

    Whoever uses it ends what they began (:func:`caller_of` commits the
    caller's lookup, ``booksync.web.companies.opened`` the use case), so that
    no write is held while the request goes on.
    """
    state: dict[str, Any] = request.scope.setdefault("state", {})
    found: Session | None = state.get(_SESSION)
    if found is None:
        factory = getattr(request.app.state, "sessions", None)
        if not isinstance(factory, sessionmaker):
            factory = session_factory(engine_of(request))
        found = state[_SESSION] = factory()
    return found


class RequestSession:
    """ASGI middleware: closes the request's database session, if it opened one, once
    its answer has been sent (or failed); anything left uncommitted is rolled back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        try:
            await self.app(scope, receive, send)
        finally:
            found = state.pop(_SESSION, None)
            if isinstance(found, Session):
                found.close()


def caller_of(request: Request) -> Caller | None:
    """The request's caller, looked up once per request; None when nobody valid."""
    if hasattr(request.state, "caller"):
        found: Caller | None = request.state.caller
        return found
    found = _lookup(request)
    request.state.caller = found
    return found


def _lookup(request: Request) -> Caller | None:
    header = request.headers.get("authorization", "")
    cookie = request.cookies.get(COOKIE)
    if not header and not cookie:
        return None
    bearer = None
    if header:
        scheme, _, value = header.partition(" ")
        bearer = value.strip()
        if scheme.lower() != "bearer" or not bearer:
            return None
    session = db_session(request)
    try:
        found = _resolve(session, bearer, cookie)
        # Committed at once: a token's last use or a session's idle end, when due, is
        # written now rather than held (locked, on SQLite) while the request goes on.
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return found


def _resolve(session: Session, bearer: str | None, cookie: str | None) -> Caller | None:
    if bearer is not None:
        principal = resolve_token(session, bearer)
        return Caller(principal, "token", None) if principal else None
    assert cookie is not None
    resolved = resolve_session(session, cookie)
    if resolved is None:
        return None
    principal, csrf = resolved
    return Caller(principal, "session", csrf)


async def _csrf_given(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def need(permission: Permission) -> Callable[[Request], Awaitable[Caller]]:
    """A dependency: the caller, who must be signed in and allowed ``permission``; a
    change made with the session cookie must carry the session's CSRF token."""

    async def dependency(request: Request) -> Caller:
        caller = caller_of(request)
        if caller is None:
            raise NotSignedIn("Sign in first, or send a valid API token.")
        if not caller.principal.allows(permission):
            raise BooksyncError(
                f"Your role ({caller.principal.role}) may not do this.", code="forbidden"
            )
        if request.method not in SAFE_METHODS and caller.via == "session":
            given = await _csrf_given(request)
            assert caller.csrf is not None
            if not hmac.compare_digest(given.encode(), caller.csrf.encode()):
                raise BooksyncError(
                    "This form has expired or did not come from booksync; reload the page "
                    "and try again.",
                    code="forbidden",
                )
        return caller

    dependency.permission = permission  # type: ignore[attr-defined]  # read by the route tests
    return dependency
