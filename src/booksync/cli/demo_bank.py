"""The bank half of ``booksync demo``: the sandbox bank, three providers, files, two syncs.

It runs the whole online-banking flow with no outside service: the sandbox
bank serves SimpleFIN, GoCardless and Plaid on a free loopback port in this
process; booksync connects each of its banks through one of them
(:mod:`booksync.demo.connect`), imports the first weeks of four accounts from
statement files of each format (:mod:`booksync.demo.files`), synchronizes,
lets the bank's clock move three days, and synchronizes again.  The
sandbox's institutions enter the catalogue here, with the sandbox.

The bank's customers and suppliers pay the documents the demo issued, as
:mod:`booksync.demo.payments_plan` says (exact and mistyped references,
several invoices at once, part of one, a name or an IBAN alone, a bill by
the vendor's reference, a fee), and each sync reconciles what is certain.
The demo then shows what was reconciled, what is suggested (accepting one
suggestion, as a person would) and what every document still owes
(docs/banking.md, "The sandbox bank").

Credentials are sealed with a throwaway key set for the demo only (never
the user's key file, which is neither read nor created), and the bank is
stopped before returning, whatever happens.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal

from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from booksync.app.context import Books
from booksync.app.invoices import InvoiceView, list_invoices
from booksync.app.reconcile import LineToReconcile, ReconciledView
from booksync.banking.connections import (
    connection_dict,
    list_connections,
    set_connection,
)
from booksync.banking.runs import run_log
from booksync.banking.secrets import ENV_KEY
from booksync.cli.connections import print_connections
from booksync.cli.output import console, say, table
from booksync.cli.reports import print_trial_balance
from booksync.cli.statements import print_statement
from booksync.cli.sync import print_log, print_results
from booksync.db.engine import session_factory
from booksync.demo.connect import connect_all
from booksync.demo.files import Imported, import_files
from booksync.demo.outcome import Reconciled, accept_planned, reconciled, suggested
from booksync.demo.payments_plan import Issued, Transfer, transfers
from booksync.ledger import reports
from booksync.ledger.companies import find_company
from booksync.ledger.rates import set_rate
from booksync.sandbox import PaymentPlan, SandboxHandle, World, start
from booksync.statements.listing import statement_lines
from booksync.sync.run import RunResult, SyncRunner

# Company-currency (EUR) units for one unit of the sandbox's foreign currencies.
RATES = {"USD": "0.92", "JPY": "0.0061"}
ADVANCE_DAYS = 3
HISTORY_DAYS = 90  # what a new connection's first synchronization fetches
PROVIDER_NAMES = {"simplefin": "SimpleFIN", "gocardless": "GoCardless Bank Account Data",
                  "plaid": "Plaid"}
STATEMENT_TAIL = 12
SUGGESTED_SHOWN = 10


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


def bank_demo(
    engine: Engine,
    company_name: str,
    seed: int = 0,
    *,
    issued: Sequence[Issued] = (),
    today: dt.date | None = None,
) -> None:
    """Connect the demo company to the sandbox bank and show what the syncs booked.

    ``issued``: the demo's documents, which the bank's customers and suppliers
    pay; its world invents no invoice numbers of its own.
    """
    world = World(seed, today=today, invent_invoices=False)
    with throwaway_key(), start(port=0, world=world) as bank:
        _run(engine, company_name, bank, issued)
    say(
        "The sandbox bank stopped with the demo, and the connection's credentials were "
        "sealed with a throwaway key, so it no longer synchronizes on schedule: to try "
        "syncing by hand, run `booksync sandbox serve` and connect to it (see "
        "docs/banking.md), or `booksync serve --sandbox` and Add a bank account."
    )


def _paid_account(world: World) -> str:
    """The account the documents are paid into: the EUR business account at Nordwerk Bank."""
    return next(
        a.id for a in world.accounts.values() if a.profile == "business" and a.currency == "EUR"
    )


def _pay(world: World, issued: Sequence[Issued]) -> list[Transfer]:
    """Tell the bank how its customers and suppliers pay the demo's documents.

    The transfer of several invoices comes once the clock moves, for the
    second synchronization to reconcile.
    """
    account = _paid_account(world)
    later = world.today + dt.timedelta(days=ADVANCE_DAYS - 1)
    plan = transfers(issued, world.today, later)
    world.expect_payments([
        PaymentPlan(account, t.amount, t.posted, t.description, t.payee, t.memo,
                    t.counterparty_iban)
        for t in plan
    ])
    return plan


def _run(
    engine: Engine, company_name: str, bank: SandboxHandle, issued: Sequence[Issued]
) -> None:
    factory = session_factory(engine)
    world = bank.world
    console.print(
        f"\n[bold]Online banking[/bold]: the sandbox bank serves SimpleFIN, GoCardless and "
        f"Plaid at {bank.url} "
        f"(bank date {world.today})"
    )
    with factory.begin() as session:
        company = find_company(session, company_name)
        home = company.currency_code
        since = world.first_day - dt.timedelta(days=7)  # a file opens the day before
        for currency, rate in RATES.items():
            set_rate(session, company, currency, since, rate)
    rates = ", ".join(f"1 {c} = {r} {home}" for c, r in RATES.items())
    say(
        f"Recorded exchange rates from {since}: {rates}. The sandbox has USD and JPY "
        f"accounts, and a bank journal in a foreign currency books each line at its "
        f"{home} value (with the foreign amount kept on the line)."
    )
    plan = _pay(world, issued)
    if plan:
        waiting = sum(t.posted > world.today for t in plan)
        say(
            f"The bank's customers and suppliers pay the demo's documents: {len(plan)} "
            f"transfers into the business account, {waiting} of them after the clock moves."
        )
    made = connect_all(engine, company_name, bank)
    for connection in made:
        say(f"Connected {connection.bank} through {PROVIDER_NAMES[connection.provider]}: "
            f"{len(connection.journals)} accounts in new bank journals "
            f"{', '.join(connection.journals.values())}.")
    journals = {a: j for c in made for a, j in c.journals.items()}
    paid_into = journals[_paid_account(world)]
    files = import_files(engine, company_name, world,
                         {a: j for c in made[:2] for a, j in c.journals.items()}, HISTORY_DAYS)
    _print_files(files)
    runner = SyncRunner(factory, today=lambda: world.today)
    for connection in made:
        _sync(runner, connection.id, f"First synchronization of {connection.bank} through "
              f"{PROVIDER_NAMES[connection.provider]} ({HISTORY_DAYS} days of history)")
    events = world.advance(ADVANCE_DAYS)
    say(
        f"The bank's clock moves {ADVANCE_DAYS} days to {world.today}: {len(events)} events "
        "(new payments, pending card payments booking under new ids, late postings)."
    )
    for connection in made:
        _sync(runner, connection.id, f"Second synchronization of {connection.bank} (only "
              "what is new is booked)")
    connection_id = made[0].id
    first = paid_into
    with factory.begin() as session:
        company = find_company(session, company_name)
        # The sandbox stops with the demo: a worker (`booksync serve`) must not keep
        # trying a bank that is gone; the state and the runs stay as they were.
        for stored in list_connections(session, company):
            set_connection(stored, auto_sync=False)
        shown = [connection_dict(c) for c in list_connections(session, company)]
        log = run_log(session, company, connection_id)
        lines = list(statement_lines(session, company, first))
        tb = reports.trial_balance(session, company).as_dict()
    print_connections(shown)
    print_log(log)
    print_statement(
        lines, f"Statement lines of {first} (the last {STATEMENT_TAIL})", tail=STATEMENT_TAIL
    )
    print_trial_balance(tb)
    if plan:
        _outcome(factory, company_name, plan, paid_into)


def _outcome(
    factory: sessionmaker[Session], company_name: str, plan: Sequence[Transfer], journal: str
) -> None:
    """What was reconciled, what is suggested in ``journal`` (where the documents are
    paid; one suggestion accepted), what the documents owe."""
    with factory.begin() as session:
        books = Books(session, find_company(session, company_name))
        done = reconciled(books)
        waiting = suggested(books, journal)
        accepted = accept_planned(books, waiting, plan)
        documents = list_invoices(books)
    _print_reconciled(done)
    _print_suggested(journal, waiting, accepted)
    _print_documents(documents)


def _print_files(files: Sequence[Imported]) -> None:
    """The statement files imported, what each booked and how its balances compare."""
    table(
        "Statement files imported before the first synchronizations",
        ["File", "Format", "Journal", "From", "To", "Lines", "Closing balance"],
        [
            (f.file, f.fmt, f.journal, s["first"] or "", s["last"] or "", str(s["new"]),
             "" if s["closing"] is None else
             f"{s['closing']} ({'agrees' if Decimal(s['closing_difference']) == 0 else 'differs'})")
            for f in files for s in f.done["statements"]
        ],
    )
    say("Each file ends a few days into the period the first synchronization fetches: "
        "those days' lines are matched, not booked twice (the syncs count them as duplicates).")


def _print_reconciled(done: Sequence[Reconciled]) -> None:
    """Lines that paid documents one by one; lines booked by a rule grouped by label."""
    rows: list[tuple[str, ...]] = [
        (r.date.isoformat(), r.journal, r.label, f"{r.amount} {r.currency}",
         ", ".join(r.documents))
        for r in done if r.documents
    ]
    groups: dict[tuple[str, str, tuple[str, ...]], list[Reconciled]] = {}
    for r in done:
        if not r.documents:
            groups.setdefault((r.label, r.currency, r.counterparts), []).append(r)
    for (label, currency, counterparts), lines in groups.items():
        journals = ", ".join(sorted({r.journal for r in lines}))
        shown = label if len(lines) == 1 else f"{label} (x{len(lines)})"
        total = sum((r.amount for r in lines), Decimal(0))
        rows.append((lines[-1].date.isoformat(), journals, shown, f"{total} {currency}",
                     ", ".join(counterparts)))
    table("Reconciled automatically", ["Date", "Journal", "Label", "Amount", "Reconciled with"],
          rows, right=["Amount"])


def _print_suggested(
    journal: str,
    waiting: Sequence[LineToReconcile],
    accepted: Sequence[tuple[LineToReconcile, ReconciledView]],
) -> None:
    rows = []
    for line in waiting[:SUGGESTED_SHOWN]:
        best = line.suggestions[0]
        rows.append((str(line.id), line.date.isoformat(), line.label,
                     f"{line.amount} {line.currency}",
                     ", ".join(best.documents) or best.rule, best.reason))
    if len(waiting) > SUGGESTED_SHOWN:
        rows.append(("", "", f"... {len(waiting) - SUGGESTED_SHOWN} more", "", "", ""))
    table(f"Suggested in {journal} (waiting for a person)",
          ["Line", "Date", "Label", "Amount", "Suggestion", "Why"], rows, right=["Amount"])
    for line, view in accepted:
        say(
            f"Accepted the suggestion for line {line.id} ({line.label}): "
            f"{', '.join(view.documents)}, as `booksync reconcile apply {line.id}` does. "
            "`booksync reconcile list` shows every line still to reconcile."
        )


def _print_documents(documents: Sequence[InvoiceView]) -> None:
    table(
        "Invoices and bills, and what they still owe",
        ["Number", "Partner", "Date", "Total", "Still owed", "Payment"],
        [
            (d.number or "", d.partner, d.date.isoformat(), f"{d.total} {d.currency}",
             f"{d.residual} {d.currency}", d.payment_state)
            for d in documents
        ],
        right=["Total", "Still owed"],
    )


__all__ = ["bank_demo"]
