"""GoCardless Bank Account Data: an account's balances and details, parsed strictly.

``GET /accounts/{id}/balances/`` and ``/details/`` (docs/banking.md, "GoCardless
Bank Account Data"), in the Berlin Group's shape, with the helpers the
transactions' parser uses (:mod:`booksync.providers.gocardless_wire`).  Which
balance is the account's matters most: a first sync's opening line is that
balance at its date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from booksync.providers.base import Balance
from booksync.providers.gocardless_wire import (
    _code,
    _date,
    _decimal,
    _iban,
    _list,
    _object,
    _text,
    load,
    malformed,
)
from booksync.providers.simplefin_values import sanitize_message

__all__ = [
    "BALANCE_PREFERENCE",
    "AccountDetails",
    "balance_currency",
    "parse_balances",
    "parse_details",
]

BALANCE_PREFERENCE = (
    "closingBooked",
    "interimBooked",
    "expected",
    "interimAvailable",
    "openingBooked",
    "forwardAvailable",
)
"""Which balance is the account's, best first: a booked balance of a closed day first."""
_BOOKED_TYPES = frozenset({"closingBooked", "interimBooked", "openingBooked"})


def parse_balances(
    body: bytes, currency: str | None, today: dt.date, since: dt.date | None = None
) -> Balance | None:
    """The account's balance: the most telling type (:data:`BALANCE_PREFERENCE`) with its date.

    Its ``referenceDate`` is the day it is valid for; without one, the date
    of ``lastChangeDateTime`` as written, else ``today``.  A balance in another
    currency than ``currency`` (when known) is not the account's.  Some banks
    list a balance of one type for each of several days, oldest first, or
    only the last statement's: of one type the latest is taken, and a booked
    one dated on or after ``since`` (the window's start) comes before one
    dated earlier, since a first sync's opening line at that day would leave
    out every transaction between it and the window.  ``available`` is the
    latest ``interimAvailable`` amount when another type was chosen.
    """
    root = _object(load(body), "the balances answer")
    best: tuple[tuple[bool, int, int], Decimal, dt.date] | None = None
    available: tuple[dt.date, Decimal] | None = None
    for index, value in enumerate(_list(root.get("balances"), "'balances'")):
        where = f"balance {index}"
        obj = _object(value, where)
        money = _object(obj.get("balanceAmount"), f"'balanceAmount' of {where}")
        amount = _decimal(money.get("amount"), where)
        kind = obj.get("balanceType")
        found = money.get("currency")
        if currency and type(found) is str and found.strip().upper() != currency.upper():
            continue
        day = (
            _date(obj.get("referenceDate"), where)
            or _date(obj.get("lastChangeDateTime"), where)
            or today
        )
        if kind == "interimAvailable" and (available is None or day > available[0]):
            available = (day, amount)
        if kind in BALANCE_PREFERENCE:
            current = kind in _BOOKED_TYPES and (since is None or day >= since)
            key = (not current, BALANCE_PREFERENCE.index(kind), -day.toordinal())
            if best is None or key < best[0]:
                best = (key, amount, day)
    if best is None:
        return None
    (_, rank, _), amount, day = best
    chosen_available = None
    if available is not None and BALANCE_PREFERENCE[rank] != "interimAvailable":
        chosen_available = available[1]
    return Balance(amount=amount, as_of=day, available=chosen_available)


def balance_currency(body: bytes) -> str | None:
    """The one currency every balance of the answer names: the account's; else None."""
    root = _object(load(body), "the balances answer")
    found = set()
    for value in _list(root.get("balances"), "'balances'"):
        money = value.get("balanceAmount") if type(value) is dict else None
        code = money.get("currency") if type(money) is dict else None
        if type(code) is str and code.strip():
            found.add(_code(code))
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True, slots=True)
class AccountDetails:
    """``GET /accounts/{id}/details/``: what the bank says the account is."""

    name: str | None
    currency: str | None
    iban: str | None


def parse_details(body: bytes) -> AccountDetails:
    root = _object(load(body), "the account details")
    account = _object(root.get("account"), "'account' of the account details")
    currency = account.get("currency")
    if currency is not None and (type(currency) is not str or len(currency.strip()) != 3):
        raise malformed("the account's currency is not a currency code")
    name = (
        _text(account.get("name"))
        or _text(account.get("displayName"))
        or _text(account.get("product"))
        or _text(account.get("ownerName"))
    )
    return AccountDetails(
        sanitize_message(name) if name else None,
        currency.strip().upper() if currency else None,
        _iban(account),
    )
