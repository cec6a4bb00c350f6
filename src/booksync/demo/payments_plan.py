"""The demo's invoices and bills, and how the customers and suppliers pay them.

A first look at booksync should show the bank feed paying documents the
books issued, the way people really pay: the exact number, a number typed
with other case, dashes, spaces or the letter O for a zero, several invoices
in one transfer, part of an invoice, a transfer naming only the customer or
only its IBAN, a bill paid with the vendor's own reference, and a bank fee
(docs/banking.md, "The sandbox bank"; docs/reconciliation.md).

Pure planning, no database and no bank: :func:`document_plans` says which
documents to issue and :func:`transfers` how each is paid, once their
numbers and totals are known.  Everything comes from the seed and the
dates, so the demo and its tests build the same plan.  Each transfer says
which documents it pays and whether booksync should reconcile it on its
own, so a test can hold every automatic reconciliation to the plan.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from booksync.documents.invoices import DocumentInput, DocumentLineInput
from booksync.documents.models import InvoiceType

__all__ = [
    "PARTNERS",
    "DocumentPlan",
    "Issued",
    "Transfer",
    "document_plans",
    "transfers",
]

# The partners' bank accounts (None: a Japanese customer, no IBAN), as the books know them.
PARTNERS: dict[str, str | None] = {
    "Osaka Precision KK": None,
    "Vega Design BV": "NL91ABNA0417164300",
    "Atelier Brun SARL": "FR1420041010050500013M02606",
    "Kessler Logistik GmbH": "DE02120300000000202051",
    "Helios Solar SpA": "IT60X0542811101000000123456",
    "CloudHost AG": "CH9300762011623852957",
    "Papeterie Centrale": "FR7630006000011234567890189",
}
# What each partner's document is for: description, unit price range (whole units), account.
GOODS: dict[str, tuple[str, int, int, str | None]] = {
    "Osaka Precision KK": ("Precision spindles", 180, 420, None),
    "Vega Design BV": ("Brand design workshop", 350, 900, "4100"),
    "Atelier Brun SARL": ("Oak display cabinets", 240, 610, None),
    "Kessler Logistik GmbH": ("Pallet racking", 90, 260, None),
    "Helios Solar SpA": ("Inverter housings", 150, 480, None),
    "CloudHost AG": ("Cloud hosting", 300, 900, "6400"),
    "Papeterie Centrale": ("Office paper and toner", 40, 160, "6300"),
}
TAX = "VAT 20%"
TERMS = 30
FEE = Decimal("-7.50")  # what the bank keeps on a payment from abroad


@dataclass(frozen=True, slots=True)
class Scenario:
    """One document and how it gets paid.

    ``how``: exact, typo, spaced, several, partial, name, iban, unpaid (an
    invoice); bill_ref, unpaid (a bill).  ``days_ago``: its date before
    today; ``pay_after``: the payment's days after it (None: not paid,
    -1: after the bank's clock moves on, for the second synchronization).
    """

    how: str
    kind: InvoiceType
    partner: str
    days_ago: int
    pay_after: int | None
    quantity: tuple[int, int] = (2, 12)
    ref: str | None = None


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("exact", InvoiceType.INVOICE, "Osaka Precision KK", 62, 21),
    Scenario("typo", InvoiceType.INVOICE, "Vega Design BV", 55, 16),
    Scenario("bill_ref", InvoiceType.BILL, "CloudHost AG", 44, 9, (1, 1), "CH-{year}-4471"),
    Scenario("spaced", InvoiceType.INVOICE, "Atelier Brun SARL", 41, 24),
    Scenario("several", InvoiceType.INVOICE, "Kessler Logistik GmbH", 38, -1),
    Scenario("partial", InvoiceType.INVOICE, "Helios Solar SpA", 33, 19),
    Scenario("name", InvoiceType.INVOICE, "Osaka Precision KK", 29, 17),
    Scenario("several", InvoiceType.INVOICE, "Kessler Logistik GmbH", 24, -1),
    Scenario("iban", InvoiceType.INVOICE, "Vega Design BV", 19, 9),
    Scenario("unpaid", InvoiceType.BILL, "Papeterie Centrale", 9, None, (1, 5), "PC 26/0815"),
    Scenario("unpaid", InvoiceType.INVOICE, "Atelier Brun SARL", 6, None),
)


@dataclass(frozen=True, slots=True)
class DocumentPlan:
    scenario: Scenario
    document: DocumentInput


@dataclass(frozen=True, slots=True)
class Issued:
    """A posted document of the plan: its number and total, as booksync gave them."""

    scenario: Scenario
    number: str
    date: dt.date
    total: Decimal
    ref: str | None


@dataclass(frozen=True, slots=True)
class Transfer:
    """One bank transfer of the plan: what the bank shows, and what it pays.

    ``amount`` is signed (positive: money in).  ``documents``: the numbers
    it pays (none for a fee); ``automatic``: booksync should reconcile it on
    its own; ``accepted``: the demo accepts its suggestion, as a person would.
    """

    how: str
    posted: dt.date
    amount: Decimal
    description: str
    payee: str | None
    memo: str | None
    counterparty_iban: str | None
    documents: tuple[str, ...]
    automatic: bool
    accepted: bool = False


def document_plans(start: dt.date, today: dt.date, seed: int = 0) -> list[DocumentPlan]:
    """The documents to issue, in the order to post them (by date), within start..today.

    Every document's untaxed amount differs from the others', so every total
    does too: a transfer of one total can name only one document.
    """
    rng = random.Random(f"{seed}:demo-documents")
    seen: set[Decimal] = set()
    plans: list[DocumentPlan] = []
    for scenario in SCENARIOS:
        description, low, high, account = GOODS[scenario.partner]
        while True:
            quantity = rng.randint(*scenario.quantity)
            price = Decimal(rng.randrange(low * 100, high * 100)) / 100
            if quantity * price not in seen:
                seen.add(quantity * price)
                break
        day = max(start, today - dt.timedelta(days=scenario.days_ago + rng.randint(0, 2)))
        ref = scenario.ref.format(year=day.year) if scenario.ref else None
        plans.append(DocumentPlan(scenario, DocumentInput(
            scenario.kind, scenario.partner, day,
            (DocumentLineInput(description, Decimal(quantity), price, TAX, account),),
            terms=TERMS, ref=ref,
        )))
    return sorted(plans, key=lambda p: p.document.date)


def transfers(issued: Sequence[Issued], today: dt.date, later: dt.date) -> list[Transfer]:
    """How each paid document of ``issued`` is paid, by date (``later``: after the clock moves)."""
    out: list[Transfer] = []
    several = [doc for doc in issued if doc.scenario.how == "several"]
    for doc in issued:
        how, partner = doc.scenario.how, doc.scenario.partner
        after = doc.scenario.pay_after
        if after is None or how == "several":
            continue
        day = min(doc.date + dt.timedelta(days=after), today) if after >= 0 else later
        out.append(_transfer(doc, how, partner, day))
        if how == "exact":  # from abroad (Japan): the bank keeps a fee that day
            out.append(Transfer("fee", day, FEE, "International payment fee", None, None, None,
                                (), True))
    if several:
        partner = several[0].scenario.partner
        numbers = ", ".join(doc.number for doc in several)
        out.append(Transfer(
            "several", later, sum((doc.total for doc in several), Decimal(0)),
            f"SEPA credit {partner} {numbers}", partner, numbers, None,
            tuple(doc.number for doc in several), True,
        ))
    return sorted(out, key=lambda t: t.posted)


def _transfer(doc: Issued, how: str, partner: str, day: dt.date) -> Transfer:
    number, total, iban = doc.number, doc.total, PARTNERS[partner]
    if how == "bill_ref":
        ref = doc.ref or number
        return Transfer(how, day, -total, f"SEPA transfer {partner} {ref}", partner, ref, iban,
                        (number,), True)
    if how == "partial":
        part = (total * 2 / 5).quantize(Decimal(1), rounding=ROUND_DOWN)
        memo = f"{number} part payment"
        return Transfer(how, day, part, f"SEPA credit {partner} {memo}", partner, memo, iban,
                        (number,), False, accepted=True)
    if how == "name":
        return Transfer(how, day, total, f"SEPA credit {partner}", partner, None, None,
                        (number,), True)
    if how == "iban":
        assert iban is not None
        spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        return Transfer(how, day, total, f"SEPA credit {spaced}", None, None, iban,
                        (number,), False)
    memo = {"exact": number, "typo": typo(number), "spaced": spaced_out(number)}[how]
    return Transfer(how, day, total, f"SEPA credit {partner} {memo}", partner, memo, iban,
                    (number,), True)


def typo(number: str) -> str:
    """``INV/2026/00002`` as a hurried customer types it: ``inv-2O26-00002``."""
    prefix, year, seq = number.split("/")
    return f"{prefix.lower()}-{year.replace('0', 'O')}-{seq}"


def spaced_out(number: str) -> str:
    """``INV/2026/00003`` as a French customer's remittance says it: ``Facture INV 2026 / 3``."""
    prefix, year, seq = number.split("/")
    return f"Facture {prefix} {year} / {int(seq)}"
