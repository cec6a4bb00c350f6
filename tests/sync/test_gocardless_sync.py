"""GoCardless end to end over loopback HTTP, on SQLite and PostgreSQL.

Connect (agreement, requisition), approve at the sandbox's consent page,
complete, synchronize: every booked transaction once, pending ones staged.
Then each failure: the right run and connection state, nothing written, and
the next run catches up; an ended consent renewed keeps its journals and
lines and books nothing twice.  The books are held to the world's own truth
(``tests.sync.support``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from booksync.app.connect_gocardless import (
    Completed,
    GoCardlessLink,
    complete_gocardless,
    renew_gocardless,
    start_gocardless,
)
from booksync.banking.models import Connection, ProviderAccount, StatementLine
from booksync.ledger.models import Company, Journal
from booksync.providers.gocardless import GoCardlessProvider, RequisitionNotLinked
from booksync.providers.gocardless_http import Secrets, clear_token_cache
from booksync.sandbox.gocardless import bank_of
from booksync.sandbox.gocardless_bank import GoCardlessBank
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World
from booksync.sync.run import RunResult, SyncRunner
from tests.sync.support import (
    FAST_RETRY,
    TODAY,
    Books,
    add_rates,
    assert_exactly_once,
    assert_ledger_consistent,
    assert_pending_staged,
    connection_row,
    run_row,
    snapshot,
)

NOW = dt.datetime(2026, 3, 12, 9, 30, tzinfo=dt.UTC)
NORDWERK, ALL = "NORDWERKBANK_NWBKDEFF", "SANDBOXFINANCE_SFIN0000"
SECRET_ID, SECRET_KEY = "gc-e2e-id-31Kf", "gc-e2e-key-p0Q/x+"


@pytest.fixture(autouse=True)
def _no_cached_tokens() -> Iterator[None]:
    clear_token_cache()
    yield
    clear_token_cache()


class GoCardless:
    """One company connecting the sandbox bank through GoCardless, as the CLI would."""

    def __init__(self, bank: SandboxHandle, engine: Engine, factory: sessionmaker[Session],
                 company: Company) -> None:
        self.bank, self.engine, self.factory = bank, engine, factory
        self.company_id, self.company = company.id, company.name
        self.secrets = Secrets.checked(f"{bank.url}/gocardless", SECRET_ID, SECRET_KEY)
        self.connection_id = 0

    @property
    def gc(self) -> GoCardlessBank:
        return bank_of(self.bank.server)

    def provider(self, secrets: Secrets | None = None) -> GoCardlessProvider:
        world = self.bank.world
        return GoCardlessProvider(
            secrets, timeout=10,
            clock=lambda: dt.datetime.combine(world.today, dt.time(12), dt.UTC),
        )

    def start(self, institution: str = NORDWERK, access_days: int = 90) -> GoCardlessLink:
        link = start_gocardless(
            self.engine, self.company, secrets=self.secrets, institution_id=institution,
            redirect="https://books.example/back", history_days=30, access_days=access_days,
            providers=self.provider,
        )
        self.connection_id = link.connection.id
        return link

    def complete(self, key: str, **options: Any) -> Completed:
        return complete_gocardless(self.engine, self.company, key, providers=self.provider,
                                   **options)

    def connect(self, institution: str = NORDWERK, access_days: int = 90) -> Completed:
        link = self.start(institution, access_days)
        assert httpx.get(link.link).status_code == 302
        return self.complete(link.reference)

    def books(self) -> Books:
        """The view ``tests.sync.support`` checks: world account id -> provider account row."""
        with self.factory() as session:
            rows = session.execute(select(ProviderAccount.provider_account_id, ProviderAccount.id)
                                   .where(ProviderAccount.connection_id == self.connection_id)
                                   .where(ProviderAccount.journal_id.is_not(None))).all()
        accounts = {self.gc.world_account(remote): ident for remote, ident in rows}
        return Books(self.bank, self.factory, self.company_id, self.connection_id, accounts)

    def sync(self, **options: Any) -> RunResult:
        world = self.bank.world
        runner = SyncRunner(self.factory, providers=lambda _name: self.provider(),
                            today=lambda: world.today, retry=FAST_RETRY, **options)
        return runner.run(self.connection_id)

    def synced(self) -> RunResult:
        result = self.sync()
        assert result.state == "success", result.error
        books = self.books()
        assert_exactly_once(self.factory, books)
        assert_pending_staged(self.factory, books)
        assert_ledger_consistent(self.factory, books)
        return result


@pytest.fixture
def gocardless(engine: Engine, factory: sessionmaker[Session], session: Session,
               company: Company) -> Iterator[GoCardless]:
    add_rates(session, company)
    session.commit()
    with start(world=World(5, today=TODAY)) as bank:
        yield GoCardless(bank, engine, factory, company)


def test_connect_approve_complete_then_each_transaction_is_booked_once(
    gocardless: GoCardless,
) -> None:
    done = gocardless.connect(ALL)
    view = done.connection
    assert (view.state, view.provider, view.institution) == ("connected", "gocardless",
                                                             "Sandbox Finance")
    assert view.consent_expires_at == dt.datetime(2026, 6, 8, 12, tzinfo=dt.UTC)
    assert len(view.accounts) == len(gocardless.bank.world.accounts)
    first = gocardless.synced()
    assert first.new > 0 and first.pending > 0
    again = gocardless.synced()
    assert (again.new, again.updated) == (0, 0) and again.duplicates > 0
    gocardless.bank.world.advance(3)
    gocardless.synced()
    with gocardless.factory() as session:
        quoted = session.execute(
            select(Journal.code, StatementLine.partner_name, StatementLine.reference)
            .join(Journal, Journal.id == StatementLine.journal_id)
            .where(StatementLine.reference.is_not(None))
        ).all()
    # Nordwerk's structured remittance and Banque du Lac's end-to-end id both become references.
    assert len({code for code, _, _ in quoted}) >= 2
    assert all(partner for _, partner, _ in quoted)


@pytest.mark.parametrize(("how", "wait"), [("quota", 43_200), ("fault", 90)])
def test_a_rate_limit_keeps_the_watermark_and_retries_after_the_wait(
    gocardless: GoCardless, how: str, wait: int
) -> None:
    gocardless.connect()
    gocardless.synced()
    gocardless.bank.world.add_transactions(
        next(iter(gocardless.books().accounts)), [{"amount": "-9.99", "description": "LIMITED"}]
    )
    before = snapshot(gocardless.factory, gocardless.books())
    if how == "quota":
        gocardless.gc.set_quota(1)  # the first sync used today's one request per scope
    else:
        # Each account's first request answers 429: all are limited, so the run is.
        gocardless.gc.inject("rate_limit", count=len(gocardless.books().accounts),
                             retry_after=wait)
    limited = gocardless.sync(clock=lambda: NOW)
    assert limited.state == "rate_limited"
    assert f"try again in {wait} seconds" in (limited.error or "")
    after = snapshot(gocardless.factory, gocardless.books())
    assert {k: after[k] for k in before if k != "last_refresh"} == {
        k: before[k] for k in before if k != "last_refresh"}
    row = connection_row(gocardless.factory, gocardless.books())
    assert row.state == "connected"
    assert row.next_sync_at == NOW + dt.timedelta(seconds=wait)
    gocardless.bank.world.advance(1)  # a new day at the bank: the quota starts again
    caught_up = gocardless.synced()
    assert caught_up.new >= 1


@pytest.mark.parametrize("who_knows", ["booksync", "bank"])
def test_an_ended_consent_is_renewed_keeping_journals_and_lines(
    gocardless: GoCardless, who_knows: str
) -> None:
    gocardless.connect(access_days=5)
    gocardless.synced()
    books = gocardless.books()
    old_ids = {remote: row for remote, row in books.accounts.items()}
    with gocardless.factory() as session:
        journals = dict(session.execute(select(ProviderAccount.id, ProviderAccount.journal_id)
                                        .where(ProviderAccount.id.in_(old_ids.values()))).all())
    gocardless.bank.world.advance(5)
    before = snapshot(gocardless.factory, books)
    if who_knows == "bank":  # booksync's clock still in the consent: the bank's answer says it
        stale = dt.datetime.combine(TODAY, dt.time(12), dt.UTC)
        gocardless.provider = lambda secrets=None: GoCardlessProvider(  # type: ignore[method-assign]
            secrets, timeout=10, clock=lambda: stale)
    ended = gocardless.sync()
    assert ended.state == "reauth_required", ended.error
    assert "renew the connection" in (ended.error or "")
    row = connection_row(gocardless.factory, books)
    assert (row.state, row.next_sync_at) == ("reauth_required", None)
    assert snapshot(gocardless.factory, books)["lines"] == before["lines"]
    link = renew_gocardless(gocardless.engine, gocardless.company, gocardless.connection_id,
                            redirect="https://books.example/back", providers=gocardless.provider)
    assert link.renewal and link.connection.state == "reauth_required"
    assert httpx.get(link.link).status_code == 302
    done = gocardless.complete(link.requisition)
    assert done.renewal and done.warnings == ()
    assert done.connection.state == "connected"
    renewed = gocardless.books()
    assert renewed.accounts == old_ids  # same rows, now under the new consent's ids
    with gocardless.factory() as session:
        remote_ids = set(session.scalars(select(ProviderAccount.provider_account_id)
                                          .where(ProviderAccount.id.in_(old_ids.values()))))
        assert dict(session.execute(select(ProviderAccount.id, ProviderAccount.journal_id)
                                    .where(ProviderAccount.id.in_(old_ids.values()))).all()
                    ) == journals
    assert remote_ids == set(gocardless.gc.requisitions[link.requisition].accounts)
    result = gocardless.synced()
    assert result.duplicates > 0


@pytest.mark.parametrize("status", ["RJ", "EX"])
def test_a_requisition_rejected_or_expired_links_nothing(
    gocardless: GoCardless, status: str
) -> None:
    link = gocardless.start()
    if status == "RJ":
        httpx.get(link.link, params={"decision": "reject"})
    else:
        gocardless.gc.set_status(link.requisition, "EX")
    with pytest.raises(RequisitionNotLinked, match=f"status is {status}") as refused:
        gocardless.complete(link.requisition)
    assert refused.value.ended
    with gocardless.factory() as session:
        row = session.get(Connection, link.connection.id)
        assert row is not None
        assert (row.state, row.credentials, row.accounts) == ("disconnected", None, [])
        assert row.last_error is not None and status in row.last_error
        assert session.scalar(select(func.count(Journal.id)).where(Journal.code.like("BNK%"))) == 0
    with pytest.raises(Exception, match="no GoCardless connection waits"):
        gocardless.complete(link.requisition)


def test_a_requisition_still_waiting_changes_nothing(gocardless: GoCardless) -> None:
    link = gocardless.start()
    gocardless.gc.set_status(link.requisition, "UA")
    with pytest.raises(RequisitionNotLinked, match=r"not linked yet.*UA") as waiting:
        gocardless.complete(link.requisition)
    assert not waiting.value.ended
    gocardless.gc.set_status(link.requisition, "CR")
    assert httpx.get(link.link).status_code == 302
    assert gocardless.complete(link.requisition).connection.state == "connected"


@pytest.mark.parametrize("variant", ["not_json", "wrong_shape", "float_amount"])
def test_a_malformed_answer_writes_nothing_and_the_next_run_catches_up(
    gocardless: GoCardless, variant: str
) -> None:
    gocardless.connect()
    gocardless.synced()
    gocardless.bank.world.advance(2)
    books = gocardless.books()
    before = snapshot(gocardless.factory, books)
    gocardless.gc.inject("malformed", variant=variant)
    failed = gocardless.sync()
    assert failed.state == "error" and "malformed" in (failed.error or "")
    assert run_row(gocardless.factory, failed.run).state == "error"
    after = snapshot(gocardless.factory, books)
    for part in ("lines", "entries", "aliases", "pending", "accounts"):
        assert after[part] == before[part], part
    assert connection_row(gocardless.factory, books).state == "error"
    assert gocardless.synced().new > 0
