"""A bank's text is made to fit the books, never refused: it is not the user's mistake.

Control characters become spaces and long text is cut to the column, on
statement lines, their entries' lines and references, and pending lines.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from booksync.banking.models import StatementLine
from booksync.ledger.models import Entry, Line
from tests.banking.test_importer import Harness, booked, harness  # noqa: F401 - fixture

LONG = "Pay\x00ment\tto\x85 " + "x" * 600


def test_control_characters_and_long_text_from_the_bank_are_made_to_fit(
    harness: Harness,  # noqa: F811 - the fixture imported above
) -> None:
    tx = replace(booked("A", 1, "5.00", text=LONG), counterparty_name="Bob\x00" + "b" * 300)
    harness.provider.answer = [("ACC-1", [tx], None, True)]
    result = harness.sync()
    assert result.state == "success", result.error
    with harness.factory() as session:
        statement = session.execute(
            select(StatementLine.label, StatementLine.partner_name)
        ).one()
        labels = set(session.scalars(select(Line.label))) | set(session.scalars(select(Entry.ref)))
    expected = ("Pay ment to  " + "x" * 600)[:500]
    assert statement.label == expected and labels == {expected}
    assert statement.partner_name == ("Bob " + "b" * 300)[:200]
