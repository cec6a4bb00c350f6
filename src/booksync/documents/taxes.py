"""Taxes: the percentages invoices and bills add, and the accounts they are booked to.

A rate is a percentage held in ten-thousandths (20 % is ``200_000``), so
rates like 5.5 % or 19.6 % are exact integers and no float is ever
involved (docs/documents.md, "Taxes").  A tax is for sales or for
purchases; its name is unique within that type, so a document line names
its tax and the document's type says which one.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.documents.invoice_amounts import RATE_PLACES
from booksync.documents.models import Tax, TaxType
from booksync.ledger.accounts import role_account
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.limits import MAX_NAME, check_text, shown
from booksync.ledger.models import Account, AccountRole, Company
from booksync.money import MoneyError, parse_amount, to_minor

__all__ = [
    "DEFAULT_RATES",
    "add_tax",
    "create_default_taxes",
    "find_tax",
    "list_taxes",
    "percent",
    "rate_units",
    "tax_type",
    "taxes_by_name",
]

MAX_RATE_PERCENT = Decimal(1000)  # above it, a typing mistake rather than a tax
# The taxes a new company starts with, for sales and for purchases (percent).
DEFAULT_RATES: tuple[Decimal, ...] = (Decimal(20), Decimal(10), Decimal(0))
_ROLE = {TaxType.SALE: AccountRole.TAX_SALE, TaxType.PURCHASE: AccountRole.TAX_PURCHASE}


def tax_type(value: str | TaxType) -> TaxType:
    """``sale`` or ``purchase``, or one sentence naming both."""
    try:
        return TaxType(str(value).strip().lower())
    except ValueError:
        raise LedgerError(f"tax type {shown(value)} is not one of sale, purchase") from None


def rate_units(rate: Decimal | str) -> int:
    """A percentage (``Decimal("5.5")``) in ten-thousandths (``55_000``), checked.

    Refused: a negative rate, one of more than four decimals (it would be
    rounded), and one above 1000 %.
    """
    try:
        value = parse_amount(rate)
        units = to_minor(value, RATE_PLACES)
    except MoneyError as exc:
        raise LedgerError(f"tax rate {shown(str(rate))}: {exc}") from None
    if value < 0 or value > MAX_RATE_PERCENT:
        raise LedgerError(
            f"tax rate {shown(str(rate))} must lie between 0 and {MAX_RATE_PERCENT} percent"
        )
    return units


def percent(units: int) -> Decimal:
    """Ten-thousandths back to a percentage without trailing zeros (``200_000`` -> ``20``)."""
    value = Decimal(units).scaleb(-RATE_PLACES)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _tax_account(
    session: Session, company: Company, kind: TaxType, code: str | None
) -> Account:
    """The account named, or the company's account of the type's tax role."""
    if code is None:
        return role_account(session, company, _ROLE[kind])
    account = session.scalar(
        select(Account).where(Account.company_id == company.id, Account.code == code)
    )
    if account is None:
        raise NotFound(f"unknown account {shown(code)}")
    if not account.active:
        raise LedgerError(f"account {code} is inactive")
    if account.reconcile:
        # Its lines would become open items the document's residual does not expect.
        raise LedgerError(f"account {code} is reconcilable: a tax is booked to a tax account")
    return account


def add_tax(
    session: Session,
    company: Company,
    name: str,
    rate: Decimal | str,
    type: str | TaxType,
    *,
    account: str | None = None,
    price_included: bool = False,
) -> Tax:
    """A new tax; its name must be new among the company's taxes of its type.

    A name cannot hold ``:``, which separates the fields of a document line
    on the command line.
    """
    kind = tax_type(type)
    name = (check_text(name.strip(), "tax name", MAX_NAME) or "").strip()
    if not name or ":" in name:
        raise LedgerError(f"tax name {shown(name)} must be non-empty and contain no ':'")
    units = rate_units(rate)
    taken = session.scalar(
        select(Tax.id).where(
            Tax.company_id == company.id, Tax.type == kind.value, Tax.name == name
        )
    )
    if taken is not None:
        raise LedgerError(f"{kind.value} tax {name!r} already exists", code="conflict")
    tax = Tax(
        company_id=company.id,
        name=name,
        type=kind.value,
        rate=units,
        account_id=_tax_account(session, company, kind, account).id,
        price_included=price_included,
    )
    session.add(tax)
    session.flush()
    return tax


def create_default_taxes(session: Session, company: Company) -> list[Tax]:
    """The taxes a new company starts with: 20 %, 10 % and 0 % on sales and on purchases.

    Called where companies are created (``booksync.app.companies``): the
    ledger knows nothing of documents.  Companies created before taxes
    existed have none and add theirs with ``tax add``.
    """
    made = []
    for kind in (TaxType.SALE, TaxType.PURCHASE):
        for rate in DEFAULT_RATES:
            made.append(add_tax(session, company, f"VAT {rate}%", rate, kind))
    return made


def list_taxes(
    session: Session, company: Company, kind: TaxType | None = None
) -> list[Tax]:
    """The company's taxes, sales first, then by descending rate and name."""
    query = select(Tax).where(Tax.company_id == company.id)
    if kind is not None:
        query = query.where(Tax.type == kind.value)
    return list(session.scalars(query.order_by(Tax.type.desc(), Tax.rate.desc(), Tax.name)))


def find_tax(session: Session, company: Company, name: str, kind: TaxType) -> Tax:
    """The active tax of ``kind`` named ``name``."""
    tax = session.scalar(
        select(Tax).where(
            Tax.company_id == company.id, Tax.type == kind.value, Tax.name == name.strip()
        )
    )
    if tax is None:
        raise NotFound(f"unknown {kind.value} tax {shown(name)}")
    if not tax.active:
        raise LedgerError(f"{kind.value} tax {name!r} is inactive")
    return tax


def taxes_by_name(
    session: Session, company: Company, names: Iterable[str], kind: TaxType
) -> dict[str, Tax]:
    """Each distinct name's tax, looked up once however many lines name it."""
    return {name: find_tax(session, company, name, kind) for name in dict.fromkeys(names)}
