"""Hostile input to the pages and the API: every bad value is a 4xx with one sentence.

Each test here sends what a careless or hostile caller might (a number past
what the database holds, digits of another script, a date at the edge of
the calendar) and checks the answer is a refusal, never a 500 (docs/web.md,
"Errors").
"""

from __future__ import annotations

import pytest

from tests.web.conftest import ACCOUNTANT, Web

HUGE = "99999999999999999999"  # past 64 bits: a driver refuses to bind it


@pytest.mark.parametrize("number", [HUGE, "2147483648", "²", "١٢"])
def test_opening_an_entry_by_a_number_no_entry_has_is_not_found(web: Web, number: str) -> None:
    client = web.sign_in(ACCOUNTANT)
    answer = client.get("/entries", params={"number": number})
    assert answer.status_code == 404, answer.text[:300]
    assert "no entry" in answer.text


def test_older_entries_after_an_id_past_the_largest_is_refused(web: Web) -> None:
    client = web.sign_in(ACCOUNTANT)
    answer = client.get("/entries", params={"after": HUGE})
    assert answer.status_code == 422, answer.text[:300]
