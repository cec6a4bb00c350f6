"""Login throttling: five failures per address, twenty per client, in fifteen minutes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.users.models import LoginAttempt
from booksync.users.throttle import (
    MAX_FAILURES_PER_EMAIL,
    MAX_FAILURES_PER_REMOTE,
    WINDOW,
    record_attempt,
    retry_after,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HERE = "203.0.113.7"


def _fail(session: Session, email: str, remote: str, at: dt.datetime, times: int = 1) -> None:
    for n in range(times):
        record_attempt(session, email, remote, False, now=at + dt.timedelta(seconds=n))
    session.commit()


def test_five_failures_make_an_address_wait(session: Session) -> None:
    _fail(session, "clerk@example.com", HERE, T0, MAX_FAILURES_PER_EMAIL - 1)
    later = T0 + dt.timedelta(minutes=1)
    assert retry_after(session, "clerk@example.com", HERE, now=later) is None
    _fail(session, "clerk@example.com", HERE, later)
    wait = retry_after(session, "Clerk@Example.com ", HERE, now=later)
    # The oldest of the five (at T0) leaves the window at T0 + 15 min.
    assert wait == int((T0 + WINDOW - later).total_seconds())
    # Another address from another client is not held up.
    assert retry_after(session, "owner@example.com", "198.51.100.1", now=later) is None
    # The same address from another client is.
    assert retry_after(session, "clerk@example.com", "198.51.100.1", now=later) == wait
    # Once the oldest failure left the window, one more try.
    assert retry_after(session, "clerk@example.com", HERE, now=T0 + WINDOW) is None


def test_the_wait_counts_down(session: Session) -> None:
    _fail(session, "clerk@example.com", HERE, T0, MAX_FAILURES_PER_EMAIL)
    first = retry_after(session, "clerk@example.com", HERE, now=T0 + dt.timedelta(minutes=1))
    second = retry_after(session, "clerk@example.com", HERE, now=T0 + dt.timedelta(minutes=10))
    last = retry_after(session, "clerk@example.com", HERE,
                       now=T0 + WINDOW - dt.timedelta(microseconds=1))
    assert first is not None and second is not None
    assert first > second > 0 and last == 1


def test_a_success_resets_the_address_s_count(session: Session) -> None:
    _fail(session, "clerk@example.com", HERE, T0, MAX_FAILURES_PER_EMAIL - 1)
    record_attempt(session, "clerk@example.com", HERE, True, now=T0 + dt.timedelta(minutes=1))
    _fail(session, "clerk@example.com", HERE, T0 + dt.timedelta(minutes=2),
          MAX_FAILURES_PER_EMAIL - 1)
    assert retry_after(session, "clerk@example.com", HERE,
                       now=T0 + dt.timedelta(minutes=3)) is None
    _fail(session, "clerk@example.com", HERE, T0 + dt.timedelta(minutes=3))
    assert retry_after(session, "clerk@example.com", HERE, now=T0 + dt.timedelta(minutes=4))


def test_twenty_failures_from_one_client_make_it_wait_whatever_the_address(
    session: Session,
) -> None:
    for n in range(MAX_FAILURES_PER_REMOTE - 1):
        _fail(session, f"user{n}@example.com", HERE, T0 + dt.timedelta(seconds=n))
    now = T0 + dt.timedelta(minutes=1)
    assert retry_after(session, "new@example.com", HERE, now=now) is None
    _fail(session, "user99@example.com", HERE, now)
    assert retry_after(session, "new@example.com", HERE, now=now) == 14 * 60
    assert retry_after(session, "new@example.com", "198.51.100.1", now=now) is None
    # Signing in to one's own account from there does not reset it.
    record_attempt(session, "mine@example.com", HERE, True, now=now)
    assert retry_after(session, "new@example.com", HERE, now=now) == 14 * 60


def test_attempts_older_than_a_day_are_deleted(session: Session) -> None:
    _fail(session, "clerk@example.com", HERE, T0, 3)
    _fail(session, "eve@example.com", "198.51.100.9", T0, 3)
    next_day = T0 + dt.timedelta(days=1, minutes=1)
    record_attempt(session, "clerk@example.com", "192.0.2.1", False, now=next_day)
    session.commit()
    left = session.scalars(select(LoginAttempt.email).order_by(LoginAttempt.id)).all()
    assert left == ["eve@example.com"] * 3 + ["clerk@example.com"]  # the address's own went
    record_attempt(session, "owner@example.com", "192.0.2.2", True, now=next_day)  # all go
    session.commit()
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 2


def test_any_text_typed_at_sign_in_is_recorded(session: Session) -> None:
    odd = "nul\x00\udcff" + "x" * 1000
    _fail(session, odd, "::ffff:" + "9" * 500, T0, MAX_FAILURES_PER_EMAIL)
    assert retry_after(session, odd, "elsewhere", now=T0 + dt.timedelta(minutes=1))
