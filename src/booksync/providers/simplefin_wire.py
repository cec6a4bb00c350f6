"""SimpleFIN wire format: the Account Set and its parts, parsed strictly.

Spec: the SimpleFIN Protocol (simplefin.org; docs/banking.md, "Providers"), sections
"Account Set", "Account", "Transaction", "Error" (v2 ``errlist``) and
"Connection"; v1 servers send ``errors`` (strings) and an ``org`` object per
account instead. Parsing happens here, once, and rejects bad data with a
:class:`ProviderProtocolError` before anything reaches the books.

Amounts are numeric strings and become ``Decimal``; a bare JSON number never
passes through ``float``. An answer is read with orjson (a 100,000-transaction
answer several times faster than ``json``) only when none of its numbers
would become a float there; otherwise ``json`` with ``parse_float=Decimal``
reads it, exactly as before (see :mod:`simplefin_json`).

Dates follow the rules in :mod:`simplefin_values` (a ``posted`` epoch's UTC
calendar date is the bank's date); the records this parser builds live in
:mod:`simplefin_records`. This module re-exports both modules' names, so
``booksync.providers.simplefin_wire`` stays the one place to import from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from booksync.money import size_ok
from booksync.providers.base import Transaction
from booksync.providers.errors import ProviderProtocolError
from booksync.providers.simplefin_json import load_answer
from booksync.providers.simplefin_json import malformed as _bad
from booksync.providers.simplefin_records import (
    KNOWN_ERROR_CODES,
    NormalizedAccountSet,
    WireAccount,
    WireAccountSet,
    WireConnection,
    WireError,
    WireTransaction,
    _contract,
    _Parts,
)
from booksync.providers.simplefin_values import (
    bank_date_to_epoch,
    clean_text,
    epoch_to_bank_date,
    epoch_to_instant,
    sanitize_message,
)

__all__ = [
    "KNOWN_ERROR_CODES",
    "NormalizedAccountSet",
    "WireAccount",
    "WireAccountSet",
    "WireConnection",
    "WireError",
    "WireTransaction",
    "bank_date_to_epoch",
    "clean_text",
    "epoch_to_bank_date",
    "epoch_to_instant",
    "parse_account_set",
    "parse_normalized_account_set",
    "sanitize_message",
]

R = TypeVar("R")


def _text(obj: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _bad(f"{where} has no '{key}'")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _bad(f"'{key}' of {where} is not a string")
    return str(value)


def _memo(value: Any) -> str | None:
    """A transaction's ``memo`` (spec: an optional string), None when absent or blank.

    booksync only stores it (as the line's reference), so one that is not
    text is dropped rather than refusing the bank's whole answer: values
    from a bank are made to fit (docs/ledger.md, "Limits").
    """
    if type(value) is int:
        value = str(value)
    return (clean_text(value) or None) if type(value) is str else None


def _identity(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    """An id, or None when absent or blank: blank ids are not identities."""
    value = _text(obj, key, where, required=False)
    return value if value is not None and value.strip() else None


def _epoch(obj: Mapping[str, Any], key: str, where: str, *, required: bool) -> int | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _bad(f"{where} has no '{key}'")
        return None
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(f"'{key}' of {where} is not an epoch timestamp")
    return value


def _amount(obj: Mapping[str, Any], key: str, where: str, *, required: bool) -> Decimal | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _bad(f"{where} has no '{key}'")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _bad(f"'{key}' of {where} is not a numeric string")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise _bad(f"'{key}' of {where} is not a number") from None
    if not number.is_finite():
        raise _bad(f"'{key}' of {where} is not a finite number")
    if not size_ok(number):  # before any arithmetic: 1e-999999999 would take minutes
        raise _bad(f"'{key}' of {where} is out of range (too many digits or decimals)")
    return number


def _required_amount(obj: Mapping[str, Any], key: str, where: str) -> Decimal:
    value = _amount(obj, key, where, required=True)
    if value is None:  # pragma: no cover - _amount raised already
        raise _bad(f"{where} has no '{key}'")
    return value


def _required_epoch(obj: Mapping[str, Any], key: str, where: str) -> int:
    value = _epoch(obj, key, where, required=True)
    if value is None:  # pragma: no cover - _epoch raised already
        raise _bad(f"{where} has no '{key}'")
    return value


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"{where} is not an object")
    return value


def _list(obj: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(f"'{key}' of {where} is not a list")
    return value


def _checked_parts(value: Any, where: str, dumps: Callable[[Any], str]) -> _Parts:
    """A transaction's fields, every rule checked in turn; the error names the first broken."""
    obj = _object(value, where)
    pending = obj.get("pending", False)
    if not isinstance(pending, bool):
        raise _bad(f"'pending' of {where} is not a boolean")
    posted = _epoch(obj, "posted", where, required=not pending)
    payee = _text(obj, "payee", where, required=False)
    return (
        _identity(obj, "id", where),
        posted or 0,
        _required_amount(obj, "amount", where),
        clean_text(_text(obj, "description", where, required=False) or ""),
        _epoch(obj, "transacted_at", where, required=False),
        pending,
        (clean_text(payee) or None) if payee else None,
        _memo(obj.get("memo")),
        dumps(obj),
    )


def _parts(value: Any, account_where: str, index: int, dumps: Callable[[Any], str]) -> _Parts:
    """:func:`_checked_parts` with the usual shape accepted in one test of types.

    The shape every server sends (string id, amount and description, integer
    epochs, boolean ``pending``) passes exactly the rules of the full check;
    anything else, including every error, takes the full check.
    """
    if type(value) is dict:
        get = value.get
        pending, posted, amount, text = (
            get("pending", False),
            get("posted"),
            get("amount"),
            get("description"),
        )
        tx_id, at, payee = get("id"), get("transacted_at"), get("payee")
        if (
            (pending is False or pending is True)
            and type(posted) is int
            and posted >= 0
            and type(tx_id) is str
            and type(amount) is str
            and type(text) is str
            and (at is None or (type(at) is int and at >= 0))
            and (payee is None or type(payee) is str)
        ):
            try:
                number = Decimal(amount.strip())
            except InvalidOperation:
                number = None
            if number is not None and number.is_finite() and size_ok(number):
                return (
                    tx_id if tx_id.strip() else None,
                    posted,
                    number,
                    clean_text(text),
                    at,
                    pending,
                    (clean_text(payee) or None) if payee else None,
                    _memo(get("memo")),
                    dumps(value),
                )
    return _checked_parts(value, f"transaction {index} of {account_where}", dumps)


def _wire_transactions(
    values: list[Any], where: str, currency: str, dumps: Callable[[Any], str]
) -> tuple[WireTransaction, ...]:
    return tuple(WireTransaction(*_parts(v, where, i, dumps)) for i, v in enumerate(values))


def _normalized_transactions(
    values: list[Any], where: str, currency: str, dumps: Callable[[Any], str]
) -> tuple[Transaction, ...] | ProviderProtocolError:
    """Transactions straight into the contract; each one's JSON is released once read.

    Every transaction is checked as :func:`parse_account_set` checks it. An
    epoch beyond ``datetime``'s range fails only in the contract step, which
    ``fetch`` used to take for the accounts it wanted once the answer's auth
    errors were raised: that error is returned, for ``fetch`` to raise then.
    Epochs repeat (one per day for most banks), so their dates and instants
    are computed once per answer and shared.
    """
    days: dict[int, dt.date] = {}
    instants: dict[int, dt.datetime] = {}

    def day_of(epoch: int) -> dt.date:
        day = days.get(epoch)
        if day is None:
            day = days[epoch] = epoch_to_bank_date(epoch)
        return day

    def instant_of(epoch: int) -> dt.datetime:
        instant = instants.get(epoch)
        if instant is None:
            instant = instants[epoch] = epoch_to_instant(epoch)
        return instant

    out: list[Transaction] = []
    failed: ProviderProtocolError | None = None
    for index, value in enumerate(values):
        values[index] = None
        parts = _parts(value, where, index, dumps)
        if failed is None:
            try:
                out.append(_contract(parts, currency, day_of, instant_of))
            except ProviderProtocolError as exc:
                failed = exc
    return tuple(out) if failed is None else failed


def _account(
    value: Any,
    index: int,
    connections: Mapping[str, WireConnection],
    dumps: Callable[[Any], str],
    read: Callable[[list[Any], str, str, Callable[[Any], str]], R],
) -> tuple[WireAccount, R]:
    """The account without its transactions, and its transactions as ``read`` makes them."""
    obj = _object(value, f"account {index}")
    account_id = _identity(obj, "id", f"account {index}")
    if account_id is None:
        raise _bad(f"account {index} has no id")
    where = f"account '{account_id}'"
    currency = (_text(obj, "currency", where, required=True) or "").strip()
    if not currency:
        raise _bad(f"{where} has a blank currency")
    conn_id = _identity(obj, "conn_id", where)
    connection = connections.get(conn_id) if conn_id else None
    org = _object(obj["org"], f"'org' of {where}") if obj.get("org") is not None else {}
    institution = (
        _text(org, "name", where, required=False)
        or (connection.org_name or connection.name if connection else None)
        or _text(obj, "conn_name", where, required=False)
    )
    institution_id = (
        _identity(org, "id", where)
        or _identity(org, "domain", where)
        or (connection.org_id if connection else None)
    )
    name = sanitize_message(_text(obj, "name", where, required=False) or account_id)
    balance = _required_amount(obj, "balance", where)
    available = _amount(obj, "available-balance", where, required=False)
    balance_date = _required_epoch(obj, "balance-date", where)
    transactions = read(_list(obj, "transactions", where), where, currency, dumps)
    account = WireAccount(
        id=account_id,
        name=name,
        conn_id=conn_id,
        currency=currency,
        balance=balance,
        available_balance=available,
        balance_date=balance_date,
        transactions=(),
        institution=sanitize_message(institution) if institution else None,
        institution_id=institution_id,
        iban=_extra_iban(obj, where),
    )
    return account, transactions


def _extra_iban(obj: Mapping[str, Any], where: str) -> str | None:
    extra = obj.get("extra")
    if not isinstance(extra, dict):
        return None
    value = _identity(extra, "iban", f"'extra' of {where}")
    return "".join(value.split()).upper() if value else None


def _errors(root: Mapping[str, Any]) -> tuple[WireError, ...]:
    """v2 ``errlist`` when present (``errors`` is then its deprecated copy), else v1."""
    if "errlist" in root:
        found: list[WireError] = []
        for i, value in enumerate(_list(root, "errlist", "the account set")):
            obj = _object(value, f"error {i}")
            code = (_text(obj, "code", f"error {i}", required=True) or "").strip()
            text = _text(obj, "msg", f"error {i}", required=False)
            if text is None:  # the spec's own example says "message"
                text = _text(obj, "message", f"error {i}", required=False)
            found.append(
                WireError(
                    code=code,
                    message=sanitize_message(text or code),
                    conn_id=_identity(obj, "conn_id", f"error {i}"),
                    account_id=_identity(obj, "account_id", f"error {i}"),
                )
            )
        return tuple(found)
    messages = _list(root, "errors", "the account set")
    if not all(isinstance(m, str) for m in messages):
        raise _bad("'errors' is not a list of strings")
    return tuple(WireError("gen.", sanitize_message(m)) for m in messages if m.strip())


def _connections(root: Mapping[str, Any]) -> tuple[WireConnection, ...]:
    found: list[WireConnection] = []
    for i, value in enumerate(_list(root, "connections", "the account set")):
        where = f"connection {i}"
        obj = _object(value, where)
        conn_id = _identity(obj, "conn_id", where)
        if conn_id is None:
            raise _bad(f"{where} has no conn_id")
        name = _text(obj, "name", where, required=False) or conn_id
        org_name = _text(obj, "org_name", where, required=False)
        found.append(
            WireConnection(
                conn_id=conn_id,
                name=sanitize_message(name),
                org_id=_identity(obj, "org_id", where),
                org_name=sanitize_message(org_name) if org_name else None,
            )
        )
    return tuple(found)


def _parse(
    body: bytes, read: Callable[[list[Any], str, str, Callable[[Any], str]], R]
) -> tuple[WireAccountSet, tuple[R, ...]]:
    root_value, dumps = load_answer(body)
    root = _object(root_value, "the account set")
    if "accounts" not in root:
        raise _bad("the account set has no 'accounts'")
    connections = _connections(root)
    by_id = {c.conn_id: c for c in connections}
    values = _list(root, "accounts", "answer")
    accounts: list[WireAccount] = []
    transactions: list[R] = []
    for i, value in enumerate(values):
        values[i] = None  # each account's JSON goes once read
        account, txs = _account(value, i, by_id, dumps, read)
        accounts.append(account)
        transactions.append(txs)
    answer = WireAccountSet(errors=_errors(root), connections=connections, accounts=tuple(accounts))
    return answer, tuple(transactions)


def parse_account_set(body: bytes) -> WireAccountSet:
    """Parse a ``GET /accounts`` answer; raise ProviderProtocolError if malformed."""
    answer, transactions = _parse(body, _wire_transactions)
    accounts = tuple(
        replace(a, transactions=txs) for a, txs in zip(answer.accounts, transactions, strict=True)
    )
    return replace(answer, accounts=accounts)


def parse_normalized_account_set(body: bytes) -> NormalizedAccountSet:
    """:func:`parse_account_set`, transactions straight into ``base.Transaction``.

    The same checks and errors; for ``fetch``, where a first sync may read
    a hundred thousand transactions.
    """
    answer, transactions = _parse(body, _normalized_transactions)
    return NormalizedAccountSet(answer.errors, answer.connections, answer.accounts, transactions)
