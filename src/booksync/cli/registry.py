"""The command line's top-level commands: name, the module that holds it, its help line.

This table is the one place the top-level command names are listed, so
``booksync --help`` can print them, and ``booksync NAME`` can find NAME's
module, without importing any command module: each one pulls in the
libraries its commands use (SQLAlchemy and the ORM models, httpx, Alembic,
Beancount), and Python's start plus those imports was most of a short
command's time (docs/architecture.md, "Command line").

Each module still declares its own commands with ``register(app)``; the
tests hold this table to them: every command a module registers is listed
here with that module, and every help line is the first paragraph of that
command's own help, exactly as ``--help`` shows it.  The order is the order
``booksync --help`` lists them in.
"""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    """Where a top-level command lives and the line ``booksync --help`` shows for it."""

    module: str
    help: str


COMMANDS: dict[str, Entry] = {
    "init": Entry(
        "booksync.cli.setup",
        "Create or upgrade the database; create the company if it is new. Idempotent.",
    ),
    "demo": Entry(
        "booksync.cli.demo",
        "Build a demo company with a few months of activity and print its reports.",
    ),
    "serve": Entry(
        "booksync.cli.serve",
        "Serve the web app and the REST API (and, unless --no-worker, synchronize on schedule).",
    ),
    "worker": Entry(
        "booksync.cli.worker",
        "Synchronize due connections: once, or until stopped (Ctrl-C, SIGTERM).",
    ),
    "company": Entry("booksync.cli.company", "The company and its closed periods."),
    "account": Entry("booksync.cli.masterdata", "Accounts of the chart."),
    "journal": Entry("booksync.cli.masterdata", "Journals."),
    "partner": Entry("booksync.cli.masterdata", "Customers, suppliers and other partners."),
    "currency": Entry("booksync.cli.currencies", "Currencies and exchange rates."),
    "entry": Entry("booksync.cli.entries", "Journal entries."),
    "payment": Entry(
        "booksync.cli.payments", "Payments received from customers and sent to vendors."
    ),
    "report": Entry("booksync.cli.reports", "Reports on posted entries."),
    "tax": Entry("booksync.cli.invoices", "Sales and purchase taxes."),
    "invoice": Entry("booksync.cli.invoices", "Customer invoices and credit notes."),
    "bill": Entry("booksync.cli.invoices", "Vendor bills and refunds."),
    "export": Entry("booksync.cli.transfer", "Write the books in another ledger's format."),
    "import": Entry("booksync.cli.transfer", "Read another ledger's books."),
    "institution": Entry("booksync.cli.banking", "The catalogue of banks to connect to."),
    "provider": Entry("booksync.cli.providers",
                      "The online providers booksync connects banks through."),
    "bank-account": Entry("booksync.cli.banking", "Bank accounts entered by hand."),
    "connect": Entry("booksync.cli.connections", "Connect a bank through an online provider."),
    "connection": Entry(
        "booksync.cli.connections", "Bank connections: list, schedule, disconnect."
    ),
    "sync": Entry(
        "booksync.cli.sync",
        "Synchronize bank connections now: `booksync sync ID ...` or `booksync sync --all` "
        "(the `run` command below); `booksync sync log` shows the runs.",
    ),
    "statement": Entry("booksync.cli.statements", "Bank statement lines."),
    "csv-profile": Entry("booksync.cli.csv_profiles", "Saved ways to read banks' CSV exports."),
    "reconcile": Entry(
        "booksync.cli.reconcile", "Bank reconciliation: match statement lines with what they pay."
    ),
    "rule": Entry(
        "booksync.cli.rules", "Reconciliation rules: buttons, suggestions and invoice matching."
    ),
    "sandbox": Entry("booksync.cli.sandbox", "The sandbox bank (simulated SimpleFIN server)."),
    "user": Entry("booksync.cli.users", "Web app users: their roles and the companies they see."),
    "token": Entry("booksync.cli.users", "API tokens: bearer credentials for programs."),
}

__all__ = ["COMMANDS", "Entry"]
