"""Exactly once across a journal's sources: statement files and an online account, in any
order and overlap, give each bank transaction one line; on SQLite and PostgreSQL.

The online side books through the sync's own importer
(:class:`booksync.statements.importer.StatementImporter`) and the file side through
:class:`booksync.statements.file_import.FileImporter`, each in a transaction of its own,
with the ids each channel really gives: a provider's own ids online, the bank's reference
(or none) in a file, and labels that differ between the two.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from booksync.bankfiles.records import FileStatement, StatementBalance
from booksync.banking.connections import create_connection
from booksync.banking.models import ProviderAccount, StatementLine, SyncRun
from booksync.db.base import utcnow
from booksync.db.engine import session_factory
from booksync.ledger.companies import create_company
from booksync.ledger.models import Company, Journal
from booksync.providers.base import (
    Balance,
    Batch,
    Credentials,
    Transaction,
    TransactionStatus,
    Window,
)
from booksync.providers.base import ProviderAccount as RemoteAccount
from booksync.statements.file_import import FileImporter
from booksync.statements.importer import StatementImporter

START = dt.date(2026, 1, 1)
DAYS = 12
_names = itertools.count(1)


@dataclass(frozen=True)
class BankTx:
    """One transaction as the bank booked it, and how each channel shows it."""

    n: int
    day: int
    cents: int
    ref: str | None  # the bank's own reference, which files carry (and some providers)

    @property
    def date(self) -> dt.date:
        return START + dt.timedelta(days=self.day)

    def online(self) -> Transaction:
        raw = json.dumps({"id": f"sf-{self.n}"})
        return Transaction(f"sf-{self.n}", TransactionStatus.BOOKED, Decimal(self.cents) / 100,
                           "EUR", self.date, f"CARD PAYMENT {self.n}", raw)

    def in_file(self) -> Transaction:
        raw = json.dumps({"ref": self.ref, "n": self.n})
        return Transaction(self.ref, TransactionStatus.BOOKED, Decimal(self.cents) / 100, "EUR",
                           self.date, f"Payment {self.n} of the file", raw)


class Books:
    """A company with one bank journal and one connected provider account, fresh per example."""

    def __init__(self, engine: Engine) -> None:
        self.factory = session_factory(engine)
        with self.factory.begin() as session:
            company = create_company(session, f"Mix {next(_names)} Ltd", "EUR", "DE")
            connection = create_connection(
                session, company, Credentials("simplefin", "http://u:p@127.0.0.1:9/x"),
                [RemoteAccount("ACC", "Main", "EUR")])
            self.company_id, self.connection_id = company.id, connection.id
            self.account_id = connection.accounts[0].id
            journal_id = connection.accounts[0].journal_id
            assert journal_id is not None
            self.journal_id = journal_id

    def _session_parts(self, session: Session) -> tuple[Company, Journal, ProviderAccount]:
        company = session.get(Company, self.company_id)
        journal = session.get(Journal, self.journal_id)
        account = session.get(ProviderAccount, self.account_id)
        assert company is not None and journal is not None and account is not None
        return company, journal, account

    def online(self, txs: list[BankTx], first: int, last: int,
               balance: Decimal | None = None) -> None:
        window = Window(START + dt.timedelta(days=first), START + dt.timedelta(days=last + 1))
        shown = tuple(t.online() for t in txs if first <= t.day <= last)
        with self.factory.begin() as session:
            company, _, account = self._session_parts(session)
            run = SyncRun(company_id=company.id, connection_id=self.connection_id,
                          started_at=utcnow())
            session.add(run)
            session.flush()
            bank = None if balance is None else Balance(balance, window.end - dt.timedelta(1))
            StatementImporter(session, company, account).apply(
                Batch("ACC", window, booked=shown, balance=bank, next_watermark=window.end),
                window, run_id=run.id, include_pending=False, watermark=window.end,
                now=utcnow())

    def file(self, txs: list[BankTx], first: int, last: int, *,
             opening: Decimal | None = None, closing: Decimal | None = None) -> FileImporter:
        shown = tuple(t.in_file() for t in txs if first <= t.day <= last)
        start, end = START + dt.timedelta(days=first), START + dt.timedelta(days=last)
        with self.factory.begin() as session:
            company, journal, _ = self._session_parts(session)
            importer = FileImporter(session, company, journal, "statement.xml")
            self.outcome = importer.apply(FileStatement(
                None, "EUR", shown,
                None if opening is None else StatementBalance(opening, start - dt.timedelta(1)),
                None if closing is None else StatementBalance(closing, end)))
            return importer

    def lines(self) -> Counter[tuple[dt.date, int]]:
        with self.factory() as session:
            rows = session.execute(
                select(StatementLine.date, StatementLine.amount)
                .where(StatementLine.journal_id == self.journal_id,
                       StatementLine.is_opening.is_(False)))
            return Counter((d, a) for d, a in rows)


def _expected(txs: list[BankTx], covered: set[int]) -> Counter[tuple[dt.date, int]]:
    return Counter((t.date, t.cents) for t in txs if t.day in covered)


transactions = st.lists(
    st.tuples(st.integers(0, DAYS - 1), st.sampled_from([-450, -450, 1000, 2599, -12000]),
              st.booleans()),
    min_size=1, max_size=25,
).map(lambda rows: [BankTx(n, day, cents, f"REF{n}" if has_ref else None)
                    for n, (day, cents, has_ref) in enumerate(rows)])
steps = st.lists(
    st.tuples(st.sampled_from(["online", "file"]), st.integers(0, DAYS - 1),
              st.integers(0, DAYS - 1)),
    min_size=1, max_size=6,
)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(txs=transactions, plan=steps)
def test_files_and_online_in_any_order_book_each_transaction_once(
    engine: Engine, txs: list[BankTx], plan: list[tuple[str, int, int]]
) -> None:
    books = Books(engine)
    covered: set[int] = set()
    for how, a, b in plan:
        first, last = min(a, b), max(a, b)
        if how == "online":
            books.online(txs, first, last)
        else:
            books.file(txs, first, last)
        covered |= set(range(first, last + 1))
        assert books.lines() == _expected(txs, covered), (how, first, last)


def test_the_same_file_twice_books_nothing_the_second_time(engine: Engine) -> None:
    books = Books(engine)
    txs = [BankTx(1, 2, -450, None), BankTx(2, 2, -450, None), BankTx(3, 4, 1000, "R3")]
    books.file(txs, 0, 5)
    assert (books.outcome.new, books.outcome.duplicates) == (3, 0)
    books.file(txs, 0, 5)
    assert (books.outcome.new, books.outcome.duplicates, books.outcome.matched) == (0, 3, 0)
    assert sum(books.lines().values()) == 3


def test_a_file_after_the_online_lines_matches_them_and_says_so(engine: Engine) -> None:
    books = Books(engine)
    txs = [BankTx(1, 1, 2599, "R1"), BankTx(2, 3, -12000, None), BankTx(3, 8, 1000, "R3")]
    books.online(txs, 0, 5)
    books.file(txs, 0, 9)
    assert (books.outcome.new, books.outcome.matched) == (1, 2)
    books.online(txs, 0, 9)  # the online side now knows the file's line of day 8
    assert sum(books.lines().values()) == 3


def test_references_that_differ_are_never_the_same_transaction(engine: Engine) -> None:
    """Same day, same amount, both sides with a reference: different references, two
    transactions, even though one side saw only one of them."""
    books = Books(engine)
    first = BankTx(1, 2, 1000, "R1")
    second = BankTx(2, 2, 1000, "R2")
    with_refs = [Transaction(None, TransactionStatus.BOOKED, Decimal("10.00"), "EUR",
                             first.date, "Incoming", "{}", reference="E2E-1")]
    with books.factory.begin() as session:
        company, journal, account = books._session_parts(session)
        run = SyncRun(company_id=company.id, connection_id=books.connection_id,
                      started_at=utcnow())
        session.add(run)
        session.flush()
        window = Window(START, START + dt.timedelta(days=5))
        StatementImporter(session, company, account).apply(
            Batch("ACC", window, booked=tuple(with_refs), next_watermark=window.end), window,
            run_id=run.id, include_pending=False, watermark=window.end, now=utcnow())
    other = Transaction("R2", TransactionStatus.BOOKED, Decimal("10.00"), "EUR", second.date,
                        "Incoming", "{}", reference="E2E-2")
    with books.factory.begin() as session:
        company, journal, _ = books._session_parts(session)
        outcome = FileImporter(session, company, journal, "x.xml").apply(
            FileStatement(None, "EUR", (other,)))
    assert (outcome.new, outcome.matched) == (1, 0)


def test_the_first_file_opens_the_journal_and_the_next_are_checked(engine: Engine) -> None:
    books = Books(engine)
    txs = [BankTx(1, 1, 10000, "R1"), BankTx(2, 2, -2500, "R2"), BankTx(3, 6, 500, "R3")]
    books.file(txs, 0, 3, opening=Decimal("200.00"), closing=Decimal("275.00"))
    assert books.outcome.opening_line and not books.outcome.problems
    books.file(txs, 4, 7, opening=Decimal("275.00"), closing=Decimal("280.00"))
    assert not books.outcome.problems and not books.outcome.opening_line
    gap = [BankTx(4, 10, 700, "R4")]  # days 8-9 of the bank were never imported
    books.file(gap, 10, 10, opening=Decimal("300.00"), closing=Decimal("307.00"))
    assert books.outcome.opening_difference == Decimal("20.00")
    assert books.outcome.closing_difference == Decimal("20.00")
    assert any("opening balance 300.00 EUR differs" in p for p in books.outcome.problems)


def test_an_online_first_sync_after_files_opens_nothing_twice(engine: Engine) -> None:
    """The files hold the history: the first sync's bank balance is compared with the
    journal's lines from the bank, so no opening line books the files' period again."""
    books = Books(engine)
    txs = [BankTx(1, 1, 10000, "R1"), BankTx(2, 5, -2500, "R2"), BankTx(3, 9, 500, "R3")]
    books.file(txs, 0, 6, opening=Decimal("50.00"))
    books.online(txs, 4, 10, balance=Decimal("130.00"))  # 50 + 100 - 25 + 5
    with books.factory() as session:
        openings = session.scalars(select(StatementLine.amount).where(
            StatementLine.journal_id == books.journal_id, StatementLine.is_opening)).all()
        account = session.get(ProviderAccount, books.account_id)
        assert account is not None
        assert account.balance_difference == 0
    assert openings == [5000]  # the file's, and none from the sync
    assert sum(books.lines().values()) == 3


def test_a_statement_with_only_a_closing_balance_opens_an_empty_journal_only(
        engine: Engine) -> None:
    books = Books(engine)
    txs = [BankTx(1, 2, 10000, "R1"), BankTx(2, 3, -2500, "R2"), BankTx(3, 8, 700, "R3")]
    books.file(txs, 0, 4, closing=Decimal("175.00"))  # 100 before, then +100 -25
    assert books.outcome.opening_line and books.outcome.opening == Decimal("100.00")
    assert books.outcome.closing_difference == Decimal("0.00")
    books.file(txs, 5, 9, closing=Decimal("190.00"))  # 175 + 7 = 182: 8.00 missing
    assert not books.outcome.opening_line
    assert books.outcome.closing_difference == Decimal("8.00")


def test_corrections_reverse_the_named_lines_and_book_the_replacement_once(
        engine: Engine) -> None:
    """An OFX REPLACE reverses the line it names and books the new transaction; a DELETE
    reverses its line; the same corrections again change nothing."""
    from booksync.bankfiles.records import Correction, CorrectionAction

    books = Books(engine)
    first = [BankTx(1, 2, -1480, "C-70"), BankTx(2, 3, -9900, "C-71"), BankTx(3, 4, 500, "C-72")]
    books.file(first, 0, 5)
    replacement = BankTx(4, 2, -1840, "C-78").in_file()
    corrections = (Correction("C-70", CorrectionAction.REPLACE, replacement),
                   Correction("C-71", CorrectionAction.DELETE, None))
    for attempt in range(2):
        with books.factory.begin() as session:
            company, journal, _ = books._session_parts(session)
            outcome = FileImporter(session, company, journal, "fix.qfx").apply(
                FileStatement(None, "EUR", (), corrections=corrections))
        assert (outcome.corrected, outcome.new) == ((2, 1) if attempt == 0 else (0, 0))
    total = sum(amount * n for (_, amount), n in books.lines().items())
    assert total == -1840 + 500  # the wrong -14.80 and the deleted -99.00 are undone
