"""Partners: the customers, suppliers and employees entries name."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.limits import MAX_NAME, check_text, shown
from booksync.ledger.models import Company, Partner


def list_partners(session: Session, company: Company) -> list[Partner]:
    return list(
        session.scalars(
            select(Partner).where(Partner.company_id == company.id).order_by(Partner.name)
        )
    )


def partner_named(session: Session, company: Company, name: str, *, hint: str = "") -> Partner:
    """The company's partner called exactly ``name``; ``hint`` ends the refusal."""
    partner = session.scalar(
        select(Partner).where(Partner.company_id == company.id, Partner.name == name)
    )
    if partner is None:
        raise NotFound(f"unknown partner {shown(name)}{hint}")
    return partner


def add_partner(
    session: Session,
    company: Company,
    name: str,
    *,
    iban: str | None = None,
    email: str | None = None,
) -> Partner:
    """A new partner; names are unique within a company so entries can name them."""
    name = name.strip()
    if not name:
        raise LedgerError("a partner needs a name")
    check_text(name, "partner name", MAX_NAME)
    check_text(email, "email", MAX_NAME)
    if email is not None and "@" not in email:
        raise LedgerError(f"{email!r} is not an email address")
    clean_iban = iban.replace(" ", "").upper() if iban else None
    if clean_iban is not None and not _iban_ok(clean_iban):
        raise LedgerError(f"{iban!r} is not a valid IBAN")
    exists = session.scalar(
        select(Partner.id).where(Partner.company_id == company.id, Partner.name == name)
    )
    if exists:
        raise LedgerError(f"partner {name!r} already exists")
    partner = Partner(company_id=company.id, name=name, iban=clean_iban, email=email)
    session.add(partner)
    session.flush()
    return partner


def _iban_ok(iban: str) -> bool:
    """ISO 13616 check: two letters, two check digits, mod 97 of the rearranged text is 1."""
    if not (15 <= len(iban) <= 34 and iban[:2].isalpha() and iban[2:4].isdigit()):
        return False
    if not iban.isalnum():
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1
