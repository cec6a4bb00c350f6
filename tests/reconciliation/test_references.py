"""Document numbers as people type them all reduce to one key."""

from __future__ import annotations

import pytest

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
