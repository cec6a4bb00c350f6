"""The bank half of ``booksync demo``: the sandbox bank, SimpleFIN, two syncs.

It runs the whole online-banking flow with no outside service: the sandbox
bank serves SimpleFIN on a free loopback port in this process, booksync
claims a setup token, links the accounts to new bank journals, synchronizes,
lets the bank's clock move three days, and synchronizes again.  The
sandbox's institutions enter the catalogue here, with the sandbox.

Credentials are sealed with a throwaway key set for the demo only (never
the user's key file, which is neither read nor created), and the bank is
stopped before returning, whatever happens.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from cryptography.fernet import Fernet
from sqlalchemy import Engine

from booksync.banking.connections import connection_dict, create_connection, list_connections
from booksync.banking.runs import run_log
from booksync.banking.secrets import ENV_KEY
from booksync.cli.connections import print_connections
from booksync.cli.output import console, say
from booksync.cli.reports import print_trial_balance
from booksync.cli.sandbox_catalogue import seed_sandbox_catalogue
from booksync.cli.statements import print_statement
from booksync.cli.sync import print_log, print_results
from booksync.db.engine import session_factory
from booksync.ledger import reports
from booksync.ledger.companies import find_company
from booksync.ledger.rates import set_rate
from booksync.providers.simplefin import SimpleFINProvider
from booksync.sandbox import SandboxHandle, start
from booksync.statements.listing import statement_lines
from booksync.sync.run import RunResult, SyncRunner

# Company-currency (EUR) units for one unit of the sandbox's foreign currencies.
RATES = {"USD": "0.92", "JPY": "0.0061"}
ADVANCE_DAYS = 3
STATEMENT_TAIL = 12


@contextmanager
def throwaway_key() -> Iterator[None]:
    """A fresh encryption key in this process only, then the caller's setting back."""
    before = os.environ.get(ENV_KEY)
    os.environ[ENV_KEY] = Fernet.generate_key().decode()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV_KEY, None)
        else:
            os.environ[ENV_KEY] = before


def _sync(runner: SyncRunner, connection_id: int, title: str) -> list[RunResult]:
    results = [runner.run(connection_id)]
    print_results([r.as_dict() for r in results], title)
    return results


def bank_demo(engine: Engine, company_name: str, seed: int = 0) -> None:
    """Connect the demo company to the sandbox bank and show what the syncs booked."""
    with throwaway_key(), start(port=0, seed=seed) as bank:
        _run(engine, company_name, bank)
    say(
        "The sandbox bank stopped with the demo, and the connection's credentials were "
        "sealed with a throwaway key: to try syncing by hand, run `booksync sandbox serve` "
        "and connect to it (see docs/banking.md)."
    )


def _run(engine: Engine, company_name: str, bank: SandboxHandle) -> None:
    factory = session_factory(engine)
    world = bank.world
    console.print(
        f"\n[bold]Online banking[/bold]: the sandbox bank serves SimpleFIN at {bank.url} "
        f"(bank date {world.today})"
    )
    with factory.begin() as session:
        company = find_company(session, company_name)
        home = company.currency_code
        since = world.first_day
        for currency, rate in RATES.items():
            set_rate(session, company, currency, since, rate)
    rates = ", ".join(f"1 {c} = {r} {home}" for c, r in RATES.items())
    say(
        f"Recorded exchange rates from {since}: {rates}. The sandbox has USD and JPY "
        f"accounts, and a bank journal in a foreign currency books each line at its "
        f"{home} value (with the foreign amount kept on the line)."
    )
    with SimpleFINProvider(timeout=10.0) as simplefin:
        credentials = simplefin.claim(bank.setup_token())
        accounts = simplefin.list_accounts(credentials)
    with factory.begin() as session:
        company = find_company(session, company_name)
        seed_sandbox_catalogue(session)  # its banks, with BIC and country, for the connection
        connection = create_connection(session, company, credentials, accounts)
        connection_id = connection.id
        journals = [a.journal.code for a in connection.accounts if a.journal]
    say(
        f"Claimed a SimpleFIN setup token and linked {len(accounts)} accounts to new bank "
        f"journals {', '.join(journals)}."
    )
    runner = SyncRunner(factory, today=lambda: world.today)
    _sync(runner, connection_id, "First synchronization (90 days of history)")
    events = world.advance(ADVANCE_DAYS)
    say(
        f"The bank's clock moves {ADVANCE_DAYS} days to {world.today}: {len(events)} events "
        "(new payments, pending card payments booking under new ids, late postings)."
    )
    _sync(runner, connection_id, "Second synchronization (only what is new is booked)")
    with factory.begin() as session:
        company = find_company(session, company_name)
        shown = [connection_dict(c) for c in list_connections(session, company)]
        log = run_log(session, company, connection_id)
        first = journals[0]
        lines = list(statement_lines(session, company, first))
        tb = reports.trial_balance(session, company).as_dict()
    print_connections(shown)
    print_log(log)
    print_statement(
        lines, f"Statement lines of {first} (the last {STATEMENT_TAIL})", tail=STATEMENT_TAIL
    )
    print_trial_balance(tb)


__all__ = ["bank_demo"]
