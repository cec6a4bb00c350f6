"""The institutions catalogue: the banks a provider can connect to, searchable."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from booksync.banking.bank_values import stored_id
from booksync.banking.models import Institution
from booksync.ledger.limits import MAX_NAME, fit_text, text_ok
from booksync.providers.base import Institution as ProviderInstitution


def institution_key(provider_id: str) -> str:
    """A provider's institution id as the catalogue keys it (its column holds 128)."""
    return stored_id(provider_id, 128)


def upsert_institutions(session: Session, found: Iterable[ProviderInstitution]) -> int:
    """Add or refresh catalogue rows from a provider's list; returns how many changed."""
    changed = 0
    for inst in found:
        ident = institution_key(inst.id)
        row = session.scalar(
            select(Institution).where(
                Institution.provider == inst.provider,
                Institution.provider_institution_id == ident,
            )
        )
        values = {  # a provider's catalogue, made to fit like any bank value
            "name": fit_text(inst.name, MAX_NAME),
            "bic": inst.bic if inst.bic and text_ok(inst.bic, 11) else None,
            "country": inst.country.upper() if inst.country and text_ok(inst.country, 2) else None,
            "online_sync": inst.online_sync,
        }
        if row is None:
            session.add(
                Institution(provider=inst.provider, provider_institution_id=ident, **values)
            )
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            changed += 1
    session.flush()
    return changed


def search_institutions(
    session: Session, text: str | None = None, country: str | None = None
) -> list[Institution]:
    """By name or BIC (case-insensitive substring) and country."""
    query = select(Institution)
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(or_(Institution.name.ilike(pattern), Institution.bic.ilike(pattern)))
    if country:
        query = query.where(Institution.country == country.upper())
    return list(session.scalars(query.order_by(Institution.name)))


def catalogue_is_empty(session: Session) -> bool:
    """True until a connection (or the sandbox) has added an institution."""
    return session.scalar(select(Institution.id).limit(1)) is None


def find_institution(session: Session, provider: str, name: str | None) -> Institution | None:
    """The catalogue row a provider account's organisation name points at, if any."""
    if not name:
        return None
    return session.scalar(
        select(Institution).where(Institution.provider == provider, Institution.name == name)
    )
