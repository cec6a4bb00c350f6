"""A deterministic, realistic stream of a small company's entries.

Sales with VAT to customers who pay some weeks later, supplier bills,
rent, salaries, bank fees: what a first look at booksync should show.  The
same seed and start date always give the same books.

These are plain journal entries, the company's history; its invoices and
bills are documents (:mod:`booksync.demo.documents`).  So the sales here are
numbered ``SALE/2026/0001``, never like an invoice (``INV/2026/00001``),
which a bank line naming one would be matched with.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal

from booksync.ledger.entries import EntryInput, LineInput

CUSTOMERS = ("Northwind Traders", "Contoso GmbH", "Blue Yonder Ltd", "Fabrikam Inc")
SUPPLIERS = {
    "Harbour Properties": ("6100", "Office rent"),
    "City Power & Water": ("6200", "Utilities"),
    "Cloudworks SaaS": ("6400", "Software subscriptions"),
    "Paper & Pens Co": ("6300", "Office supplies"),
}
VAT = Decimal("0.19")
CENT = Decimal("0.01")


def _vat(net: Decimal) -> Decimal:
    return (net * VAT).quantize(CENT)


def demo_entries(start: dt.date, months: int, seed: int = 7) -> Iterator[EntryInput]:
    """Entries for ``months`` months from ``start`` (the 1st of a month), in date order."""
    rng = random.Random(seed)
    out: list[EntryInput] = [
        EntryInput(
            "MISC",
            start,
            (
                LineInput("1200", debit=Decimal("25000.00"), label="Capital paid in"),
                LineInput("3000", credit=Decimal("25000.00"), label="Capital paid in"),
            ),
            "Founding capital",
        )
    ]
    invoice = 0
    for m in range(months):
        first = (start.replace(day=1) + dt.timedelta(days=32 * m)).replace(day=1)
        for _ in range(rng.randint(4, 7)):
            invoice += 1
            day = first + dt.timedelta(days=rng.randint(0, 26))
            customer = rng.choice(CUSTOMERS)
            income = rng.choice(("4000", "4100"))
            net = Decimal(rng.randint(40_000, 480_000)) / 100
            vat = _vat(net)
            ref = f"SALE/{first.year}/{invoice:04d}"
            out.append(
                EntryInput(
                    "SAL",
                    day,
                    (
                        LineInput("1100", debit=net + vat, partner=customer, label=ref),
                        LineInput(income, credit=net, partner=customer, label=ref),
                        LineInput("2100", credit=vat, label=f"VAT {ref}"),
                    ),
                    ref,
                )
            )
            if rng.random() < 0.8:
                paid = day + dt.timedelta(days=rng.randint(10, 40))
                out.append(
                    EntryInput(
                        "MISC",
                        paid,
                        (
                            LineInput("1200", debit=net + vat, partner=customer,
                                      label=f"Payment {ref}"),
                            LineInput("1100", credit=net + vat, partner=customer,
                                      label=f"Payment {ref}"),
                        ),
                        f"Payment {ref}",
                    )
                )
        for supplier, (account, label) in SUPPLIERS.items():
            net = Decimal(rng.randint(8_000, 250_000)) / 100 if account != "6100" else Decimal(
                "1800.00"
            )
            vat = _vat(net)
            day = first + dt.timedelta(days=rng.randint(0, 10))
            ref = f"BILL/{supplier.split()[0].upper()}/{first:%Y%m}"
            out.append(
                EntryInput(
                    "PUR",
                    day,
                    (
                        LineInput(account, debit=net, partner=supplier, label=label),
                        LineInput("1600", debit=vat, label=f"VAT {ref}"),
                        LineInput("2000", credit=net + vat, partner=supplier, label=ref),
                    ),
                    ref,
                )
            )
            pay = day + dt.timedelta(days=rng.randint(5, 25))
            out.append(
                EntryInput(
                    "MISC",
                    pay,
                    (
                        LineInput("2000", debit=net + vat, partner=supplier, label=f"Pay {ref}"),
                        LineInput("1200", credit=net + vat, partner=supplier, label=f"Pay {ref}"),
                    ),
                    f"Payment {ref}",
                )
            )
        payday = first + dt.timedelta(days=27)
        out.append(
            EntryInput(
                "MISC",
                payday,
                (
                    LineInput("6000", debit=Decimal("6400.00"), label="Salaries"),
                    LineInput("1200", credit=Decimal("6400.00"), label="Salaries"),
                ),
                f"Payroll {first:%Y-%m}",
            )
        )
        fee = Decimal(rng.randint(900, 2500)) / 100
        out.append(
            EntryInput(
                "MISC",
                payday,
                (
                    LineInput("6500", debit=fee, label="Account fees"),
                    LineInput("1200", credit=fee, label="Account fees"),
                ),
                f"Bank fees {first:%Y-%m}",
            )
        )
    out.sort(key=lambda e: e.date)
    yield from out
