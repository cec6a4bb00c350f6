"""The dashboard's kept figures brought forward by what was posted since equal the
figures summed from scratch, whatever happens to the books in between; on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import Engine, event

from booksync.app.card_figures import CardCache, Figures, card_figures
from booksync.app.context import Books, open_books
from booksync.app.currencies import record_rate
from booksync.app.entries import add_entry, post_draft
from booksync.app.reconcile import apply, undo
from booksync.app.statements import add_line
from booksync.db.base import utcnow
from booksync.db.engine import session_factory
from booksync.ledger.entries import LineInput
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Account, Company
from booksync.ledger.partners import add_partner
from booksync.statements.manual import ManualLine

TODAY = utcnow().date()
FIRST = TODAY - dt.timedelta(days=89)


def _plain(figures: Figures) -> tuple[dict[int, int], dict[tuple[int, dt.date], int],
                                      dict[int, int]]:
    """The figures without the zeros a sum brought forward may hold and one from
    scratch leaves out."""
    moves = {(journal, day): total for journal, days in figures.moves.items()
             for day, total in days.items() if total}
    return ({k: v for k, v in figures.totals.items() if v}, moves,
            {k: v for k, v in figures.counts.items() if v})


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def hear(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", hear)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", hear)


class Books_:
    """The company's bank journals and what the test did to them."""

    def __init__(self, engine: Engine, company: Company) -> None:
        self.engine, self.company = engine, company
        with session_factory(engine).begin() as session:
            found = session.get(Company, company.id)
            assert found is not None
            made = [create_bank_journal(session, found, "Main"),
                    create_bank_journal(session, found, "Savings"),
                    create_bank_journal(session, found, "Dollars", "USD")]
            self.journals = [j.code for j in made]
            add_partner(session, found, "Walk-in customer")
            session.flush()
            self.accounts = {j.code: session.get(Account, j.default_account_id).code
                             for j in made}
        with self.books() as books:
            record_rate(books, "USD", TODAY - dt.timedelta(days=400), "1.10")
        self.open: list[int] = []
        self.reconciled: list[int] = []
        self.drafts: list[int] = []

    @contextmanager
    def books(self) -> Iterator[Books]:
        with open_books(self.engine, self.company.name) as books:
            yield books

    def line(self, rnd: random.Random) -> None:
        journal = rnd.choice(self.journals)
        amount = Decimal(rnd.randint(-50_000, 90_000)) / 100 or Decimal("1.00")
        with self.books() as books:
            day = TODAY - dt.timedelta(days=rnd.randint(0, 120))
            row = add_line(books, ManualLine(journal, day,
                                             amount, f"line {len(self.open)}"))
        self.open.append(int(row["id"]))

    def reconcile(self, rnd: random.Random) -> None:
        if not self.open:
            return self.line(rnd)
        line = self.open.pop(rnd.randrange(len(self.open)))
        with self.books() as books:
            apply(books, line, partner="Walk-in customer")
        self.reconciled.append(line)

    def undo(self, rnd: random.Random) -> None:
        if not self.reconciled:
            return self.reconcile(rnd)
        line = self.reconciled.pop(rnd.randrange(len(self.reconciled)))
        with self.books() as books:
            undo(books, line)
        self.open.append(line)

    def entry(self, rnd: random.Random, *, post: bool = True) -> None:
        """An entry on a EUR bank account straight from the general journal."""
        account = self.accounts[rnd.choice(self.journals[:2])]
        amount = Decimal(rnd.randint(1, 40_000)) / 100
        with self.books() as books:
            made = add_entry(books, journal="MISC", date=TODAY - dt.timedelta(rnd.randint(0, 100)),
                             lines=[LineInput(account, debit=amount),
                                    LineInput("4000", credit=amount)], post=post)
        if not post:
            self.drafts.append(int(made["id"]))

    def draft_posted(self, rnd: random.Random) -> None:
        """A draft made earlier posted now: below the highest entry id already seen."""
        if not self.drafts:
            return self.entry(rnd, post=False)
        with self.books() as books:
            post_draft(books, self.drafts.pop(0))

    def figures(self, cache: CardCache | None) -> Figures:
        with self.books() as books:
            return card_figures(books.session, self.company.id, FIRST, cache)


def test_brought_forward_equals_from_scratch_after_any_mix(engine: Engine, company: Company
                                                            ) -> None:
    kept = CardCache()
    books = Books_(engine, company)
    rnd = random.Random(20261127)
    steps = [books.line] * 5 + [books.reconcile] * 3 + [books.undo] * 2 + [books.entry] + [
        lambda r: books.entry(r, post=False), books.draft_posted]
    assert _plain(books.figures(kept)) == _plain(books.figures(None))
    for n in range(40):
        step = rnd.choice(steps)
        for _ in range(rnd.choice([1, 1, 1, 3])):  # sometimes several changes between views
            step(rnd)
        assert _plain(books.figures(kept)) == _plain(books.figures(None)), f"after step {n}"
    assert books.open and books.reconciled  # the mix held lines of both kinds


def test_after_a_new_line_only_the_entries_since_are_read(engine: Engine, company: Company
                                                          ) -> None:
    kept = CardCache()
    books = Books_(engine, company)
    rnd = random.Random(5)
    for _ in range(3):
        books.line(rnd)
    before = books.figures(kept)
    books.line(rnd)
    with _statements(engine) as seen:
        after = books.figures(kept)
    summing = [s for s in seen if "sum(" in s.lower() or "count(" in s.lower()]
    line_reads = [s for s in summing if "statement_line" in s or "line." in s]
    assert line_reads and all("entry_id >" in s for s in line_reads), line_reads
    assert sum(after.counts.values()) == sum(before.counts.values()) + 1
    assert _plain(after) == _plain(books.figures(None))


def test_a_draft_posted_late_is_counted(engine: Engine, company: Company) -> None:
    kept = CardCache()
    books = Books_(engine, company)
    rnd = random.Random(9)
    books.entry(rnd, post=False)
    books.line(rnd)
    books.figures(kept)
    books.draft_posted(rnd)
    assert _plain(books.figures(kept)) == _plain(books.figures(None))
