"""Every command reads a date alike: spaces ignored, one sentence naming the option."""

from __future__ import annotations

import datetime as dt

import pytest

from booksync.cli.dates import parse_date
from booksync.errors import BooksyncError


def test_a_date_is_read_with_the_spaces_around_it_ignored() -> None:
    assert parse_date(" 2026-02-28\n") == dt.date(2026, 2, 28)


@pytest.mark.parametrize("text", ["2026-02-30", "yesterday", "30/06/2026", "x" * 200])
def test_a_wrong_date_is_one_sentence_naming_the_option_and_cut_short(text: str) -> None:
    with pytest.raises(BooksyncError) as refused:
        parse_date(text, "--since")
    message = str(refused.value)
    assert message.startswith("--since '") and message.endswith("is not a date (YYYY-MM-DD)")
    assert refused.value.code == "invalid" and len(message) < 100
