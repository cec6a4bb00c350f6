"""What the sandbox bank's Plaid Items see: accounts and a log of changes per Item.

Plaid's ``/transactions/sync`` tells a client what changed since its cursor.
The world keeps no such log, so each Item keeps one (:class:`Feed`): whenever
the world has moved, the Item's view of it (every visible transaction
rendered as Plaid would send it) is compared with the view last logged, and
each difference is appended as ``added``, ``modified`` or ``removed``.  A
cursor is a position in that log, so it says how much of the world's history
the client has seen (docs/banking.md, "The sandbox bank").

How the world maps to Plaid:

- a transaction keeps the first id the bank gave it: Plaid's ids are stable,
  so the world's id changes (``former_ids``) are not shown as changes;
- a pending card payment is an ``added`` pending transaction; when it books,
  its id is ``removed`` and the booked one ``added`` with
  ``pending_transaction_id`` naming it (a lingering authorisation is already
  gone from Plaid's view);
- a transaction the bank withdrew (:meth:`PlaidBank.withdraw
  <booksync.sandbox.plaid_bank.PlaidBank.withdraw>`) is ``removed`` and
  leaves the balance;
- amounts are JSON numbers, positive when money leaves the account.

Rendering writes each amount's digits from integer minor units, so no float
is ever involved on the bank's side either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from booksync.sandbox.model import Account, Institution, Transaction

if TYPE_CHECKING:
    from booksync.sandbox.world import World

__all__ = [
    "Feed",
    "Withdrawn",
    "account_json",
    "institution_id",
    "plaid_id",
    "visible",
    "world_version",
]


def institution_id(institution: Institution) -> str:
    """The Plaid-style id of a world institution (``nordwerk`` -> ``ins_nordwerk``)."""
    return "ins_" + institution.id.replace("-", "_")


def plaid_id(txn: Transaction) -> str:
    """A transaction's stable Plaid id: the first id the bank gave it."""
    return txn.former_ids[0] if txn.former_ids else txn.id


def world_version(world: World) -> tuple[Any, ...]:
    """Changes whenever the world moved: a new day, event, transaction or account."""
    accounts = world.accounts.values()
    return (world.today, len(world.events), len(world.accounts),
            sum(len(a.used_ids) for a in accounts))


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """A booked transaction the bank took back: Plaid shows it as removed."""

    posted: dt.date
    amount: int


def _number(minor: int, exp: int) -> bytes:
    """The JSON number of ``minor`` units, written from its digits (``-1250`` -> ``-12.50``)."""
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor))
    if exp == 0:
        return f"{sign}{digits}".encode()
    digits = digits.rjust(exp + 1, "0")
    return f"{sign}{digits[:-exp]}.{digits[-exp:]}".encode()


def _render(account: Account, txn: Transaction, tx_id: str, names: Mapping[str, str]) -> bytes:
    """One transaction as Plaid sends it; its amount's sign is Plaid's (out = positive)."""
    pending = txn.posted is None
    day = txn.transacted if pending or txn.posted is None else txn.posted
    money_in = txn.amount > 0
    body: dict[str, Any] = {
        "amount": orjson.Fragment(_number(-txn.amount, account.exponent)),
        "account_id": account.id,
        "transaction_id": tx_id,
        "pending": pending,
        "pending_transaction_id": txn.from_pending,
        "iso_currency_code": account.currency,
        "unofficial_currency_code": None,
        "date": day.isoformat(),
        "authorized_date": txn.transacted.isoformat(),
        "datetime": None,
        "authorized_datetime": None,
        "name": names.get(tx_id, txn.description),
        "merchant_name": txn.payee,
        "payment_channel": "in store" if txn.from_pending or pending else "other",
        "payment_meta": {
            "reference_number": txn.memo,
            "payer": txn.payee if money_in else None,
            "payee": None if money_in else txn.payee,
        },
        "account_owner": None,
        "transaction_code": None,
    }
    return orjson.dumps(body)


def visible(account: Account, withdrawn: Mapping[tuple[str, str], Withdrawn]) -> Iterator[
    tuple[str, Transaction]
]:
    """The account's transactions in Plaid's view, with their Plaid ids, oldest first.

    Booked ones the bank did not withdraw, then the pending ones not yet
    booked (an authorisation lingering after its booking is gone from Plaid).
    """
    for txn in account.booked:
        tx_id = plaid_id(txn)
        if (account.id, tx_id) not in withdrawn:
            yield tx_id, txn
    waiting = [t for t in account.pending.values() if t.linger_until is None]
    for txn in sorted(waiting, key=lambda t: (t.transacted, t.seq)):
        yield txn.id, txn


def account_json(
    world: World, account: Account, withdrawn: Mapping[tuple[str, str], Withdrawn]
) -> dict[str, Any]:
    """An account of ``/accounts/get`` with its balances (JSON numbers as raw text).

    Plaid's ``current`` is the booked balance at the bank's as-of date, less
    what the bank withdrew; ``available`` also takes the pending payments.
    The numbers are returned as ``orjson.Fragment`` so they are written
    exactly as the digits say.
    """
    as_of = world.balance_date(account.id)
    taken = sum(w.amount for (acct, _), w in withdrawn.items()
                if acct == account.id and w.posted <= as_of)
    current = account.balance(as_of) - taken
    available = current + account.pending_total()
    digits = "".join(ch for ch in (account.iban or account.id) if ch.isdigit())
    return {
        "account_id": account.id,
        "balances": {
            "current": orjson.Fragment(_number(current, account.exponent)),
            "available": orjson.Fragment(_number(available, account.exponent)),
            "iso_currency_code": account.currency,
            "unofficial_currency_code": None,
            "limit": None,
            "last_updated_datetime": f"{as_of.isoformat()}T12:00:00Z",
        },
        "mask": digits[-4:] or None,
        "name": account.name,
        "official_name": f"{account.institution.name} {account.name}",
        "type": "depository",
        "subtype": "savings" if account.profile == "savings" else "checking",
    }


@dataclass
class Feed:
    """One Item's log of changes; a cursor is a position in :attr:`log`.

    ``log`` entries are ``(kind, account id, Plaid id, transaction)``, the
    transaction None for ``removed``; a page renders its entries when it is
    served (:meth:`render`), so a history of a hundred thousand is not held as
    text.  ``view`` keeps, per visible transaction, what a change would alter
    (date, amount, text, payee, memo).  :meth:`refresh` appends what changed
    since the world's version it last saw.
    """

    account_ids: tuple[str, ...]
    log: list[tuple[str, str, str, Transaction | None]] = field(default_factory=list)
    view: dict[str, tuple[str, tuple[Any, ...]]] = field(default_factory=dict)
    seen: tuple[Any, ...] | None = None

    def refresh(
        self,
        world: World,
        withdrawn: Mapping[tuple[str, str], Withdrawn],
        names: Mapping[str, str],
        version: tuple[Any, ...],
    ) -> None:
        """Log the differences between the world now and the view last logged."""
        if version == self.seen:
            return
        self.seen = version
        log, before = self.log, self.view
        now: dict[str, tuple[str, tuple[Any, ...]]] = {}
        for account_id in self.account_ids:
            for tx_id, txn in visible(world.accounts[account_id], withdrawn):
                shown = (txn.posted, txn.amount, names.get(tx_id, txn.description), txn.payee,
                         txn.memo)
                now[tx_id] = (account_id, shown)
                old = before.get(tx_id)
                if old is None:
                    log.append(("added", account_id, tx_id, txn))
                elif old[1] != shown:
                    log.append(("modified", account_id, tx_id, txn))
        for tx_id, (account_id, _) in before.items():
            if tx_id not in now:
                log.append(("removed", account_id, tx_id, None))
        self.view = now

    @staticmethod
    def render(world: World, account_id: str, tx_id: str, txn: Transaction,
               names: Mapping[str, str]) -> bytes:
        """A logged transaction as Plaid sends it."""
        return _render(world.accounts[account_id], txn, tx_id, names)
