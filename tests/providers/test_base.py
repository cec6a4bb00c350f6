"""The provider contract's records: validation, windows, secret-free reprs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal

import pytest

from booksync.providers.base import (
    Balance,
    Batch,
    Credentials,
    Transaction,
    TransactionStatus,
    Window,
)

D = dt.date


def _tx(**changes: object) -> Transaction:
    values: dict[str, object] = {
        "provider_transaction_id": "T-1",
        "status": TransactionStatus.BOOKED,
        "amount": Decimal("-12.50"),
        "currency": "EUR",
        "booking_date": D(2026, 3, 1),
        "description": "Card payment",
        "raw": "{}",
    }
    values.update(changes)
    return Transaction(**values)  # type: ignore[arg-type]


def test_window_split_200_days_into_three_pieces_without_gap_or_overlap() -> None:
    window = Window(D(2026, 1, 1), D(2026, 1, 1) + dt.timedelta(days=200))
    pieces = window.split(90)
    assert [p.days for p in pieces] == [90, 90, 20]
    assert pieces[0].start == window.start and pieces[-1].end == window.end
    for left, right in itertools.pairwise(pieces):
        assert left.end == right.start
    days = [window.start + dt.timedelta(days=i) for i in range(window.days)]
    assert all(sum(day in p for p in pieces) == 1 for day in days)
    assert window.end not in window and window.start in window


@pytest.mark.parametrize("length", [1, 89, 90, 91, 180, 181, 365])
def test_window_split_covers_every_day_once(length: int) -> None:
    window = Window(D(2025, 12, 30), D(2025, 12, 30) + dt.timedelta(days=length))
    pieces = window.split(90)
    assert sum(p.days for p in pieces) == length
    assert all(p.days <= 90 for p in pieces)
    assert len(pieces) == -(-length // 90)


def test_window_refuses_empty_and_datetimes() -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        Window(D(2026, 3, 1), D(2026, 3, 1))
    with pytest.raises(TypeError):
        Window(dt.datetime(2026, 3, 1), D(2026, 3, 2))
    with pytest.raises(ValueError):
        Window(D(2026, 3, 1), D(2026, 3, 2)).split(0)


def test_transaction_refuses_float_blank_id_and_naive_instant() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        _tx(amount=12.5)
    with pytest.raises(ValueError, match="blank transaction id"):
        _tx(provider_transaction_id="  ")
    with pytest.raises(ValueError, match="aware"):
        _tx(transacted_at=dt.datetime(2026, 3, 1, 12, 0))
    with pytest.raises(ValueError, match="booking date"):
        _tx(booking_date=None)
    pending = _tx(status=TransactionStatus.PENDING, booking_date=None)
    assert pending.booking_date is None


def test_records_are_frozen() -> None:
    tx = _tx()
    with pytest.raises(dataclasses.FrozenInstanceError):
        tx.amount = Decimal(1)  # type: ignore[misc]


def test_balance_and_batch() -> None:
    balance = Balance(Decimal("10.00"), D(2026, 3, 5), Decimal("8.00"))
    with pytest.raises(TypeError):
        Balance(Decimal("NaN"), D(2026, 3, 5))
    window = Window(D(2026, 3, 1), D(2026, 3, 6))
    done = Batch("A", window, balance=balance, next_watermark=window.end)
    assert done.complete
    assert not Batch("A", window).complete


def test_credentials_never_show_their_secret() -> None:
    secret = "https://user:hunter2@sfin.example/simplefin"
    creds = Credentials("simplefin", secret, "https://sfin.example")
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert "hunter2" not in text and "user:" not in text
    assert "https://sfin.example" in repr(creds)
