"""GoCardless Bank Account Data answers, parsed strictly into booksync's records.

API v2 (docs/banking.md, "GoCardless Bank Account Data"): institutions,
agreements, requisitions, and per account its details, balances and
transactions (``{"transactions": {"booked": [...], "pending": [...]}}``, each
in the Berlin Group's shape).  Parsing happens here, once, and refuses a
broken answer with :class:`ProviderProtocolError` before anything reaches the
books.

The rules from a GoCardless transaction to ``base.Transaction``:

- id: ``transactionId`` when present and not blank, else
  ``internalTransactionId``, else None (the importer fingerprints it);
- amount: ``transactionAmount.amount``, a string read as ``Decimal``; a JSON
  number there is refused: money never passes through ``float``;
- dates: ``bookingDate`` and ``valueDate`` as the bank wrote them, or the date
  part of ``bookingDateTime`` / ``valueDateTime`` as written: a bank date is
  never moved through a time zone;
- counterparty: the debtor for money in, the creditor for money out (name and
  account IBAN);
- description: the unstructured remittance information (or its array,
  joined), else ``additionalInformation``, else the counterparty's name;
- reference: the structured remittance information, else ``endToEndId``
  unless it is ``NOTPROVIDED``.

A first sync may read a hundred thousand transactions, so each one's work is
a few dictionary reads; dates repeat and are parsed once per answer.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from booksync.money import size_ok
from booksync.providers.base import (
    Problem,
    Transaction,
    TransactionStatus,
    Window,
)
from booksync.providers.errors import ProviderProtocolError
from booksync.providers.simplefin_values import clean_text, sanitize_message

__all__ = [
    "PROVIDER",
    "load",
    "malformed",
    "parse_transactions",
]

PROVIDER = "gocardless"
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$")
_BOOKED, _PENDING = TransactionStatus.BOOKED, TransactionStatus.PENDING


def malformed(what: str) -> ProviderProtocolError:
    return ProviderProtocolError(f"GoCardless Bank Account Data sent a malformed answer: {what}.")


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str).decode()


def load(body: bytes) -> Any:
    """The answer's JSON; an integer beyond 64 bits (which orjson refuses) is read by ``json``."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError:
        raise malformed("it is not UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError):
        raise malformed("it is not JSON") from None


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if type(value) is not dict:
        raise malformed(f"{where} is not an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if type(value) is not list:
        raise malformed(f"{where} is not a list")
    return value


def _text(value: Any) -> str | None:
    """An optional text field, None when absent, blank or not text (it is only shown)."""
    return (clean_text(value) or None) if type(value) is str else None


def _identity(value: Any, where: str) -> str | None:
    """An id, or None when absent or blank: blank ids are not identities."""
    if value is None:
        return None
    if type(value) is int:
        return str(value)
    if type(value) is not str:
        raise malformed(f"an id of {where} is not a string")
    return value if value.strip() else None


def _required_id(obj: Mapping[str, Any], key: str, where: str) -> str:
    found = _identity(obj.get(key), where)
    if found is None:
        raise malformed(f"{where} has no '{key}'")
    return found


def _decimal(value: Any, where: str) -> Decimal:
    if type(value) is not str:
        raise malformed(f"the amount of {where} is not a string")
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise malformed(f"the amount of {where} is not a number") from None
    if not number.is_finite() or not size_ok(number):
        raise malformed(f"the amount of {where} is out of range")
    return number


def _date(value: Any, where: str) -> dt.date | None:
    """A bank date: ``YYYY-MM-DD``, or the date part of a date-time exactly as written."""
    if value is None or value == "":
        return None
    if type(value) is not str or len(value) < 10:
        raise malformed(f"a date of {where} is not a date")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise malformed(f"a date of {where} is not a date") from None


def _instant(value: Any, where: str) -> dt.datetime | None:
    """An aware date-time as UTC; None when absent or without an offset."""
    if type(value) is not str or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise malformed(f"a date-time of {where} is not one") from None
    return moment.astimezone(dt.UTC) if moment.utcoffset() is not None else None


def _iban(value: Any) -> str | None:
    if type(value) is not dict:
        return None
    iban = value.get("iban")
    if type(iban) is not str:
        return None
    normal = "".join(iban.split()).upper()
    return normal if _IBAN.match(normal) else None


def _joined(single: Any, many: Any) -> str | None:
    """A remittance field, or its array of strings (or of ``{"reference": ...}``) joined."""
    text = _text(single)
    if text or type(many) is not list:
        return text
    parts = [
        item if type(item) is str else item.get("reference") if type(item) is dict else None
        for item in many
    ]
    return clean_text(" ".join(p for p in parts if type(p) is str)) or None


def _end_to_end(value: Any) -> str | None:
    text = _text(value)
    return None if text is None or text.upper() == "NOTPROVIDED" else text


# -- transactions --------------------------------------------------------------


class _Memo:
    """Bank dates and instants of one answer, each spelling parsed once (they repeat)."""

    def __init__(self) -> None:
        self.days: dict[str, dt.date] = {}
        self.instants: dict[str, dt.datetime | None] = {}

    def day(self, value: Any, where: str) -> dt.date | None:
        if type(value) is str:
            day = self.days.get(value)
            if day is None:
                day = _date(value, where)
                if day is not None:
                    self.days[value] = day
            return day
        return _date(value, where)

    def instant(self, value: Any, where: str) -> dt.datetime | None:
        if type(value) is not str:
            return None
        if value not in self.instants:
            self.instants[value] = _instant(value, where)
        return self.instants[value]


_NUMBER = "0123456789.-+"


def _amount(text: Any, where: str) -> Decimal:
    """:func:`_decimal`, quicker for the usual short numeric string: 30 characters of
    digits, sign and point cannot break the size limits :func:`size_ok` checks."""
    if type(text) is str and len(text) <= 30 and not text.strip(_NUMBER):
        try:
            return Decimal(text)
        except InvalidOperation:
            raise malformed(f"the amount of {where} is not a number") from None
    return _decimal(text, where)


def _clean(text: str) -> bool:
    """Whether ``clean_text`` would leave ``text`` as it is, and it is not empty."""
    return bool(text) and text.isprintable() and text.strip() == text and "  " not in text


def _code(currency: str) -> str:
    return currency.strip().upper()


def _id_of(get: Any, where: str) -> str | None:
    found = get("transactionId")
    if type(found) is str and found.strip():
        return found
    return _identity(found, where) or _identity(get("internalTransactionId"), where)


def _transaction(value: Any, status: TransactionStatus, where: str, memo: _Memo) -> Transaction:
    obj = value if type(value) is dict else _object(value, where)
    get = obj.get
    money = get("transactionAmount")
    if type(money) is not dict:
        raise malformed(f"{where} has no 'transactionAmount'")
    amount = _amount(money.get("amount"), where)
    currency = money.get("currency")
    if type(currency) is not str or not currency.strip():
        raise malformed(f"{where} has no currency")
    booked_at = get("bookingDateTime")
    booking = memo.day(get("bookingDate"), where) or memo.day(booked_at, where)
    value_day = memo.day(get("valueDate"), where) or memo.day(get("valueDateTime"), where)
    if booking is None:
        booking = value_day
        if booking is None and status is _BOOKED:
            raise malformed(f"{where} has no 'bookingDate'")
    if amount >= 0:
        name, account = get("debtorName"), get("debtorAccount")
    else:
        name, account = get("creditorName"), get("creditorAccount")
    counterparty = _text(name) if name is not None else None
    text = get("remittanceInformationUnstructured")
    if type(text) is str and _clean(text):
        description = text  # already one clean line: the usual case, kept as it is
    else:
        description = (
            _joined(text, get("remittanceInformationUnstructuredArray"))
            or _text(get("additionalInformation"))
            or counterparty
            or ""
        )
    structured = get("remittanceInformationStructured")
    structured_array = get("remittanceInformationStructuredArray")
    reference = None
    if structured is not None or structured_array is not None:
        reference = _joined(structured, structured_array)
    if reference is None:
        end_to_end = get("endToEndId")
        reference = _end_to_end(end_to_end) if end_to_end is not None else None
    return Transaction(
        provider_transaction_id=_id_of(get, where),
        status=status,
        amount=amount,
        currency=currency if len(currency) == 3 and currency.isupper() else _code(currency),
        booking_date=booking,
        description=description,
        raw=_dumps(obj),
        value_date=value_day,
        transacted_at=memo.instant(booked_at, where),
        counterparty_name=counterparty,
        counterparty_iban=_iban(account) if account is not None else None,
        reference=reference,
    )


def parse_transactions(
    body: bytes, account_id: str, window: Window, *, include_pending: bool
) -> tuple[tuple[Transaction, ...], tuple[Transaction, ...], tuple[Problem, ...]]:
    """An account's booked transactions dated in ``window``, its pending ones, and problems.

    Booked ones outside the window are left out (a bank may ignore the dates
    asked for); a booked id sent twice keeps its first transaction, with a
    problem saying so.  Each transaction's JSON is released once read.
    """
    root = _object(load(body), "the transactions answer")
    groups = _object(root.get("transactions"), "'transactions'")
    where = f"account '{account_id}'"
    booked_values = _list(groups.get("booked"), f"the booked transactions of {where}")
    pending_values = _list(groups.get("pending"), f"the pending transactions of {where}")
    memo = _Memo()
    start, end = window.start, window.end
    booked: list[Transaction] = []
    problems: list[Problem] = []
    seen: dict[str, Transaction] = {}
    for index, value in enumerate(booked_values):
        booked_values[index] = None
        tx = _transaction(value, _BOOKED, f"booked transaction {index} of {where}", memo)
        day = tx.booking_date
        if day is None or not start <= day < end:
            continue
        tx_id = tx.provider_transaction_id
        if tx_id is not None:
            first = seen.get(tx_id)
            if first is not None and first.raw == tx.raw:
                problems.append(Problem(
                    "duplicate-id",
                    f"GoCardless sent transaction '{sanitize_message(tx_id, 80)}' twice "
                    "in one answer; it is booked once.",
                    account_id,
                ))
                continue
            seen.setdefault(tx_id, tx)
        booked.append(tx)
    return _told_apart(booked), _pending(pending_values, where, memo, include_pending), tuple(
        problems)


def _told_apart(booked: list[Transaction]) -> tuple[Transaction, ...]:
    """The transactions, those of an id the bank gave two different ones under (its
    ``transactionId``'s quality varies) each under its ``internalTransactionId`` when
    that tells them apart, else under none: the importer's stand-in of date, amount and
    text then does, and a line booked under the shared id before is theirs by those
    (docs/banking.md, "GoCardless Bank Account Data")."""
    shared = Counter(tx.provider_transaction_id for tx in booked)
    twice = {tx_id for tx_id, n in shared.items() if tx_id is not None and n > 1}
    if not twice:
        return tuple(booked)
    internal = [_internal(tx) if tx.provider_transaction_id in twice else None
                for tx in booked]
    unique = Counter(i for i in internal if i is not None)
    return tuple(
        tx if tx.provider_transaction_id not in twice
        else replace(tx, provider_transaction_id=own if own and unique[own] == 1 else None)
        for tx, own in zip(booked, internal, strict=True)
    )


def _internal(tx: Transaction) -> str | None:
    found = load(tx.raw.encode()).get("internalTransactionId")
    return found if type(found) is str and found.strip() else None


def _pending(values: list[Any], where: str, memo: _Memo, include_pending: bool
             ) -> tuple[Transaction, ...]:
    pending: list[Transaction] = []
    for index, value in enumerate(values):
        tx = _transaction(value, _PENDING, f"pending transaction {index} of {where}", memo)
        if include_pending:
            pending.append(tx)
    return tuple(pending)
