"""Journals: listing and lookup by code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.ledger.errors import NotFound
from booksync.ledger.models import Company, Journal


def list_journals(session: Session, company: Company) -> list[Journal]:
    return list(
        session.scalars(
            select(Journal).where(Journal.company_id == company.id).order_by(Journal.code)
        )
    )


def get_journal(session: Session, company: Company, code: str) -> Journal:
    journal = session.scalar(
        select(Journal).where(Journal.company_id == company.id, Journal.code == code)
    )
    if journal is None:
        raise NotFound(f"unknown journal {code!r}")
    return journal
