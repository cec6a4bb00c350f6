"""The one definition of connection and run states, triggers and run counts."""

from __future__ import annotations

from booksync.banking.models import SyncRun
from booksync.banking.states import (
    DUE_STATES,
    FINISHED_OK,
    RUN_COUNTERS,
    ConnectionState,
    RunCounts,
    RunState,
    RunTrigger,
)
from booksync.cli.sync import COUNTS, SHORT
from booksync.sync.outcome import RunResult


def test_the_stored_names_stay_as_the_json_and_docs_give_them() -> None:
    assert [s.value for s in ConnectionState] == [
        "connected",
        "error",
        "disconnected",
        "reauth_required",
    ]
    assert DUE_STATES == ("connected", "error")
    assert {s.value for s in RunState} == {
        "running",
        "success",
        "partial",
        "error",
        "rate_limited",
        "reauth_required",
        "busy",
    }
    assert FINISHED_OK == ("success", "partial")
    assert [t.value for t in RunTrigger] == ["manual", "schedule"]


def test_every_run_count_is_a_column_and_a_key_of_both_json_shapes() -> None:
    names = [c.name for c in RUN_COUNTERS]
    assert names == ["fetched", "new", "duplicates", "pending", "updated", "reconciled",
                     "reversed"]
    columns = SyncRun.__table__.columns
    for name in names:
        assert name in columns and columns[name].default.arg == 0  # type: ignore[union-attr]
    result = RunResult.counted(RunCounts(**dict.fromkeys(names, 1)), 1, 2, RunState.SUCCESS, "0.50")
    assert list(result.as_dict()) == [
        "connection",
        "run",
        "state",
        *names,
        "balance_difference",
        "error",
        "accounts",
    ]
    assert all(getattr(result, name) == 1 for name in names)
    assert COUNTS == [
        "Fetched", "New", "Duplicates", "Pending", "Updated", "Reconciled", "Reversed",
        "Balance diff."
    ]
    assert SHORT == ["Fetched", "New", "Dup.", "Pend.", "Upd.", "Rec.", "Rev.", "Diff."]


def test_counts_add_up() -> None:
    one = RunCounts(fetched=3, new=1, duplicates=2)
    two = RunCounts(fetched=1, pending=1)
    total = one.plus(two)
    assert total.counts() == {
        "fetched": 4, "new": 1, "duplicates": 2, "pending": 1, "updated": 0, "reconciled": 0,
        "reversed": 0,
    }
    assert RunCounts.read(total) == total
