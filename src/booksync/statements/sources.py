"""A bank journal's statement sources, each made the first time it is needed.

docs/banking.md, "Statement sources": an ``online`` source per provider
account, at most one ``manual`` source per journal, one ``file`` source per journal.
Sources are made on first use rather than when a connection or a journal is
made, so every path that books reaches the same one (a connection made
before sources existed got its source from migration 0007).

Made with ``INSERT ... ON CONFLICT DO NOTHING`` on the unique key, then read
back: two transactions making the same source at once (PostgreSQL lets them)
end with one source, never an error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Insert, select, text
from sqlalchemy.orm import Session

from booksync.banking.models import ProviderAccount, SourceKind, StatementSource
from booksync.ledger.errors import LedgerError
from booksync.ledger.journals import get_journal
from booksync.ledger.limits import MAX_NAME, fit_text
from booksync.ledger.models import Company, Journal, JournalType

MANUAL_NAME = "Entered by hand"  # migration 0007 names the manual sources it makes so too
FILE_NAME = "Statement files"


def bank_journal(session: Session, company: Company, code: str) -> Journal:
    """The company's journal ``code``, which must be a bank journal."""
    journal = get_journal(session, company, code)
    if journal.type != JournalType.BANK:
        raise LedgerError(f"journal {journal.code} is not a bank journal")
    return journal


def _insert_once(
    session: Session, values: dict[str, Any], key: list[str], where: str | None = None
) -> None:
    """Insert the source unless one holds its unique ``key`` already."""
    statement: Insert
    index_where = text(where) if where else None
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(StatementSource).values(values).on_conflict_do_nothing(
            index_elements=key, index_where=index_where
        )
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(StatementSource).values(values).on_conflict_do_nothing(
            index_elements=key, index_where=index_where
        )
    session.execute(statement)


def _one(session: Session, *where: ColumnElement[bool]) -> StatementSource | None:
    return session.scalar(select(StatementSource).where(*where))


def online_source(session: Session, account: ProviderAccount) -> StatementSource:
    """The provider account's source, in the journal it is linked to."""
    found = _one(session, StatementSource.provider_account_id == account.id)
    if found is not None:
        return found
    if account.journal_id is None:
        raise LedgerError(f"provider account {account.name!r} is not linked to a journal")
    _insert_once(
        session,
        {
            "company_id": account.company_id,
            "journal_id": account.journal_id,
            "kind": SourceKind.ONLINE,
            "provider_account_id": account.id,
            "name": fit_text(account.name, MAX_NAME),
        },
        ["provider_account_id"],
    )
    made = _one(session, StatementSource.provider_account_id == account.id)
    assert made is not None
    return made


def manual_source(session: Session, journal: Journal) -> StatementSource:
    """The journal's source of lines entered by hand."""
    where = (StatementSource.journal_id == journal.id, StatementSource.kind == SourceKind.MANUAL)
    found = _one(session, *where)
    if found is not None:
        return found
    _insert_once(
        session,
        {
            "company_id": journal.company_id,
            "journal_id": journal.id,
            "kind": SourceKind.MANUAL,
            "name": MANUAL_NAME,
        },
        ["journal_id"],
        "kind = 'manual'",
    )
    made = _one(session, *where)
    assert made is not None
    return made


def file_source(session: Session, journal: Journal) -> StatementSource:
    """The journal's source of statement files: one, whatever the format, so that a
    bank's own reference read from a CAMT.053 file and from an MT940 file of the same
    transaction is one id (docs/banking.md, "Statement files")."""
    where = (StatementSource.journal_id == journal.id, StatementSource.kind == SourceKind.FILE,
             StatementSource.name == FILE_NAME)
    found = _one(session, *where)
    if found is not None:
        return found
    _insert_once(
        session,
        {"company_id": journal.company_id, "journal_id": journal.id, "kind": SourceKind.FILE,
         "name": FILE_NAME},
        ["journal_id", "name"],
        "kind = 'file'",
    )
    made = _one(session, *where)
    assert made is not None
    return made


__all__ = ["FILE_NAME", "MANUAL_NAME", "bank_journal", "file_source", "manual_source",
           "online_source"]
