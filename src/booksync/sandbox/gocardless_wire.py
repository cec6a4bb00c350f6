"""The sandbox world in GoCardless Bank Account Data's shapes (docs/banking.md, "The sandbox bank").

Each of the world's institutions is a GoCardless institution (``NAME_BIC``
ids, such as ``NORDWERKBANK_NWBKDEFF``), and ``SANDBOXFINANCE_SFIN0000``, the
id GoCardless gives its own test bank, holds every account of the world.

Banks fill the Berlin Group fields differently, and so do the sandbox's, so
a client is held to every rule it claims to follow:

- Nordwerk Bank sends ``bookingDateTime`` too, at half past midnight in
  UTC+01:00 (the previous day in UTC: a client must keep ``bookingDate``),
  reports an ``interimBooked`` balance of today and an ``interimAvailable``
  one that counts card payments still pending;
- Banque du Lac reports yesterday's ``closingBooked`` balance beside today's
  ``interimBooked`` and ``expected`` ones (the closing one is the account's),
  and carries the payer's reference as ``endToEndId`` (``NOTPROVIDED`` when
  there is none);
- Sakura Shinyo Bank sends the text as ``remittanceInformationUnstructuredArray``
  and one ``closingBooked`` balance; its accounts have no IBAN.

The others carry the reference as ``remittanceInformationStructured``.
Amounts are strings, as on the real wire; the counterparty is the debtor of
money in and the creditor of money out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import TYPE_CHECKING, Any

from booksync.money import format_minor
from booksync.sandbox.model import Account, Institution, Transaction

if TYPE_CHECKING:
    from booksync.sandbox.world import World

__all__ = [
    "SANDBOX_FINANCE",
    "balances",
    "details",
    "institution_id",
    "institution_wire",
    "transactions",
]

SANDBOX_FINANCE = "SANDBOXFINANCE_SFIN0000"
HISTORY_DAYS = 730
ACCESS_DAYS = 180


def institution_id(institution: Institution) -> str:
    return f"{re.sub('[^A-Z0-9]', '', institution.name.upper())}_{institution.bic}"


def institution_wire(ident: str, name: str, bic: str, countries: list[str]) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "bic": bic,
        "transaction_total_days": str(HISTORY_DAYS),
        "countries": countries,
        "logo": f"https://cdn.sandbox.example/{ident.lower()}.png",
        "max_access_valid_for_days": str(ACCESS_DAYS),
    }


def _kind(account: Account) -> str:
    """Which of the bank habits above the account's institution has."""
    return account.institution.id


def details(account: Account, gc_id: str) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "resourceId": gc_id,
        "currency": account.currency,
        "ownerName": "Sandbox Customer",
        "name": account.name,
        "cashAccountType": "CACC",
    }
    if account.iban:
        wire["iban"] = account.iban
    else:
        wire["bban"] = hashlib.sha256(account.id.encode()).hexdigest()[:14].upper()
    return {"account": wire}


def _amount(account: Account, minor: int) -> dict[str, str]:
    return {"amount": format_minor(minor, account.exponent), "currency": account.currency}


def balances(world: World, account: Account) -> dict[str, Any]:
    """The balances the account's bank reports; the preferred one is the world's truth."""
    today = world.today
    as_of = world.balance_date(account.id)
    booked = account.balance(as_of)
    today_booked = account.balance(today)
    available = account.opening + account.booked_total + account.pending_total()
    kind = _kind(account)

    def one(balance_type: str, minor: int, day: dt.date) -> dict[str, Any]:
        return {
            "balanceAmount": _amount(account, minor),
            "balanceType": balance_type,
            "referenceDate": day.isoformat(),
        }

    if kind == "banque-du-lac":
        found = [
            one("interimBooked", today_booked, today),
            one("expected", available, today),
            one("closingBooked", booked, as_of),
        ]
    elif kind == "sakura":
        found = [one("closingBooked", booked, as_of)]
    else:
        found = [one("interimAvailable", available, today), one("interimBooked", booked, as_of)]
    return {"balances": found}


class _Render:
    """One account's transactions on the wire; per-account values computed once."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.exponent = account.exponent
        self.currency = account.currency
        self.kind = _kind(account)
        self.prefix = hashlib.sha256(f"internal:{account.id}".encode()).hexdigest()[:24]

    def _common(self, txn: Transaction) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "transactionId": txn.id,
            "transactionAmount": {
                "amount": format_minor(txn.amount, self.exponent),
                "currency": self.currency,
            },
            "valueDate": txn.transacted.isoformat(),
        }
        if self.kind == "sakura":
            wire["remittanceInformationUnstructuredArray"] = [txn.description]
        else:
            wire["remittanceInformationUnstructured"] = txn.description
        if txn.payee:
            wire["debtorName" if txn.amount > 0 else "creditorName"] = txn.payee
        iban = txn.extra.get("counterparty_iban") if txn.extra else None
        if iban:
            wire["debtorAccount" if txn.amount > 0 else "creditorAccount"] = {"iban": iban}
        if self.kind == "banque-du-lac":
            wire["endToEndId"] = txn.memo or "NOTPROVIDED"
        elif txn.memo:
            wire["remittanceInformationStructured"] = txn.memo
        return wire

    def pending(self, txn: Transaction) -> dict[str, Any]:
        return self._common(txn)

    def booked(self, txn: Transaction) -> dict[str, Any]:
        assert txn.posted is not None
        wire = self._common(txn)
        day = txn.posted.isoformat()
        wire["bookingDate"] = day
        wire["internalTransactionId"] = f"{self.prefix}{txn.seq:08x}"
        if self.kind == "nordwerk":
            wire["bookingDateTime"] = f"{day}T00:30:00+01:00"
        return wire


def transactions(
    world: World, account: Account, first: dt.date, last: dt.date
) -> dict[str, Any]:
    """Booked transactions dated ``first`` to ``last`` (both included) and the pending ones
    made in that range (call with the world's lock held)."""
    render = _Render(account)
    booked = [render.booked(t) for t in account.booked_between(first, last)]
    pending = [
        render.pending(t)
        for t in account.visible_pending(world.today)
        if first <= t.transacted <= last
    ]
    return {"transactions": {"booked": booked, "pending": pending}}
