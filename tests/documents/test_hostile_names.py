"""A document named by an id no row can have: one sentence, as for any unknown one."""

from __future__ import annotations

import pytest

from booksync.db.engine import make_engine, session_factory
from booksync.ledger.companies import find_company
from booksync.ledger.journals import create_bank_journal
from tests.cli.clitools import Cli, one_error

TOO_LARGE = ["99999999999999999999", "2147483648"]  # past any id the databases hold


@pytest.mark.parametrize("ref", TOO_LARGE)
@pytest.mark.parametrize("verb", ["show", "post", "cancel", "credit-note"])
def test_an_id_past_the_largest_is_not_found(acme: Cli, verb: str, ref: str) -> None:
    one_error(acme("invoice", verb, ref), f"no invoice or credit note '{ref}'")


def test_a_payment_naming_such_an_id_is_refused(acme: Cli, db_url: str) -> None:
    assert acme("partner", "add", "Osaka")[0] == 0
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as session:
            create_bank_journal(session, find_company(session, None), "Main")
    finally:
        engine.dispose()
    one_error(acme("payment", "add", "--journal", "BNK1", "--partner", "Osaka", "--amount", "5",
                   "--date", "2026-03-02", "--invoice", TOO_LARGE[0]),
              f"'{TOO_LARGE[0]}'")
