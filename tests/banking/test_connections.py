"""Connections made from a real SimpleFIN claim against the sandbox bank."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from booksync.app.sandbox_catalogue import seed_sandbox_catalogue, uses_sandbox
from booksync.banking.connections import (
    connection_dict,
    create_connection,
    disconnect,
    format_interval,
    get_connection,
    iso,
    list_connections,
    parse_interval,
    set_connection,
)
from booksync.banking.models import Connection, Institution, ProviderAccount
from booksync.db.base import utcnow
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Company, Journal, JournalType
from booksync.providers.base import Credentials
from booksync.providers.base import ProviderAccount as RemoteAccount
from booksync.providers.simplefin import SimpleFINProvider
from booksync.sandbox.server import SandboxHandle
from tests.helpers import CONNECTION_KEYS
from tests.sync.support import Books


def _claimed(bank: SandboxHandle) -> tuple[Credentials, list[RemoteAccount]]:
    with SimpleFINProvider(timeout=5.0) as provider:
        credentials = provider.claim(bank.setup_token())
        return credentials, provider.list_accounts(credentials)


def test_the_sandbox_catalogue_is_seeded_once_and_reused(
    session: Session, company: Company, bank: SandboxHandle
) -> None:
    assert session.scalars(select(Institution)).all() == []  # a new database has none
    assert seed_sandbox_catalogue(session) == 3
    assert seed_sandbox_catalogue(session) == 0
    credentials, remote = _claimed(bank)
    assert uses_sandbox(credentials.provider, remote)
    assert not uses_sandbox("other", remote)
    assert not uses_sandbox(credentials.provider, [replace(remote[0], institution="Elsewhere")])
    connection = create_connection(session, company, credentials, remote)
    session.commit()
    assert connection.institution is not None and connection.institution.bic is not None
    assert len(session.scalars(select(Institution)).all()) == 3


def test_each_provider_account_gets_a_bank_journal_in_its_currency(
    session: Session, company: Company, bank: SandboxHandle
) -> None:
    credentials, remote = _claimed(bank)
    before = utcnow()
    connection = create_connection(session, company, credentials, remote, interval_seconds=4 * 3600)
    session.commit()
    assert connection.state == "connected"
    assert connection.provider == "simplefin"
    assert before <= connection.next_sync_at <= utcnow()  # type: ignore[operator]
    assert connection.interval_seconds == 4 * 3600 and connection.auto_sync
    world = bank.world
    assert {a.provider_account_id for a in connection.accounts} == set(world.accounts)
    journals = set()
    for account in connection.accounts:
        truth = world.accounts[account.provider_account_id]
        assert account.currency_code == truth.currency
        assert account.name == truth.name and account.iban == truth.iban
        journal = session.get(Journal, account.journal_id)
        assert journal is not None and journal.type == JournalType.BANK
        assert (journal.currency_code or company.currency_code) == truth.currency
        assert journal.default_account_id != journal.suspense_account_id
        journals.add(journal.id)
    assert len(journals) == len(world.accounts)
    assert connection.institution is not None
    assert list_connections(session, company) == [connection]
    assert get_connection(session, company, str(connection.id)) is connection
    with pytest.raises(NotFound):
        get_connection(session, company, "999999")


def test_links_to_an_existing_journal_are_checked(
    session: Session, company: Company, bank: SandboxHandle
) -> None:
    credentials, remote = _claimed(bank)
    eur = next(a for a in remote if a.currency == "EUR")
    usd = next(a for a in remote if a.currency == "USD")
    journal = create_bank_journal(session, company, "Existing", "EUR")
    connection = create_connection(
        session, company, credentials, [eur], links={eur.id: journal.code}
    )
    (account,) = connection.accounts
    assert account.journal_id == journal.id
    with pytest.raises(LedgerError, match="not in USD"):
        create_connection(session, company, credentials, [usd], links={usd.id: journal.code})
    with pytest.raises(LedgerError, match="not a bank journal"):
        create_connection(session, company, credentials, [eur], links={eur.id: "MISC"})
    with pytest.raises(LedgerError, match="no account"):
        create_connection(session, company, credentials, [eur], links={"nope": journal.code})
    with pytest.raises(LedgerError, match="history days"):
        create_connection(session, company, credentials, [eur], history_days=0)
    odd = RemoteAccount("X", "Odd", "XYZ")
    with pytest.raises(LedgerError, match="unknown currency"):
        create_connection(session, company, credentials, [odd])


def test_intervals() -> None:
    assert [parse_interval(t) for t in ("30m", "4h", " 12H ", "1d")] == [1800, 14400, 43200, 86400]
    assert [format_interval(s) for s in (1800, 14400, 86400, 90)] == ["30m", "4h", "1d", "90s"]
    for bad in ("10m", "4x", "", "h4"):
        with pytest.raises(LedgerError):
            parse_interval(bad)
    assert parse_interval("31d") == 31 * 86400
    for too_long in ("32d", "745h", "99999999h", "9" * 400 + "d"):
        with pytest.raises(LedgerError, match=r"at most 31 days|must look like"):
            parse_interval(too_long)


def test_iso_gives_every_instant_in_utc() -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    noon = dt.datetime(2026, 3, 10, 21, 0, tzinfo=tokyo)
    assert iso(noon) == "2026-03-10T12:00:00+00:00"
    assert iso(dt.date(2026, 3, 10)) == "2026-03-10" and iso(None) is None


def test_set_and_disconnect(books: Books, factory: sessionmaker[Session]) -> None:
    assert books.sync().state == "success"
    with factory.begin() as session:
        connection = session.get(Connection, books.connection_id)
        assert connection is not None
        set_connection(connection, interval_seconds=3600, auto_sync=True, include_pending=False)
        last = connection.last_refresh
        assert last is not None
        due = connection.next_sync_at
        assert due is not None
        assert due == max(due, last + dt.timedelta(hours=1))
        assert due <= max(utcnow(), last + dt.timedelta(hours=1))
        assert connection.interval_seconds == 3600 and not connection.include_pending
    result = books.sync()
    assert result.state == "success" and result.pending == 0
    with factory.begin() as session:
        connection = session.get(Connection, books.connection_id)
        assert connection is not None
        disconnect(connection)
    refused = books.sync()
    assert refused.state == "error"
    assert refused.error is not None and "disconnected" in refused.error
    with factory() as session:
        connection = session.get(Connection, books.connection_id)
        assert connection is not None
        assert connection.credentials is None and connection.next_sync_at is None
        assert connection.state == "disconnected"
        lines_kept = session.scalars(
            select(ProviderAccount.watermark).where(ProviderAccount.connection_id == connection.id)
        ).all()
        assert all(mark is not None for mark in lines_kept)  # the books and marks stay


def test_connection_dict_shape(books: Books, factory: sessionmaker[Session]) -> None:
    books.sync()
    with factory() as session:
        connection = session.get(Connection, books.connection_id)
        assert connection is not None
        data = connection_dict(connection)
    assert set(data) == CONNECTION_KEYS
    assert data["state"] == "connected" and data["interval"] == "12h"
    assert dt.datetime.fromisoformat(data["last_refresh"]).tzinfo is not None
    assert dt.datetime.fromisoformat(data["next_refresh"]).tzinfo is not None
    truth = books.bank.world
    for account in data["accounts"]:
        remote = account["provider_account_id"]
        assert account["balance"] == str(truth.balance(remote))
        assert account["balance_date"] == truth.balance_date(remote).isoformat()
        assert account["journal"].startswith("BNK")
    assert "password" not in repr(data) and "@" not in repr(data)
