"""A day of ordinary banking, by account profile: what a small company sees.

Each profile (``business``, ``savings``, ``usd``, ``jpy``, ``quiet``) turns one
date and one random stream into drafts: salaries at the month's end, rent and
fees at its start, card payments (which go through a pending stage), supplier
payments, and customer payments whose text quotes an invoice number such as
``INV/2026/0042`` so reconciliation has something to match (for books that
issue their own invoices, card-terminal payouts instead: docs/banking.md,
"The sandbox bank").  Where a real bank would say so, a draft names its payee
(the customer, supplier, merchant or employee) and its memo (the reference the
payer quoted: the invoice number, the supplier's bill, the mandate), which
SimpleFIN carries as ``payee`` and ``memo``.
The world decides ids, dates and the unusual movements; this module only says
what happened.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Draft", "day_drafts", "late_draft", "pair_draft"]

CUSTOMERS = (
    "Atelier Brun SARL",
    "Kessler Logistik GmbH",
    "Northwind Traders Ltd",
    "Osaka Precision KK",
    "Vega Design BV",
    "Helios Solar SpA",
)
SUPPLIERS = ("Papeterie Centrale", "CloudHost AG", "Stadtwerke Energie", "Office Depot Europe")
MERCHANTS = (
    "AMAZON MKTPLACE",
    "SHELL STATION 0412",
    "DEUTSCHE BAHN",
    "AIR FRANCE",
    "HOTEL IBIS",
    "RESTAURANT LE PETIT ZINC",
    "MICROSOFT 365",
    "GITHUB INC",
)
EMPLOYEES = ("A. Martin", "J. Weber", "S. Tanaka", "L. Rossi")
PAYOUT = "Card terminal payout"
SCALE = {"JPY": 150}
"""Major units per euro-sized amount, so a yen invoice is not 42 yen."""


@dataclass
class Draft:
    """A transaction before the world gives it an id and a booking date."""

    amount: int
    description: str
    card: bool = False
    transfer_to: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    payee: str | None = None
    memo: str | None = None


def _amount(rng: random.Random, lo: int, hi: int, currency: str, exp: int) -> int:
    scale = SCALE.get(currency, 1)
    return rng.randrange(lo * scale * 10**exp, hi * scale * 10**exp)


def _month_end(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).month != day.month


def day_drafts(
    profile: str,
    currency: str,
    exp: int,
    day: dt.date,
    rng: random.Random,
    next_invoice: Callable[[int], str] | None,
) -> list[Draft]:
    """Everything an account of ``profile`` books (or authorises) on ``day``.

    ``next_invoice`` None: customers pay no made-up invoice; the same money
    comes in as card-terminal payouts (the books say which invoices are paid).
    """
    if profile in ("quiet", "bulk"):
        return []
    if profile == "savings":
        return _savings_day(currency, exp, day, rng)
    drafts: list[Draft] = []
    workday = day.weekday() < 5

    def amount(lo: int, hi: int) -> int:
        return _amount(rng, lo, hi, currency, exp)

    if workday:
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            customer = rng.choice(CUSTOMERS)  # drawn either way: one seed, one stream
            if next_invoice is None:
                drafts.append(Draft(amount(150, 4800), PAYOUT))
                continue
            invoice = next_invoice(day.year)
            text = {
                "usd": f"INCOMING WIRE {customer.upper()} REF {invoice}",
                "jpy": f"FURIKOMI {customer.upper()} {invoice}",
            }.get(profile, f"SEPA credit {customer} {invoice}")
            drafts.append(
                Draft(
                    amount(150, 4800),
                    text,
                    extra={"invoice": invoice},
                    payee=customer,
                    memo=invoice,
                )
            )
        for _ in range(rng.choice((0, 1, 1, 2))):
            paid = -amount(4, 350)  # drawn before the merchant: the seed gives the same world
            merchant = rng.choice(MERCHANTS)
            drafts.append(Draft(paid, f"CARD {merchant}", card=True, payee=merchant))
        if rng.random() < 0.3 and profile != "usd":
            supplier = rng.choice(SUPPLIERS)
            ref = f"BILL-{day:%y%m}-{rng.randrange(1000):03d}"
            text = f"SEPA transfer {supplier} {ref}"
            drafts.append(Draft(-amount(80, 2400), text, payee=supplier, memo=ref))
    if profile == "usd" and rng.random() < 0.1:
        drafts.append(Draft(-amount(15, 16), "International wire fee"))
    if day.day == 1:
        drafts.append(Draft(-amount(9, 10), "Monthly account fee"))
        if profile != "usd":
            drafts.append(Draft(-amount(1800, 1900), f"Rent {day:%B %Y} office"))
    if day.day == 15 and profile != "usd":
        drafts.append(Draft(-amount(2000, 2001), "Transfer to savings", transfer_to="savings"))
    if day.day == 25 and profile != "usd":
        for name in EMPLOYEES[: 2 + day.month % 3]:
            drafts.append(Draft(-amount(2100, 4200), f"Salary {day:%B %Y} {name}", payee=name))
    return drafts


def _savings_day(currency: str, exp: int, day: dt.date, rng: random.Random) -> list[Draft]:
    if _month_end(day):
        return [Draft(_amount(rng, 5, 60, currency, exp), f"Interest {day:%B %Y}")]
    return []


def late_draft(currency: str, exp: int, rng: random.Random) -> Draft:
    """A direct debit the bank books today with a value date days ago."""
    amount = _amount(rng, 20, 400, currency, exp)
    supplier = rng.choice(SUPPLIERS)
    mandate = f"M-{rng.randrange(10**5)}"
    return Draft(
        -amount, f"Direct debit {supplier} mandate {mandate}", payee=supplier, memo=mandate
    )


def pair_draft(currency: str, exp: int, rng: random.Random) -> Draft:
    """One of two genuine, identical payments on the same day (same text, same amount)."""
    amount = _amount(rng, 3, 30, currency, exp)
    return Draft(-amount, "PARKING CITY GARAGE")
