"""A bank line in a foreign currency is never booked at a rate that loses or explodes it.

Rates recorded before rates were bounded may still be in the books
(``1e-999999999``, ``1e30``); a sync that meets one stops with a sentence
naming the rate, instead of booking 0.00 EUR or failing "unexpectedly".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import cast

import pytest
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.connections import create_connection
from booksync.ledger.models import Company, ExchangeRate
from booksync.providers.base import Credentials, Provider
from booksync.providers.base import ProviderAccount as RemoteAccount
from booksync.sync.run import SyncRunner
from tests.statements.test_importer import SECRET, TODAY, ScriptedProvider, booked
from tests.sync.support import FAST_RETRY


@pytest.mark.parametrize(
    ("rate", "amount", "fragment"),
    [
        ("1E-999999999", "100.00", "100.00 USD at the rate 1E-999999999 of"),
        ("0.000000001", "0.01", "0.01 USD at the rate 1E-9 of"),
        ("1E+30", "1.00", "1.00 USD at the rate 1E+30 of"),
    ],
)
def test_a_rate_that_would_book_zero_or_too_much_stops_the_sync_with_a_sentence(
    factory: sessionmaker[Session], company: Company, rate: str, amount: str, fragment: str
) -> None:
    with factory.begin() as session:
        # Written as a row, as rates recorded before the bounds may be.
        session.add(ExchangeRate(company_id=company.id, currency_code="USD",
                                 date=TODAY - dt.timedelta(days=60), rate=rate))
        connection = create_connection(
            session, session.merge(company), Credentials("simplefin", SECRET),
            [RemoteAccount("ACC-U", "Dollars", "USD")], history_days=30,
        )
        connection_id = connection.id
    provider = ScriptedProvider()
    provider.answer = [("ACC-U", [replace(booked("U1", 1, amount), currency="USD")], None, True)]
    runner = SyncRunner(factory, providers=lambda _name: cast(Provider, provider),
                        retry=FAST_RETRY, today=lambda: TODAY)
    result = runner.run(connection_id)
    assert result.state == "error"
    assert result.error is not None and fragment in result.error
    assert "unexpected" not in result.error
