"""A sync's automatic reconciliation over a large backlog: every old line matched again, or
only the new ones (docs/reconciliation.md, "Automatic reconciliation").

Run ``python bench/resync_reconcile_bench.py [--invoices N] [--partners P] [--lines L]
[--new K] [--seed S]`` (defaults: 40,000 invoices over 2,000 partners, 30,000 lines,
10 new lines).

1. Setup, not timed: the books of ``reconcile_bench`` (posted invoices,
   partners, a bank journal and its connection) and its lines booked as a
   first sync books them, then the pass a sync runs (``reconcile_journals``,
   what ``sync.run`` calls), repeated until one applies nothing: what stays
   unreconciled is the backlog, beside the invoices still open.
2. A re-sync: ``--new`` card payments booked through the statement importer,
   then in the same transaction the sync's pass twice, each in a savepoint
   rolled back after it: with the journal's stamp dropped (every unreconciled
   line matched, as before this change) and with it (only the new lines).
   Then the same with one of the new lines paying an open invoice by its
   number: a line to apply, so every line is matched again.

The load average and the core count are printed: on a busy machine the figures
move by a third or more.  Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

import reconcile_bench as rb
import reconcile_data as data
from booksync.banking.models import ProviderAccount, SyncRun
from booksync.db.base import utcnow
from booksync.db.engine import make_engine, session_factory
from booksync.documents.models import Invoice, Tax
from booksync.ledger.companies import find_company
from booksync.ledger.models import Company
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.writer import EntryWriter
from booksync.providers.base import Batch, Transaction, TransactionStatus, Window
from booksync.reconciliation.auto import reconcile_journals, unreconciled_facts
from booksync.reconciliation.models import ReconcileStamp
from booksync.statements.importer import StatementImporter

ROUNDS = 3  # each pass timed this many times, the best kept


def _journal(session: Session) -> tuple[Company, int, ProviderAccount]:
    company = find_company(session, rb.COMPANY)
    account = session.scalar(select(ProviderAccount)
                             .where(ProviderAccount.provider_account_id == rb.ACCOUNT_ID))
    assert account is not None and account.journal_id is not None
    return company, account.journal_id, account


def add_backlog(factory: object, world: data.World, count: int, seed: int) -> None:
    """``count`` more lines, booked as a sync books them, that a pass leaves to a person:
    transfers from known customers (named, so their open items are searched) of amounts
    no open item owes alone, and card payments."""
    rng = random.Random(seed)
    day = world.lines[-1].date + dt.timedelta(days=1)
    window = Window(day, day + dt.timedelta(days=1))
    booked = []
    for i in range(count):
        partner = rng.choice(world.partners)
        named = rng.random() < 0.6
        cents = rng.randint(1, 999_999) if named else -rng.randint(100, 9_999)
        booked.append(Transaction(
            f"backlog-{i}", TransactionStatus.BOOKED, Decimal(cents) / 100, "EUR", day,
            "Transfer" if named else f"Card payment SHOP {i % 97}", "{}",
            value_date=day, counterparty_name=partner.name if named else None,
        ))
    with factory.begin() as session:  # type: ignore[attr-defined]
        company, _, account = _journal(session)
        _import(session, company, account, booked, window)


def settle(factory: object) -> tuple[int, int, int]:
    """Sync passes until one applies nothing; (passes, backlog lines, open invoices)."""
    passes = 0
    while True:
        with factory.begin() as session:  # type: ignore[attr-defined]
            company, journal_id, _ = _journal(session)
            passes += 1
            if reconcile_journals(session, company, [journal_id]) == 0:
                lines = sum(1 for _ in unreconciled_facts(session, company, journal_id))
                open_invoices = session.scalar(
                    select(func.count(Invoice.id)).join(OpenItem, OpenItem.entry_id ==
                                                        Invoice.entry_id)
                    .where(OpenItem.full_reconcile_id.is_(None), OpenItem.residual != 0)
                )
                return passes, lines, int(open_invoices or 0)


def _import(session: Session, company: Company, account: ProviderAccount,
            booked: list[Transaction], window: Window) -> None:
    run = SyncRun(company_id=company.id, connection_id=account.connection_id,
                  started_at=utcnow(), window_start=window.start, window_end=window.end)
    session.add(run)
    session.flush()
    writer = EntryWriter(session, company)
    StatementImporter(session, company, account, writer).apply(
        Batch(rb.ACCOUNT_ID, window, tuple(booked), next_watermark=window.end), window,
        run_id=run.id, include_pending=False, watermark=window.end, now=utcnow(),
    )
    writer.finish()


def _book(session: Session, company: Company, account: ProviderAccount, count: int,
          pays: str | None, total: int) -> None:
    """``count`` card payments (the last one paying ``pays`` when given) from the bank."""
    day = dt.date.today() + dt.timedelta(days=400)
    window = Window(day, day + dt.timedelta(days=1))
    booked = [
        Transaction(f"resync-{pays}-{i}", TransactionStatus.BOOKED, Decimal(-(3 + i)), "EUR", day,
                    f"Card payment CAFE {i}", "{}", value_date=day)
        for i in range(count)
    ]
    if pays is not None:
        booked[-1] = Transaction(f"resync-{pays}", TransactionStatus.BOOKED,
                                 Decimal(total) / 100, "EUR", day, f"Transfer {pays}", "{}",
                                 value_date=day)
    _import(session, company, account, booked, window)


def resync(factory: object, count: int, pays_an_invoice: bool) -> tuple[float, float, int]:
    """(seconds matching every line, seconds with the stamp, lines reconciled) of one pass."""
    with factory() as session:  # type: ignore[operator]
        company, journal_id, account = _journal(session)
        number, total = None, 0
        if pays_an_invoice:
            number, total = session.execute(
                select(Invoice.number, OpenItem.residual)
                .join(OpenItem, OpenItem.entry_id == Invoice.entry_id)
                .where(OpenItem.full_reconcile_id.is_(None), OpenItem.residual > 0)
                .order_by(Invoice.id).limit(1)
            ).one()
        _book(session, company, account, count, number, total)
        session.flush()
        found = set()
        best = {False: float("inf"), True: float("inf")}
        for keep_stamp in (False, True) * ROUNDS:
            savepoint = session.begin_nested()
            if not keep_stamp:
                session.execute(delete(ReconcileStamp))
            started = time.perf_counter()
            found.add(reconcile_journals(session, company, [journal_id]))
            best[keep_stamp] = min(best[keep_stamp], time.perf_counter() - started)
            savepoint.rollback()
        seconds = [best[False], best[True]]
        session.rollback()
    assert len(found) == 1, found  # both passes reconcile the same
    return seconds[0], seconds[1], found.pop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=30_000)
    parser.add_argument("--partners", type=int, default=2_000)
    parser.add_argument("--lines", type=int, default=5_000)
    parser.add_argument("--backlog", type=int, default=20_000)
    parser.add_argument("--new", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    os.environ.setdefault("BOOKSYNC_SECRET_KEY", Fernet.generate_key().decode())
    workdir = Path(tempfile.mkdtemp(prefix="booksync-resync-bench-"))
    url = f"sqlite:///{workdir / 'resync.db'}"
    print(f"booksync re-sync reconciliation benchmark: {args.invoices:,} invoices, "
          f"{args.partners:,} partners, {args.lines:,} lines and {args.backlog:,} more, "
          f"{args.new} new; SQLite, "
          f"{os.cpu_count()} cores, load {rb.load()}", flush=True)
    try:
        started = time.perf_counter()
        rb.run_measured(rb.booksync(url, "init", "--company", rb.COMPANY))
        factory = session_factory(make_engine(url))
        with factory() as session:
            rate = session.scalar(select(Tax.rate).where(Tax.type == "sale",
                                                         Tax.name == rb.TAX_NAME))
        assert rate is not None
        world = data.build(args.invoices, args.partners, args.lines, args.seed, rate)
        rb.setup(url, world)
        rb.first_sync(url, world)
        add_backlog(factory, world, args.backlog, args.seed)
        passes, backlog, open_invoices = settle(factory)
        print(f"  setup (not timed): {time.perf_counter() - started:.1f} s; {passes} passes "
              f"until one applied nothing; backlog {backlog:,} unreconciled lines, "
              f"{open_invoices:,} open invoices", flush=True)
        for pays in (False, True):
            load_before = rb.load()
            full, incremental, reconciled = resync(factory, args.new, pays)
            what = "one paying an invoice" if pays else "none to apply"
            print(f"  re-sync, {args.new} new lines ({what}, {reconciled} reconciled): "
                  f"every line matched {full * 1000:.0f} ms, with the stamp "
                  f"{incremental * 1000:.0f} ms ({full / incremental:.1f}x); load "
                  f"{load_before} -> {rb.load()}, {os.cpu_count()} cores", flush=True)
    finally:
        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
