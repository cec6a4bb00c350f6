"""Small builders shared by the ledger, report, CLI and migration tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from booksync.db.migrate import alembic_config
from booksync.ledger.entries import EntryInput, LineInput, add_entries
from booksync.ledger.models import Company, Entry, Line


def entry(
    journal: str,
    date: dt.date | str,
    *lines: tuple[str, str | int, str | int] | tuple[str, str | int, str | int, str | None],
    ref: str | None = None,
) -> EntryInput:
    """``entry("MISC", "2026-01-05", ("1000", "10", "0"), ("3000", "0", "10"))``."""
    day = dt.date.fromisoformat(date) if isinstance(date, str) else date
    built = []
    for spec in lines:
        account, debit, credit = spec[0], spec[1], spec[2]
        partner = spec[3] if len(spec) > 3 else None
        built.append(
            LineInput(account, debit=Decimal(str(debit)), credit=Decimal(str(credit)),
                      partner=partner)
        )
    return EntryInput(journal, day, tuple(built), ref)


def book(
    session: Session, company: Company, data: EntryInput, *, post: bool = True
) -> int:
    """Book one entry, commit, and return its id."""
    (entry_id,) = add_entries(session, company, [data], post=post)
    session.commit()
    return entry_id


def simple(
    session: Session,
    company: Company,
    debit_account: str,
    credit_account: str,
    amount: str,
    date: str = "2026-03-10",
    *,
    journal: str = "MISC",
    post: bool = True,
) -> int:
    """A two-line balanced entry moving ``amount`` from credit to debit account."""
    data = entry(journal, date, (debit_account, amount, "0"), (credit_account, "0", amount))
    return book(session, company, data, post=post)


def entry_rows(session: Session, company_id: int) -> dict[int, tuple[object, ...]]:
    """Every entry of a company as comparable tuples, read fresh from the database."""
    session.expire_all()
    return {
        e.id: (e.uid, e.version, e.state, e.number, e.date, e.ref, e.journal_id,
               e.reversal_of_id, e.posted_at)
        for e in session.scalars(select(Entry).where(Entry.company_id == company_id))
    }


def line_rows(session: Session, company_id: int) -> dict[int, tuple[object, ...]]:
    """Every line of a company as comparable tuples, read fresh from the database."""
    session.expire_all()
    return {
        ln.id: (ln.uid, ln.version, ln.entry_id, ln.account_id, ln.partner_id, ln.debit,
                ln.credit, ln.label, ln.date, ln.posted)
        for ln in session.scalars(select(Line).where(Line.company_id == company_id))
    }


# The JSON shape of a connection (issue contract), for the service and the CLI alike.
CONNECTION_KEYS = {
    "id",
    "provider",
    "institution",
    "state",
    "last_refresh",
    "next_refresh",
    "interval",
    "auto_sync",
    "auto_reconcile",
    "consent_expires_at",
    "last_error",
    "accounts",
}
ACCOUNT_KEYS = {
    "provider_account_id",
    "name",
    "journal",
    "currency",
    "balance",
    "balance_date",
    "last_sync",
}


def migrate_to(engine: Engine, revision: str) -> None:
    """Upgrade ``engine``'s database to the newest revision (``"head"``), or downgrade
    it to ``revision``."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        if revision == "head":
            command.upgrade(cfg, "head")
        else:
            command.downgrade(cfg, revision)
