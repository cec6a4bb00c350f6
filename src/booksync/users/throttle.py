"""Login throttling: guessing passwords gets slow, by address and by client.

Each password check at sign-in is recorded.  An address with
:data:`MAX_FAILURES_PER_EMAIL` failures in the last :data:`WINDOW` (counted
since its last success) waits, as does a client address with
:data:`MAX_FAILURES_PER_REMOTE` failures in that window, whichever
addresses they tried (docs/users.md, "Login throttling").  The wait lasts
until enough failures have left the window, so a guesser gets a handful of
tries per window, not an endless stream, and the person whose address is
tried gets in again by itself.

A success resets only its address's count: a client's count stays, or
signing in to one's own account would reset a guessing run from the same
place.  A request refused because of the wait checks no password and is
not recorded.  Attempts older than :data:`KEPT` are deleted on the way.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from booksync.ledger.limits import fit_text
from booksync.users.accounts import normalize_email
from booksync.users.clock import instant
from booksync.users.models import MAX_EMAIL, MAX_REMOTE, LoginAttempt

__all__ = [
    "KEPT",
    "MAX_FAILURES_PER_EMAIL",
    "MAX_FAILURES_PER_REMOTE",
    "WINDOW",
    "record_attempt",
    "retry_after",
]

WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_REMOTE = 20
KEPT = dt.timedelta(days=1)


def _fitted(text: str, limit: int) -> str:
    """Any text as a column takes it: cut, controls and lone surrogates replaced."""
    return fit_text(text, limit).encode("utf-8", "replace").decode("utf-8")


def _email(email: str) -> str:
    """An address typed at sign-in, as stored: any text fits (the form takes anything)."""
    return _fitted(normalize_email(email), MAX_EMAIL)


def _remote(remote: str) -> str:
    return _fitted(remote.strip(), MAX_REMOTE)


def record_attempt(
    session: Session,
    email: str,
    remote: str,
    succeeded: bool,
    now: dt.datetime | None = None,
) -> None:
    """Record one password check for ``email`` from the client address ``remote``.

    The address's and the client's attempts older than :data:`KEPT` go on
    every call (their indexes find them); all others' with each success,
    which comes at a person's pace however busy a guesser is.
    """
    moment = instant(now)
    address, client = _email(email), _remote(remote)
    cutoff = moment - KEPT
    old = LoginAttempt.at < cutoff
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == address, old))
    session.execute(delete(LoginAttempt).where(LoginAttempt.remote == client, old))
    if succeeded:
        session.execute(delete(LoginAttempt).where(old))
    session.add(LoginAttempt(email=address, remote=client, at=moment, succeeded=succeeded))
    session.flush()


def _wait(
    session: Session,
    condition: ColumnElement[bool],
    since: dt.datetime,
    limit: int,
    moment: dt.datetime,
) -> dt.timedelta | None:
    """How long until fewer than ``limit`` failures matching ``condition`` are in the window.

    The ``limit``-th most recent failure is the one that must leave it.
    """
    recent = list(session.scalars(
        select(LoginAttempt.at)
        .where(condition, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
        .order_by(LoginAttempt.at.desc())
        .limit(limit)
    ))
    if len(recent) < limit:
        return None
    return recent[-1] + WINDOW - moment


def retry_after(
    session: Session, email: str, remote: str, now: dt.datetime | None = None
) -> int | None:
    """Seconds to wait before ``email`` may try a password from ``remote``; None: try now.

    At least 1 when there is a wait, so that a caller may put it in a
    ``Retry-After`` header as it is.
    """
    moment = instant(now)
    address, client = _email(email), _remote(remote)
    start = moment - WINDOW
    last_success = session.scalar(
        select(func.max(LoginAttempt.at))
        .where(LoginAttempt.email == address, LoginAttempt.succeeded.is_(True))
    )
    since = start if last_success is None else max(start, last_success)
    waits = [
        wait
        for wait in (
            _wait(session, LoginAttempt.email == address, since, MAX_FAILURES_PER_EMAIL, moment),
            _wait(session, LoginAttempt.remote == client, start, MAX_FAILURES_PER_REMOTE, moment),
        )
        if wait is not None
    ]
    if not waits:
        return None
    return max(1, math.ceil(max(waits).total_seconds()))
