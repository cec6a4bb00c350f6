"""A bank's text is made to fit the books, never refused: it is not the user's mistake.

Control characters become spaces and long text is cut to the column, on
statement lines, their entries' lines and references, and pending lines;
ids that cannot be stored as sent are stored as a digest of themselves.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.connections import create_connection
from booksync.banking.models import Institution, StatementLine, TransactionAlias
from booksync.ledger.errors import LedgerError
from booksync.ledger.models import Company, Entry, Line
from booksync.providers.base import Credentials
from booksync.providers.base import ProviderAccount as RemoteAccount
from tests.statements.test_importer import SECRET, Harness, booked, harness  # noqa: F401 - fixture

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


def test_ids_the_columns_cannot_hold_book_once_under_a_digest(
    harness: Harness,  # noqa: F811 - the fixture imported above
) -> None:
    """A 300-character id, an id with a NUL and a 50-character IBAN: booked, then not again."""
    long_id, nul_id = "L" * 300, "id\x00with-nul"
    txs = [
        replace(booked(long_id, 1, "5.00"), counterparty_iban="DE" + "9" * 48),
        booked(nul_id, 2, "6.00", alt=("A" * 250,)),
    ]
    harness.provider.answer = [("ACC-1", txs, None, True)]
    for _ in range(2):
        result = harness.sync()
        assert result.state == "success", result.error
    with harness.factory() as session:
        lines = session.execute(
            select(StatementLine.provider_transaction_id, StatementLine.counterparty_iban)
        ).all()
        aliases = list(session.scalars(select(TransactionAlias.transaction_id)))
    assert len(lines) == 2  # each booked exactly once over the two syncs
    assert {iban for _, iban in lines} == {None}
    assert all(len(i) <= 200 and i.isprintable() for i in aliases)
    assert len(set(aliases)) == 3 and long_id not in aliases


def test_names_a_bank_sends_are_made_to_fit(
    factory: sessionmaker[Session], company: Company
) -> None:
    account = RemoteAccount(
        "ACC-9", "Main\x1b[31m" + "n" * 300, "EUR", iban="X" * 40,
        institution="Bank\x00" + "i" * 300, institution_id="I" * 200,
    )
    with factory.begin() as session:
        connection = create_connection(
            session, session.merge(company), Credentials("simplefin", SECRET), [account]
        )
        (linked,) = connection.accounts
        names = [connection.label, linked.name, linked.journal.name]
        assert linked.iban is None
        institution = session.get(Institution, connection.institution_id)
        assert institution is not None
        names.append(institution.name)
        assert len(institution.provider_institution_id) <= 128
    assert all(len(name) <= 200 and name.isprintable() for name in names), names


def test_a_bank_account_id_the_books_cannot_keep_is_refused(
    factory: sessionmaker[Session], company: Company
) -> None:
    with factory.begin() as session, pytest.raises(LedgerError, match="account id"):
        create_connection(
            session, session.merge(company), Credentials("simplefin", SECRET),
            [RemoteAccount("A" * 201, "Main", "EUR")],
        )
