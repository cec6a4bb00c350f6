"""``booksync demo``: a demo company in a fresh SQLite file, then its reports.

The company gets months of activity, then invoices and bills of its own
(:mod:`booksync.demo.documents`).  Then its banks: the sandbox bank in this
process, whose customers and suppliers pay those documents, connected
through SimpleFIN and synchronized twice (:mod:`booksync.cli.demo_bank`).

``--db`` given on the command line puts the demo in that database instead
(PostgreSQL, say), which must hold no company yet: the demo never deletes
what it did not make.  ``BOOKSYNC_DATABASE_URL`` is not read here, so the
demo never writes into the books that variable names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import typer
from sqlalchemy import Engine, func, select

from booksync.app.companies import create_company
from booksync.app.context import Books
from booksync.cli.context import state
from booksync.cli.output import console, say
from booksync.cli.reports import print_balance_sheet, print_profit_loss, print_trial_balance
from booksync.db.engine import make_engine, session_factory, shown_url
from booksync.db.migrate import upgrade
from booksync.demo.activity import CUSTOMERS, SUPPLIERS, demo_entries
from booksync.demo.documents import issue_documents
from booksync.documents.models import InvoiceType
from booksync.errors import BooksyncError
from booksync.ledger import reports
from booksync.ledger.entries import EntryImporter, get_entry, reverse_entry
from booksync.ledger.models import Company
from booksync.ledger.partners import add_partner

COMPANY = "Demo Trading Ltd"
DEMO_FILE = Path("booksync-demo.db")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    ctx: typer.Context,
    path: Path | None = typer.Option(
        None, "--path", help=f"SQLite file to (re)create for the demo [default: {DEMO_FILE}]; "
        "or give --db (before `demo`) to fill an empty database."
    ),
    months: int = typer.Option(4, "--months", min=1, max=36, help="Months of activity."),
    bank: bool = typer.Option(
        True, "--bank/--no-bank", help="Also connect the sandbox bank and synchronize it."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the sandbox bank's world."),
) -> None:
    """Build a demo company with a few months of activity and print its reports.

    Then connect it to the sandbox bank (in this process), whose customers and
    suppliers pay the demo's invoices and bills, synchronize twice and show the
    connections, the run log, statement lines, the trial balance, and what was
    reconciled, what is suggested and which invoices are paid.
    """
    engine, where = _database(ctx, path)
    try:
        _demo(engine, months, bank, seed)
    finally:
        engine.dispose()
    say(
        f"The demo books are in {where}. Explore them with, for example:\n"
        f"  booksync --db {where} entry list\n"
        f"  booksync --db {where} report ledger 1200"
        + (
            f"\n  booksync --db {where} connection list\n"
            f"  booksync --db {where} sync log\n"
            f"  booksync --db {where} statement list --journal BNK1\n"
            f"  booksync --db {where} invoice list\n"
            f"  booksync --db {where} reconcile list"
            if bank
            else ""
        )
    )


def period_start(today: dt.date, months: int) -> dt.date:
    """The first day of the demo's first month."""
    year, month = divmod(today.year * 12 + today.month - 1 - (months - 1), 12)
    return dt.date(year, month + 1, 1)


def _database(ctx: typer.Context, path: Path | None) -> tuple[Engine, str]:
    """The demo's database, migrated, and how to name it to the user.

    ``--db`` on the command line: that database, which must hold no company
    (the demo adds one and deletes nothing).  Else the SQLite file ``--path``,
    made afresh, so that running the demo again does not double its books.
    """
    chosen = state(ctx)
    source = ctx.find_root().get_parameter_source("db")
    if chosen.db is not None and getattr(source, "name", "") == "COMMANDLINE":
        if path is not None:
            raise typer.BadParameter("give --path or --db, not both", param_hint="'--path'")
        chosen.creates = True
        engine = chosen.engine
        where = shown_url(chosen.db)
        try:
            upgrade(engine)
            with engine.connect() as conn:
                companies = conn.scalar(select(func.count()).select_from(Company))
            if companies:
                raise BooksyncError(
                    f"{where} already holds a company: the demo fills an empty database "
                    "(or give --path for a file of its own)", code="conflict",
                )
        except BaseException:
            engine.dispose()
            raise
        return engine, where
    path = path or DEMO_FILE
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path.resolve()}")
    upgrade(engine)
    return engine, str(path)


def _demo(engine: Engine, months: int, bank: bool, seed: int) -> None:
    today = dt.date.today()
    start = period_start(today, months)
    with session_factory(engine).begin() as session:
        company = create_company(session, COMPANY, "EUR", "DE")
        for name in (*CUSTOMERS, *SUPPLIERS):
            add_partner(session, company, name)
        importer = EntryImporter(session, company, post=True)
        entries = [e for e in demo_entries(start, months) if e.date <= today]
        for entry in entries:
            importer.add(entry)
        # A bill booked twice by mistake, corrected the way accountants do: by reversal.
        bill = next(e for e in entries if e.journal == "PUR")
        importer.add(replace(bill, ref=f"{bill.ref} (booked twice)"))
        ids = importer.finish()
        reverse_entry(session, company, get_entry(session, company, ids[-1]))
        issued = issue_documents(Books(session, company), start, today, seed)
        count = len(ids) + 1 + len(issued)
        tb = reports.trial_balance(session, company).as_dict()
        bs = reports.balance_sheet(session, company).as_dict()
        pl = reports.profit_loss(session, company).as_dict()
    bills = sum(doc.scenario.kind is InvoiceType.BILL for doc in issued)
    console.print(f"[bold]{COMPANY}[/bold]: {count} posted entries from {start} to {today}")
    say(
        f"Issued {len(issued) - bills} invoices and {bills} bills, unpaid until the bank "
        "says otherwise, and a rule that books bank fees to 6500 on its own."
    )
    print_trial_balance(tb)
    print_balance_sheet(bs)
    print_profit_loss(pl)
    if bank:
        from booksync.cli.demo_bank import bank_demo  # the HTTP stack: only here

        bank_demo(engine, COMPANY, seed, issued=issued, today=today)
