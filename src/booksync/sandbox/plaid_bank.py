"""The sandbox bank's Plaid side: tokens, Items, cursors and the faults it can produce.

One :class:`PlaidBank` per sandbox server (kept in its ``protocol_state``
under ``"plaid"``) remembers the public tokens it made, the Items they were
exchanged for, each Item's log of changes (:mod:`booksync.sandbox.plaid_feed`)
and where each Item's client is paging.  Tests drive it in-process through
:meth:`PlaidBank.of`; ``booksync.sandbox.plaid`` serves it over HTTP, control
requests included (docs/banking.md, "The sandbox bank").

Faults, each on a chosen page of a cursor loop (``page``; none: the next
request) and used once: ``mutation`` (Plaid's
``TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION``), ``http_500``,
``rate_limit``, ``malformed`` (variants ``not_json``, ``shape``, ``amount``,
``no_cursor``), ``echo`` (an error reflecting the request's secrets) and
``amounts``, a page whose JSON numbers are written another way: ``padded``
with many zero decimals, ``exponent`` as ``-4172E-2``, ``excess`` with a
fraction the currency cannot hold.
``ITEM_LOGIN_REQUIRED`` is a state of an Item instead: it stays until cleared
(:meth:`PlaidBank.require_login`), as a real Item waits for its user.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from booksync.sandbox.model import Institution, SandboxError
from booksync.sandbox.plaid_feed import (
    Feed,
    Withdrawn,
    account_json,
    institution_id,
    plaid_id,
    world_version,
)

if TYPE_CHECKING:
    from booksync.sandbox.world import World

__all__ = ["FAULT_KINDS", "Item", "PlaidBank", "PlaidError", "PlaidFault"]

FAULT_KINDS = ("mutation", "http_500", "rate_limit", "malformed", "echo", "amounts")
MALFORMED_VARIANTS = ("not_json", "shape", "amount", "no_cursor")
AMOUNT_VARIANTS = ("padded", "exponent", "excess")
_VARIANTS = {"malformed": MALFORMED_VARIANTS, "amounts": AMOUNT_VARIANTS}
MAX_COUNT = 500


class PlaidError(Exception):
    """An answer in Plaid's error shape: HTTP status, error type and code, message."""

    def __init__(self, status: int, kind: str, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.code, self.message = status, kind, code, message

    def body(self, request_id: str) -> dict[str, Any]:
        return {
            "error_type": self.kind,
            "error_code": self.code,
            "error_message": self.message,
            "display_message": None,
            "request_id": request_id,
        }


@dataclass(frozen=True)
class PlaidFault:
    """One queued failure of ``/transactions/sync``, on ``page`` (None: the next request)."""

    kind: str
    page: int | None = None
    variant: str = ""

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            known = ", ".join(FAULT_KINDS)
            raise SandboxError(f"unknown Plaid fault {self.kind!r}; one of {known}")
        variants = _VARIANTS.get(self.kind)
        if variants:
            variant = self.variant or variants[0]
            if variant not in variants:
                raise SandboxError(f"unknown {self.kind} variant {variant!r}")
            object.__setattr__(self, "variant", variant)
        if self.page is not None and self.page < 1:
            raise SandboxError("a fault's page counts from 1")


@dataclass
class Item:
    """One Item: a login at one institution, its accounts and its change log.

    ``expect`` is the cursor handed out with ``has_more`` (the next page of
    the current loop), ``snapshot`` the log's length when that loop began and
    ``page`` its page number.
    """

    item_id: str
    access_token: str = field(repr=False)
    client_id: str
    institution: Institution
    feed: Feed
    login_required: bool = False
    expect: str | None = None
    snapshot: int = 0
    page: int = 0


class PlaidBank:
    """The Plaid state of one sandbox server; every method runs under the world's lock."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.public_tokens: dict[str, tuple[str, Institution]] = {}
        self.items: dict[str, Item] = {}  # by access token
        self.faults: list[PlaidFault] = []
        self.withdrawn: dict[tuple[str, str], Withdrawn] = {}
        self.names: dict[str, str] = {}
        self.changes = 0  # bumped by withdraw and rename: the Items' views move
        self.requests = 0

    @classmethod
    def of(cls, server: Any) -> PlaidBank:
        """The server's Plaid state, made on first use."""
        with server.world.lock:
            bank: PlaidBank = server.protocol_state.setdefault("plaid", cls(server.world))
            return bank

    def request_id(self) -> str:
        self.requests += 1
        return f"sandbox-{self.requests:08d}"

    # -- linking -----------------------------------------------------------

    def institution(self, ident: str) -> Institution:
        for institution in self.world.institutions:
            if institution_id(institution) == ident:
                return institution
        raise PlaidError(400, "INVALID_INPUT", "INVALID_INSTITUTION",
                         f"no institution {ident!r} in this sandbox")

    def public_token(self, client_id: str, ident: str) -> str:
        institution = self.institution(ident)
        token = f"public-sandbox-{secrets.token_hex(16)}"
        self.public_tokens[token] = (client_id, institution)
        return token

    def exchange(self, client_id: str, token: str) -> Item:
        """A public token buys one Item, once."""
        found = self.public_tokens.pop(token, None)
        if found is None or found[0] != client_id:
            raise PlaidError(400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN",
                             "the public token is unknown, expired or already exchanged")
        institution = found[1]
        accounts = tuple(a.id for a in self.world.accounts.values()
                         if a.institution is institution)
        item = Item(f"item-{secrets.token_hex(12)}", f"access-sandbox-{secrets.token_hex(24)}",
                    client_id, institution, Feed(accounts))
        self.items[item.access_token] = item
        return item

    def item(self, client_id: str, token: object, *, login: bool = True) -> Item:
        """The Item of an access token; ``login``: refuse while it needs its user."""
        item = self.items.get(token) if isinstance(token, str) else None
        if item is None:
            raise PlaidError(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN",
                             "the access token is unknown or its Item was removed")
        if item.client_id != client_id:
            raise PlaidError(400, "INVALID_INPUT", "INVALID_API_KEYS",
                             "the access token belongs to other API keys")
        if login and item.login_required:
            raise PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED",
                             "the login details of this item have changed (credentials, MFA, "
                             "or required user action) and a user login is required to update "
                             "this information")
        return item

    def remove(self, item: Item) -> None:
        self.items.pop(item.access_token, None)

    def accounts(self, item: Item) -> list[dict[str, Any]]:
        return [account_json(self.world, self.world.accounts[a], self.withdrawn)
                for a in item.feed.account_ids]

    # -- what tests and the control path change ------------------------------

    def require_login(self, item_id: str | None = None, required: bool = True) -> int:
        """Set (or clear) ITEM_LOGIN_REQUIRED on one Item, or all; how many changed."""
        with self.world.lock:
            chosen = [i for i in self.items.values() if item_id in (None, i.item_id)]
            if item_id is not None and not chosen:
                raise SandboxError(f"no Plaid item {item_id!r}")
            for item in chosen:
                item.login_required = required
            return len(chosen)

    def add_fault(self, kind: str, count: int = 1, *, page: int | None = None,
                  variant: str = "") -> int:
        if not 0 <= count <= 1000:
            raise SandboxError("count must be between 0 and 1000")
        with self.world.lock:
            self.faults.extend([PlaidFault(kind, page, variant)] * count)
            return len(self.faults)

    def _booked(self, account_id: str, tx_id: str) -> Any:
        account = self.world.account(account_id)
        for txn in account.booked:
            if plaid_id(txn) == tx_id:
                return txn
        raise SandboxError(f"no booked transaction {tx_id!r} on {account_id}")

    def withdraw(self, account_id: str, tx_id: str) -> None:
        """The bank takes a booked transaction back: Plaid reports it ``removed``."""
        with self.world.lock:
            txn = self._booked(account_id, tx_id)
            self.withdrawn[(account_id, tx_id)] = Withdrawn(txn.posted, txn.amount)
            self.changes += 1

    def rename(self, account_id: str, tx_id: str, name: str) -> None:
        """The bank rewrites a transaction's text: Plaid reports it ``modified``."""
        with self.world.lock:
            self._booked(account_id, tx_id)
            self.names[tx_id] = name
            self.changes += 1

    def describe(self) -> list[dict[str, Any]]:
        """The Items, without their access tokens (``GET /plaid/_sandbox/items``)."""
        with self.world.lock:
            return [
                {"item_id": i.item_id, "institution_id": institution_id(i.institution),
                 "accounts": list(i.feed.account_ids), "login_required": i.login_required}
                for i in self.items.values()
            ]

    # -- /transactions/sync ------------------------------------------------------

    def _cursor(self, item: Item, position: int) -> str:
        text = f"{position}:{self.world.today.isoformat()}:{item.item_id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def _position(self, item: Item, cursor: str) -> int:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            position, _, owner = base64.urlsafe_b64decode(padded).decode().split(":", 2)
            found = int(position)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            found, owner = -1, ""
        if owner != item.item_id or not 0 <= found <= len(item.feed.log):
            raise PlaidError(400, "INVALID_INPUT", "INVALID_FIELD", "the cursor is not valid")
        return found

    def _take_fault(self, page: int) -> PlaidFault | None:
        for index, fault in enumerate(self.faults):
            if fault.page in (None, page):
                return self.faults.pop(index)
        return None

    def sync(self, item: Item, cursor: str, count: int) -> tuple[PlaidFault | None, bytes]:
        """The page after ``cursor``: a fault to answer with instead, or the answer's JSON."""
        feed = item.feed
        feed.refresh(self.world, self.withdrawn, self.names,
                     (*world_version(self.world), self.changes))
        position = self._position(item, cursor) if cursor else 0
        continuing = bool(cursor) and cursor == item.expect
        item.page = item.page + 1 if continuing else 1
        if not continuing:
            item.snapshot = len(feed.log)
        fault = self._take_fault(item.page)
        numbers = fault.variant if fault is not None and fault.kind == "amounts" else None
        fault = None if numbers else fault
        if fault is not None or (continuing and len(feed.log) != item.snapshot):
            item.expect = None
            return fault or PlaidFault("mutation"), b""
        end = min(position + count, item.snapshot)
        added: list[orjson.Fragment] = []
        modified: list[orjson.Fragment] = []
        removed: list[dict[str, str]] = []
        for kind, account_id, tx_id, txn in feed.log[position:end]:
            if txn is None:
                removed.append({"transaction_id": tx_id, "account_id": account_id})
                continue
            body = feed.render(self.world, account_id, tx_id, txn, self.names)
            body = _written(body, numbers) if numbers else body
            (added if kind == "added" else modified).append(orjson.Fragment(body))
        has_more = end < item.snapshot
        next_cursor = self._cursor(item, end)
        item.expect = next_cursor if has_more else None
        answer = {
            "added": added,
            "modified": modified,
            "removed": removed,
            "next_cursor": next_cursor,
            "has_more": has_more,
            "accounts": self.accounts(item),
            "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
            "request_id": self.request_id(),
        }
        return None, orjson.dumps(answer)


def _written(body: bytes, variant: str) -> bytes:
    """``body`` (its ``amount`` first, as rendered) with the amount written as ``variant``."""
    head, _, rest = body.partition(b",")
    number = head.removeprefix(b'{"amount":')
    whole, _, fraction = number.partition(b".")
    if variant == "padded":
        number = whole + b"." + fraction + b"0" * 12
    elif variant == "exponent":  # -0.07 -> -7E-2: JSON allows no leading zeros
        sign = b"-" if whole.startswith(b"-") else b""
        digits = (whole.lstrip(b"-") + fraction).lstrip(b"0") or b"0"
        number = sign + digits + b"E-" + str(len(fraction)).encode()
    else:
        number = whole + b"." + fraction + b"0" * 6 + b"1"
    return b'{"amount":' + number + b"," + rest
