"""The SimpleFIN Account Set, rendered from the world (docs/banking.md, "Providers").

``GET /accounts`` takes ``start-date`` (epoch, inclusive), ``end-date``
(epoch, exclusive), ``pending=1``, repeatable ``account=ID`` and
``balances-only=1``, and answers the v1 Account Set (``errors``, ``accounts``)
plus version 2's ``errlist`` and ``connections``.  Like the real
bridge, a range longer than 90 days is silently cut to 90 days from its start;
without ``start-date`` the last 90 days up to ``end-date`` are sent, and
without ``end-date`` the range ends after the bank's today.

Dates travel as noon UTC of the bank date (see ``clock.py``).  Booked
transactions are in the window by ``posted``, pending ones (sent only with
``pending=1``, ``posted`` 0) by the day they were made; booked come first,
ordered by ``posted``, then pending ones by the day they were made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from booksync.money import format_minor
from booksync.sandbox.clock import DAY, epoch_of, first_day_from, last_day_before
from booksync.sandbox.model import Account, Institution, Transaction

if TYPE_CHECKING:
    from booksync.sandbox.world import World

__all__ = ["MAX_WINDOW_DAYS", "AccountsQuery", "QueryError", "account_set", "parse_query"]

MAX_WINDOW_DAYS = 90


class QueryError(ValueError):
    """A query parameter the server cannot read (answered with 400)."""


@dataclass(frozen=True)
class AccountsQuery:
    """The parameters of one ``GET /accounts`` request."""

    start: int | None = None
    end: int | None = None
    pending: bool = False
    accounts: tuple[str, ...] = ()
    balances_only: bool = False

    def window(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """First and last bank date served (inclusive), after the 90-day cap."""
        cap = MAX_WINDOW_DAYS * DAY
        end = self.end if self.end is not None else epoch_of(today) + 1
        start = self.start if self.start is not None else end - cap
        end = min(end, start + cap)
        return first_day_from(start), last_day_before(end)


def _epoch(params: dict[str, list[str]], name: str) -> int | None:
    values = params.get(name)
    if not values:
        return None
    try:
        return int(values[-1])
    except ValueError:
        raise QueryError(f"{name} must be an integer epoch timestamp") from None


def parse_query(query: str) -> AccountsQuery:
    """Read the query string of ``GET /accounts``."""
    params = parse_qs(query, keep_blank_values=True)
    return AccountsQuery(
        start=_epoch(params, "start-date"),
        end=_epoch(params, "end-date"),
        pending=params.get("pending", ["0"])[-1] == "1",
        accounts=tuple(params.get("account", [])),
        balances_only=params.get("balances-only", ["0"])[-1] == "1",
    )


def _conn_id(institution: Institution) -> str:
    return f"CON-{institution.id}"


def _booked(account: Account, txn: Transaction) -> dict[str, Any]:
    assert txn.posted is not None
    wire: dict[str, Any] = {
        "id": txn.id,
        "posted": epoch_of(txn.posted),
        "amount": format_minor(txn.amount, account.exponent),
        "description": txn.description,
        "transacted_at": epoch_of(txn.transacted),
        "pending": False,
    }
    if txn.extra:
        wire["extra"] = txn.extra
    return _payee_and_memo(wire, txn)


def _pending(account: Account, txn: Transaction) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "id": txn.id,
        "posted": 0,
        "amount": format_minor(txn.amount, account.exponent),
        "description": txn.description,
        "transacted_at": epoch_of(txn.transacted),
        "pending": True,
    }
    return _payee_and_memo(wire, txn)


def _payee_and_memo(wire: dict[str, Any], txn: Transaction) -> dict[str, Any]:
    """The spec's optional ``payee`` and ``memo``, sent only when the bank knows them."""
    if txn.payee:
        wire["payee"] = txn.payee
    if txn.memo:
        wire["memo"] = txn.memo
    return wire


def _account(world: World, account: Account, query: AccountsQuery, sfin_url: str) -> dict[str, Any]:
    institution = account.institution
    as_of = world.balance_date(account.id)
    balance = account.balance(as_of)
    transactions: list[dict[str, Any]] = []
    if not query.balances_only:
        first, last = query.window(world.today)
        transactions = [_booked(account, t) for t in account.booked_between(first, last)]
        if query.pending:
            transactions += [
                _pending(account, t)
                for t in account.visible_pending(world.today)
                if first <= t.transacted <= last
            ]
    return {
        "org": {
            "id": institution.id,
            "domain": institution.domain,
            "name": institution.name,
            "url": institution.url,
            "sfin-url": sfin_url,
        },
        "conn_id": _conn_id(institution),
        "id": account.id,
        "name": account.name,
        "currency": account.currency,
        "balance": format_minor(balance, account.exponent),
        "available-balance": format_minor(
            account.opening + account.booked_total + account.pending_total(), account.exponent
        ),
        "balance-date": epoch_of(as_of),
        "transactions": transactions,
        "extra": {"iban": account.iban, "bic": institution.bic},
    }


def account_set(world: World, query: AccountsQuery, sfin_url: str) -> dict[str, Any]:
    """The Account Set for ``query`` (call with the world's lock held)."""
    errors: list[str] = []
    errlist: list[dict[str, str]] = []
    if query.accounts:
        chosen = []
        for account_id in dict.fromkeys(query.accounts):
            account = world.accounts.get(account_id)
            if account is None:
                message = f"Unknown account {account_id}"
                errors.append(message)
                errlist.append({"code": "act.", "msg": message, "account_id": account_id})
            else:
                chosen.append(account)
    else:
        chosen = list(world.accounts.values())
    institutions = list(dict.fromkeys(a.institution for a in chosen))
    return {
        "errors": errors,
        "errlist": errlist,
        "connections": [
            {
                "conn_id": _conn_id(i),
                "name": i.name,
                "org_id": i.id,
                "org_url": i.url,
                "sfin_url": sfin_url,
            }
            for i in institutions
        ],
        "accounts": [_account(world, a, query, sfin_url) for a in chosen],
    }
