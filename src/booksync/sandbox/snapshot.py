"""The world's truth as plain JSON data, for ``GET /_sandbox/state`` and tests.

Unlike the SimpleFIN answer this shows what the wire hides: former ids, the
pending authorisation a booking came from, the day a transaction appeared,
and the movement log.  Dates are ISO strings in the bank's calendar, amounts
decimal strings, so a test compares the books with the bank without floats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from booksync.sandbox.model import Account, Transaction

if TYPE_CHECKING:
    from booksync.sandbox.world import World

__all__ = ["account_state", "world_state"]


def _booked(account: Account, txn: Transaction) -> dict[str, Any]:
    return {
        "id": txn.id,
        "former_ids": list(txn.former_ids),
        "from_pending": txn.from_pending,
        "posted": txn.posted.isoformat() if txn.posted else None,
        "transacted": txn.transacted.isoformat(),
        "appeared": txn.appeared.isoformat(),
        "amount": str(account.decimal(txn.amount)),
        "description": txn.description,
        "payee": txn.payee,
        "memo": txn.memo,
        "extra": txn.extra,
    }


def _pending(account: Account, txn: Transaction) -> dict[str, Any]:
    return {
        "id": txn.id,
        "transacted": txn.transacted.isoformat(),
        "amount": str(account.decimal(txn.amount)),
        "description": txn.description,
        "book_on": txn.book_on.isoformat() if txn.book_on else None,
        "booked": txn.linger_until is not None,
    }


def account_state(world: World, account: Account) -> dict[str, Any]:
    """One account: identity, balances with their dates, booked and pending lists."""
    balance_date = world.balance_date(account.id)
    return {
        "id": account.id,
        "institution": account.institution.id,
        "name": account.name,
        "currency": account.currency,
        "iban": account.iban,
        "opening_balance": str(account.decimal(account.opening)),
        "balance": str(account.decimal(account.balance(balance_date))),
        "balance_date": balance_date.isoformat(),
        "booked_balance": str(account.decimal(account.opening + account.booked_total)),
        "available_balance": str(
            account.decimal(account.opening + account.booked_total + account.pending_total())
        ),
        "transactions": [_booked(account, t) for t in account.booked],
        "pending": [_pending(account, t) for t in account.visible_pending(world.today)],
    }


def world_state(world: World, accounts: list[Account]) -> dict[str, Any]:
    wanted = {a.id for a in accounts}
    return {
        "seed": world.seed,
        "today": world.today.isoformat(),
        "institutions": [
            {
                "id": i.id,
                "name": i.name,
                "bic": i.bic,
                "country": i.country,
                "domain": i.domain,
                "url": i.url,
            }
            for i in world.institutions
        ],
        "accounts": [account_state(world, a) for a in accounts],
        "events": [
            {"day": e.day.isoformat(), "kind": e.kind, "account": e.account, "ids": list(e.ids)}
            for e in world.events
            if e.account in wanted
        ],
    }
