"""One synchronization run of one connection (docs/banking.md, "A synchronization run").

Three short transactions, never one long one around the network:

1. claim the connection (a lease, so no other worker runs it: see
   :mod:`booksync.sync.lease`), open the ``SyncRun`` row with its window,
   and commit;
2. fetch from the provider outside any transaction, retrying transient
   errors with exponential back-off (:mod:`booksync.sync.fetch`), while a
   heartbeat renews the lease;
3. in ONE transaction: confirm the lease, then statement lines, entries,
   aliases, pending rows, balances, watermarks, the run's counts and the
   connection's state. A crash or an error before this commit leaves the
   books exactly as they were; the run row then records the error in a
   transaction of its own (:mod:`booksync.sync.closing`, which also says
   what each outcome does to the connection).  Each account books in a
   savepoint of its own, with an entry writer of its own: a refusal
   (:class:`BooksyncError`: a missing rate, an amount its currency cannot
   hold) rolls back that account's part only, and the run ends ``partial``
   naming it, while the other accounts commit (``error`` when no account
   booked).  Its watermark did not move, so the next run fetches its window
   again.

Outcomes by error kind: transient (after retries) and malformed answers ->
state ``error``; rate limit -> watermark kept, next try after
``retry_after``; re-authorisation -> state ``reauth_required`` and no more
scheduled runs until the user renews the connection.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import Connection, PendingTransaction, ProviderAccount, SyncRun
from booksync.banking.runs import AccountRun, AccountState, record_accounts
from booksync.banking.secrets import unseal
from booksync.banking.states import ConnectionState, RunCounts, RunState, RunTrigger
from booksync.db.base import utcnow
from booksync.db.errors import locked_message
from booksync.errors import BooksyncError
from booksync.ledger.errors import LedgerError
from booksync.ledger.models import Company, Journal
from booksync.ledger.pipeline import gc_relaxed
from booksync.ledger.writer import EntryWriter
from booksync.money import CURRENCIES, MoneyError, format_minor
from booksync.providers.base import Batch, Credentials, Provider, Window
from booksync.providers.errors import ProviderError, RateLimited, ReauthRequired
from booksync.providers.redaction import redact_secret
from booksync.providers.registry import provider_for
from booksync.reconciliation.auto import reconcile_journals
from booksync.statements.importer import StatementImporter
from booksync.sync import lease
from booksync.sync.closing import RunCloser
from booksync.sync.fetch import fetch_batches
from booksync.sync.lease import LEASE, Heartbeat, LeaseLost
from booksync.sync.outcome import (
    ERROR_RETRY,
    Progress,
    RetryPolicy,
    RunAborted,
    RunProgress,
    RunResult,
    rate_limit_wait,
    teller,
)
from booksync.sync.window import next_watermark, run_window

log = logging.getLogger(__name__)


def _linked(connection: Connection) -> list[ProviderAccount]:
    return [a for a in connection.accounts if a.journal_id is not None]


def _reconcile(
    session: Session, company: Company, connection: Connection
) -> tuple[int, str | None]:
    """Reconcile what is certain in the connection's journals, in a savepoint: a
    refusal there costs the run its reconciliations, never its booked lines."""
    journals = [a.journal_id for a in _linked(connection) if a.journal_id is not None]
    try:
        with session.begin_nested():
            return reconcile_journals(session, company, journals), None
    except BooksyncError as exc:
        return 0, f"automatic reconciliation stopped: {exc}"


def _oldest_pending(session: Session, accounts: list[ProviderAccount]) -> dt.date | None:
    if not accounts:
        return None
    return session.scalar(
        select(func.min(PendingTransaction.date)).where(
            PendingTransaction.provider_account_id.in_([a.id for a in accounts])
        )
    )


class SyncRunner:
    """Runs connections; one instance per worker thread (sessions are not shared)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        providers: Callable[[str], Provider] = provider_for,
        retry: RetryPolicy | None = None,
        worker: str | None = None,
        today: Callable[[], dt.date] | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.factory = factory
        self.providers = providers
        self.retry = retry or RetryPolicy()
        self.worker = worker or lease.holder_id(RunTrigger.MANUAL)
        self.clock = clock
        self.today = today or (lambda: self.clock().date())
        self.sleep = sleep
        self.closer = RunCloser(factory, self.worker, clock, sleep)

    def run(
        self,
        connection_id: int,
        *,
        since: dt.date | None = None,
        trigger: RunTrigger = RunTrigger.MANUAL,
        before_commit: Callable[[], None] | None = None,
        leased: bool = False,
        force: bool = False,
        progress: Progress | None = None,
    ) -> RunResult:
        """Run one connection now.

        ``leased``: the scheduler claimed it for this worker; ``force``: take
        the lease even from a live holder (``booksync sync --force``);
        ``progress`` hears where the run stands as it goes (:class:`RunProgress`).
        """
        try:
            return self._run(connection_id, since, trigger, before_commit, leased, force,
                             progress)
        except DBAPIError as exc:  # the claim itself could not write
            message = locked_message(exc)
            if message is None:
                raise
            return RunResult(connection_id, None, RunState.ERROR, error=message)

    def _run(
        self,
        connection_id: int,
        since: dt.date | None,
        trigger: RunTrigger,
        before_commit: Callable[[], None] | None,
        leased: bool,
        force: bool,
        progress: Progress | None,
    ) -> RunResult:
        now = self.clock()
        today = self.today()
        with self.factory.begin() as session:
            connection, took = lease.claim(
                session, connection_id, self.worker, now, leased=leased, force=force
            )
            if connection is None:
                message = lease.busy_message(session, connection_id)
                return RunResult(connection_id, None, RunState.BUSY, error=message)
            took_over = took.describe() if took else None
            refusal = self._refusal(connection)
            accounts = _linked(connection)
            window = run_window(
                [a.watermark for a in accounts],
                today=today,
                history_days=connection.history_days,
                oldest_pending=_oldest_pending(session, accounts),
                since=since,
            )
            run = SyncRun(
                company_id=connection.company_id,
                connection_id=connection.id,
                trigger=trigger,
                started_at=now,
                window_start=window.start,
                window_end=window.end,
                state=RunState.RUNNING,
            )
            session.add(run)
            session.flush()
            run_id = run.id
            tell = teller(progress, connection_id, run_id, window)
            if refusal:
                self.closer.close(
                    session, connection, run, RunState.ERROR, refusal, now, reschedule=False
                )
                return RunResult(
                    connection_id, run_id, RunState.ERROR, error=refusal, took_over=took_over
                )
            sealed = connection.credentials
            provider_name = connection.provider
            include_pending = connection.include_pending
            # A cursor-based provider's position; an account never synced yet (linked
            # later) needs the history, from the first cursor (``fetch_batches``).
            cursor = connection.sync_cursor
            behind = {a.provider_account_id for a in accounts if a.watermark is None}
            account_ids = [a.provider_account_id for a in accounts]
        assert sealed is not None
        unsealed: list[Credentials] = []

        def fetch() -> tuple[list[Batch], int]:
            unsealed.append(Credentials(provider_name, unseal(sealed)))
            return fetch_batches(
                self.providers(provider_name),
                unsealed[0],
                account_ids,
                window,
                include_pending=include_pending,
                cursor=cursor,
                behind=behind,
                retry=self.retry,
                sleep=self.sleep,
            )

        def secret_free(text: str) -> str:
            # Providers mask credentials at their edge; this is the second line
            # before a message is stored on the run and shown (docs/banking.md).
            return redact_secret(text, unsealed[0]) if unsealed else text

        tell("fetching")
        result = self._work(
            connection_id, run_id, fetch, secret_free, window, today, before_commit, tell
        )
        return replace(result, took_over=took_over) if took_over else result

    def _work(
        self,
        connection_id: int,
        run_id: int,
        fetch: Callable[[], tuple[list[Batch], int]],
        secret_free: Callable[[str], str],
        window: Window,
        today: dt.date,
        before_commit: Callable[[], None] | None,
        tell: Callable[..., None],
    ) -> RunResult:
        """Fetch and book under a renewed lease; any failure closes the run with its reason."""
        try:
            # gc_relaxed: a first sync makes millions of short-lived objects.
            with Heartbeat(self.factory, connection_id, self.worker, self.clock), gc_relaxed():
                batches, attempts = fetch()
                return self._commit(
                    connection_id, run_id, batches, window, today, attempts, before_commit, tell,
                    secret_free,
                )
        except RateLimited as exc:
            message = secret_free(str(exc))
            return self.closer.fail(
                connection_id, run_id, RunState.RATE_LIMITED, message, retry_in=rate_limit_wait(exc)
            )
        except ReauthRequired as exc:
            message = secret_free(str(exc))
            return self.closer.fail(connection_id, run_id, RunState.REAUTH_REQUIRED, message)
        except (ProviderError, LedgerError, MoneyError, RunAborted, LeaseLost) as exc:
            return self.closer.fail(connection_id, run_id, RunState.ERROR, secret_free(str(exc)))
        except Exception as exc:
            # Anything else (a database error, a bug): the commit was rolled back, so
            # the books are as before; close the run and release the lease instead of
            # leaving a "running" run that blocks the connection until the lease ends.
            # The stored message names the type only: an unexpected text may hold a
            # secret; the traceback goes to the debug log for whoever investigates.
            log.error(
                "sync run %s of connection %s failed unexpectedly (%s)",
                run_id,
                connection_id,
                type(exc).__name__,
            )
            log.debug("sync run %s: the unexpected error", run_id, exc_info=True)
            message = locked_message(exc) or (
                f"the run stopped on an unexpected error ({type(exc).__name__})"
            )
            return self.closer.fail(connection_id, run_id, RunState.ERROR, message)

    @staticmethod
    def _refusal(connection: Connection) -> str | None:
        if connection.state == ConnectionState.DISCONNECTED or connection.credentials is None:
            return "the connection is disconnected: connect it again"
        if connection.state == ConnectionState.REAUTH_REQUIRED:
            return "the bank needs the connection renewed (re-authorisation) first"
        return None

    def _commit(
        self,
        connection_id: int,
        run_id: int,
        batches: list[Batch],
        window: Window,
        today: dt.date,
        attempts: int,
        before_commit: Callable[[], None] | None,
        tell: Callable[..., None],
        secret_free: Callable[[str], str],
    ) -> RunResult:
        now = self.clock()
        with self.factory.begin() as session:
            lease.confirm(session, connection_id, self.worker, now)
            connection = session.get(Connection, connection_id, populate_existing=True)
            run = session.get(SyncRun, run_id)
            assert connection is not None and run is not None
            company = session.get(Company, connection.company_id)
            assert company is not None
            by_id = {b.account_id: b for b in batches}
            sent = sum(len(b.booked) + len(b.pending) for b in batches)
            tell("booking", RunCounts(fetched=sent))
            totals = RunCounts()
            problems: list[str] = []
            notes: list[str] = []  # said on the run without making it partial
            settled: set[str] = set()  # accounts that booked all the bank sent
            differences: list[str] = []
            parts: list[tuple[int, AccountRun]] = []
            refused = False  # an account's booking was refused and rolled back
            watermark = next_watermark(window, today)
            journals = {
                ident: code
                for ident, code in session.execute(
                    select(Journal.id, Journal.code).where(Journal.company_id == company.id)
                )
            }
            for account in _linked(connection):
                journal = journals.get(account.journal_id or 0)
                batch = by_id.get(account.provider_account_id)
                if batch is None:
                    problems.append(f"{account.name}: the bank sent no data")
                    parts.append((account.id, AccountRun.of(
                        account, journal, AccountState.FAILED, error="the bank sent no data"
                    )))
                    continue
                name, account_id = account.name, account.id
                try:
                    with session.begin_nested():
                        # A writer per account, finished inside its savepoint: a rolled-back
                        # account leaves no number taken (docs/ledger.md, "Entries").
                        writer = EntryWriter(session, company)
                        outcome = StatementImporter(session, company, account, writer).apply(
                            batch,
                            window,
                            run_id=run.id,
                            include_pending=connection.include_pending,
                            watermark=watermark,
                            now=now,
                        )
                except BooksyncError as exc:
                    # What the rolled-back part loaded may name rows that are gone, and
                    # SQLite hands their ids out again: read everything anew.
                    session.expire_all()
                    reason, refused = secret_free(str(exc)), True
                    sent_here = len(batch.booked) + len(batch.pending)
                    problems.append(f"{name}: nothing booked: {reason}")
                    totals = totals.plus(RunCounts(fetched=sent_here))
                    parts.append((account_id, AccountRun.of(
                        account, journal, AccountState.FAILED, fetched=sent_here, error=reason
                    )))
                    continue
                totals = totals.plus(RunCounts.read(outcome))
                tell("booking", replace(totals, fetched=max(sent, totals.fetched)), name)
                problems += outcome.problems
                notes += outcome.notes
                if batch.complete:
                    settled.add(account.provider_account_id)
                complete = batch.complete
                parts.append((account_id, AccountRun.of(
                    account, journal,
                    AccountState.SUCCESS if complete else AccountState.FAILED,
                    fetched=outcome.fetched, new=outcome.new, duplicates=outcome.duplicates,
                    reversed=getattr(outcome, "reversed", 0),
                    error=None if complete else "the bank's answer was incomplete; nothing booked",
                )))
                if outcome.balance_difference:
                    exp = CURRENCIES[account.currency_code][0]
                    differences.append(format_minor(outcome.balance_difference, exp))
                    if run.balance_difference is None:
                        run.balance_difference = outcome.balance_difference
            if connection.auto_reconcile:
                tell("reconciling", totals)
                reconciled, problem = _reconcile(session, company, connection)
                totals = replace(totals, reconciled=reconciled)
                problems += [problem] if problem else []
            # A cursor is the whole connection's position: it moves only when every
            # account booked its changes (docs/banking.md, "Plaid").
            cursors = {b.next_cursor for b in batches}
            linked = {a.provider_account_id for a in _linked(connection)}
            if None not in cursors and len(cursors) == 1 and settled == linked:
                connection.sync_cursor = cursors.pop()
            state = RunState.PARTIAL if problems else RunState.SUCCESS
            if refused and not any(p.state == AccountState.SUCCESS for _, p in parts):
                state = RunState.ERROR  # nothing booked: retried within the hour
            for name, count in totals.counts().items():
                setattr(run, name, count)
            run.attempts = attempts
            record_accounts(session, run, parts)
            message = "; ".join(problems + notes) or None
            failed = state == RunState.ERROR
            if not failed:
                connection.last_refresh = now
            self.closer.close(
                session,
                connection,
                run,
                state,
                message,
                now,
                reschedule=True,
                connection_state=ConnectionState.ERROR if failed else ConnectionState.CONNECTED,
                retry_in=min(ERROR_RETRY, dt.timedelta(seconds=connection.interval_seconds))
                if failed else None,
            )
            if before_commit is not None:
                before_commit()
        difference = differences[0] if differences else None
        return RunResult.counted(
            totals, connection_id, run_id, state, difference, message,
            tuple(part for _, part in parts),
        )


__all__ = [
    "ERROR_RETRY",
    "LEASE",
    "Progress",
    "RetryPolicy",
    "RunAborted",
    "RunProgress",
    "RunResult",
    "SyncRunner",
    "rate_limit_wait",
]
