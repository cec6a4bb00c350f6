"""Plaid's wire format: accounts and ``/transactions/sync`` pages, parsed strictly.

Plaid sends amounts as JSON numbers, so every answer is read with
``json.loads(..., parse_float=Decimal)``: a fraction never passes through
``float``, and integers stay integers.  A Plaid amount is positive when money
leaves the account, the opposite of the provider contract
(``base.Transaction``: positive = money in), so each amount is negated with
``Decimal.copy_negate``, which is exact whatever the number of digits (unary
minus would round to the context's precision).  ``date`` and
``authorized_date`` are bank dates written ``YYYY-MM-DD`` and are read as
plain dates, never through a time zone (docs/banking.md, "Plaid").

Anything that breaks the protocol is a :class:`ProviderProtocolError`
naming the first broken field, raised before anything reaches the books.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from booksync.money import size_ok
from booksync.providers.base import Balance, ProviderAccount, Transaction, TransactionStatus
from booksync.providers.errors import ProviderProtocolError
from booksync.providers.simplefin_values import clean_text, sanitize_message

__all__ = [
    "SyncPage",
    "bad",
    "load",
    "parse_accounts",
    "parse_sync_page",
    "text_field",
]

# Accounts whose balance Plaid reports as what the holder owes (docs/banking.md, "Plaid").
_OWED = frozenset({"credit", "loan"})


def bad(what: str) -> ProviderProtocolError:
    """The error for an answer that breaks Plaid's protocol."""
    return ProviderProtocolError(f"Plaid sent a malformed answer: {what}.")


def _refuse_constant(name: str) -> Any:
    raise bad(f"it contains the non-number {name}")


def load(body: bytes) -> dict[str, Any]:
    """An answer's JSON object, every fraction a ``Decimal``."""
    try:
        root = json.loads(body.decode("utf-8"), parse_float=Decimal,
                          parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise bad("it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise bad(f"it is not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise bad("it nests too deep") from None
    if not isinstance(root, dict):
        raise bad("the answer is not an object")
    return root


def _raw(obj: Mapping[str, Any]) -> str:
    """The payload as canonical text: sorted keys, Decimal numbers written as strings."""
    return orjson.dumps(obj, default=str, option=orjson.OPT_SORT_KEYS).decode()


def text_field(obj: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    """A string field; None when absent or null (an error when ``required``)."""
    value = obj.get(key)
    if value is None:
        if required:
            raise bad(f"{where} has no '{key}'")
        return None
    if not isinstance(value, str):
        raise bad(f"'{key}' of {where} is not a string")
    return value


def _identity(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = text_field(obj, key, where, required=True)
    if not value or not value.strip():
        raise bad(f"{where} has a blank '{key}'")
    return value


def _number(obj: Mapping[str, Any], key: str, where: str, *, required: bool) -> Decimal | None:
    """A JSON number as an exact Decimal (``json`` gave an int or a Decimal)."""
    value = obj.get(key)
    if value is None:
        if required:
            raise bad(f"{where} has no '{key}'")
        return None
    if type(value) is int:
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise bad(f"'{key}' of {where} is not a number")
    if not size_ok(value):  # before any arithmetic: 1e-999999999 would take minutes
        raise bad(f"'{key}' of {where} is out of range (too many digits or decimals)")
    return value


def _date(obj: Mapping[str, Any], key: str, where: str, *, required: bool) -> dt.date | None:
    value = text_field(obj, key, where, required=required)
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise bad(f"'{key}' of {where} is not a date (YYYY-MM-DD)") from None


def _instant(obj: Mapping[str, Any], key: str, where: str) -> dt.datetime | None:
    """An ISO 8601 timestamp with its offset, in UTC; None when absent or without offset."""
    value = text_field(obj, key, where, required=False)
    if not value:
        return None
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise bad(f"'{key}' of {where} is not an ISO 8601 timestamp") from None
    return instant.astimezone(dt.UTC) if instant.utcoffset() is not None else None


def _counterparty(obj: Mapping[str, Any], meta: Mapping[str, Any], money_in: bool) -> str | None:
    """The merchant, else the payer (money in) or payee (money out) Plaid names."""
    name = obj.get("merchant_name")
    if not isinstance(name, str) or not name.strip():
        name = meta.get("payer" if money_in else "payee")
    if not isinstance(name, str) or not name.strip():
        parties = obj.get("counterparties")
        first = parties[0] if isinstance(parties, list) and parties else None
        name = first.get("name") if isinstance(first, dict) else None
    return (clean_text(name) or None) if isinstance(name, str) else None


def _usual(value: dict[str, Any], days: dict[str, dt.date]) -> tuple[str, Transaction] | None:
    """:func:`_transaction` for the shape Plaid sends, checked in one pass of type tests.

    Anything else (an integer amount, a timestamp, a missing field, any error)
    returns None and takes the full check.  Dates repeat through an answer, so
    each is read once (``days``).  A first sync may bring a hundred thousand.
    """
    get = value.get
    tx_id, account_id, pending, amount = (
        get("transaction_id"), get("account_id"), get("pending"), get("amount")
    )
    day, authorized, currency, name = (
        get("date"), get("authorized_date"), get("iso_currency_code"), get("name")
    )
    merchant, link, meta = get("merchant_name"), get("pending_transaction_id"), get("payment_meta")
    if not (
        type(tx_id) is str and type(account_id) is str and (pending is True or pending is False)
        and type(amount) is Decimal and type(day) is str and type(currency) is str
        and type(name) is str and (authorized is None or type(authorized) is str)
        and (merchant is None or type(merchant) is str) and (link is None or type(link) is str)
        and (meta is None or type(meta) is dict)
        and get("authorized_datetime") is None and get("datetime") is None
        and tx_id.strip() and account_id.strip() and size_ok(amount)
    ):
        return None
    booking, value_date = days.get(day), days.get(authorized) if authorized else None
    if booking is None or (authorized and value_date is None):
        return None  # a date not met yet: :func:`_date` reads it (and names a bad one)
    meta = meta or {}
    reference = meta.get("reference_number")
    if reference is not None and type(reference) is not str:
        return None
    amount = amount.copy_negate()  # Plaid: positive = money out
    return account_id, Transaction(
        tx_id,
        TransactionStatus.PENDING if pending else TransactionStatus.BOOKED,
        amount,
        currency.strip().upper(),
        booking,
        clean_text(name),
        _raw(value),
        value_date=value_date,
        counterparty_name=(clean_text(merchant) or None) if merchant and merchant.strip()
        else _counterparty(value, meta, amount > 0),
        pending_link_id=link if link and link.strip() else None,
        reference=(clean_text(reference) or None) if reference else None,
    )


def _transaction(
    value: Any, where: str, days: dict[str, dt.date] | None = None
) -> tuple[str, Transaction]:
    """One Plaid transaction: its account id and the contract's record."""
    if days is not None and type(value) is dict:
        usual = _usual(value, days)
        if usual is not None:
            return usual
    if not isinstance(value, dict):
        raise bad(f"{where} is not an object")
    tx_id = _identity(value, "transaction_id", where)
    where = f"transaction '{tx_id}'"
    account_id = _identity(value, "account_id", where)
    pending = value.get("pending")
    if not isinstance(pending, bool):
        raise bad(f"'pending' of {where} is not a boolean")
    amount = _number(value, "amount", where, required=True)
    assert amount is not None
    amount = amount.copy_negate()  # Plaid: positive = money out
    currency = (
        text_field(value, "iso_currency_code", where, required=False)
        or text_field(value, "unofficial_currency_code", where, required=False)
        or ""
    )
    meta = value.get("payment_meta")
    meta = meta if isinstance(meta, dict) else {}
    reference = meta.get("reference_number")
    description = text_field(value, "name", where, required=False)
    if description is None:
        description = text_field(value, "original_description", where, required=False)
    link = text_field(value, "pending_transaction_id", where, required=False)
    booking = _date(value, "date", where, required=True)
    value_date = _date(value, "authorized_date", where, required=False)
    if days is not None and booking is not None:
        days[value["date"]] = booking
        if value_date is not None:
            days[value["authorized_date"]] = value_date
    return account_id, Transaction(
        provider_transaction_id=tx_id,
        status=TransactionStatus.PENDING if pending else TransactionStatus.BOOKED,
        amount=amount,
        currency=currency.strip().upper(),
        booking_date=booking,
        description=clean_text(description or ""),
        raw=_raw(value),
        value_date=value_date,
        transacted_at=_instant(value, "authorized_datetime", where)
        or _instant(value, "datetime", where),
        counterparty_name=_counterparty(value, meta, amount > 0),
        pending_link_id=link if link and link.strip() else None,
        reference=(clean_text(reference) or None) if isinstance(reference, str) else None,
    )


def _list(root: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = root.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad(f"'{key}' of {where} is not a list")
    return value


def _account(value: Any, index: int, today: dt.date) -> ProviderAccount:
    where = f"account {index}"
    if not isinstance(value, dict):
        raise bad(f"{where} is not an object")
    account_id = _identity(value, "account_id", where)
    where = f"account '{account_id}'"
    balances = value.get("balances")
    if not isinstance(balances, dict):
        raise bad(f"{where} has no 'balances' object")
    currency = (
        text_field(balances, "iso_currency_code", where, required=False)
        or text_field(balances, "unofficial_currency_code", where, required=False)
        or ""
    ).strip()
    if not currency:
        raise bad(f"{where} names no currency")
    current = _number(balances, "current", where, required=False)
    available = _number(balances, "available", where, required=False)
    if text_field(value, "type", where, required=False) in _OWED:
        # Plaid reports what is owed as a positive balance: money out of the books.
        current = current.copy_negate() if current is not None else None
        available = available.copy_negate() if available is not None else None
    updated = _instant(balances, "last_updated_datetime", where)
    balance = None
    if current is not None:
        balance = Balance(current, updated.date() if updated else today, available)
    name = text_field(value, "name", where, required=False) or text_field(
        value, "official_name", where, required=False
    ) or account_id
    mask = text_field(value, "mask", where, required=False)
    shown = f"{name} ••{mask}" if mask and mask.strip() else name
    return ProviderAccount(
        id=account_id,
        name=sanitize_message(shown),
        currency=currency.upper(),
        balance=balance,
    )


def parse_accounts(root: Mapping[str, Any], today: dt.date) -> list[ProviderAccount]:
    """The ``accounts`` of an answer; ``today`` dates a balance Plaid gives no time for."""
    return [_account(v, i, today) for i, v in enumerate(_list(root, "accounts", "the answer"))]


@dataclass(frozen=True, slots=True)
class SyncPage:
    """One ``/transactions/sync`` answer: what changed since the cursor sent.

    ``upserts`` are the added and the modified transactions, in that order,
    each with its account id; ``removed`` the withdrawn ids with their account
    id (None when Plaid did not say).  ``accounts`` is None when the answer
    carried no account list.
    """

    upserts: tuple[tuple[str, Transaction], ...]
    removed: tuple[tuple[str, str | None], ...]
    next_cursor: str
    has_more: bool
    accounts: list[ProviderAccount] | None
    update_status: str | None


def _removed(value: Any, index: int) -> tuple[str, str | None]:
    where = f"removed transaction {index}"
    if not isinstance(value, dict):
        raise bad(f"{where} is not an object")
    tx_id = _identity(value, "transaction_id", where)
    account_id = text_field(value, "account_id", where, required=False)
    return tx_id, account_id if account_id and account_id.strip() else None


def parse_sync_page(
    root: Mapping[str, Any], today: dt.date, days: dict[str, dt.date] | None = None
) -> SyncPage:
    """A ``/transactions/sync`` answer; every transaction checked before any is used.

    ``days``: the dates read so far, shared by the pages of one loop.
    """
    days = {} if days is None else days
    has_more = root.get("has_more")
    if not isinstance(has_more, bool):
        raise bad("'has_more' is missing or not a boolean")
    cursor = text_field(root, "next_cursor", "the answer", required=True)
    assert cursor is not None
    upserts = tuple(
        _transaction(v, f"{key} transaction {i}", days)
        for key in ("added", "modified")
        for i, v in enumerate(_list(root, key, "the answer"))
    )
    removed = tuple(_removed(v, i) for i, v in enumerate(_list(root, "removed", "the answer")))
    accounts = parse_accounts(root, today) if root.get("accounts") is not None else None
    status = root.get("transactions_update_status")
    return SyncPage(
        upserts, removed, cursor, has_more, accounts, status if isinstance(status, str) else None
    )
