"""Bank reconciliation benchmark: ``reconcile auto`` over a first sync's lines, and its quality.

Run ``python bench/reconcile_bench.py [--invoices N] [--partners P] [--lines L] [--seed S]
[--keep DIR]`` (defaults: 100,000 invoices over 5,000 partners, 100,000 lines).
With ``--keep`` the books are left in DIR, as ``reconcile.db`` after the run
and ``before-reconcile.db`` as ``reconcile auto`` found them.

1. Setup, not timed (its time is printed): a fresh SQLite file
   (``booksync init --company Bench`` as a subprocess), the partners (90 %
   with a valid IBAN) through ``add_partner``, a bank journal and a
   connection linked to it, and the posted customer invoices in bulk:
   posting 100,000 one by one (``invoice add --post``) is not what is
   measured, so the bench writes what posting writes, a batch at a time.
   Each entry as ``post_document`` prepares it (receivable debit of the
   total with the partner and the number as label, income and tax credits
   labelled with the line's description and the tax's name, ref the
   number) goes through the same ``EntryWriter.write(post=True)``, which
   numbers it in SAL and makes the receivable's open item; then the
   posted ``invoice`` rows with their entry ids and numbers (``INV/YYYY/NNNNN``
   in date order), one ``invoice_line`` each (quantity 1, VAT 20 %), the
   open items' due dates, the document counters.  Amounts come from
   ``invoice_amounts.compute`` as a draft's do; the database's triggers
   check every posted entry alike.  So the books are row for row those of
   ``invoice add --post``.
2. The bank lines (``reconcile_data``: the issue's mix, each line with the
   invoices it really pays) are booked as a first sync books them: one
   provider ``Batch`` of ``Transaction`` records (description, counterparty
   name and IBAN, reference, ids, dates; a balance that needs no opening
   line) given to ``statements.importer.StatementImporter``, the class
   ``sync.run.SyncRunner`` hands a fetched batch to, in one transaction
   under the run's ``gc_relaxed``.  Its time is "the first sync of the same
   lines": it leaves out HTTP and the provider's parsing, the lease and the
   run's own bookkeeping, so it is the floor of a real first sync.
3. ``booksync reconcile auto --json`` over every line, as its own process
   (the CLI's ``main`` under ``python -c``, so that the process reports its
   own peak RSS, Linux's ``VmHWM``, as it exits): lines/s, its time against
   the first sync's, peak MB; beside it ``rule list --json`` (starting the
   CLI and opening the same books) as the start-up baseline.
   Targets: >= 5,000 lines/s, <= 500 MB.
4. Quality, from the database: each line's active reconciliation's
   documents (``bank_reconciliation_document`` to ``invoice.number``), else
   its first suggestion's (``app.reconcile.to_reconcile``, what ``reconcile
   list`` shows), against the truth.  A wrong automatic match is an
   automatic reconciliation whose documents are not exactly those the line
   pays (goal: none).  Recall: the share of the lines that carry enough
   information (defined in ``reconcile_data``) reconciled right or with the
   right first suggestion (goal: >= 95 %).

Cores and the 1-minute load average are printed before and after: on a busy
machine the figures move by a third or more.  Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

import reconcile_data as data
from booksync.app.context import Books
from booksync.app.reconcile import to_reconcile
from booksync.banking.connections import create_connection
from booksync.banking.models import ProviderAccount, StatementLine, SyncRun
from booksync.db.base import utcnow
from booksync.db.engine import make_engine, session_factory
from booksync.documents.models import DocumentSequence, Invoice, InvoiceLine, Tax
from booksync.ledger.accounts import role_account
from booksync.ledger.companies import find_company
from booksync.ledger.entries import PreparedEntry, PreparedLine, check_postable
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import AccountRole, Company, Journal, Partner
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.partners import add_partner
from booksync.ledger.pipeline import gc_relaxed
from booksync.ledger.writer import EntryWriter
from booksync.money import to_decimal
from booksync.providers.base import (
    Balance,
    Batch,
    Credentials,
    Transaction,
    TransactionStatus,
    Window,
)
from booksync.providers.base import ProviderAccount as RemoteAccount
from booksync.reconciliation.models import BankReconciliation, BankReconciliationDocument
from booksync.statements.importer import StatementImporter

COMPANY = "Bench"
TARGET_RATE = 5_000.0
TARGET_RSS_MB = 500.0
CHUNK = 5_000  # invoices per write
TAX_NAME = "VAT 20%"
ACCOUNT_ID = "BENCH-1"
# The CLI's own main, the process writing its peak RSS (``VmHWM``) on stderr as it exits.
CLI = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write(next(\n"
    "    ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:'))))\n"
    "from booksync.cli.main import main\n"
    "main()\n"
)


# --- measuring ----------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    output: str


def hwm_mb(pid: int) -> float:
    """``pid``'s peak RSS so far (``VmHWM``), in MB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_measured(argv: list[str]) -> Run:
    """Run ``argv``; its wall time and peak RSS.

    The peak is the process's own ``VmHWM``, which it reports as it exits,
    and the sampler's last reading of it.  Not ``ru_maxrss`` from
    ``wait4``: on Linux a child's starts from its parent's at ``exec``, and
    this process holds the whole generated world.
    """
    peak = [0.0]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], hwm_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    text, errors = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[3:])} failed ({proc.returncode}):\n{text}{errors}")
    for line in errors.splitlines():
        if line.startswith("VmHWM:"):
            peak[0] = max(peak[0], int(line.split()[1]) / 1024)
    return Run(seconds, peak[0], text)


def booksync(url: str, *args: str) -> list[str]:
    return [sys.executable, "-c", CLI, "--db", url, *args]


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


# --- 1. the books -------------------------------------------------------------


def setup(url: str, world: data.World) -> dict[str, float]:
    """Partners, a bank journal and its connection, the posted invoices; seconds per step."""
    steps: dict[str, float] = {}
    factory = session_factory(make_engine(url))
    started = time.perf_counter()
    with factory.begin() as session:
        company = find_company(session, COMPANY)
        for partner in world.partners:
            add_partner(session, company, partner.name, iban=partner.iban)
        journal = create_bank_journal(session, company, "Bench Bank")
        create_connection(
            session, company, Credentials("simplefin", "https://bench.invalid/simplefin", "bench"),
            [RemoteAccount(ACCOUNT_ID, "Bench Bank", company.currency_code)],
            include_pending=False, links={ACCOUNT_ID: journal.code},
        )
    steps["partners, bank journal, connection"] = time.perf_counter() - started
    started = time.perf_counter()
    with factory.begin() as session:
        company = find_company(session, COMPANY)
        _invoices(session, company, world)
    steps["invoices"] = time.perf_counter() - started
    return steps


def _invoices(session: Session, company: Company, world: data.World) -> None:
    """Every invoice posted as ``post_document`` posts it, in batches (see the docstring)."""
    sal = session.scalar(select(Journal).where(Journal.company_id == company.id,
                                               Journal.code == "SAL"))
    tax = session.scalar(select(Tax).where(Tax.company_id == company.id, Tax.type == "sale",
                                           Tax.name == TAX_NAME))
    assert sal is not None and sal.default_account_id is not None and tax is not None
    receivable = role_account(session, company, AccountRole.RECEIVABLE).id
    ids = dict(session.execute(select(Partner.name, Partner.id)
                               .where(Partner.company_id == company.id)).all())
    partner_ids = [ids[p.name] for p in world.partners]
    writer = EntryWriter(session, company)
    invoice_table, line_table = Invoice.__table__, InvoiceLine.__table__
    for start in range(0, len(world.invoices), CHUNK):
        chunk = world.invoices[start : start + CHUNK]
        entries = []
        for inv in chunk:
            pid = partner_ids[inv.partner]
            entry = PreparedEntry(sal.id, inv.date, inv.number, [
                PreparedLine(receivable, inv.total, 0, pid, inv.number),
                PreparedLine(sal.default_account_id, 0, inv.untaxed, pid, "Services"),
                PreparedLine(tax.account_id, 0, inv.tax, pid, tax.name),
            ])
            check_postable(company, entry)
            entries.append(entry)
        entry_ids = writer.write(entries, post=True)
        rows = [
            {"company_id": company.id, "type": "invoice", "state": "posted", "number": inv.number,
             "partner_id": partner_ids[inv.partner], "journal_id": sal.id, "date": inv.date,
             "due_date": inv.due, "ref": None, "currency_code": company.currency_code,
             "untaxed": inv.untaxed, "tax": inv.tax, "total": inv.total, "entry_id": entry_id,
             "version": 2}  # a draft inserted, then posted
            for inv, entry_id in zip(chunk, entry_ids, strict=True)
        ]
        made = session.execute(
            insert(invoice_table).returning(invoice_table.c.id, sort_by_parameter_order=True),
            rows,
        ).scalars().all()
        session.execute(insert(line_table), [
            {"company_id": company.id, "invoice_id": invoice_id, "sequence": 1,
             "description": "Services", "quantity": 1000, "unit_price": inv.untaxed,
             "tax_id": tax.id, "account_id": sal.default_account_id, "subtotal": inv.untaxed}
            for inv, invoice_id in zip(chunk, made, strict=True)
        ])
    writer.finish()
    due = (select(Invoice.due_date).where(Invoice.entry_id == OpenItem.entry_id)
           .scalar_subquery())
    session.execute(
        update(OpenItem)
        .where(OpenItem.company_id == company.id,
               OpenItem.entry_id.in_(select(Invoice.entry_id)
                                     .where(Invoice.company_id == company.id)))
        .values(due_date=due)
        .execution_options(synchronize_session=False)
    )
    years = Counter(inv.date.year for inv in world.invoices)
    session.execute(insert(DocumentSequence), [
        {"company_id": company.id, "prefix": "INV", "year": year, "last_number": count}
        for year, count in sorted(years.items())
    ])


# --- 2. the first sync --------------------------------------------------------


def _batch(world: data.World, currency: str) -> tuple[Batch, Window]:
    """The lines as a provider's fetch returns them: one booked batch, with a balance."""
    first, last = world.lines[0].date, world.lines[-1].date
    window = Window(first, last + dt.timedelta(days=1))
    booked = tuple(
        Transaction(
            line.tx_id, TransactionStatus.BOOKED, to_decimal(line.amount, 2), currency, line.date,
            line.description, data.raw(line), value_date=line.date,
            counterparty_name=line.counterparty_name, counterparty_iban=line.counterparty_iban,
            reference=line.reference,
        )
        for line in world.lines
    )
    balance = Balance(to_decimal(sum(line.amount for line in world.lines), 2), last)
    return Batch(ACCOUNT_ID, window, booked, balance=balance, next_watermark=window.end), window


def first_sync(url: str, world: data.World) -> tuple[float, int]:
    """Book the lines through the statement importer; (seconds, lines booked)."""
    factory = session_factory(make_engine(url))
    with factory.begin() as session:
        company = find_company(session, COMPANY)
        currency = company.currency_code
        account = session.scalar(select(ProviderAccount)
                                 .where(ProviderAccount.provider_account_id == ACCOUNT_ID))
        assert account is not None
        account_id = account.id
        batch, window = _batch(world, currency)
        run = SyncRun(company_id=company.id, connection_id=account.connection_id,
                      started_at=utcnow(), window_start=window.start, window_end=window.end)
        session.add(run)
        session.flush()
        run_id = run.id
    with gc_relaxed():
        started = time.perf_counter()
        with factory.begin() as session:
            company = find_company(session, COMPANY)
            account = session.get(ProviderAccount, account_id)
            assert account is not None
            writer = EntryWriter(session, company)
            outcome = StatementImporter(session, company, account, writer).apply(
                batch, window, run_id=run_id, include_pending=False, watermark=window.end,
                now=utcnow(),
            )
            run = session.get(SyncRun, run_id)
            assert run is not None
            run.state, run.finished_at = "success", utcnow()
            run.fetched, run.new, run.duplicates = outcome.fetched, outcome.new, outcome.duplicates
        seconds = time.perf_counter() - started
    return seconds, outcome.new


# --- 4. quality ---------------------------------------------------------------


def measure(
    factory: sessionmaker[Session], world: data.World
) -> tuple[dict[str, data.Outcome], float, int]:
    """Each line's outcome by its transaction id; the time of ``to_reconcile`` and its lines."""
    done: dict[str, tuple[str, set[str]]] = {}
    with factory() as session:
        company = find_company(session, COMPANY)
        tx_of = dict(session.execute(
            select(StatementLine.id, StatementLine.provider_transaction_id)).all())
        for tx, how, number in session.execute(
            select(StatementLine.provider_transaction_id, BankReconciliation.how, Invoice.number)
            .join(BankReconciliation, and_(BankReconciliation.statement_line_id == StatementLine.id,
                                           BankReconciliation.state == "active"))
            .outerjoin(BankReconciliationDocument,
                       BankReconciliationDocument.reconciliation_id == BankReconciliation.id)
            .outerjoin(Invoice, Invoice.id == BankReconciliationDocument.invoice_id)
        ):
            documents = done.setdefault(tx, (how, set()))[1]
            if number:
                documents.add(number)
        started = time.perf_counter()
        listed = to_reconcile(Books(session, company))
        seconds = time.perf_counter() - started
        session.rollback()
    first = {tx_of[line.id]: line.suggestions[0] for line in listed if line.suggestions}
    outcomes: dict[str, data.Outcome] = {}
    for line in world.lines:
        if line.tx_id in done:
            how, found = done[line.tx_id]
            kind = data.RIGHT_AUTO if found == line.pays else data.WRONG_AUTO
            outcomes[line.tx_id] = data.Outcome(kind, frozenset(found), how)
        elif line.tx_id in first and first[line.tx_id].documents:
            best = first[line.tx_id]
            kind = data.RIGHT_FIRST if frozenset(best.documents) == line.pays else data.WRONG_FIRST
            outcomes[line.tx_id] = data.Outcome(kind, frozenset(best.documents), best.reason)
        else:
            outcomes[line.tx_id] = data.Outcome(data.NOTHING, frozenset(), "")
    return outcomes, seconds, len(listed)


# --- the run ------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--partners", type=int, default=5_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the database in this folder")
    args = parser.parse_args(argv)
    os.environ.setdefault("BOOKSYNC_SECRET_KEY", Fernet.generate_key().decode())
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="booksync-reconcile-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "reconcile.db"
    for stale in (db, db.with_suffix(".db-wal"), db.with_suffix(".db-shm")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    rows: list[tuple[str, str, str]] = []

    def row(what: str, value: str, note: str = "") -> None:
        rows.append((what, value, note))
        print(f"  {what}: {value} {note}".rstrip(), flush=True)

    print(f"booksync reconciliation benchmark in {workdir}: {args.invoices:,} invoices, "
          f"{args.partners:,} partners, {args.lines:,} lines, seed {args.seed}; "
          f"{os.cpu_count()} cores, load {load()}", flush=True)
    started = time.perf_counter()
    run_measured(booksync(url, "init", "--company", COMPANY))
    factory = session_factory(make_engine(url))
    with factory() as session:
        rate = session.scalar(select(Tax.rate).where(Tax.type == "sale", Tax.name == TAX_NAME))
    assert rate is not None
    world = data.build(args.invoices, args.partners, args.lines, args.seed, rate)
    generated = time.perf_counter() - started
    steps = setup(url, world)
    row("setup (not timed)", f"{generated + sum(steps.values()):.1f} s",
        f"init and generation {generated:.1f} s, "
        + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()))
    load_sync = load()
    sync_s, booked = first_sync(url, world)
    row("first sync of the lines", f"{sync_s:.2f} s",
        f"{booked:,} lines, {booked / sync_s:,.0f} lines/s (statement importer in process, "
        f"no HTTP; load {load_sync} -> {load()})")
    baseline = min(run_measured(booksync(url, "rule", "list", "--json")).seconds for _ in range(3))
    if args.keep is not None:  # the books as reconcile auto finds them, to profile it again
        shutil.copyfile(db, workdir / "before-reconcile.db")
    load_before = load()
    auto = run_measured(booksync(url, "reconcile", "auto", "--json"))
    load_after = load()
    result = json.loads(auto.output)
    rate_auto = result["lines"] / auto.seconds
    mark = "ok" if rate_auto >= TARGET_RATE else "MISSED"
    row("reconcile auto", f"{auto.seconds:.2f} s",
        f"{rate_auto:,.0f} lines/s (target >= {TARGET_RATE:,.0f}: {mark}); {result}")
    row("reconcile auto / first sync", f"{auto.seconds / sync_s:.2f}x",
        f"{auto.seconds:.2f} s against {sync_s:.2f} s for the same lines")
    mark = "ok" if auto.peak_mb <= TARGET_RSS_MB else "MISSED"
    row("reconcile auto peak RSS", f"{auto.peak_mb:.0f} MB",
        f"target <= {TARGET_RSS_MB:.0f} MB: {mark}")
    row("start-up baseline", f"{baseline:.2f} s", "`rule list --json` on the same books, best of 3")
    row("load average (1 min)", f"{load_before} -> {load_after}",
        f"just before and after reconcile auto, {os.cpu_count()} cores")
    outcomes, list_s, listed = measure(factory, world)
    row("reconcile list (in process)", f"{list_s:.2f} s", f"suggestions for the {listed:,} "
        "lines left (app.reconcile.to_reconcile)")
    wrong, informative, right = data.show(outcomes, world)
    autos = sum(o.why == "auto" for o in outcomes.values())
    row("wrong automatic matches", f"{wrong:,}", f"of {autos:,} automatic (goal 0)")
    row("recall", f"{100 * right / max(informative, 1):.1f} %",
        f"{right:,} of {informative:,} lines with enough information reconciled right or "
        "first suggestion right (goal >= 95 %)")
    print()
    print(f"booksync reconciliation benchmark: {len(world.invoices):,} invoices, "
          f"{len(world.partners):,} partners, {len(world.lines):,} lines, SQLite, "
          f"{os.cpu_count()} cores, load now {load()}, Python {sys.version.split()[0]}")
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    for what, value, note in rows:
        print(f"  {what:<{width}}  {value:>{value_width}}  {note}".rstrip())
    if args.keep is None:
        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
