"""The provider contract: normalized records and the ``Provider`` protocol.

docs/banking.md, "Providers". A provider module turns one wire protocol into these
records and nothing else; it knows nothing of booksync's database. The
records are frozen, slotted dataclasses holding only immutable values
(tuples, strings, ``Decimal``), so a batch can be handed between threads and
kept as evidence of what the bank said.

Conventions:

- money is ``Decimal``, never ``float``; a transaction's amount is signed,
  positive = money in (as SimpleFIN and GoCardless send it);
- bank dates are plain ``datetime.date`` values in the bank's calendar and
  are never shifted through a time zone; instants are aware UTC datetimes;
- windows are half-open: ``start`` inclusive, ``end`` exclusive, so adjacent
  windows neither miss nor double a day.

docs/banking.md, "What real banks do", lists what these rules guard against.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "Balance",
    "Batch",
    "Capabilities",
    "Credentials",
    "Institution",
    "LinkSession",
    "Problem",
    "Provider",
    "ProviderAccount",
    "Transaction",
    "TransactionStatus",
    "Window",
]


def _require_decimal(value: object, what: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"{what} must be a finite Decimal, not {type(value).__name__}.")


def _require_date(value: object, what: str) -> None:
    # datetime is a subclass of date: refuse it, a bank date has no time.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise TypeError(f"{what} must be a datetime.date, not {type(value).__name__}.")


@dataclass(frozen=True, slots=True)
class Institution:
    """A bank (or other institution) a provider can connect to."""

    id: str
    name: str
    bic: str | None
    country: str | None
    provider: str
    online_sync: bool = True


@dataclass(frozen=True, slots=True)
class LinkSession:
    """The first half of linking: where to send the user, and what to expect back.

    SimpleFIN: ``link_url`` is the server's ``/create`` page, where the user
    makes a setup token to paste back; redirect-based providers (GoCardless)
    put their requisition id in ``reference``.
    """

    provider: str
    link_url: str
    reference: str | None = None
    institution_id: str | None = None
    redirect_uri: str | None = None
    history_days: int | None = None
    access_days: int | None = None


@dataclass(frozen=True, slots=True)
class Credentials:
    """Opaque secret payload that lets a provider fetch data for one connection.

    ``secret`` is what the provider needs (a SimpleFIN access URL, tokens
    as JSON, ...) and is encrypted at rest by the caller. ``label`` is a
    harmless description for people (e.g. the server's host). ``repr`` and
    ``str`` never show the secret.
    """

    provider: str
    secret: str = field(repr=False)
    label: str = ""

    def __repr__(self) -> str:
        return f"Credentials(provider={self.provider!r}, label={self.label!r}, secret=<hidden>)"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Balance:
    """A balance as the bank reported it, with the bank date it is valid for.

    The as-of date matters: an "ending balance" must be compared with the
    journal at that date, not today.
    """

    amount: Decimal
    as_of: dt.date
    available: Decimal | None = None

    def __post_init__(self) -> None:
        _require_decimal(self.amount, "A balance amount")
        _require_date(self.as_of, "A balance's as-of date")
        if self.available is not None:
            _require_decimal(self.available, "An available balance")


@dataclass(frozen=True, slots=True)
class ProviderAccount:
    """An account at the provider, as ``list_accounts`` reports it.

    ``id`` is the provider's id, unique within the connection; a re-linked
    connection may bring new ids, which the caller resolves.
    """

    id: str
    name: str
    currency: str
    iban: str | None = None
    institution: str | None = None
    institution_id: str | None = None
    balance: Balance | None = None


class TransactionStatus(enum.StrEnum):
    """Booked transactions become ledger lines; pending ones are only staged."""

    BOOKED = "booked"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class Transaction:
    """One bank transaction, normalized.

    ``provider_transaction_id`` is None when the provider gave none or a
    blank one: blank ids are not identities. Ids are unique
    within one provider account only. ``alternative_ids`` lists other
    ids the provider gives for the same transaction; ``pending_link_id`` is
    the id of the pending transaction this booked one replaces, when the
    provider says so (SimpleFIN never does). ``booking_date`` is None only
    for a pending transaction the bank has not dated. ``reference`` is the
    bank's structured or remittance reference (an invoice number the payer
    quoted, an end-to-end id), when the provider gives one apart from the
    description: reconciliation matches on it. ``raw`` is the provider's
    payload as canonical JSON text (sorted keys), kept as evidence.
    """

    provider_transaction_id: str | None
    status: TransactionStatus
    amount: Decimal
    currency: str
    booking_date: dt.date | None
    description: str
    raw: str
    value_date: dt.date | None = None
    transacted_at: dt.datetime | None = None
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    alternative_ids: tuple[str, ...] = ()
    pending_link_id: str | None = None
    reference: str | None = None

    def __post_init__(self) -> None:
        _require_decimal(self.amount, "A transaction amount")
        if self.provider_transaction_id is not None and not self.provider_transaction_id.strip():
            raise ValueError("A blank transaction id is not an identity: pass None instead.")
        if any(not alt.strip() for alt in self.alternative_ids):
            raise ValueError("Alternative transaction ids must not be blank.")
        if self.booking_date is not None:
            _require_date(self.booking_date, "A booking date")
        elif self.status is TransactionStatus.BOOKED:
            raise ValueError("A booked transaction needs a booking date.")
        if self.value_date is not None:
            _require_date(self.value_date, "A value date")
        if self.transacted_at is not None and self.transacted_at.utcoffset() is None:
            raise ValueError("transacted_at must be an aware (UTC) datetime.")


@dataclass(frozen=True, slots=True)
class Window:
    """A range of bank dates: ``start`` inclusive, ``end`` exclusive."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        _require_date(self.start, "A window start")
        _require_date(self.end, "A window end")
        if self.end <= self.start:
            raise ValueError(
                f"A window must end after it starts: {self.start} to {self.end} is empty."
            )

    @property
    def days(self) -> int:
        """Number of dates in the window."""
        return (self.end - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day < self.end

    def split(self, max_days: int) -> tuple[Window, ...]:
        """Consecutive pieces of at most ``max_days`` days, oldest first.

        Each piece's end is the next one's start, so no day is missing or
        doubled (SimpleFIN servers silently cap a request at 90 days).
        """
        if max_days < 1:
            raise ValueError("A window piece must hold at least one day.")
        pieces: list[Window] = []
        start = self.start
        while start < self.end:
            end = min(start + dt.timedelta(days=max_days), self.end)
            pieces.append(Window(start, end))
            start = end
        return tuple(pieces)


@dataclass(frozen=True, slots=True)
class Problem:
    """A warning that did not stop the fetch (account temporarily failing, ...).

    Returned beside the results, like Beancount's errors: the sync run records
    them. ``code`` is the provider's own (SimpleFIN: ``act.missingdata``).
    """

    code: str
    message: str
    account_id: str | None = None


@dataclass(frozen=True, slots=True)
class Batch:
    """What one fetch returned for one provider account.

    ``pending`` is the complete set of pending transactions for the window
    (the caller replaces its staged ones with it). ``next_watermark`` is the
    exclusive end date up to which booked data is known complete, or None
    when the account's data may be incomplete (an account-level error): the
    caller must then not advance its watermark. ``next_cursor`` is for
    cursor-based providers, which also name the transactions they withdrew
    (``removed``, their ids): a withdrawn pending one is simply gone, a booked
    one the caller booked already is reversed, never deleted.
    """

    account_id: str
    window: Window | None
    booked: tuple[Transaction, ...] = ()
    pending: tuple[Transaction, ...] = ()
    balance: Balance | None = None
    next_watermark: dt.date | None = None
    next_cursor: str | None = None
    problems: tuple[Problem, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when the caller may advance its watermark or cursor."""
        return self.next_watermark is not None or self.next_cursor is not None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider can do, so the sync engine plans windows and schedules.

    ``max_history_days`` and ``requests_per_day`` are None when the provider
    states no limit.
    """

    pending: bool
    cursor_or_window: Literal["cursor", "window"]
    max_window_days: int | None
    end_exclusive: bool
    max_history_days: int | None
    requests_per_day: int | None


@runtime_checkable
class Provider(Protocol):
    """One wire protocol behind the normalized contract (docs/banking.md, "Providers")."""

    @property
    def name(self) -> str:
        """Stable short name stored with connections, e.g. ``"simplefin"``."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """Limits the sync engine plans around."""
        ...

    def list_institutions(self, country: str | None = None) -> list[Institution]:
        """Institutions this provider can link, optionally of one country."""
        ...

    def start_link(
        self,
        institution: Institution | None,
        redirect_uri: str | None,
        history_days: int,
        access_days: int,
    ) -> LinkSession:
        """Begin linking: where the user goes to grant access."""
        ...

    def complete_link(self, session: LinkSession, payload: str) -> Credentials:
        """Finish linking with what the user brought back (setup token, ...)."""
        ...

    def list_accounts(self, credentials: Credentials) -> list[ProviderAccount]:
        """Accounts the credentials give access to."""
        ...

    def fetch(
        self,
        credentials: Credentials,
        account_ids: Sequence[str] | None,
        window: Window,
        *,
        include_pending: bool = False,
        cursor: str | None = None,
    ) -> list[Batch]:
        """Transactions and balances of the accounts (all when None) in ``window``."""
        ...

    def revoke(self, credentials: Credentials) -> None:
        """Give up access, where the provider supports it."""
        ...
