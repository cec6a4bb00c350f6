"""The world pays documents the books issued: planned payments, each booked on its day,
and a world that invents no invoice numbers of its own."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from booksync.sandbox import PaymentPlan, SandboxError, World
from booksync.sandbox.model import Account
from booksync.sandbox.simplefin import AccountsQuery, account_set
from tests.sandbox.conftest import TODAY


def _business(world: World) -> Account:
    return next(a for a in world.accounts.values() if a.profile == "business")


def _plans(account: str) -> list[PaymentPlan]:
    return [
        PaymentPlan(account, Decimal("1200.00"), TODAY - dt.timedelta(days=20),
                    "SEPA credit Osaka Precision KK INV/2026/00001", "Osaka Precision KK",
                    "INV/2026/00001"),
        PaymentPlan(account, Decimal("-86.34"), TODAY, "SEPA transfer Papeterie Centrale PC-1",
                    "Papeterie Centrale", "PC-1", "FR7630006000011234567890189"),
        PaymentPlan(account, Decimal("3406.72"), TODAY + dt.timedelta(days=2),
                    "SEPA credit Kessler Logistik GmbH INV/2026/00004, INV/2026/00007",
                    "Kessler Logistik GmbH", "INV/2026/00004, INV/2026/00007"),
    ]


def test_a_world_for_books_with_their_own_invoices_invents_none() -> None:
    world = World(11, today=TODAY, invent_invoices=False)
    texts = " ".join(t.description for a in world.accounts.values() for t in a.booked)
    assert not re.search(r"INV/20\d\d/\d{4}", texts)
    assert "Card terminal payout" in texts
    assert all("invoice" not in t.extra for a in world.accounts.values() for t in a.booked)
    # everything else is the same world
    assert "Monthly account fee" in texts and "CARD " in texts and "Salary" in texts


def test_planned_payments_book_on_their_day() -> None:
    world = World(11, today=TODAY, invent_invoices=False)
    account = _business(world)
    before = account.balance(TODAY)
    ids = world.expect_payments(_plans(account.id))
    assert len(set(ids)) == 3
    past, today, later = (account.by_id.get(i) for i in ids)
    assert past is not None and past.posted == TODAY - dt.timedelta(days=20)
    assert (past.payee, past.memo) == ("Osaka Precision KK", "INV/2026/00001")
    assert today is not None and today.posted == TODAY
    assert today.extra == {"counterparty_iban": "FR7630006000011234567890189"}
    assert later is None  # not yet: the bank's clock has not reached its day
    assert account.balance(TODAY) == before + 120000 - 8634
    world.advance(1)
    assert ids[2] not in account.by_id
    world.advance(1)
    booked = account.by_id[ids[2]]
    assert booked.posted == TODAY + dt.timedelta(days=2) and booked.amount == 340672


def test_planned_payments_go_on_the_wire() -> None:
    world = World(11, today=TODAY, invent_invoices=False)
    account = _business(world)
    ids = world.expect_payments(_plans(account.id)[:2])
    answer = account_set(world, AccountsQuery(accounts=(account.id,)), "http://x")
    wire = {t["id"]: t for t in answer["accounts"][0]["transactions"]}
    assert wire[ids[0]]["memo"] == "INV/2026/00001"
    assert wire[ids[0]]["payee"] == "Osaka Precision KK"
    assert wire[ids[0]]["amount"] == "1200.00"
    assert wire[ids[1]]["extra"] == {"counterparty_iban": "FR7630006000011234567890189"}


def test_one_seed_and_one_plan_give_one_world() -> None:
    worlds = [World(5, today=TODAY, invent_invoices=False) for _ in range(2)]
    for world in worlds:
        world.expect_payments(_plans(_business(world).id))
        world.advance(3)
    assert worlds[0].state() == worlds[1].state()


@pytest.mark.parametrize(
    ("change", "message"),
    [({"account": "ACT-nope"}, "no account"), ({"amount": Decimal(0)}, "other than zero"),
     ({"amount": Decimal("1.001")}, "decimal"), ({"description": " "}, "description")],
)
def test_a_plan_the_world_cannot_book_books_none(change: dict[str, object], message: str
                                                 ) -> None:
    world = World(11, today=TODAY, invent_invoices=False)
    account = _business(world)
    good, bad = _plans(account.id)[:2]
    fields = {"account": bad.account, "amount": bad.amount, "posted": bad.posted,
              "description": bad.description, **change}
    before = len(account.booked)
    with pytest.raises(SandboxError, match=message):
        world.expect_payments([good, PaymentPlan(**fields)])  # type: ignore[arg-type]
    assert len(account.booked) == before
