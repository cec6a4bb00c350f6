"""Which bank dates a run asks for (booksync.sync.window), docs/banking.md."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from booksync.providers.base import Window
from booksync.sync.window import LOOKAHEAD_DAYS, OVERLAP_DAYS, next_watermark, run_window

TODAY = dt.date(2026, 3, 10)
END = TODAY + dt.timedelta(days=LOOKAHEAD_DAYS)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def test_first_sync_goes_back_history_days() -> None:
    assert run_window([None], today=TODAY, history_days=90) == Window(TODAY - days(90), END)
    assert run_window([], today=TODAY, history_days=30) == Window(TODAY - days(30), END)


def test_overlap_from_the_watermark() -> None:
    mark = TODAY - days(2)
    window = run_window([mark], today=TODAY, history_days=90)
    assert window == Window(mark - days(OVERLAP_DAYS), END)
    custom = run_window([mark], today=TODAY, history_days=90, overlap_days=3)
    assert custom.start == mark - days(3)


def test_earliest_account_decides_and_a_new_account_goes_back_history_days() -> None:
    early, late = TODAY - days(20), TODAY - days(1)
    assert run_window([late, early], today=TODAY, history_days=90).start == early - days(10)
    mixed = run_window([late, None], today=TODAY, history_days=45)
    assert mixed.start == TODAY - days(45)


def test_oldest_pending_earlier_than_the_overlap_extends_the_window() -> None:
    mark = TODAY + days(1)
    pending = TODAY - days(25)
    assert run_window([mark], today=TODAY, history_days=90, oldest_pending=pending).start == (
        pending
    )
    recent = TODAY - days(1)
    assert run_window([mark], today=TODAY, history_days=90, oldest_pending=recent).start == (
        mark - days(OVERLAP_DAYS)
    )


def test_since_overrides_everything() -> None:
    since = dt.date(2025, 1, 1)
    window = run_window(
        [TODAY], today=TODAY, history_days=90, oldest_pending=TODAY - days(3), since=since
    )
    assert window == Window(since, END)
    later = run_window([None], today=TODAY, history_days=90, since=TODAY - days(2))
    assert later.start == TODAY - days(2)


def test_since_after_the_end_still_gives_a_valid_window() -> None:
    window = run_window([None], today=TODAY, history_days=90, since=TODAY + days(30))
    assert window == Window(END - days(1), END)


def test_the_end_looks_ahead_of_today() -> None:
    for marks in ([None], [TODAY + days(1)], [TODAY - days(40)]):
        assert run_window(marks, today=TODAY, history_days=90).end == END


def test_next_watermark_is_never_past_tomorrow() -> None:
    window = Window(TODAY - days(10), END)
    assert next_watermark(window, TODAY) == TODAY + days(1)
    short = Window(TODAY - days(30), TODAY - days(5))
    assert next_watermark(short, TODAY) == TODAY - days(5)


@settings(deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(-200, 1)), min_size=1, max_size=4),
    st.integers(1, 400),
    st.one_of(st.none(), st.integers(-300, 0)),
)
def test_no_day_is_ever_skipped(marks: list[int | None], history: int, pending: int | None) -> None:
    """Every day from each account's watermark minus the overlap to today is inside."""
    watermarks = [None if m is None else TODAY + days(m) for m in marks]
    oldest = None if pending is None else TODAY + days(pending)
    window = run_window(watermarks, today=TODAY, history_days=history, oldest_pending=oldest)
    assert TODAY in window
    for mark in watermarks:
        first = (mark - days(OVERLAP_DAYS)) if mark else TODAY - days(history)
        assert window.start <= first
    if oldest is not None:
        assert window.start <= oldest
    assert next_watermark(window, TODAY) <= TODAY + days(1)
    assert next_watermark(window, TODAY) > TODAY
