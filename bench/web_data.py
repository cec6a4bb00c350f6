"""The web benchmark's books: a company with a million statement lines, built in bulk.

Deterministic for a seed (the same lines, amounts and labels), written on a
fresh SQLite file through the paths the application itself writes with, so
the tables, indexes and rows are those a real install would hold:

- ``booksync init --company Bench`` (a subprocess, as a user runs it);
- the partners through ``add_partner`` and the posted customer invoices in
  bulk through ``EntryWriter.write(post=True)``, both borrowed from the
  reconciliation benchmark (``reconcile_bench._invoices`` over
  ``reconcile_data.build``'s partners and invoices: the same rows as
  ``invoice add --post``);
- the bank journals through ``create_bank_journal`` and the connections
  through ``create_connection`` (provider ``simplefin``, the sandbox bank's
  protocol; each connection's access URL sealed with ``BOOKSYNC_SECRET_KEY``
  as the app seals it), one provider account each, linked round-robin to
  the journals, so each journal has ``connections / journals`` sources; a
  few connections left in error, waiting for a new consent or disconnected,
  as a real list has them;
- each account's lines as its first sync books them: one provider
  ``Batch`` (with a balance that matches, so no opening line, and two
  pending transactions) given to ``StatementImporter`` under the run's
  ``gc_relaxed``, the same path ``reconcile_bench.first_sync`` times; one
  journal's accounts per transaction.  Lines are spread evenly over two
  years; a third are customers paying an invoice (its number in the label
  and the reference, the customer's name and IBAN), the rest card
  payments, direct debits, supplier transfers and salaries;
- the connections' later runs (every 12 hours, nothing or a few lines
  new, now and then an error) as plain ``sync_run`` rows, so that what
  lists a connection's last run searches a realistic log.

Nothing here is timed as a figure of the benchmark; :func:`build` returns
each step's seconds so that the bench can print them.  The load client's
side of the books is here too: :func:`books` builds them or reuses a kept
copy, :func:`sign_in` makes the session cookie and the API token it asks
with, :func:`journals` and :func:`spread` find the line ids its deep pages
start after, and :func:`booker` books one line by hand, a change to the
posted books.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

import reconcile_bench as rb
import reconcile_data as data
from booksync.app.context import open_books
from booksync.app.statements import add_line
from booksync.banking.connections import create_connection
from booksync.banking.models import Connection, ProviderAccount, StatementLine, SyncRun
from booksync.banking.states import ConnectionState, RunState, RunTrigger
from booksync.db.base import utcnow
from booksync.db.engine import make_engine, session_factory
from booksync.documents.models import Tax
from booksync.ledger.companies import find_company
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Journal, JournalType
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
from booksync.statements.importer import StatementImporter
from booksync.statements.manual import ManualLine
from booksync.users.accounts import add_user, user_by_email
from booksync.users.sessions import start_session
from booksync.users.tokens import create_token
from booksync.web.api.common import cursor_of

COMPANY = rb.COMPANY
FIRST_DAY = dt.date(2024, 11, 1)
DAYS = 730  # the lines' dates: two years from FIRST_DAY
RUN_EVERY = dt.timedelta(hours=12)
EMAIL = "bench@example.com"
PASSWORD = "bench web benchmark password"
INSTITUTIONS = (
    "Alpenland Sparkasse", "Baltic Commerce Bank", "Cedar Credit Union", "Danube Volksbank",
    "Elbe Privatbank", "Fjord Savings", "Granite Trust", "Harbor Mutual", "Isar Bank",
    "Jura Kantonalbank", "Kestrel Bank", "Loire Crédit", "Meridian Bank", "Nordic Handelsbank",
    "Oder Genossenschaftsbank", "Po Valley Banca", "Quay Building Society", "Rhine Bank",
    "Seine Banque Populaire", "Tagus Banco",
)
MERCHANTS = (
    "Card payment SUPERMARKT 24", "Direct debit Telecom", "Fuel station A7", "Office rent",
    "Insurance premium", "Bank charges", "Card payment Hardware Store", "Parking garage",
    "Direct debit Electricity", "Card payment Train tickets", "Cloud hosting invoice",
    "Card payment Restaurant Zum Hirschen", "Courier services", "Office supplies",
)
STAFF = ("Anna Berg", "Marco Vitale", "Julie Martin", "Tom Hughes", "Sara Lind", "Ivan Petrov")
DEPTHS = (0.01, 0.5, 0.99)  # where the load client asks for deep pages, in (date, id) order
ERRORS = ("the bank did not answer in time", "the bank answered 503 Service Unavailable")


@dataclass(frozen=True, slots=True)
class Sizes:
    """What to build; the defaults are the issue's."""

    lines: int = 1_000_000
    journals: int = 20
    connections: int = 200
    invoices: int = 100_000
    partners: int = 5_000
    runs: int = 730  # sync runs per connection: a year, twice a day
    seed: int = 11

    def describe(self) -> str:
        return (f"{self.lines:,} statement lines over {self.journals} bank journals, "
                f"{self.connections} connections, {self.invoices:,} posted invoices of "
                f"{self.partners:,} partners, {self.runs} runs per connection, seed {self.seed}")

    def as_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def build(url: str, sizes: Sizes) -> dict[str, float]:
    """Make the books on the fresh SQLite file of ``url``; seconds per step."""
    steps: dict[str, float] = {}
    started = time.perf_counter()
    rb.run_measured(rb.booksync(url, "init", "--company", COMPANY))
    factory = session_factory(make_engine(url))
    with factory() as session:
        rate = session.scalar(select(Tax.rate).where(Tax.type == "sale", Tax.name == rb.TAX_NAME))
    assert rate is not None
    world = data.build(sizes.invoices, sizes.partners, 0, sizes.seed, rate)
    steps["init, partners and invoices generated"] = time.perf_counter() - started
    started = time.perf_counter()
    with factory.begin() as session:
        company = find_company(session, COMPANY)
        for partner in world.partners:
            add_partner(session, company, partner.name, iban=partner.iban)
        rb._invoices(session, company, world)
    steps["partners and posted invoices"] = time.perf_counter() - started
    started = time.perf_counter()
    with factory.begin() as session:
        accounts = _connections(session, sizes)
    steps["journals and connections"] = time.perf_counter() - started
    started = time.perf_counter()
    with gc_relaxed():
        for journal in range(sizes.journals):
            with factory.begin() as session:
                company = find_company(session, COMPANY)
                writer = EntryWriter(session, company)
                for index in range(journal, sizes.connections, sizes.journals):
                    _first_sync(session, writer, accounts[index], index, world, sizes)
    steps["statement lines (first syncs)"] = time.perf_counter() - started
    started = time.perf_counter()
    with factory.begin() as session:
        _later_runs(session, sizes)
    steps["later sync runs"] = time.perf_counter() - started
    return steps


def _connections(session: Session, sizes: Sizes) -> list[int]:
    """The bank journals and the connections, one provider account each; the accounts' ids."""
    company = find_company(session, COMPANY)
    codes = [create_bank_journal(session, company, INSTITUTIONS[j % len(INSTITUTIONS)]).code
             for j in range(sizes.journals)]
    rng = random.Random(sizes.seed)
    accounts: list[int] = []
    for index in range(sizes.connections):
        bank = INSTITUTIONS[index % sizes.journals % len(INSTITUTIONS)]
        remote = RemoteAccount(
            f"ACC-{index:04d}", f"{bank} account {index // sizes.journals + 1}",
            company.currency_code, data.iban(50010517, 9_000_000 + index), bank,
            f"bench-{index % sizes.journals}",
        )
        connection = create_connection(
            session, company,
            Credentials("simplefin", f"https://user{index}:secret{index}@bench.invalid/simplefin",
                        "bench.invalid"),
            [remote], include_pending=True, links={remote.id: codes[index % sizes.journals]},
        )
        accounts.append(connection.accounts[0].id)
        draw = rng.random()
        if draw < 0.06:
            connection.state, connection.last_error = ConnectionState.ERROR, rng.choice(ERRORS)
        elif draw < 0.09:
            connection.state = ConnectionState.REAUTH_REQUIRED
            connection.last_error = "the bank asks for a new consent"
        elif draw < 0.11:
            connection.state, connection.credentials = ConnectionState.DISCONNECTED, None
            connection.auto_sync, connection.next_sync_at = False, None
    return accounts


def _transactions(
    world: data.World, index: int, count: int, currency: str, seed: int
) -> Iterator[Transaction]:
    """Account ``index``'s ``count`` booked transactions, by date over :data:`DAYS`."""
    rng = random.Random(seed * 1_000_003 + index)
    for k in range(count):
        day = FIRST_DAY + dt.timedelta(days=k * DAYS // max(count, 1))
        draw = rng.random()
        name: str | None = None
        iban: str | None = None
        reference: str | None = None
        if draw < 0.33 and world.invoices:
            invoice = rng.choice(world.invoices)
            customer = world.partners[invoice.partner]
            cents, name, iban = invoice.total, customer.name, customer.iban
            reference = invoice.number
            label = f"{customer.name.upper()} {invoice.number}"
        elif draw < 0.75:
            cents = -rng.randint(150, 60_000)
            label = f"{rng.choice(MERCHANTS)} {rng.randint(1000, 9999)}"
        elif draw < 0.92 and world.partners:
            supplier = rng.choice(world.partners)
            cents, name, iban = -rng.randint(5_000, 2_500_000), supplier.name, supplier.iban
            label = f"Transfer to {supplier.name} order {rng.randint(10_000, 99_999)}"
        else:
            person = rng.choice(STAFF)
            cents, name = -rng.randint(180_000, 520_000), person
            label = f"Salary {day:%m/%Y} {person}"
        tx_id = f"ACC-{index:04d}-{k:07d}"
        raw = json.dumps({"id": tx_id, "posted": day.isoformat(), "amount": cents,
                          "description": label, "payee": name, "iban": iban,
                          "reference": reference}, sort_keys=True)
        yield Transaction(tx_id, TransactionStatus.BOOKED, to_decimal(cents, 2), currency, day,
                          label, raw, value_date=day, counterparty_name=name,
                          counterparty_iban=iban, reference=reference)


def _pending(index: int, currency: str, day: dt.date) -> tuple[Transaction, ...]:
    return tuple(
        Transaction(f"ACC-{index:04d}-P{n}", TransactionStatus.PENDING, to_decimal(-995 * n, 2),
                    currency, day, f"Card payment pending {n}", "{}")
        for n in (1, 2)
    )


def _first_sync(
    session: Session, writer: EntryWriter, account_id: int, index: int, world: data.World,
    sizes: Sizes,
) -> None:
    """Book account ``index``'s share of the lines as its first sync would, with its run."""
    company = find_company(session, COMPANY)
    account = session.get(ProviderAccount, account_id)
    assert account is not None
    count = sizes.lines // sizes.connections + (index < sizes.lines % sizes.connections)
    booked = tuple(_transactions(world, index, count, account.currency_code, sizes.seed))
    last = booked[-1].booking_date if booked else FIRST_DAY
    assert last is not None
    window = Window(FIRST_DAY, last + dt.timedelta(days=1))
    total = sum(tx.amount for tx in booked)
    pending = _pending(index, company.currency_code, last)
    batch = Batch(account.provider_account_id, window, booked, pending,
                  balance=Balance(to_decimal(0, 2) + total, last), next_watermark=window.end)
    started = utcnow() - RUN_EVERY * sizes.runs
    run = SyncRun(company_id=company.id, connection_id=account.connection_id,
                  trigger=RunTrigger.MANUAL, started_at=started, window_start=window.start,
                  window_end=window.end)
    session.add(run)
    session.flush()
    outcome = StatementImporter(session, company, account, writer).apply(
        batch, window, run_id=run.id, include_pending=True, watermark=window.end, now=started,
    )
    run.state, run.finished_at = RunState.SUCCESS, started + dt.timedelta(seconds=30)
    run.fetched, run.new, run.duplicates = outcome.fetched, outcome.new, outcome.duplicates
    run.pending = outcome.pending


def _later_runs(session: Session, sizes: Sizes) -> None:
    """Every connection's scheduled runs after its first sync, and its last refresh."""
    rng = random.Random(sizes.seed + 1)
    now = utcnow()
    for connection in list(session.scalars(select(Connection).order_by(Connection.id))):
        failing = connection.state != ConnectionState.CONNECTED
        first = now - RUN_EVERY * sizes.runs
        rows = []
        last: dt.datetime | None = None
        for n in range(1, sizes.runs):
            began = first + RUN_EVERY * n + dt.timedelta(seconds=rng.randrange(600))
            last = began + dt.timedelta(seconds=rng.uniform(0.5, 8))
            broken = (failing and n == sizes.runs - 1) or rng.random() < 0.01
            fetched = rng.randrange(40)
            rows.append({
                "company_id": connection.company_id, "connection_id": connection.id,
                "trigger": RunTrigger.SCHEDULE, "started_at": began, "finished_at": last,
                "window_start": None, "window_end": None,
                "state": RunState.ERROR if broken else RunState.SUCCESS,
                "fetched": 0 if broken else fetched, "new": 0, "duplicates": 0 if broken
                else fetched, "error": (connection.last_error or ERRORS[0]) if broken else None,
            })
        if last is not None:
            session.execute(insert(SyncRun), rows)
            session.execute(update(Connection).where(Connection.id == connection.id).values(
                last_refresh=last,
                next_sync_at=None if connection.state == ConnectionState.DISCONNECTED
                else last + RUN_EVERY,
            ))


# --- for the load client: the books, who asks and where to look -------------


@dataclass(frozen=True)
class Auth:
    cookie: str
    token: str


def books(workdir: Path, sizes: Sizes, keep: bool) -> tuple[str, str]:
    """The database's URL, built unless ``--keep`` holds one of these sizes; what was done."""
    db = workdir / "web.db"
    stamp = workdir / "web.json"
    url = f"sqlite:///{db}"
    if keep and db.exists() and stamp.exists() and stamp.read_text() == sizes.as_json():
        return url, "reused from an earlier run with --keep"
    for stale in (db, db.with_suffix(".db-wal"), db.with_suffix(".db-shm"), stamp):
        stale.unlink(missing_ok=True)
    steps = build(url, sizes)
    stamp.write_text(sizes.as_json())
    return url, "built: " + ", ".join(f"{k} {v:.0f} s" for k, v in steps.items())


def sign_in(url: str) -> Auth:
    """A web session and an API token of the bench's admin (added on first use)."""
    with session_factory(make_engine(url)).begin() as session:
        user = user_by_email(session, EMAIL)
        if user is None:
            user = add_user(session, EMAIL, "admin", [], PASSWORD)
        cookie, _csrf = start_session(session, user.id)
        _row, token = create_token(session, EMAIL, "web bench")
    return Auth(cookie, token)


@dataclass(frozen=True)
class Journals:
    codes: list[str]
    first: str
    lines: int
    at_depth: dict[float, int]  # depth -> a line id of the first journal there


def journals(url: str) -> Journals:
    """The bank journals, and line ids of the first one at each of :data:`DEPTHS`."""
    with session_factory(make_engine(url))() as session:
        company = find_company(session, COMPANY)
        found = list(session.execute(
            select(Journal.id, Journal.code)
            .where(Journal.company_id == company.id, Journal.type == JournalType.BANK)
            .order_by(Journal.id)
        ))
        first_id, first = found[0]
        count = session.scalar(select(func.count()).where(StatementLine.journal_id == first_id))
        assert count is not None
        ids = {}
        for depth in DEPTHS:  # OFFSET is fine here: once, outside anything measured
            ids[depth] = session.scalar(
                select(StatementLine.id).where(StatementLine.journal_id == first_id)
                .order_by(StatementLine.date, StatementLine.id)
                .offset(min(int(count * depth), count - 1)).limit(1)
            ) or 0
    return Journals([code for _id, code in found], first, count, ids)


def booker(url: str, journal: str) -> Callable[[int], None]:
    """Books the ``n``-th line by hand in ``journal`` (a posted entry: the books change)."""
    engine = make_engine(url)

    def book(n: int) -> None:
        with open_books(engine, COMPANY) as opened:
            add_line(opened, ManualLine(journal, FIRST_DAY, Decimal("-0.01"),
                                        f"web bench: a change to the books ({n + 1})"))

    return book


def spread(url: str, codes: list[str], per_journal: int) -> list[str]:
    """API pages of every journal at depths spread over its lines, for the throughput."""
    paths = []
    with session_factory(make_engine(url))() as session:
        company = find_company(session, COMPANY)
        for code in codes:
            ids = list(session.scalars(
                select(StatementLine.id)
                .join(Journal, Journal.id == StatementLine.journal_id)
                .where(Journal.company_id == company.id, Journal.code == code)
                .order_by(StatementLine.id)
            ))
            paths.append(f"/api/v1/statement-lines?journal={code}&limit=100")
            step = max(len(ids) // per_journal, 1)
            paths += [f"/api/v1/statement-lines?journal={code}&limit=100"
                      f"&cursor={cursor_of(i)}" for i in ids[step // 2 :: step][:per_journal]]
    return paths


__all__ = [
    "COMPANY",
    "DEPTHS",
    "EMAIL",
    "PASSWORD",
    "Auth",
    "Journals",
    "Sizes",
    "booker",
    "books",
    "build",
    "journals",
    "sign_in",
    "spread",
]
