"""The sandbox bank's records: institutions, accounts and their transactions.

Amounts are integer minor units here (``booksync.money`` converts at the edge),
so sums are exact and cheap.  An account keeps its booked transactions sorted
by booking date in a list with a parallel key list, so a date window is two
``bisect`` calls and a back-dated posting is one ``insort``: answering a request
on an account with 100,000 transactions never scans the whole list twice.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from booksync.money import exponent, to_decimal

__all__ = ["Account", "Event", "Institution", "SandboxError", "Transaction"]


class SandboxError(ValueError):
    """A request the sandbox world cannot honour (unknown account, bad amount, …)."""


@dataclass(frozen=True)
class Institution:
    """A bank as SimpleFIN's ``org`` object and the institution catalogue see it."""

    id: str
    name: str
    bic: str
    country: str
    domain: str
    balance_lag_days: int = 0
    """Days between today and the bank's balance-date (some banks report yesterday's)."""

    @property
    def url(self) -> str:
        return f"https://www.{self.domain}"


@dataclass
class Transaction:
    """One bank transaction; mutable only where the world really moves it.

    ``former_ids`` remembers ids the bank used before an id change, and
    ``from_pending`` the id of the pending authorisation this booking replaced;
    neither is on the SimpleFIN wire (the protocol has no such link), both are
    in the sandbox state so tests can check the books against the truth.
    ``payee`` and ``memo`` travel as SimpleFIN's fields of those names.
    """

    id: str
    amount: int
    description: str
    transacted: dt.date
    posted: dt.date | None
    seq: int
    appeared: dt.date
    former_ids: list[str] = field(default_factory=list)
    from_pending: str | None = None
    book_on: dt.date | None = None
    linger_until: dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    payee: str | None = None
    memo: str | None = None

    @property
    def pending(self) -> bool:
        return self.posted is None


@dataclass(frozen=True)
class Event:
    """A movement of the world worth checking in a test (``kind`` names it)."""

    day: dt.date
    kind: str
    account: str
    ids: tuple[str, ...]


class Account:
    """An account and its transactions, indexed by id and by booking date."""

    def __init__(
        self,
        id: str,
        institution: Institution,
        name: str,
        currency: str,
        iban: str | None,
        opening: int,
        profile: str,
    ) -> None:
        self.id = id
        self.institution = institution
        self.name = name
        self.currency = currency
        self.iban = iban
        self.opening = opening
        self.profile = profile
        self.exponent = exponent(currency)
        self.booked: list[Transaction] = []
        self._keys: list[tuple[int, int]] = []
        self.pending: dict[str, Transaction] = {}
        self.by_id: dict[str, Transaction] = {}
        self.used_ids: set[str] = set()
        self.booked_total = 0

    def decimal(self, minor: int) -> Decimal:
        return to_decimal(minor, self.exponent)

    def add(self, txn: Transaction) -> None:
        """File a new transaction (booked or pending); its id must be fresh."""
        if txn.id in self.used_ids:
            raise SandboxError(f"transaction id {txn.id!r} was already used on {self.id}")
        self.used_ids.add(txn.id)
        self.by_id[txn.id] = txn
        if txn.posted is None:
            self.pending[txn.id] = txn
            return
        key = (txn.posted.toordinal(), txn.seq)
        if not self._keys or key > self._keys[-1]:
            self._keys.append(key)
            self.booked.append(txn)
        else:
            at = bisect.bisect_left(self._keys, key)
            self._keys.insert(at, key)
            self.booked.insert(at, txn)
        self.booked_total += txn.amount

    def drop_pending(self, txn_id: str) -> None:
        """The authorisation leaves the bank's pending list (its id stays used)."""
        self.pending.pop(txn_id, None)
        self.by_id.pop(txn_id, None)

    def rename(self, txn: Transaction, new_id: str) -> None:
        """Give a booked transaction a new id, remembering the old one."""
        if new_id in self.used_ids:
            raise SandboxError(f"transaction id {new_id!r} was already used on {self.id}")
        self.used_ids.add(new_id)
        del self.by_id[txn.id]
        txn.former_ids.append(txn.id)
        txn.id = new_id
        self.by_id[new_id] = txn

    def booked_between(self, first: dt.date, last: dt.date) -> list[Transaction]:
        """Booked transactions with ``first <= posted <= last``, in booking order."""
        lo = bisect.bisect_left(self._keys, (first.toordinal(), -1))
        hi = bisect.bisect_left(self._keys, (last.toordinal() + 1, -1))
        return self.booked[lo:hi]

    def balance(self, as_of: dt.date) -> int:
        """Opening balance plus every booked amount posted on or before ``as_of``."""
        at = bisect.bisect_left(self._keys, (as_of.toordinal() + 1, -1))
        later = self.booked[at:]
        return self.opening + self.booked_total - sum(t.amount for t in later)

    def pending_total(self) -> int:
        """Authorisations not yet booked (a lingering one is already in the balance)."""
        return sum(t.amount for t in self.pending.values() if t.linger_until is None)

    def visible_pending(self, today: dt.date) -> list[Transaction]:
        """Pending transactions the bank still shows today (some linger a day)."""
        shown = [
            t for t in self.pending.values() if t.linger_until is None or today <= t.linger_until
        ]
        return sorted(shown, key=lambda t: (t.transacted, t.seq))
