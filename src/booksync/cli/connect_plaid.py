"""``booksync connect plaid``: connect a bank through Plaid, or renew a Plaid connection.

A thin adapter over :mod:`booksync.app.connect_plaid` (docs/banking.md,
"Plaid"), registered on ``booksync connect`` when the connection commands
load.  booksync's Plaid keys come from options or the environment
(``BOOKSYNC_PLAID_CLIENT_ID``, ``BOOKSYNC_PLAID_SECRET``, ``BOOKSYNC_PLAID_URL``);
they are sealed with the connection and never printed.
"""

from __future__ import annotations

import secrets
import sys

import typer

from booksync.cli.connections import (
    INTERVAL,
    JSON,
    LINK,
    PENDING,
    _links,
    connect_app,
    print_connections,
)
from booksync.cli.context import state
from booksync.cli.ids import parse_id
from booksync.cli.output import emit_json, say
from booksync.ledger.errors import LedgerError

SANDBOX_CLIENT = "booksync-sandbox"


@connect_app.command("plaid")
def connect_plaid(
    ctx: typer.Context,
    public_token: str | None = typer.Option(
        None, "--public-token", help="The public token Plaid Link handed back; `-` reads stdin."
    ),
    sandbox_institution: str | None = typer.Option(
        None,
        "--sandbox-institution",
        help="Ask a sandbox for a public token of this institution (ins_...) and connect it.",
    ),
    renew: str | None = typer.Option(
        None, "--renew", help="CONNECTION_ID: put a Plaid connection back after a new sign-in."
    ),
    client_id: str | None = typer.Option(
        None, "--client-id", envvar="BOOKSYNC_PLAID_CLIENT_ID", help="booksync's Plaid client id."
    ),
    secret: str | None = typer.Option(
        None, "--secret", envvar="BOOKSYNC_PLAID_SECRET", show_default=False,
        help="booksync's Plaid secret (better from BOOKSYNC_PLAID_SECRET).",
    ),
    url: str = typer.Option(
        "https://production.plaid.com", "--url", envvar="BOOKSYNC_PLAID_URL",
        help="Plaid's base URL (the sandbox bank's: http://127.0.0.1:PORT/plaid).",
    ),
    interval: str = INTERVAL,
    history_days: int = typer.Option(
        90, "--history-days", min=1, max=730, help="Days of history the first sync books."
    ),
    pending: bool = PENDING,
    link: list[str] | None = LINK,
    as_json: bool = JSON,
) -> None:
    """Connect every account of a Plaid Item, or renew a Plaid connection (--renew)."""
    if renew is not None:
        _renew(ctx, parse_id(renew, "a connection id"), as_json)
        return
    from booksync.app.connect_plaid import connect_plaid as connect
    from booksync.app.shapes import as_json as shaped
    from booksync.banking.connections import parse_interval
    from booksync.providers.plaid_http import PlaidKeys

    if (public_token is None) == (sandbox_institution is None):
        raise LedgerError("give --public-token TOKEN, --sandbox-institution ID or --renew ID")
    if sandbox_institution is not None and not (client_id or secret):
        client_id, secret = SANDBOX_CLIENT, secrets.token_urlsafe(24)
    keys = PlaidKeys(client_id or "", secret or "", url)
    chosen = state(ctx)
    token = sys.stdin.readline().strip() if public_token == "-" else public_token
    data = shaped(
        connect(
            chosen.engine,
            chosen.company,
            keys=keys,
            public_token=token,
            sandbox_institution=sandbox_institution,
            interval_seconds=parse_interval(interval),
            history_days=history_days,
            include_pending=pending,
            links=_links(link or []),
        )
    )
    if as_json:
        emit_json(data)
        return
    print_connections([data])
    say(
        f"Connected {len(data['accounts'])} account(s) through Plaid; the first "
        f"synchronization is due now: `booksync sync {data['id']}`"
    )


def _renew(ctx: typer.Context, connection: int, as_json: bool) -> None:
    from booksync.app.connect_plaid import renew_plaid
    from booksync.app.shapes import as_json as shaped

    chosen = state(ctx)
    done = renew_plaid(chosen.engine, chosen.company, connection)
    data = shaped(done.connection)
    if as_json:
        emit_json({**data, "link_token": done.link_token})
        return
    if done.link_token is not None:
        say(
            f"Plaid still needs you to sign in to {data['institution']} again: open Plaid Link "
            f"in update mode with the link token {done.link_token}, then run "
            f"`booksync connect plaid --renew {connection}` again."
        )
        return
    print_connections([data])
    say(f"Connection {connection} is renewed; its next synchronization is due now.")
