"""``booksync connect`` and ``booksync connection``: online bank connections.

Connecting claims a one-time token at the provider, so everything that can
be checked beforehand (interval, links, journals) is checked first, and the
network talk happens outside any database transaction.  Credentials are
sealed by the banking layer and never printed: the JSON and the tables show
only the connection's public state.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import typer

from booksync.banking.connections import (
    connection_dict,
    create_connection,
    disconnect,
    get_connection,
    list_connections,
    parse_interval,
    set_connection,
)
from booksync.banking.secrets import unseal
from booksync.banking.states import ConnectionState
from booksync.cli.context import books
from booksync.cli.ids import parse_id
from booksync.cli.output import emit_json, moment, say, table
from booksync.cli.sandbox_catalogue import seed_sandbox_catalogue, uses_sandbox
from booksync.ledger.errors import LedgerError
from booksync.ledger.journals import get_journal
from booksync.ledger.models import JournalType
from booksync.providers import registry
from booksync.providers.base import Credentials, Provider
from booksync.providers.base import ProviderAccount as RemoteAccount
from booksync.providers.errors import ProviderError

connect_app = typer.Typer(help="Connect a bank through an online provider.", no_args_is_help=True)
connection_app = typer.Typer(
    help="Bank connections: list, schedule, disconnect.", no_args_is_help=True
)
JSON = typer.Option(False, "--json", help="Print JSON.")
CONSENT_WARNING_DAYS = 14
STATE_LABELS = {  # the states a table words differently from their stored names
    ConnectionState.DISCONNECTED: "not connected",
    ConnectionState.REAUTH_REQUIRED: "re-authorisation needed",
}


def register(app: typer.Typer) -> None:
    app.add_typer(connect_app, name="connect")
    app.add_typer(connection_app, name="connection")


# -- showing ---------------------------------------------------------------


def consent_warning(expires: str | None, now: dt.datetime | None = None) -> str | None:
    """The "consent expires in N days" warning, when consent ends within two weeks."""
    if not expires:
        return None
    left = dt.datetime.fromisoformat(expires) - (now or dt.datetime.now(dt.UTC))
    if left.total_seconds() <= 0:
        return "consent expired: renew the connection"
    if left.days > CONSENT_WARNING_DAYS:
        return None
    if left.days == 0:
        return "consent expires today"
    return f"consent expires in {left.days} day{'s' if left.days != 1 else ''}"


def _next(row: dict[str, Any]) -> str:
    if row["state"] == ConnectionState.DISCONNECTED:
        return ""
    if row["state"] == ConnectionState.REAUTH_REQUIRED:
        return "after renewal"
    if not row["auto_sync"]:
        return "manual only"
    if row["next_refresh"] is None:
        return "not scheduled"
    due = dt.datetime.fromisoformat(row["next_refresh"])
    return "due now" if due <= dt.datetime.now(dt.UTC) else moment(row["next_refresh"])


def print_connections(rows: list[dict[str, Any]]) -> None:
    """The Online Synchronization page as two tables: connections, then accounts."""
    if not rows:
        say("no connections yet: `booksync connect simplefin SETUP_TOKEN`")
        return
    table(
        "Bank connections",
        [
            "Id",
            "Institution",
            "Provider",
            "State",
            "Last refresh",
            "Next refresh",
            "Every",
            "Notes",
        ],
        [
            (
                r["id"],
                r["institution"],
                r["provider"],
                STATE_LABELS.get(r["state"], r["state"]),
                moment(r["last_refresh"], "never"),
                _next(r),
                r["interval"],
                "; ".join(
                    n for n in (consent_warning(r["consent_expires_at"]), r["last_error"]) if n
                ),
            )
            for r in rows
        ],
    )
    table(
        "Linked accounts",
        ["Connection", "Account", "Journal", "Currency", "Bank balance", "As of", "Last sync"],
        [
            (
                r["id"],
                a["name"],
                a["journal"],
                a["currency"],
                a["balance"],
                a["balance_date"],
                moment(a["last_sync"], "never"),
            )
            for r in rows
            for a in r["accounts"]
        ],
        right=["Bank balance"],
    )


# -- connecting --------------------------------------------------------------


def _links(specs: list[str]) -> dict[str, str]:
    links: dict[str, str] = {}
    for spec in specs:
        account, sep, journal = spec.partition("=")
        if not sep or not account.strip() or not journal.strip():
            raise LedgerError(f"--link {spec!r} must be PROVIDER_ACCOUNT_ID=JOURNAL_CODE")
        links[account.strip()] = journal.strip()
    return links


def _claim(
    provider_name: str, token: str, history_days: int
) -> tuple[Credentials, list[RemoteAccount]]:
    """Claim the one-time token and list what it gives access to (network only)."""
    provider: Provider = registry.provider_for(provider_name)
    try:
        link = provider.start_link(None, None, history_days, 90)
        credentials = provider.complete_link(link, token)
        return credentials, provider.list_accounts(credentials)
    finally:
        close = getattr(provider, "close", None)
        if callable(close):
            close()


@connect_app.command("simplefin")
def connect_simplefin(
    ctx: typer.Context,
    setup_token: str = typer.Argument(
        ..., help="Setup token from your SimpleFIN server; `-` reads it from stdin."
    ),
    interval: str = typer.Option("12h", "--interval", help="Sync every 30m, 4h, 12h, 1d, ..."),
    history_days: int = typer.Option(
        90, "--history-days", min=1, max=3650, help="Days of history the first sync fetches."
    ),
    pending: bool = typer.Option(
        True, "--pending/--no-pending", help="Also fetch pending transactions (never booked)."
    ),
    link: list[str] | None = typer.Option(
        None,
        "--link",
        help="PROVIDER_ACCOUNT_ID=JOURNAL_CODE: book that account in an existing bank journal "
        "(repeat; the others get new journals).",
    ),
    as_json: bool = JSON,
) -> None:
    """Claim a SimpleFIN setup token and connect every account it gives access to."""
    seconds = parse_interval(interval)
    links = _links(link or [])
    token = sys.stdin.readline().strip() if setup_token == "-" else setup_token.strip()
    if not token:
        raise LedgerError("the setup token is empty")
    with books(ctx) as (session, company):
        for code in links.values():
            journal = get_journal(session, company, code)
            if journal.type != JournalType.BANK:
                raise LedgerError(f"journal {journal.code} is not a bank journal")
    credentials, accounts = _claim("simplefin", token, history_days)
    if not accounts:
        raise LedgerError("the SimpleFIN server shows no accounts for this token: nothing to link")
    try:
        with books(ctx) as (session, company):
            if uses_sandbox(credentials.provider, accounts):
                seed_sandbox_catalogue(session)  # the sandbox's banks come with the sandbox
            connection = create_connection(
                session,
                company,
                credentials,
                accounts,
                interval_seconds=seconds,
                history_days=history_days,
                include_pending=pending,
                links=links,
            )
            data = connection_dict(connection)
    except LedgerError as exc:
        raise LedgerError(
            f"{exc} (the setup token is used up now: create a new one to try again)"
        ) from None
    if as_json:
        emit_json(data)
        return
    print_connections([data])
    say(
        f"Connected {len(data['accounts'])} account(s) through SimpleFIN; the first "
        f"synchronization is due now: `booksync sync {data['id']}`"
    )


# -- managing ----------------------------------------------------------------


@connection_app.command("list")
def connection_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the connections with their state, last and next refresh, and accounts."""
    with books(ctx) as (session, company):
        rows = [connection_dict(c) for c in list_connections(session, company)]
    if as_json:
        emit_json(rows)
    else:
        print_connections(rows)


@connection_app.command("set")
def connection_set(
    ctx: typer.Context,
    connection: str = typer.Argument(..., help="Connection id."),
    interval: str | None = typer.Option(None, "--interval", help="Sync every 30m, 4h, 1d, ..."),
    auto_sync: bool | None = typer.Option(
        None, "--auto-sync/--no-auto-sync", help="Synchronize on the schedule or only by hand."
    ),
    pending: bool | None = typer.Option(
        None, "--pending/--no-pending", help="Fetch pending transactions or not."
    ),
    auto_reconcile: bool | None = typer.Option(
        None,
        "--auto-reconcile/--no-auto-reconcile",
        help="Reconcile what is certain after each sync, or leave every line to a person.",
    ),
    as_json: bool = JSON,
) -> None:
    """Change a connection's schedule or data-to-sync settings."""
    seconds = parse_interval(interval) if interval is not None else None
    ident = parse_id(connection, "a connection id")
    with books(ctx) as (session, company):
        found = get_connection(session, company, ident)
        if found.state == ConnectionState.DISCONNECTED:
            raise LedgerError(f"connection {found.id} is disconnected: connect the bank again")
        set_connection(
            found,
            interval_seconds=seconds,
            auto_sync=auto_sync,
            include_pending=pending,
            auto_reconcile=auto_reconcile,
        )
        session.flush()
        data = connection_dict(found)
    if as_json:
        emit_json(data)
    else:
        print_connections([data])


@connection_app.command("disconnect")
def connection_disconnect(
    ctx: typer.Context,
    connection: str = typer.Argument(..., help="Connection id."),
    as_json: bool = JSON,
) -> None:
    """Forget a connection's credentials and stop syncing it; the books and log stay."""
    ident = parse_id(connection, "a connection id")
    with books(ctx) as (session, company):
        found = get_connection(session, company, ident)
        if found.credentials is not None:
            _revoke(found.provider, found.credentials)
        disconnect(found)
        session.flush()
        data = connection_dict(found)
    if as_json:
        emit_json(data)
        return
    say(
        f"disconnected connection {data['id']} ({data['institution']}): its credentials are "
        "forgotten; its statement lines, entries and run log stay"
    )


def _revoke(provider_name: str, sealed: bytes) -> None:
    """Tell the provider when it has a revoke call; a failure only warns."""
    try:
        provider = registry.provider_for(provider_name)
        try:
            provider.revoke(Credentials(provider_name, unseal(sealed)))
        finally:
            close = getattr(provider, "close", None)
            if callable(close):
                close()
    except (ProviderError, LedgerError) as exc:
        say(f"warning: the provider was not told: {exc}", err=True)
