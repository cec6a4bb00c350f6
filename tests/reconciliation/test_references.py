"""Document numbers as people type them all reduce to one key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booksync.reconciliation.references import document_key, free_key, free_keys, number_keys


@pytest.mark.parametrize(
    "text",
    [
        "SEPA credit Osaka Precision KK INV/2026/00012",
        "inv 2026 12",
        "Payment INV-2026-0012 thanks",
        "INV2026O0O12",
        "ref:inv/2026/000012.",
    ],
)
def test_every_way_of_writing_a_number_gives_its_key(text: str) -> None:
    assert number_keys(text) == ["INV/2026/12"]
    assert document_key("INV/2026/00012") == "INV/2026/12"


def test_credit_notes_and_bills_keep_their_own_prefix_and_several_are_found_in_order() -> None:
    assert number_keys("RINV/2026/3 and BILL/2026/7, RBILL 2026 1, INV/2026/3") == [
        "RINV/2026/3", "BILL/2026/7", "RBILL/2026/1", "INV/2026/3"
    ]
    assert number_keys("PREINV/2026/1 INV/2026/12345678") == []


def test_free_references_match_across_spaces_and_dashes() -> None:
    assert free_key("F-2026-118") == "F2026118"
    assert free_key("A-1") is None
    assert "F2026118" in free_keys("Transfer F-2026 118 Nordwerk")


@given(st.text(alphabet="RINVBL/0123456789O²٣ -", max_size=20))
def test_a_number_read_by_its_slashes_has_the_key_a_search_gives(number: str) -> None:
    keys = number_keys(number)
    if len(number.split("/")) == 3 and number.split("/")[0] in {"RINV", "RBILL", "INV", "BILL"}:
        found = document_key(number)
        assert found is None or found in keys
        assert found == (keys[0] if keys else None)


def test_numbers_as_booksync_writes_them_read_by_their_slashes() -> None:
    assert document_key("RBILL/2026/0000123") == "RBILL/2026/123"
    assert document_key("INV/2026/12345678") is None  # longer than any number we give
    assert document_key("INV/\uff12\uff10\uff12\uff16/1") is None  # full-width digits
