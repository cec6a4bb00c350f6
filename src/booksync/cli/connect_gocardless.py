"""``booksync connect gocardless``: a bank through GoCardless Bank Account Data.

A thin adapter over :mod:`booksync.app.connect_gocardless` (docs/banking.md,
"GoCardless Bank Account Data").  One command, four steps a user takes:

- ``--country XX``: the institutions of a country, added to the catalogue;
- ``--institution ID``: start a link, print the link to open at the bank;
- ``--complete REQUISITION``: once consent is given, link the accounts;
- ``--renew CONNECTION``: a new consent for a connection whose consent ended.

The secret id and key come from the options or from
``BOOKSYNC_GOCARDLESS_SECRET_ID`` / ``BOOKSYNC_GOCARDLESS_SECRET_KEY`` (``-``
reads the key from standard input, keeping it out of the shell's history),
and the API's address from ``--url`` or ``BOOKSYNC_GOCARDLESS_URL``, so the
sandbox bank can stand in for it.  Neither secret is ever printed.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from booksync.cli.connections import (
    INTERVAL,
    JSON,
    PENDING,
    _links,
    connect_app,
    print_connections,
)
from booksync.cli.context import state
from booksync.cli.ids import parse_id
from booksync.cli.output import emit_json, say, table
from booksync.ledger.errors import LedgerError

DEFAULT_URL = "https://bankaccountdata.gocardless.com"
DEFAULT_REDIRECT = "http://localhost/booksync/gocardless/done"
ENV_ID = "BOOKSYNC_GOCARDLESS_SECRET_ID"
ENV_KEY = "BOOKSYNC_GOCARDLESS_SECRET_KEY"
ENV_URL = "BOOKSYNC_GOCARDLESS_URL"


def _secrets(url: str, secret_id: str | None, secret_key: str | None, needed: bool) -> Any:
    """The secret pair from the options or the environment; None when not given and not
    ``needed`` (``--renew`` reuses the connection's own)."""
    from booksync.providers.gocardless_http import Secrets

    if secret_key == "-":
        secret_key = sys.stdin.readline()
    if not needed and not secret_id and not secret_key:
        return None
    if not secret_id or not secret_key:
        raise LedgerError(
            f"give the GoCardless secret id and key (--secret-id, --secret-key, or {ENV_ID} "
            f"and {ENV_KEY})"
        )
    return Secrets.checked(url, secret_id, secret_key)


def _started(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(data)
        return
    what = "renew the consent of" if data["renewal"] else "give booksync access to"
    say(f"Open this link to {what} your accounts at {data['institution']}:")
    say(f"  {data['link']}")
    say(
        f"Then: booksync connect gocardless --complete {data['requisition']} "
        f"(connection {data['connection']['id']}; {data['history_days']} days of history, "
        f"access for {data['access_days']} days)"
    )


@connect_app.command("gocardless")
def connect_gocardless(
    ctx: typer.Context,
    institution: str | None = typer.Option(
        None, "--institution", help="Start linking this institution (its GoCardless id)."
    ),
    complete: str | None = typer.Option(
        None, "--complete", help="Link the accounts of this requisition once consent is given."
    ),
    renew: str | None = typer.Option(
        None, "--renew", help="Ask again for the consent of this connection (its id)."
    ),
    country: str | None = typer.Option(
        None, "--country", help="List the institutions of a country (XX) into the catalogue."
    ),
    secret_id: str | None = typer.Option(
        None, "--secret-id", envvar=ENV_ID, show_envvar=True, show_default=False,
        help="GoCardless secret id.",
    ),
    secret_key: str | None = typer.Option(
        None, "--secret-key", envvar=ENV_KEY, show_envvar=True, show_default=False,
        help="GoCardless secret key; `-` reads it from stdin.",
    ),
    url: str = typer.Option(
        DEFAULT_URL, "--url", envvar=ENV_URL, show_envvar=True, help="The API's address."
    ),
    redirect: str = typer.Option(
        DEFAULT_REDIRECT, "--redirect", help="Where the bank sends the browser back to."
    ),
    history_days: int = typer.Option(
        90, "--history-days", min=1, max=730, help="Days of history the consent covers."
    ),
    access_days: int = typer.Option(
        90, "--access-days", min=1, max=365, help="Days the consent lasts (the bank may cut)."
    ),
    interval: str = INTERVAL,
    pending: bool = PENDING,
    link: list[str] | None = typer.Option(
        None,
        "--link",
        help="With --complete: PROVIDER_ACCOUNT_ID=JOURNAL_CODE books that account in an "
        "existing bank journal (repeat).",
    ),
    as_json: bool = JSON,
) -> None:
    """Connect a bank through GoCardless Bank Account Data (a link to open, then --complete)."""
    from booksync.app import connect_gocardless as use
    from booksync.app.shapes import as_json as shaped
    from booksync.banking.connections import parse_interval

    chosen = [n for n, v in (("--institution", institution), ("--complete", complete),
                             ("--renew", renew), ("--country", country)) if v]
    if len(chosen) != 1:
        raise LedgerError(
            "give one of --institution ID, --complete REQUISITION, --renew CONNECTION or "
            "--country XX"
        )
    app = state(ctx)
    if country:
        found = shaped(use.gocardless_institutions(
            app.engine, _secrets(url, secret_id, secret_key, True), country
        ))
        if as_json:
            emit_json(found)
            return
        table(f"GoCardless institutions in {country.upper()}", ["Id", "Name", "BIC"],
              [(i["id"], i["name"], i["bic"]) for i in found])
        say(f"{len(found)} institution(s) in the catalogue: "
            "`booksync connect gocardless --institution ID`")
        return
    if complete:
        done = use.complete_gocardless(app.engine, app.company, complete, links=_links(link or []))
        for warning in done.warnings:
            say(f"warning: {warning}", err=True)
        data = shaped(done.connection)
        if as_json:
            emit_json(data)
            return
        print_connections([data])
        verb = "Renewed the consent of" if done.renewal else "Connected"
        say(f"{verb} {len(data['accounts'])} account(s) through GoCardless; the next "
            f"synchronization is due now: `booksync sync {data['id']}`")
        return
    if renew:
        started = use.renew_gocardless(
            app.engine, app.company, parse_id(renew, "a connection id"),
            redirect=redirect, secrets=_secrets(url, secret_id, secret_key, False),
            access_days=access_days,
        )
    else:
        assert institution is not None
        started = use.start_gocardless(
            app.engine, app.company,
            secrets=_secrets(url, secret_id, secret_key, True),
            institution_id=institution, redirect=redirect, history_days=history_days,
            access_days=access_days, interval_seconds=parse_interval(interval),
            include_pending=pending,
        )
    _started(shaped(started), as_json)
