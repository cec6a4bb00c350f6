"""SimpleFIN wire format: the Account Set and its parts, parsed strictly.

Spec: the SimpleFIN Protocol (simplefin.org, ``protocol.md``), sections
"Account Set", "Account", "Transaction", "Error" (v2 ``errlist``) and
"Connection"; v1 servers send ``errors`` (strings) and an ``org`` object per
account instead. Parsing happens here, once, and rejects bad data with a
:class:`ProviderProtocolError` before anything reaches the books.

Amounts are numeric strings; JSON is parsed with ``parse_float=Decimal`` so
an amount sent as a bare number never passes through ``float`` either.

Dates. Every SimpleFIN timestamp is a UNIX epoch, i.e. a UTC instant, and
the protocol says nothing of the bank's time zone. Servers that only know a
posting *date* (nearly all banks) send an instant on that date in UTC
(midnight or noon UTC), so the UTC calendar date of ``posted`` is the bank's
date, and that is the rule here: ``epoch_to_bank_date`` takes the UTC date
and never goes through the machine's or the company's local zone. Going
through a zone west of Greenwich would move every midnight-UTC posting to
the previous day (users' bug 6, "date-only values shifted"). Window bounds
use the inverse mapping (date D is ``D 00:00:00Z``), so each posting falls in
exactly one half-open window piece.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from booksync.providers.base import Balance, Transaction, TransactionStatus
from booksync.providers.errors import ProviderProtocolError

__all__ = [
    "KNOWN_ERROR_CODES",
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
    "sanitize_message",
]

# Spec, "Error" / "Codes": unknown sub-codes fall back to the naked prefix.
KNOWN_ERROR_CODES = frozenset(
    {"gen.", "gen.api", "gen.auth", "con.", "con.auth", "act.", "act.failed", "act.missingdata"}
)
_MAX_MESSAGE = 300


def clean_text(text: str) -> str:
    """One line of text without control characters (names, descriptions).

    Printable text (the usual case) has no category-C character to replace:
    skipping the per-character scan makes parsing a big answer several
    times faster.
    """
    if text.isprintable():
        return " ".join(text.split())
    kept = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(kept.split())


def sanitize_message(text: str) -> str:
    """A server message made safe to show: ``clean_text``, at most 300 characters.

    The SimpleFIN checklist requires sanitizing every error message shown
    to users.
    """
    line = clean_text(text)
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"


def epoch_to_instant(epoch: int) -> dt.datetime:
    """The aware UTC datetime of a SimpleFIN epoch."""
    try:
        return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise ProviderProtocolError(f"SimpleFIN sent a timestamp out of range ({epoch}).") from None


def epoch_to_bank_date(epoch: int) -> dt.date:
    """The bank date of a SimpleFIN epoch: its UTC calendar date (see module doc)."""
    return epoch_to_instant(epoch).date()


def bank_date_to_epoch(day: dt.date) -> int:
    """The epoch of ``day`` at 00:00:00 UTC: the inverse of ``epoch_to_bank_date``."""
    return calendar.timegm(day.timetuple())


@dataclass(frozen=True, slots=True)
class WireError:
    """Spec "Error": ``code`` (``prefix.[subcode]``), ``msg``, optional ids.

    A v1 ``errors`` string becomes ``WireError("gen.", text)``.
    """

    code: str
    message: str
    conn_id: str | None = None
    account_id: str | None = None

    @property
    def kind(self) -> str:
        """The code if known, else its prefix with a dot (spec: fall back)."""
        if self.code in KNOWN_ERROR_CODES:
            return self.code
        prefix = self.code.split(".", 1)[0]
        return f"{prefix}." if f"{prefix}." in KNOWN_ERROR_CODES else "gen."


@dataclass(frozen=True, slots=True)
class WireConnection:
    """Spec "Connection" (v2): one login at one institution."""

    conn_id: str
    name: str
    org_id: str | None
    org_name: str | None


@dataclass(frozen=True, slots=True)
class WireTransaction:
    """Spec "Transaction". ``id`` is None when absent or blank."""

    id: str | None
    posted: int
    amount: Decimal
    description: str
    transacted_at: int | None
    pending: bool
    payee: str | None
    raw: str

    @property
    def is_pending(self) -> bool:
        """Spec: pending is ``pending: true``; ``posted`` "may be 0" while pending."""
        return self.pending or self.posted == 0

    def normalized(self, currency: str) -> Transaction:
        """This transaction in the provider contract (``base.Transaction``)."""
        booking: dt.date | None = epoch_to_bank_date(self.posted) if self.posted else None
        instant = epoch_to_instant(self.transacted_at) if self.transacted_at else None
        if booking is None and instant is not None:
            booking = instant.date()
        return Transaction(
            provider_transaction_id=self.id,
            status=TransactionStatus.PENDING if self.is_pending else TransactionStatus.BOOKED,
            amount=self.amount,
            currency=currency,
            booking_date=booking,
            description=self.description,
            raw=self.raw,
            transacted_at=instant,
            counterparty_name=self.payee,
        )


@dataclass(frozen=True, slots=True)
class WireAccount:
    """Spec "Account", with the institution from v1 ``org`` or v2 ``connections``.

    ``iban`` comes from ``extra.iban`` when a server offers it (not in the spec).
    """

    id: str
    name: str
    conn_id: str | None
    currency: str
    balance: Decimal
    available_balance: Decimal | None
    balance_date: int
    transactions: tuple[WireTransaction, ...]
    institution: str | None
    institution_id: str | None
    iban: str | None = None

    def normalized_balance(self) -> Balance:
        """The balance with its as-of bank date (users' bug 10)."""
        return Balance(
            amount=self.balance,
            as_of=epoch_to_bank_date(self.balance_date),
            available=self.available_balance,
        )


@dataclass(frozen=True, slots=True)
class WireAccountSet:
    """Spec "Account Set". ``errors`` holds v2 ``errlist`` or else v1 ``errors``."""

    errors: tuple[WireError, ...]
    connections: tuple[WireConnection, ...]
    accounts: tuple[WireAccount, ...]


def _bad(what: str) -> ProviderProtocolError:
    return ProviderProtocolError(f"SimpleFIN sent a malformed answer: {what}.")


def _text(obj: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _bad(f"{where} has no '{key}'")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _bad(f"'{key}' of {where} is not a string")
    return str(value)


def _identity(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    """An id, or None when absent or blank: blank ids are not identities (bug 3)."""
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


def _canonical_json(obj: Any) -> str:
    """Raw payload text: sorted keys; Decimal numbers are written as strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _transaction(value: Any, account_where: str, index: int) -> WireTransaction:
    where = f"transaction {index} of {account_where}"
    obj = _object(value, where)
    pending = obj.get("pending", False)
    if not isinstance(pending, bool):
        raise _bad(f"'pending' of {where} is not a boolean")
    posted = _epoch(obj, "posted", where, required=not pending)
    payee = _text(obj, "payee", where, required=False)
    return WireTransaction(
        id=_identity(obj, "id", where),
        posted=posted or 0,
        amount=_required_amount(obj, "amount", where),
        description=clean_text(_text(obj, "description", where, required=False) or ""),
        transacted_at=_epoch(obj, "transacted_at", where, required=False),
        pending=pending,
        payee=(clean_text(payee) or None) if payee else None,
        raw=_canonical_json(obj),
    )


def _account(value: Any, index: int, connections: Mapping[str, WireConnection]) -> WireAccount:
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
    return WireAccount(
        id=account_id,
        name=sanitize_message(_text(obj, "name", where, required=False) or account_id),
        conn_id=conn_id,
        currency=currency,
        balance=_required_amount(obj, "balance", where),
        available_balance=_amount(obj, "available-balance", where, required=False),
        balance_date=_required_epoch(obj, "balance-date", where),
        transactions=tuple(
            _transaction(tx, where, i) for i, tx in enumerate(_list(obj, "transactions", where))
        ),
        institution=sanitize_message(institution) if institution else None,
        institution_id=institution_id,
        iban=_extra_iban(obj, where),
    )


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


def _refuse_constant(name: str) -> Any:
    raise _bad(f"it contains the non-number {name}")


def parse_account_set(body: bytes) -> WireAccountSet:
    """Parse a ``GET /accounts`` answer; raise ProviderProtocolError if malformed."""
    try:
        root_value = json.loads(
            body.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant
        )
    except UnicodeDecodeError:
        raise _bad("it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _bad(f"it is not JSON ({exc.msg} at line {exc.lineno})") from None
    root = _object(root_value, "the account set")
    if "accounts" not in root:
        raise _bad("the account set has no 'accounts'")
    connections = _connections(root)
    by_id = {c.conn_id: c for c in connections}
    accounts = tuple(
        _account(value, i, by_id) for i, value in enumerate(_list(root, "accounts", "answer"))
    )
    return WireAccountSet(errors=_errors(root), connections=connections, accounts=accounts)
