"""The log of synchronization runs, newest first (``booksync sync log``).

A run row keeps one balance difference in minor units; it belongs to the
first account of the connection that disagreed with the bank, which the
row does not name.  It is shown in that account's decimals when the
connection's accounts share them, else in the decimals of the account whose
last recorded difference it equals.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from booksync.banking.connections import get_connection, iso
from booksync.banking.models import Connection, ProviderAccount, SyncRun
from booksync.banking.states import RUN_COUNTERS
from booksync.ledger.errors import NotFound
from booksync.ledger.models import Company
from booksync.money import CURRENCIES, format_minor


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
        }
        for run in runs
    ]


__all__ = ["run_log"]
