"""The sandbox world: determinism, realistic content, and each way it moves."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from booksync.sandbox.model import Account, SandboxError
from booksync.sandbox.world import World
from tests.sandbox.conftest import TODAY


def _business(world: World) -> Account:
    return next(a for a in world.accounts.values() if a.profile == "business")


def _events(world: World, kind: str, account: Account | None = None) -> list[Any]:
    return [
        e for e in world.events if e.kind == kind and (account is None or e.account == account.id)
    ]


def _iban_ok(iban: str) -> bool:
    text = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in text)) % 97 == 1


def test_same_seed_same_world_and_steps_equal_one_jump() -> None:
    one, two = World(5, today=TODAY), World(5, today=TODAY)
    assert one.state() == two.state()
    one.advance(4)
    for _ in range(4):
        two.advance(1)
    assert one.state() == two.state()
    assert World(6, today=TODAY).state() != World(5, today=TODAY).state()


def test_clock_defaults_to_the_real_date_and_is_settable() -> None:
    assert World(1, history_days=3).today == dt.date.today()
    world = World(1, today=TODAY, history_days=3)
    assert world.today == TODAY
    world.advance(2)
    assert world.today == TODAY + dt.timedelta(days=2)
    with pytest.raises(SandboxError):
        world.advance(-1)


def test_institutions_accounts_and_currencies(world: World) -> None:
    assert len(world.institutions) >= 3
    for institution in world.institutions:
        assert re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", institution.bic)
        assert institution.domain.endswith(".example")
        mine = [a for a in world.accounts.values() if a.institution is institution]
        assert len(mine) >= 2
    currencies = {a.currency for a in world.accounts.values()}
    assert {"EUR", "USD", "JPY"} <= currencies
    for account in world.accounts.values():
        assert account.id.startswith("ACT-")
        if account.institution.country in ("DE", "FR"):
            assert account.iban and _iban_ok(account.iban), account.iban
        else:
            assert account.iban is None
    yen = next(a for a in world.accounts.values() if a.currency == "JPY")
    assert all("." not in t["amount"] for t in world.state([yen.id])["accounts"][0]["transactions"])


def test_history_is_realistic(world: World) -> None:
    account = _business(world)
    booked = world.state([account.id])["accounts"][0]["transactions"]
    texts = " ".join(t["description"] for t in booked)
    for word in ("Salary", "CARD", "Monthly account fee", "Rent", "Transfer to savings"):
        assert word in texts
    assert re.search(r"INV/20\d\d/\d{4}", texts)
    days = sorted(dt.date.fromisoformat(t["posted"]) for t in booked)
    assert days[0] >= TODAY - dt.timedelta(days=120)
    assert days[-1] <= TODAY
    assert all(Decimal(t["amount"]) != 0 for t in booked)
    savings = next(
        a for a in world.accounts.values() if a.profile == "savings" and a.currency == "EUR"
    )
    assert any(t.description.startswith("Transfer from") for t in savings.booked)


def test_pending_books_later_under_a_new_id(world: World) -> None:
    account = _business(world)
    waiting = dict(account.pending)
    assert waiting, "recent card payments are still pending"
    events = world.advance(4)
    booked = [e for e in events if e.kind == "booked_from_pending" and e.account == account.id]
    assert {e.ids[0] for e in booked} >= set(waiting)
    for event in booked:
        old, new = event.ids
        assert old != new
        txn = account.by_id[new]
        assert txn.from_pending == old and txn.posted == event.day
        assert txn.amount == waiting.get(old, txn).amount
        assert old not in {t.id for t in account.booked}
    assert not set(waiting) & set(account.pending)


def test_id_change_remembers_both_ids(world: World) -> None:
    account = _business(world)
    events = _events(world, "id_changed", account)
    assert events
    old, new = events[-1].ids
    txn = account.by_id[new]
    assert old in txn.former_ids and old not in account.by_id
    state = world.state([account.id])["accounts"][0]
    assert any(t["id"] == new and old in t["former_ids"] for t in state["transactions"])


def test_late_postings_are_back_dated(world: World) -> None:
    events = world.advance(7)
    late = [e for e in events if e.kind == "late_posting"]
    assert late
    for event in late:
        txn = world.accounts[event.account].by_id[event.ids[0]]
        assert txn.appeared == event.day
        assert txn.posted is not None and txn.posted < event.day - dt.timedelta(days=1)


def test_same_day_pairs_are_two_transactions(world: World) -> None:
    events = world.advance(11)
    pairs = [e for e in events if e.kind == "same_day_pair"]
    assert pairs
    for event in pairs:
        first, second = (world.accounts[event.account].by_id[i] for i in event.ids)
        assert first.id != second.id
        assert (first.posted, first.amount, first.description) == (
            second.posted,
            second.amount,
            second.description,
        )


def test_every_movement_happens_within_eleven_days(world: World) -> None:
    kinds = {e.kind for e in world.advance(11) if e.account == _business(world).id}
    assert kinds >= {"pending", "booked_from_pending", "id_changed", "late_posting"}
    assert kinds >= {"same_day_pair"}


def test_balance_is_opening_plus_booked_at_its_date(world: World) -> None:
    world.advance(9)
    state = world.state()
    lagging = 0
    for account in state["accounts"]:
        as_of = dt.date.fromisoformat(account["balance_date"])
        lagging += as_of < world.today
        assert as_of >= world.today - dt.timedelta(days=1)
        booked = [t for t in account["transactions"] if t["posted"] <= account["balance_date"]]
        total = sum((Decimal(t["amount"]) for t in booked), Decimal(account["opening_balance"]))
        assert Decimal(account["balance"]) == total
        everything = sum((Decimal(t["amount"]) for t in account["transactions"]), Decimal(0))
        assert (
            Decimal(account["booked_balance"]) == Decimal(account["opening_balance"]) + everything
        )
    assert lagging, "one bank reports yesterday's balance"


def test_add_transactions(world: World) -> None:
    account = _business(world)
    ids = world.add_transactions(
        account.id,
        [
            {"amount": "12.50", "description": "Coffee"},
            {"amount": "-99.99", "posted": (TODAY - dt.timedelta(days=5)).isoformat()},
            {"amount": "-40", "pending": True, "book_after_days": 2, "description": "Taxi"},
            {"amount": "7", "id": "MY-OWN-ID"},
        ],
    )
    assert ids[3] == "MY-OWN-ID" and len(set(ids)) == 4
    assert account.by_id[ids[0]].posted == TODAY
    assert account.by_id[ids[1]].posted == TODAY - dt.timedelta(days=5)
    assert ids[2] in account.pending
    assert world.events[-1].kind == "pending" and world.events[-2].kind == "late_posting"
    world.advance(2)
    booked = [t for t in account.booked if t.from_pending == ids[2]]
    assert len(booked) == 1 and booked[0].id != ids[2]
    assert booked[0].amount == -4000 and booked[0].description == "Taxi"


@pytest.mark.parametrize(
    "spec",
    [
        {"description": "no amount"},
        {"amount": "1.234"},
        {"amount": "abc"},
        {"amount": "1", "posted": "2099-01-01"},
        {"amount": "1", "posted": "yesterday"},
    ],
)
def test_add_transactions_refuses_bad_specs(world: World, spec: dict[str, Any]) -> None:
    account = _business(world)
    before = len(account.booked)
    with pytest.raises(SandboxError):
        world.add_transactions(account.id, [{"amount": "1"}, spec])
    assert len(account.booked) == before


def test_add_transactions_refuses_unknown_account_reused_id_and_yen_cents(world: World) -> None:
    account = _business(world)
    with pytest.raises(SandboxError):
        world.add_transactions("ACT-nope", [{"amount": "1"}])
    with pytest.raises(SandboxError):
        world.add_transactions(account.id, [{"amount": "1", "id": account.booked[0].id}])
    yen = next(a for a in world.accounts.values() if a.currency == "JPY")
    with pytest.raises(SandboxError):
        world.add_transactions(yen.id, [{"amount": "100.5"}])
    assert world.add_transactions(yen.id, [{"amount": "1500"}])


def test_book_pending_and_change_id_on_demand(world: World) -> None:
    account = _business(world)
    (pending,) = world.add_transactions(account.id, [{"amount": "-5", "pending": True}])
    booked = world.book_pending(account.id, pending)
    assert booked != pending and account.by_id[booked].from_pending == pending
    with pytest.raises(SandboxError):
        world.book_pending(account.id, pending)
    renamed = world.change_id(account.id, booked)
    assert account.by_id[renamed].former_ids == [booked]
    with pytest.raises(SandboxError):
        world.change_id(account.id, booked)


def test_bulk_account_is_quiet_and_ordered(world: World) -> None:
    account_id = world.add_bulk_account(20_000, days=30)
    account = world.accounts[account_id]
    assert len(account.booked) == 20_000 and not account.pending
    posted = [t.posted for t in account.booked]
    assert posted == sorted(posted)  # type: ignore[type-var]
    assert posted[0] == TODAY - dt.timedelta(days=29) and posted[-1] == TODAY
    assert not [e for e in world.advance(3) if e.account == account_id]
    assert len(account.booked_between(TODAY, TODAY)) < 1_000
    assert World(11, today=TODAY, bulk_transactions=10).state() != world.state()


def test_payments_name_their_payee_and_the_reference_quoted(world: World) -> None:
    """A customer's transfer quotes its invoice as memo; SimpleFIN carries both fields."""
    from booksync.sandbox.activity import CUSTOMERS
    from booksync.sandbox.simplefin import AccountsQuery, account_set

    business = _business(world)
    paid = [t for t in business.booked if "invoice" in t.extra]
    assert paid and all(t.memo == t.extra["invoice"] and t.payee in CUSTOMERS for t in paid)
    cards = [t for t in business.booked if t.description.startswith("CARD ")]
    assert cards
    assert all(t.payee == t.description.removeprefix("CARD ") and t.memo is None for t in cards)
    answer = account_set(world, AccountsQuery(accounts=(business.id,), pending=True), "http://x")
    wire = {t["id"]: t for t in answer["accounts"][0]["transactions"]}
    shown = [t for t in paid if t.id in wire]
    assert shown
    assert all((wire[t.id]["payee"], wire[t.id]["memo"]) == (t.payee, t.memo) for t in shown)
    fees = [t for t in wire.values() if t["description"] == "Monthly account fee"]
    assert fees and all("payee" not in t and "memo" not in t for t in fees)
