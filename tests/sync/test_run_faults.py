"""Each fault the sandbox bank can produce, and a crash between fetch and commit.

For every failure: the right run state, connection state and message;
nothing partial written (statement lines, entries, aliases, pending rows,
balances and watermarks compared before and after); and the next run
catches up, booking everything exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import Connection
from booksync.banking.secrets import seal
from booksync.providers.errors import RateLimited
from booksync.providers.simplefin import SimpleFINProvider
from booksync.sync.outcome import RATE_LIMIT_FLOOR, RATE_LIMIT_WAIT, rate_limit_wait
from booksync.sync.run import ERROR_RETRY, RetryPolicy, RunAborted
from tests.sync.support import (
    Books,
    assert_exactly_once,
    assert_ledger_consistent,
    assert_pending_staged,
    connection_row,
    run_row,
    snapshot,
)

NOW = dt.datetime(2026, 3, 12, 9, 30, tzinfo=dt.UTC)


def _clock() -> dt.datetime:
    return NOW



def _synced_then_moved(books: Books) -> dict[str, object]:
    """A first successful sync, then three bank days of news; the state to protect."""
    first = books.sync()
    assert first.state == "success", first.error
    world = books.bank.world
    business = next(a for a in books.accounts if world.accounts[a].profile == "business")
    world.add_transactions(
        business,
        [{"amount": "-9.99", "description": "FAULT TEST"}, {"amount": "7.00", "pending": True}],
    )
    world.advance(3)
    return snapshot(books.factory, books)


def _unchanged(books: Books, before: dict[str, object]) -> None:
    after = snapshot(books.factory, books)
    for part in ("lines", "entries", "entry_lines", "aliases", "pending", "accounts"):
        assert after[part] == before[part], f"{part} changed by a failed run"
    assert after["last_refresh"] == before["last_refresh"]


def _catches_up(books: Books) -> None:
    result = books.sync()
    assert result.state == "success", result.error
    assert result.new > 0
    assert_exactly_once(books.factory, books)
    assert_pending_staged(books.factory, books)
    assert_ledger_consistent(books.factory, books)
    assert connection_row(books.factory, books).state == "connected"


# -- transient: retried within the run -----------------------------------------------


@pytest.mark.parametrize("kind", ["http_500", "timeout"])
def test_transient_faults_below_the_attempts_recover_within_the_run(
    lean_books: Books, kind: str
) -> None:
    books = lean_books
    books.provider_timeout = 0.3
    _synced_then_moved(books)
    books.bank.inject(kind, 2, delay=0.6)
    sleeps: list[float] = []
    result = books.sync(retry=RetryPolicy(attempts=3, base_delay=0.01), sleep=sleeps.append)
    assert result.state == "success", result.error
    assert sleeps == [0.01, 0.02]  # exponential back-off between the three tries
    assert run_row(books.factory, result.run).attempts == 3
    assert len(books.bank.faults) == 0
    assert_exactly_once(books.factory, books)


@pytest.mark.parametrize(
    ("kind", "message"),
    [("http_500", "failed (HTTP 500)"), ("timeout", "did not answer in time")],
)
def test_transient_faults_beyond_the_attempts_fail_the_run(
    lean_books: Books, kind: str, message: str
) -> None:
    books = lean_books
    books.provider_timeout = 0.3
    before = _synced_then_moved(books)
    books.bank.inject(kind, 3, delay=0.6)
    result = books.sync(clock=_clock, sleep=lambda _s: None)
    assert result.state == "error"
    assert result.error is not None
    assert message in result.error and "gave up after 3 attempts" in result.error
    assert (result.new, result.fetched) == (0, 0)
    run = run_row(books.factory, result.run)
    assert (run.state, run.error, run.new) == ("error", result.error, 0)
    connection = connection_row(books.factory, books)
    assert connection.state == "error"
    assert connection.last_error == result.error
    expected_retry = min(ERROR_RETRY, dt.timedelta(seconds=connection.interval_seconds))
    assert connection.next_sync_at == NOW + expected_retry
    assert connection.claimed_by is None
    _unchanged(books, before)
    _catches_up(books)


# -- rate limit: the watermark stays ----------------------------------------------------


def test_rate_limit_keeps_the_watermark_and_waits_retry_after(lean_books: Books) -> None:
    books = lean_books
    before = _synced_then_moved(books)
    books.bank.inject("rate_limit", 1, retry_after=120)
    sleeps: list[float] = []
    result = books.sync(clock=_clock, sleep=sleeps.append)
    assert result.state == "rate_limited"
    assert result.error is not None and "rate limiting" in result.error
    assert "120 seconds" in result.error
    assert sleeps == []  # a rate limit is not retried inside the run
    run = run_row(books.factory, result.run)
    assert (run.state, run.error) == ("rate_limited", result.error)
    connection = connection_row(books.factory, books)
    assert connection.state == "connected"
    assert connection.last_error == result.error
    assert connection.next_sync_at == NOW + dt.timedelta(seconds=120)
    _unchanged(books, before)  # watermarks and balances included
    _catches_up(books)


def test_retry_after_zero_means_soon_not_an_hour(lean_books: Books) -> None:
    books = lean_books
    _synced_then_moved(books)
    books.bank.inject("rate_limit", 1, retry_after=0)
    result = books.sync(clock=_clock)
    assert result.state == "rate_limited"
    connection = connection_row(books.factory, books)
    assert connection.next_sync_at == NOW + RATE_LIMIT_FLOOR
    _catches_up(books)


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        (None, RATE_LIMIT_WAIT),  # the bank did not say: the default
        (0, RATE_LIMIT_FLOOR),  # "now", but a worker must not hammer the bank
        (0.4, RATE_LIMIT_FLOOR),
        (90, dt.timedelta(seconds=90)),
        (7200, dt.timedelta(hours=2)),
    ],
)
def test_rate_limit_wait(retry_after: float | None, wait: dt.timedelta) -> None:
    assert rate_limit_wait(RateLimited("slow down", retry_after)) == wait


# -- re-authorisation: no more runs until renewed -----------------------------------------


def test_revoked_access_needs_reauthorisation_and_later_runs_are_refused(
    lean_books: Books,
) -> None:
    books = lean_books
    before = _synced_then_moved(books)
    books.bank.inject("revoke")
    result = books.sync(clock=_clock)
    assert result.state == "reauth_required"
    assert result.error is not None and "HTTP 403" in result.error
    assert "new setup token" in result.error
    connection = connection_row(books.factory, books)
    assert connection.state == "reauth_required"
    assert connection.next_sync_at is None
    assert connection.last_error == result.error
    _unchanged(books, before)

    refused = books.sync(clock=_clock)
    assert refused.state == "error"
    assert refused.error is not None and "re-authorisation" in refused.error
    assert run_row(books.factory, refused.run).error == refused.error
    connection = connection_row(books.factory, books)
    assert connection.state == "reauth_required"
    assert connection.next_sync_at is None
    _unchanged(books, before)

    # Renewed with a new setup token: the next run catches up.
    with SimpleFINProvider(timeout=5.0) as provider:
        credentials = provider.claim(books.bank.setup_token())
    with books.factory.begin() as session:
        row = session.get(Connection, books.connection_id)
        assert row is not None
        row.credentials = seal(credentials.secret)
        row.state = "connected"
    _catches_up(books)


# -- errors that fail the run ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("malformed", {"variant": "not_json"}, "malformed"),
        ("malformed", {"variant": "wrong_shape"}, "malformed"),
        ("payment_required", {}, "subscription has lapsed"),
    ],
)
def test_answers_that_fail_the_run(
    lean_books: Books, kind: str, options: dict[str, str], message: str
) -> None:
    books = lean_books
    before = _synced_then_moved(books)
    books.bank.inject(kind, 1, **options)
    sleeps: list[float] = []
    result = books.sync(clock=_clock, sleep=sleeps.append)
    assert result.state == "error"
    assert result.error is not None and message in result.error
    if kind == "payment_required":
        assert "HTTP 402" in result.error
    assert sleeps == []  # not transient: no retry
    connection = connection_row(books.factory, books)
    assert connection.state == "error"
    assert connection.last_error == result.error
    assert run_row(books.factory, result.run).state == "error"
    _unchanged(books, before)
    _catches_up(books)


# -- a crash between fetch and commit ----------------------------------------------------


def _abort() -> None:
    raise RunAborted("injected crash before commit")


def _power_cut() -> None:
    raise RuntimeError("power cut")


@pytest.mark.parametrize("crash", [_abort, _power_cut], ids=["RunAborted", "RuntimeError"])
def test_a_crash_before_commit_leaves_the_books_as_they_were(
    lean_books: Books, crash: Callable[[], None]
) -> None:
    books = lean_books
    before = _synced_then_moved(books)
    result = books.sync(before_commit=crash)
    assert result.state == "error"
    assert result.error
    run = run_row(books.factory, result.run)
    assert run.state == "error"
    assert (run.new, run.fetched) == (0, 0)
    connection = connection_row(books.factory, books)
    assert connection.claimed_by is None, "the lease must be released"
    _unchanged(books, before)
    _catches_up(books)


def test_a_crash_on_the_first_sync_writes_nothing(
    lean_books: Books, factory: sessionmaker[Session]
) -> None:
    books = lean_books
    empty = snapshot(factory, books)
    assert empty["lines"] == []
    result = books.sync(before_commit=_abort)
    assert result.state == "error"
    assert snapshot(factory, books)["lines"] == []
    assert snapshot(factory, books)["accounts"] == empty["accounts"]
    result = books.sync()
    assert result.state == "success", result.error
    assert_exactly_once(factory, books)


def _leaky_crash() -> None:
    raise RuntimeError("power cut while holding https://user:hunter2@bank.example/")


def test_an_unexpected_error_keeps_its_traceback_for_the_debug_log(
    lean_books: Books, caplog: pytest.LogCaptureFixture
) -> None:
    """The stored and shown message is one secret-free sentence; the traceback goes to debug."""
    caplog.set_level(logging.DEBUG, logger="booksync.sync.run")
    result = lean_books.sync(before_commit=_leaky_crash)
    assert result.error == "the run stopped on an unexpected error (RuntimeError)"
    assert run_row(lean_books.factory, result.run).error == result.error
    traced = [r for r in caplog.records if r.exc_info and r.levelno == logging.DEBUG]
    assert len(traced) == 1
    assert traced[0].exc_info is not None
    assert isinstance(traced[0].exc_info[1], RuntimeError)
    assert "_leaky_crash" in caplog.text  # the traceback itself, naming where it happened
    above_debug = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    assert not any("hunter2" in m for m in above_debug)
