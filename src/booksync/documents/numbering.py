"""Gap-free document numbers: ``INV/2026/00001`` per company, prefix and year.

Invoices are numbered apart from their entries (a sales journal also holds
credit notes, and tax rules want each kind's numbers without gaps).  The
counter row is locked the way the ledger locks its journals' counters
(docs/ledger.md, "Entries"): created if missing, then read ``FOR UPDATE``
on PostgreSQL, so two transactions posting at once queue on it and the
second sees the first's number; SQLite has one writer at a time.  A
transaction that fails takes its numbers back with it.
"""

from __future__ import annotations

from sqlalchemy import Executable, select, update
from sqlalchemy.orm import Session

from booksync.documents.models import DocumentSequence, InvoiceType
from booksync.ledger.models import Company

__all__ = ["PREFIXES", "format_number", "next_number"]

PREFIXES: dict[InvoiceType, str] = {
    InvoiceType.INVOICE: "INV",
    InvoiceType.CREDIT_NOTE: "RINV",
    InvoiceType.BILL: "BILL",
    InvoiceType.REFUND: "RBILL",
}


def format_number(prefix: str, year: int, number: int) -> str:
    return f"{prefix}/{year}/{number:05d}"


def next_number(session: Session, company: Company, prefix: str, year: int) -> str:
    """Take the next number of ``prefix`` and ``year``, in the caller's transaction."""
    values = {"company_id": company.id, "prefix": prefix, "year": year, "last_number": 0}
    create: Executable
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        create = pg_insert(DocumentSequence).values(values).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        create = sqlite_insert(DocumentSequence).values(values).on_conflict_do_nothing()
    session.execute(create)
    seq_id, last = session.execute(
        select(DocumentSequence.id, DocumentSequence.last_number)
        .where(
            DocumentSequence.company_id == company.id,
            DocumentSequence.prefix == prefix,
            DocumentSequence.year == year,
        )
        .with_for_update()
    ).one()
    session.execute(
        update(DocumentSequence).where(DocumentSequence.id == seq_id).values(last_number=last + 1)
    )
    return format_number(prefix, year, last + 1)
