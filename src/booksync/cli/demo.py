"""``booksync demo``: a demo company in a fresh SQLite file, then its reports.

Then the company's banks: the sandbox bank in this process, connected through
SimpleFIN and synchronized twice (:mod:`booksync.cli.demo_bank`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import typer

from booksync.app.companies import create_company
from booksync.cli.output import console, say
from booksync.cli.reports import print_balance_sheet, print_profit_loss, print_trial_balance
from booksync.db.engine import make_engine, session_factory
from booksync.db.migrate import upgrade
from booksync.demo.activity import CUSTOMERS, SUPPLIERS, demo_entries
from booksync.ledger import reports
from booksync.ledger.entries import EntryImporter, get_entry, reverse_entry
from booksync.ledger.partners import add_partner

COMPANY = "Demo Trading Ltd"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    path: Path = typer.Option(
        Path("booksync-demo.db"), "--path", help="SQLite file to (re)create for the demo."
    ),
    months: int = typer.Option(4, "--months", min=1, max=36, help="Months of activity."),
    bank: bool = typer.Option(
        True, "--bank/--no-bank", help="Also connect the sandbox bank and synchronize it."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the sandbox bank's world."),
) -> None:
    """Build a demo company with a few months of activity and print its reports.

    Then connect it to the sandbox bank (in this process), synchronize twice and
    show the connections, the run log, statement lines and the trial balance.
    """
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path.resolve()}")
    upgrade(engine)
    today = dt.date.today()
    year, month = divmod(today.year * 12 + today.month - 1 - (months - 1), 12)
    start = dt.date(year, month + 1, 1)
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
        count = len(ids) + 1
        tb = reports.trial_balance(session, company).as_dict()
        bs = reports.balance_sheet(session, company).as_dict()
        pl = reports.profit_loss(session, company).as_dict()
    console.print(f"[bold]{COMPANY}[/bold]: {count} posted entries from {start} to {today}")
    print_trial_balance(tb)
    print_balance_sheet(bs)
    print_profit_loss(pl)
    try:
        if bank:
            from booksync.cli.demo_bank import bank_demo  # the HTTP stack: only here

            bank_demo(engine, COMPANY, seed)
    finally:
        engine.dispose()
    say(
        f"The demo books are in {path}. Explore them with, for example:\n"
        f"  booksync --db {path} entry list\n"
        f"  booksync --db {path} report ledger 1200"
        + (
            f"\n  booksync --db {path} connection list\n"
            f"  booksync --db {path} sync log\n"
            f"  booksync --db {path} statement list --journal BNK1"
            if bank
            else ""
        )
    )
