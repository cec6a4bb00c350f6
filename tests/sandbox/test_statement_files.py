"""The sandbox's statement exports read back through booksync's own parsers as the world
booked them: every transaction, its amount, and the balances at both ends; each format
recognised by ``--format auto`` (CSV through its profile)."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from booksync.bankfiles.csv_profile import CsvProfile
from booksync.bankfiles.formats import detect, read_statements
from booksync.sandbox.statement_files import CSV_PROFILE, EXPORTS
from booksync.sandbox.world import World

WORLD = World(3, today=dt.date(2026, 3, 1))
FIRST, LAST = WORLD.today - dt.timedelta(days=40), WORLD.today - dt.timedelta(days=1)


@pytest.mark.parametrize("fmt", sorted(EXPORTS))
@pytest.mark.parametrize("account", sorted(WORLD.accounts))
def test_an_export_reads_back_as_the_world_booked_it(fmt: str, account: str) -> None:
    bank = WORLD.account(account)
    extension, write = EXPORTS[fmt]
    data = write(bank, FIRST, LAST)
    profile = None
    if fmt == "csv":
        profile = CsvProfile.from_json({"name": "sandbox", **CSV_PROFILE,
                                        "currency_default": bank.currency})
    else:
        assert detect(data[:4096], f"export.{extension}") == fmt
    (statement,) = read_statements(io.BytesIO(data), f"export.{extension}", fmt,  # type: ignore[arg-type]
                                   profile)
    booked = bank.booked_between(FIRST, LAST)
    assert statement.currency == bank.currency
    assert sorted(t.amount for t in statement.transactions) == sorted(
        bank.decimal(t.amount) for t in booked)
    assert sorted(t.booking_date for t in statement.transactions) == sorted(  # type: ignore[type-var]
        t.posted for t in booked)
    assert statement.closing is not None
    assert statement.closing.amount == bank.decimal(bank.balance(LAST))
    if fmt != "ofx":  # OFX states no opening balance
        assert statement.opening is not None
        assert statement.opening.amount == bank.decimal(bank.balance(FIRST - dt.timedelta(1)))
    if fmt in ("camt053", "mt940", "ofx"):  # the bank's id as the reference
        assert {t.provider_transaction_id for t in statement.transactions} == {
            t.id for t in booked}
