"""What the sandbox's GoCardless side remembers: tokens, agreements, requisitions, quotas, faults.

One :class:`GoCardlessBank` per sandbox server, kept in its ``protocol_state``
(docs/banking.md, "The sandbox bank"), over the same world as SimpleFIN.
Tokens expire on the real clock, as GoCardless's do; agreements, quotas and
requisitions count on the world's clock, so a test moves them by advancing
the world:

- an agreement accepted on day D for N days has ended from day D + N on:
  its accounts then answer the API's expired-agreement error, and its
  requisition's status reads ``EX``;
- the daily quota (off unless turned on: :meth:`set_quota`) counts each
  account's successful requests per scope and world day; the one over it gets
  a 429 saying to try again in 43,200 seconds (the world's requests come at
  noon and its day turns at midnight, as in ``clock.py``).

Every requisition approved gives the accounts new ids, as a re-linked
consent may at a real bank, so a client must pair them with the old ones.
Each public method takes the world's lock: a test calls them from its own
thread while the server answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
import secrets
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from booksync.sandbox.faults import checked_variant
from booksync.sandbox.gocardless_wire import SANDBOX_FINANCE, institution_id, institution_wire
from booksync.sandbox.model import Account
from booksync.sandbox.world import World

__all__ = [
    "FAULT_KINDS",
    "NOON_WAIT",
    "SCOPES",
    "Agreement",
    "Fault",
    "GoCardlessBank",
    "Linked",
    "Requisition",
]

NOON_WAIT = 43_200
SCOPES = ("balances", "details", "transactions")
STATUSES = ("CR", "GC", "UA", "RJ", "SA", "GA", "LN", "EX", "SU")
FAULT_KINDS = ("rate_limit", "http_500", "malformed", "expired", "echo")
_VARIANTS = {"malformed": ("not_json", "wrong_shape", "float_amount")}


@dataclass
class Agreement:
    id: str
    owner: str
    institution_id: str
    max_historical_days: int
    access_valid_for_days: int
    access_scope: list[str]
    created: dt.date
    accepted: dt.date | None = None

    def ended(self, today: dt.date) -> bool:
        return self.accepted is not None and today >= self.end

    @property
    def end(self) -> dt.date:
        start = self.accepted or self.created
        return start + dt.timedelta(days=self.access_valid_for_days)


@dataclass
class Requisition:
    id: str
    owner: str
    institution_id: str
    agreement: str
    redirect: str
    reference: str
    created: dt.date
    status: str = "CR"
    accounts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Linked:
    """An account id a requisition gave, and the world account it reads."""

    id: str
    world_id: str
    owner: str
    agreement: str


@dataclass(frozen=True)
class Fault:
    """One queued failure for the next account data request (or token request: ``token``)."""

    kind: str
    retry_after: int = 30
    variant: str = ""
    token: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "variant", checked_variant(
            self.kind, self.variant, FAULT_KINDS, _VARIANTS))
        if self.retry_after < 0:
            raise ValueError("retry_after must not be negative")


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


class GoCardlessBank:
    """The GoCardless side of one sandbox bank."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.lock = world.lock
        self._rng = random.Random(f"{world.seed}:gocardless")
        self.users: dict[str, bytes] = {}
        self.access: dict[str, tuple[str, float]] = {}
        self.refresh: dict[str, tuple[str, float]] = {}
        self.access_seconds = 86_400
        self.refresh_seconds = 30 * 86_400
        self.agreements: dict[str, Agreement] = {}
        self.requisitions: dict[str, Requisition] = {}
        self.accounts: dict[str, Linked] = {}
        self.quota: int | None = None
        self.used: Counter[tuple[str, str, dt.date]] = Counter()
        self.faults: deque[Fault] = deque()
        self.token_faults: deque[Fault] = deque()
        self.calls: Counter[str] = Counter()

    # -- ids and institutions ------------------------------------------------------

    def new_id(self) -> str:
        h = f"{self._rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    def institutions(self) -> dict[str, tuple[dict[str, Any], list[Account]]]:
        """Institution id -> (its wire form, the world accounts it holds)."""
        found: dict[str, tuple[dict[str, Any], list[Account]]] = {}
        accounts = list(self.world.accounts.values())
        for inst in self.world.institutions:
            ident = institution_id(inst)
            wire = institution_wire(ident, inst.name, inst.bic, [inst.country])
            found[ident] = (wire, [a for a in accounts if a.institution is inst])
        wire = institution_wire(SANDBOX_FINANCE, "Sandbox Finance", "SFIN0000", ["XX"])
        found[SANDBOX_FINANCE] = (wire, accounts)
        return found

    # -- tokens ---------------------------------------------------------------------

    def issue(self, secret_id: str, secret_key: str) -> dict[str, Any] | None:
        """A new token pair, or None for a secret id known with another key.

        The sandbox registers a secret pair on its first use, so any pair works
        until a second key is tried for the same id.
        """
        with self.lock:
            self.calls["token/new"] += 1
            known = self.users.setdefault(secret_id, _digest(secret_key))
            if not hmac.compare_digest(known, _digest(secret_key)):
                return None
            now = time.time()
            access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            self.access[access] = (secret_id, now + self.access_seconds)
            self.refresh[refresh] = (secret_id, now + self.refresh_seconds)
            return {
                "access": access,
                "access_expires": self.access_seconds,
                "refresh": refresh,
                "refresh_expires": self.refresh_seconds,
            }

    def renew(self, refresh: str) -> dict[str, Any] | None:
        with self.lock:
            self.calls["token/refresh"] += 1
            found = self.refresh.get(refresh)
            if found is None or found[1] <= time.time():
                return None
            access = secrets.token_urlsafe(32)
            self.access[access] = (found[0], time.time() + self.access_seconds)
            return {"access": access, "access_expires": self.access_seconds}

    def user_of(self, authorization: str | None) -> str | None:
        """The secret id of a valid ``Authorization: Bearer`` header, else None."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        with self.lock:
            found = self.access.get(authorization[7:].strip())
        return found[0] if found is not None and found[1] > time.time() else None

    def expire_tokens(self, which: str = "access") -> None:
        """End every access token (``access``), refresh token (``refresh``) or both now."""
        if which not in ("access", "refresh", "both"):
            raise ValueError("which must be 'access', 'refresh' or 'both'")
        with self.lock:
            if which in ("access", "both"):
                self.access = {k: (u, 0.0) for k, (u, _) in self.access.items()}
            if which in ("refresh", "both"):
                self.refresh = {k: (u, 0.0) for k, (u, _) in self.refresh.items()}

    # -- linking --------------------------------------------------------------------

    def requisition(self, requisition_id: str, owner: str | None = None) -> Requisition | None:
        """The requisition (of ``owner`` when given), its status brought up to the world's day."""
        with self.lock:
            found = self.requisitions.get(requisition_id)
            if found is None or (owner is not None and found.owner != owner):
                return None
            agreement = self.agreements.get(found.agreement)
            if found.status == "LN" and agreement and agreement.ended(self.world.today):
                found.status = "EX"
            return found

    def approve(self, requisition_id: str) -> Requisition:
        """The user gave consent at the bank: linked, with new ids for the accounts."""
        with self.lock:
            found = self._waiting(requisition_id)
            if found.status == "LN":
                return found
            agreement = self.agreements[found.agreement]
            agreement.accepted = self.world.today
            _, accounts = self.institutions()[found.institution_id]
            found.accounts = []
            for account in accounts:
                linked = Linked(self.new_id(), account.id, found.owner, agreement.id)
                self.accounts[linked.id] = linked
                found.accounts.append(linked.id)
            found.status = "LN"
            return found

    def reject(self, requisition_id: str) -> Requisition:
        with self.lock:
            found = self._waiting(requisition_id)
            found.status = "RJ"
            return found

    def _waiting(self, requisition_id: str) -> Requisition:
        found = self.requisition(requisition_id)
        if found is None:
            raise ValueError(f"no requisition {requisition_id!r}")
        if found.status in ("RJ", "EX", "SU"):
            raise ValueError(f"requisition {requisition_id} is {found.status}")
        return found

    def set_status(self, requisition_id: str, status: str) -> None:
        """Force a requisition's status (``EX``, ``RJ``, ``UA``, ...)."""
        if status not in STATUSES:
            raise ValueError(f"unknown requisition status {status!r}")
        with self.lock:
            found = self.requisitions.get(requisition_id)
            if found is None:
                raise ValueError(f"no requisition {requisition_id!r}")
            found.status = status

    def world_account(self, account_id: str) -> str:
        """The world account an account id of a requisition reads (for tests)."""
        with self.lock:
            return self.accounts[account_id].world_id

    # -- quota and faults -----------------------------------------------------------------

    def set_quota(self, per_day: int | None) -> None:
        """Successful requests allowed per account, scope and world day; None: no limit."""
        if per_day is not None and per_day < 0:
            raise ValueError("the quota must not be negative")
        with self.lock:
            self.quota = per_day

    def over_quota(self, account_id: str, scope: str) -> bool:
        with self.lock:
            key = (account_id, scope, self.world.today)
            return self.quota is not None and self.used[key] >= self.quota

    def count(self, account_id: str, scope: str) -> int:
        """Count one successful request; how many the quota still allows (-1: no quota)."""
        with self.lock:
            key = (account_id, scope, self.world.today)
            self.used[key] += 1
            return -1 if self.quota is None else max(0, self.quota - self.used[key])

    def inject(self, kind: str, count: int = 1, **options: Any) -> int:
        """Queue ``count`` faults (options: retry_after, variant, token); how many wait."""
        if count < 0:
            raise ValueError("count must not be negative")
        fault = Fault(kind, **options)
        with self.lock:
            queue = self.token_faults if fault.token else self.faults
            queue.extend([fault] * count)
            return len(queue)

    def take_fault(self, token: bool = False) -> Fault | None:
        with self.lock:
            queue = self.token_faults if token else self.faults
            return queue.popleft() if queue else None

    def state(self) -> dict[str, Any]:
        """What a test checks over HTTP: requisitions, the accounts they gave, the quota."""
        with self.lock:
            return {
                "quota": self.quota,
                "faults": len(self.faults) + len(self.token_faults),
                "requisitions": [
                    {"id": r.id, "status": r.status, "institution_id": r.institution_id,
                     "reference": r.reference, "accounts": list(r.accounts)}
                    for r in self.requisitions.values()
                ],
                "accounts": {a.id: a.world_id for a in self.accounts.values()},
            }
