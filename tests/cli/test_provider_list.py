"""``booksync provider list``: every provider booksync speaks, with what it needs to
connect and what it supports, as the providers themselves declare it."""

from __future__ import annotations

import json

import pytest

from booksync.providers.registry import PROVIDERS, provider_for
from tests.cli.clitools import call


def test_every_provider_is_listed_with_its_own_capabilities(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = call(capsys, "provider", "list", "--json")
    assert code == 0, err
    listed = {row["name"]: row for row in json.loads(out)}
    assert set(listed) == set(PROVIDERS) >= {"simplefin", "gocardless", "plaid"}
    for name, row in listed.items():
        able = provider_for(name).capabilities
        assert (row["pending"], row["cursor_or_window"], row["max_window_days"],
                row["max_history_days"], row["requests_per_day"]) == (
            able.pending, able.cursor_or_window, able.max_window_days,
            able.max_history_days, able.requests_per_day)
        assert row["connect"].startswith(f"booksync connect {name}") and row["needs"]
    assert listed["plaid"]["cursor_or_window"] == "cursor"
    assert listed["gocardless"]["requests_per_day"] == 4


def test_the_table_names_each_provider(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = call(capsys, "provider", "list")
    assert code == 0, err
    for title in ("SimpleFIN Bridge", "GoCardless", "Plaid"):
        assert title in out
