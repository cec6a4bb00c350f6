"""The Dashboard: a card per bank journal with its balances, lines to reconcile,
connection and 90-day chart; for every role, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, event, func, select

from booksync.app.connections import ConnectionView
from booksync.app.context import open_books
from booksync.app.dashboard import bank_cards
from booksync.app.reconcile import apply, undo
from booksync.app.statements import add_line
from booksync.app.sync import sync_connections
from booksync.banking.models import ProviderAccount, StatementLine
from booksync.db.base import utcnow
from booksync.db.engine import session_factory
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Company
from booksync.money import exponent, to_decimal
from booksync.reconciliation.models import BankReconciliation
from booksync.statements.manual import ManualLine
from booksync.web.pages.dashboard import chart_points
from booksync.web.templating import money
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web

pytest_plugins = ("tests.web.bank_fixtures",)

SignIn = Callable[[str], Client]
TODAY = utcnow().date()
POINTS = re.compile(r'<polyline points="([^"]*)"')


def _journal(web: Web, name: str, company: str = "Acme Ltd") -> str:
    with session_factory(web.engine).begin() as session:
        found = session.scalar(select(Company).where(Company.name == company))
        assert found is not None
        return create_bank_journal(session, found, name).code


def _lines(web: Web, journal: str, *lines: tuple[int, str]) -> list[int]:
    """Lines entered by hand: (days ago, amount)."""
    made = []
    with open_books(web.engine, "Acme Ltd") as books:
        for ago, amount in lines:
            row = add_line(books, ManualLine(journal, TODAY - dt.timedelta(days=ago),
                                             Decimal(amount), f"line {ago}"))
            made.append(int(row["id"]))
    return made


def _card(html: str, journal: str) -> str:
    found = re.search(rf'<article class="card" data-journal="{journal}">(.*?)</article>',
                      html, re.S)
    assert found, f"no card of {journal}"
    return found.group(1)


def test_a_card_shows_balance_lines_to_reconcile_and_the_90_days(
    web: Web, sign_in: SignIn
) -> None:
    code = _journal(web, "Main bank")
    _old, received, _paid = _lines(web, code, (120, "250.00"), (10, "100.00"), (2, "-30.50"))
    with open_books(web.engine, "Acme Ltd") as books:
        apply(books, received, counterparts=["4000:100.00"])
    empty = _journal(web, "Spare bank")

    page = sign_in(VIEWER).get("/")
    assert page.status_code == 200
    card = _card(page.text, code)
    assert "Main bank" in card
    assert '<dd class="num book-balance">319.50 EUR</dd>' in card
    assert "none reported" in card  # no bank balance without a connection
    assert '<dd class="to-reconcile">2 lines</dd>' in card
    assert f'href="/statements?journal={code}&amp;filter=to_reconcile">Reconcile</a>' in card
    assert "Last 90 days: low 250.00, high 350.00" in card
    points = POINTS.search(card)
    assert points is not None
    pairs = [tuple(Decimal(v) for v in p.split(",")) for p in points.group(1).split()]
    assert len(pairs) == 90
    assert pairs[0] == (Decimal("0.0"), Decimal("85.0"))  # the lowest, at the bottom
    assert pairs[-11][1] == Decimal("5.0")  # the day 100.00 came in: the highest
    assert pairs[-1][0] == Decimal("300.0") and Decimal("5.0") < pairs[-1][1] < Decimal("85.0")
    assert 'style="' not in page.text and "<script>" not in page.text
    spare = _card(page.text, empty)
    assert "0.00 EUR" in spare and "0 lines" in spare
    assert "Fetch now" not in page.text


def test_the_figures_come_from_the_use_case(web: Web) -> None:
    code = _journal(web, "Main bank")
    _lines(web, code, (120, "250.00"), (10, "100.00"), (2, "-30.50"), (0, "1.25"))
    with open_books(web.engine, "Acme Ltd") as books:
        (card,) = bank_cards(books, TODAY)
    history = {day.date: day.balance for day in card.history}
    assert card.book_balance == Decimal("320.75") and card.to_reconcile == 4
    assert len(history) == 90 and min(history) == TODAY - dt.timedelta(days=89)
    assert history[TODAY - dt.timedelta(days=89)] == Decimal("250.00")
    assert history[TODAY - dt.timedelta(days=10)] == Decimal("350.00")
    assert history[TODAY - dt.timedelta(days=2)] == Decimal("319.50")
    assert history[TODAY] == Decimal("320.75")
    assert card.connection is None and card.bank_balance is None


def test_chart_points_put_the_lowest_at_the_bottom_and_equal_values_in_the_middle() -> None:
    assert chart_points([Decimal(0), Decimal(10), Decimal(5)]) == "0.0,85.0 150.0,5.0 300.0,45.0"
    assert chart_points([Decimal(3), Decimal(3)]) == "0.0,45.0 300.0,45.0"
    assert chart_points([]) == ""


@contextmanager
def _counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_the_page_costs_the_same_few_queries_for_one_journal_or_many(
    web: Web, sign_in: SignIn
) -> None:
    client = sign_in(VIEWER)
    first = _journal(web, "One")
    _lines(web, first, (3, "10.00"))
    assert client.get("/").status_code == 200  # the sums from scratch, then kept
    _lines(web, first, (1, "-2.00"))
    with _counted(web.engine) as one:  # the kept sums and the entry posted since
        assert client.get("/").status_code == 200
    for n in range(5):
        _lines(web, _journal(web, f"Bank {n}"), (5, "7.00"), (4, "8.00"), (1, "9.00"))
    with _counted(web.engine) as six:
        page = client.get("/")
    assert page.text.count('<article class="card"') == 6
    assert len(six) == len(one) <= 16


def test_the_sums_are_kept_until_the_posted_books_change(web: Web, sign_in: SignIn) -> None:
    client = sign_in(VIEWER)
    code = _journal(web, "Main bank")
    (first,) = _lines(web, code, (3, "10.00"))
    assert "1 line<" in _card(client.get("/").text, code)
    with _counted(web.engine) as again:
        page = client.get("/")
    assert "10.00 EUR" in _card(page.text, code)
    assert not [s for s in again if "statement_line" in s]  # the sums were kept
    (second,) = _lines(web, code, (1, "5.50"))
    card = _card(client.get("/").text, code)
    assert "15.50 EUR" in card and "2 lines<" in card
    with open_books(web.engine, "Acme Ltd") as books:
        apply(books, second, counterparts=["4000:5.50"])
    assert "1 line<" in _card(client.get("/").text, code)
    with open_books(web.engine, "Acme Ltd") as books:
        undo(books, second)
    assert "2 lines<" in _card(client.get("/").text, code)
    assert first


def test_the_outsider_sees_only_its_company(web: Web, sign_in: SignIn) -> None:
    acme = _journal(web, "Acme bank")
    _lines(web, acme, (1, "999.99"))
    globex = _journal(web, "Globex bank", company="Globex GmbH")
    client = sign_in(OUTSIDER)
    page = client.get("/")
    assert page.status_code == 200
    assert "Globex bank" in page.text and "Acme bank" not in page.text
    assert "999.99" not in page.text
    assert _card(page.text, globex)
    assert client.get("/?company=Acme Ltd").status_code == 404


def test_the_dashboard_needs_a_signed_in_user(web: Web) -> None:
    answer = web.client().get("/")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=%2F"


def test_a_connected_journal_shows_the_bank_and_fetch_now_to_those_who_book(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    (result,) = sync_connections(web.engine, "Acme Ltd", [linked.id])
    assert result.ok
    with session_factory(web.engine)() as session:
        accounts = list(session.scalars(select(ProviderAccount)))
        open_lines = dict(session.execute(
            select(StatementLine.journal_id, func.count())
            .where(StatementLine.is_opening.is_(False),
                   ~select(BankReconciliation.id).where(
                       BankReconciliation.statement_line_id == StatementLine.id,
                       BankReconciliation.state == "active").exists())
            .group_by(StatementLine.journal_id)).all())
        journals = {a.id: a.journal for a in accounts}
    for role in (ACCOUNTANT, ADMIN):
        page = sign_in(role).get("/")
        assert page.text.count('<article class="card"') == len(accounts)
        for account in accounts:
            journal = journals[account.id]
            assert journal is not None and account.balance is not None
            card = _card(page.text, journal.code)
            currency = account.currency_code
            balance = money(to_decimal(account.balance, exponent(currency)), currency)
            assert f"{balance} <span" in card
            assert f"on {account.balance_date}" in card
            assert f'<dd class="to-reconcile">{open_lines.get(journal.id, 0)} line' in card
            assert '<span class="badge connected">Connected</span>' in card
            assert f'action="/connections/{linked.id}/fetch"' in card
            assert ">Fetch now</button>" in card
    viewer = sign_in(VIEWER).get("/")
    assert "Connected" in viewer.text and "Fetch now" not in viewer.text
