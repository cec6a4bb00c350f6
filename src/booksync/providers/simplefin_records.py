"""SimpleFIN wire records: the Account Set and its parts, once parsed.

Spec: the SimpleFIN Protocol (simplefin.org; docs/banking.md, "Providers"), sections
"Account Set", "Account", "Transaction", "Error" (v2 ``errlist``) and
"Connection". Why a module of its own: these frozen records are what the
parser in :mod:`simplefin_wire` builds and what the provider reads, and
the one rule from a SimpleFIN transaction to the provider contract
(``base.Transaction``) lives beside them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from booksync.providers.base import Balance, Transaction, TransactionStatus
from booksync.providers.errors import ProviderProtocolError
from booksync.providers.simplefin_values import epoch_to_bank_date, epoch_to_instant

__all__ = [
    "KNOWN_ERROR_CODES",
    "NormalizedAccountSet",
    "WireAccount",
    "WireAccountSet",
    "WireConnection",
    "WireError",
    "WireTransaction",
]

# Spec, "Error" / "Codes": unknown sub-codes fall back to the naked prefix.
KNOWN_ERROR_CODES = frozenset(
    {"gen.", "gen.api", "gen.auth", "con.", "con.auth", "act.", "act.failed", "act.missingdata"}
)
# A transaction's checked fields: id, posted, amount, description, transacted_at,
# pending, payee, memo, raw (WireTransaction's order).
_Parts = tuple[str | None, int, Decimal, str, int | None, bool, str | None, str | None, str]


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
    """Spec "Transaction". ``id`` is None when absent or blank.

    ``payee`` and ``memo`` are the spec's optional fields (who paid or was
    paid, and a note such as the reference the payer quoted), None when
    absent or blank.
    """

    id: str | None
    posted: int
    amount: Decimal
    description: str
    transacted_at: int | None
    pending: bool
    payee: str | None
    memo: str | None
    raw: str

    @property
    def is_pending(self) -> bool:
        """Spec: pending is ``pending: true``; ``posted`` "may be 0" while pending."""
        return self.pending or self.posted == 0

    def normalized(self, currency: str) -> Transaction:
        """This transaction in the provider contract (``base.Transaction``)."""
        parts = (
            self.id,
            self.posted,
            self.amount,
            self.description,
            self.transacted_at,
            self.pending,
            self.payee,
            self.memo,
            self.raw,
        )
        return _contract(parts, currency, epoch_to_bank_date, epoch_to_instant)


def _contract(
    parts: _Parts,
    currency: str,
    day_of: Callable[[int], dt.date],
    instant_of: Callable[[int], dt.datetime],
) -> Transaction:
    """The one rule from a SimpleFIN transaction to ``base.Transaction``.

    ``day_of`` and ``instant_of`` are :func:`epoch_to_bank_date` and
    :func:`epoch_to_instant`, or memos of them for a big answer.  The payee is
    the counterparty's name, the memo the transaction's reference.
    """
    tx_id, posted, amount, description, transacted_at, pending, payee, memo, raw = parts
    booking: dt.date | None = day_of(posted) if posted else None
    instant = instant_of(transacted_at) if transacted_at else None
    if booking is None and instant is not None:
        booking = instant.date()
    return Transaction(
        provider_transaction_id=tx_id,
        status=TransactionStatus.PENDING if pending or not posted else TransactionStatus.BOOKED,
        amount=amount,
        currency=currency,
        booking_date=booking,
        description=description,
        raw=raw,
        transacted_at=instant,
        counterparty_name=payee,
        reference=memo,
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
        """The balance with its as-of bank date (docs/banking.md, "What real banks do")."""
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


@dataclass(frozen=True, slots=True)
class NormalizedAccountSet:
    """An Account Set whose transactions are already ``base.Transaction`` records.

    What ``fetch`` needs, built without the intermediate :class:`WireTransaction`
    and dropping each transaction's JSON as soon as it is read, so a big
    answer is never held twice. ``accounts`` carry no ``transactions``;
    ``transactions[i]`` are those of ``accounts[i]``, checked exactly as
    :func:`parse_account_set` checks them, or the error
    :meth:`WireTransaction.normalized` would raise for one of them (an epoch
    out of range), for the caller to raise if it wants that account.
    """

    errors: tuple[WireError, ...]
    connections: tuple[WireConnection, ...]
    accounts: tuple[WireAccount, ...]
    transactions: tuple[tuple[Transaction, ...] | ProviderProtocolError, ...]
