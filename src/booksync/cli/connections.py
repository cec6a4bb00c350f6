"""``booksync connect`` and ``booksync connection``: online bank connections.

A thin adapter over :mod:`booksync.app.connections`, imported only when a
connection command runs (docs/architecture.md, "Command line"): it parses
the arguments, calls the use case and prints its result.  Credentials are
sealed by the banking layer and never printed: the JSON and the tables show
only the connection's public state.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

import typer

from booksync.banking.states import ConnectionState
from booksync.cli.context import opened, state
from booksync.cli.ids import parse_id
from booksync.cli.output import emit_json, moment, say, table
from booksync.ledger.errors import LedgerError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

    from booksync.providers.base import ProviderAccount

connect_app = typer.Typer(help="Connect a bank through an online provider.", no_args_is_help=True)
connection_app = typer.Typer(
    help="Bank connections: list, schedule, disconnect.", no_args_is_help=True
)
JSON = typer.Option(False, "--json", help="Print JSON.")
# The options every ``connect`` command shares, declared once.
INTERVAL = typer.Option("12h", "--interval", help="Sync every 30m, 4h, 12h, 1d, ...")
PENDING = typer.Option(
    True, "--pending/--no-pending", help="Also fetch pending transactions (never booked)."
)
LINK = typer.Option(
    None,
    "--link",
    help="PROVIDER_ACCOUNT_ID=JOURNAL_CODE: book that account in an existing bank journal "
    "(repeat; the others get new journals).",
)
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


def _sandbox_catalogue(
    session: Session, provider: str, accounts: Sequence[ProviderAccount]
) -> None:
    """The sandbox's banks come with the sandbox (:mod:`booksync.app.sandbox_catalogue`)."""
    from booksync.app.sandbox_catalogue import seed_sandbox_catalogue, uses_sandbox

    if uses_sandbox(provider, accounts):
        seed_sandbox_catalogue(session)


@connect_app.command("simplefin")
def connect_simplefin(
    ctx: typer.Context,
    setup_token: str = typer.Argument(
        ..., help="Setup token from your SimpleFIN server; `-` reads it from stdin."
    ),
    interval: str = INTERVAL,
    history_days: int = typer.Option(
        90, "--history-days", min=1, max=3650, help="Days of history the first sync fetches."
    ),
    pending: bool = PENDING,
    link: list[str] | None = LINK,
    as_json: bool = JSON,
) -> None:
    """Claim a SimpleFIN setup token and connect every account it gives access to."""
    from booksync.app.connections import connect
    from booksync.app.shapes import as_json as shaped
    from booksync.banking.connections import parse_interval

    seconds = parse_interval(interval)
    links = _links(link or [])
    token = sys.stdin.readline() if setup_token == "-" else setup_token
    chosen = state(ctx)
    data = shaped(
        connect(
            chosen.engine,
            chosen.company,
            provider="simplefin",
            token=token,
            interval_seconds=seconds,
            history_days=history_days,
            include_pending=pending,
            links=links,
            catalogue=_sandbox_catalogue,
        )
    )
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
    from booksync.app.connections import connections
    from booksync.app.shapes import as_json as shaped

    with opened(ctx) as books:
        rows: list[dict[str, Any]] = shaped(connections(books))
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
    from booksync.app.connections import change_connection
    from booksync.app.shapes import as_json as shaped
    from booksync.banking.connections import parse_interval

    seconds = parse_interval(interval) if interval is not None else None
    ident = parse_id(connection, "a connection id")
    with opened(ctx) as books:
        data = shaped(
            change_connection(
                books,
                ident,
                interval_seconds=seconds,
                auto_sync=auto_sync,
                include_pending=pending,
                auto_reconcile=auto_reconcile,
            )
        )
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
    from booksync.app.connections import disconnect_connection
    from booksync.app.shapes import as_json as shaped

    ident = parse_id(connection, "a connection id")
    with opened(ctx) as books:
        done = disconnect_connection(books, ident)
        if done.warning:
            say(f"warning: {done.warning}", err=True)
    data = shaped(done.connection)
    if as_json:
        emit_json(data)
        return
    say(
        f"disconnected connection {data['id']} ({data['institution']}): its credentials are "
        "forgotten; its statement lines, entries and run log stay"
    )


from booksync.cli import connect_gocardless as _connect_gocardless  # noqa: E402, F401 (connect gocardless)
from booksync.cli import connect_plaid as _connect_plaid  # noqa: E402, F401 (connect plaid)
