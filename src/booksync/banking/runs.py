"""The log of synchronization runs, newest first (``booksync sync log``).

A run row keeps one balance difference in minor units; it belongs to the
first account of the connection that disagreed with the bank, which the
row does not name.  It is shown in that account's decimals when the
connection's accounts share them, else in the decimals of the account whose
last recorded difference it equals.

Each run also lists its accounts' parts (``sync_run_account``): one account
may fail while the others of its connection are booked (docs/banking.md, "A
synchronization run"), and :class:`AccountRun` is that part's shape, the
same in ``booksync sync`` and in the log.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from booksync.banking.connections import get_connection, iso
from booksync.banking.models import Connection, ProviderAccount, SyncRun, SyncRunAccount
from booksync.banking.states import RUN_COUNTERS
from booksync.ledger.errors import NotFound
from booksync.ledger.models import Company, Journal
from booksync.money import CURRENCIES, format_minor


class AccountState(enum.StrEnum):
    """How one account's part of a run ended (``sync_run_account.state``)."""

    SUCCESS = "success"
    FAILED = "failed"
    """Nothing of it was booked (its lines, entries, watermark and balance are as
    they were); the next run fetches its window again."""


@dataclass(frozen=True, slots=True)
class AccountRun:
    """One provider account's part of a run: its counts, or why it failed."""

    provider_account_id: str
    name: str
    journal: str | None
    currency: str
    state: AccountState
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    reversed: int = 0
    error: str | None = None

    @classmethod
    def of(cls, account: ProviderAccount, journal: str | None, state: AccountState,
           **counts: Any) -> AccountRun:
        return cls(account.provider_account_id, account.name, journal,
                   account.currency_code, state, **counts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider_account_id": self.provider_account_id,
            "name": self.name,
            "journal": self.journal,
            "currency": self.currency,
            "state": str(self.state),
            "fetched": self.fetched,
            "new": self.new,
            "duplicates": self.duplicates,
            "reversed": self.reversed,
            "error": self.error,
        }


def record_accounts(
    session: Session, run: SyncRun, parts: Sequence[tuple[int, AccountRun]]
) -> None:
    """Store a run's account parts, ``(provider account row id, part)``, in order."""
    session.add_all(
        SyncRunAccount(
            company_id=run.company_id,
            run_id=run.id,
            provider_account_id=account_id,
            state=str(part.state),
            fetched=part.fetched,
            new=part.new,
            duplicates=part.duplicates,
            reversed=part.reversed,
            error=part.error,
        )
        for account_id, part in parts
    )


def run_accounts(session: Session, run_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The account parts of these runs (one query), as :meth:`AccountRun.as_dict` shapes."""
    found: dict[int, list[dict[str, Any]]] = {run_id: [] for run_id in run_ids}
    if not run_ids:
        return found
    rows = session.execute(
        select(SyncRunAccount, ProviderAccount, Journal.code)
        .join(ProviderAccount, ProviderAccount.id == SyncRunAccount.provider_account_id)
        .outerjoin(Journal, Journal.id == ProviderAccount.journal_id)
        .where(SyncRunAccount.run_id.in_(run_ids))
        .order_by(SyncRunAccount.run_id, SyncRunAccount.id)
    )
    for part, account, journal in rows:
        found[part.run_id].append(
            AccountRun.of(
                account, journal, AccountState(part.state), fetched=part.fetched, new=part.new,
                duplicates=part.duplicates, reversed=part.reversed, error=part.error,
            ).as_dict()
        )
    return found


def _exponent(accounts: list[ProviderAccount], difference: int, default: int) -> int:
    exponents = {CURRENCIES[a.currency_code][0] for a in accounts}
    if len(exponents) == 1:
        return exponents.pop()
    for account in accounts:
        if account.balance_difference == difference:
            return CURRENCIES[account.currency_code][0]
    return default


def run_log(
    session: Session,
    company: Company,
    connection: int | str | None = None,
    limit: int | None = 20,
    *,
    after: int | None = None,
) -> list[dict[str, Any]]:
    """Runs of one connection (or all of the company's), newest first.

    ``after`` is the last run of the previous page: the page goes on with the
    runs listed after it (older ones), a keyset on (start, id).
    """
    query = select(SyncRun).where(SyncRun.company_id == company.id)
    if connection is not None:
        found = get_connection(session, company, connection)
        query = query.where(SyncRun.connection_id == found.id)
    if after is not None:
        started = session.scalar(
            select(SyncRun.started_at).where(SyncRun.company_id == company.id, SyncRun.id == after)
        )
        if started is None:
            raise NotFound(f"no synchronization run {after}")
        query = query.where(
            or_(
                SyncRun.started_at < started,
                and_(SyncRun.started_at == started, SyncRun.id < after),
            )
        )
    runs = list(
        session.scalars(query.order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(limit))
    )
    accounts: dict[int, list[ProviderAccount]] = {}
    for run in runs:
        if run.connection_id not in accounts:
            owner = session.get(Connection, run.connection_id)
            accounts[run.connection_id] = list(owner.accounts) if owner else []
    default = company.currency.exponent
    parts = run_accounts(session, [run.id for run in runs])
    return [
        {
            "connection": run.connection_id,
            "run": run.id,
            "trigger": run.trigger,
            "started_at": iso(run.started_at),
            "finished_at": iso(run.finished_at),
            "window_start": iso(run.window_start),
            "window_end": iso(run.window_end),
            **{c.name: getattr(run, c.name) for c in RUN_COUNTERS},
            "balance_difference": None
            if run.balance_difference is None
            else format_minor(
                run.balance_difference,
                _exponent(accounts[run.connection_id], run.balance_difference, default),
            ),
            "state": run.state,
            "error": run.error,
            "accounts": parts[run.id],
        }
        for run in runs
    ]


__all__ = ["AccountRun", "AccountState", "record_accounts", "run_accounts", "run_log"]
