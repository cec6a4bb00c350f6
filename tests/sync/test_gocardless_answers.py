"""GoCardless answers the spec allows but the sandbox's banks do not send, end to end.

The sandbox bank answers over loopback HTTP as usual; on the way back an
answer is edited as some real bank writes it (several balances of one type,
a balance of a day long past, a transaction in another currency).  The run
must book the bank's truth, or book nothing and say why, and the next run
must catch up: the books are held to the world's own truth
(``tests.sync.support``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import StatementLine
from booksync.ledger.models import Company
from booksync.providers.gocardless import GoCardlessProvider
from booksync.providers.gocardless_http import Secrets, clear_token_cache
from booksync.sandbox.server import start
from booksync.sandbox.world import World
from booksync.sync.outcome import RATE_LIMIT_WAIT
from tests.sync.support import (
    TODAY,
    add_rates,
    connection_row,
    first_window_start,
    snapshot,
)
from tests.sync.test_gocardless_sync import NORDWERK, GoCardless

Edit = Callable[[str, dict[str, Any]], "dict[str, Any] | httpx.Response"]
"""An answer's new JSON (or a whole other answer) from the account id and the JSON sent."""


class Rewriting(httpx.BaseTransport):
    """Real HTTP to the sandbox; an account's balances or transactions answer edited."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.edits: dict[str, Edit] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        parts = request.url.path.strip("/").split("/")
        edit = self.edits.get(parts[-1]) if "accounts" in parts else None
        if edit is None or response.status_code != 200:
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        edited = edit(parts[-2], orjson.loads(body))
        if isinstance(edited, httpx.Response):
            return edited
        headers = {"Content-Type": "application/json"}
        return httpx.Response(200, headers=headers, content=orjson.dumps(edited))

    def close(self) -> None:
        self.inner.close()


class Edited(GoCardless):
    """A GoCardless connection to the sandbox whose answers pass through ``transport``."""

    transport: Rewriting

    def provider(self, secrets: Secrets | None = None) -> GoCardlessProvider:
        world = self.bank.world
        return GoCardlessProvider(
            secrets, client=httpx.Client(transport=self.transport, timeout=10),
            clock=lambda: dt.datetime.combine(world.today, dt.time(12), dt.UTC),
        )

    def world_balance(self, account_id: str, day: dt.date) -> str:
        """The bank's true booked balance of an account at the end of ``day``."""
        world = self.bank.world
        return str(world.balance(self.gc.world_account(account_id), day))


@pytest.fixture
def edited(engine: Engine, factory: sessionmaker[Session], session: Session,
           company: Company) -> Iterator[Edited]:
    clear_token_cache()
    add_rates(session, company)
    session.commit()
    with start(world=World(5, today=TODAY)) as bank:
        found = Edited(bank, engine, factory, company)
        found.transport = Rewriting()
        yield found
        found.transport.close()
    clear_token_cache()


def _closing(amount: str, currency: str, day: dt.date) -> dict[str, Any]:
    return {
        "balanceAmount": {"amount": amount, "currency": currency},
        "balanceType": "closingBooked",
        "referenceDate": day.isoformat(),
    }


@pytest.mark.parametrize("listed", ["oldest_first", "stale_only"])
def test_the_balance_taken_is_the_latest_not_a_past_one_listed_first(
    edited: Edited, listed: str
) -> None:
    """Some banks list a closing balance per day, oldest first, or only the last
    statement's: a first sync's opening line at that day would leave out every
    transaction between it and the window, and its own difference would be zero."""
    edited.connect(NORDWERK)
    start = TODAY - dt.timedelta(days=30)  # the connection's first window (30 days)
    long_ago = start - dt.timedelta(days=25)

    def several(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        found = body["balances"]
        currency = found[0]["balanceAmount"]["currency"]
        older = [_closing(edited.world_balance(account_id, long_ago), currency, long_ago)]
        if listed == "oldest_first":
            as_of = dt.date.fromisoformat(found[-1]["referenceDate"])
            older.append(_closing(edited.world_balance(account_id, as_of), currency, as_of))
        return {"balances": older + found}

    edited.transport.edits["balances"] = several
    edited.synced()
    assert first_window_start(edited.factory, edited.books()) == start
    edited.bank.world.advance(2)
    again = edited.synced()
    assert again.balance_difference is None


def test_a_transaction_in_another_currency_books_nothing_for_its_account(
    edited: Edited,
) -> None:
    """A EUR account's answer naming a USD amount: booked as EUR it would be wrong money."""
    edited.connect(NORDWERK)
    edited.synced()
    books = edited.books()
    before = snapshot(edited.factory, books)
    edited.bank.world.advance(2)

    def foreign(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        booked = body["transactions"]["booked"]
        booked.append({
            "transactionId": f"FX-{account_id}",
            "bookingDate": (TODAY + dt.timedelta(days=1)).isoformat(),
            "transactionAmount": {"amount": "-25.00", "currency": "USD"},
            "remittanceInformationUnstructured": "Card payment in dollars",
        })
        return body

    edited.transport.edits["transactions"] = foreign
    refused = edited.sync()
    assert refused.state == "partial", refused.error
    assert "USD" in (refused.error or "")
    after = snapshot(edited.factory, books)
    for part in ("lines", "entries", "aliases"):
        assert after[part] == before[part], part
    del edited.transport.edits["transactions"]
    assert edited.synced().new > 0


@pytest.mark.parametrize(
    ("headers", "wait"),
    [({}, RATE_LIMIT_WAIT), ({"X-RateLimit-Account-Success-Reset": "7200"},
                             dt.timedelta(seconds=7200))],
)
def test_a_rate_limit_that_names_no_seconds_waits_the_header_s_or_an_hour(
    edited: Edited, headers: dict[str, str], wait: dt.timedelta
) -> None:
    edited.connect(NORDWERK)
    edited.synced()
    edited.bank.world.advance(1)
    books = edited.books()
    before = snapshot(edited.factory, books)
    now = dt.datetime.combine(edited.bank.world.today, dt.time(9), dt.UTC)

    def limited(_account_id: str, _body: dict[str, Any]) -> httpx.Response:
        return httpx.Response(429, headers=headers, json={
            "summary": "Rate limit exceeded", "detail": "Too many requests.",
            "status_code": 429})

    edited.transport.edits["balances"] = limited
    result = edited.sync(clock=lambda: now)
    assert result.state == "rate_limited", result.error
    assert "HTTP 429" in (result.error or "")
    after = snapshot(edited.factory, books)
    assert {k: v for k, v in after.items() if k != "last_refresh"} == {
        k: v for k, v in before.items() if k != "last_refresh"}
    assert connection_row(edited.factory, books).next_sync_at == now + wait
    del edited.transport.edits["balances"]
    edited.synced()


def test_an_agreement_ended_for_one_account_only_stops_the_run_before_any_booking(
    edited: Edited,
) -> None:
    """The consent is the requisition's, for all its accounts: one account's answer that it
    ended is the connection's, and nothing the other accounts sent is booked."""
    edited.connect(NORDWERK)
    edited.synced()
    edited.bank.world.advance(2)
    books = edited.books()
    before = snapshot(edited.factory, books)
    last = sorted(books.accounts)[-1]

    def ended(account_id: str, body: dict[str, Any]) -> dict[str, Any] | httpx.Response:
        if edited.gc.world_account(account_id) != last:
            return body
        return httpx.Response(401, json={
            "summary": "End User Agreement (EUA) 3fa85f64 has expired",
            "detail": "The end user must give consent again.", "status_code": 401})

    edited.transport.edits["transactions"] = ended
    result = edited.sync()
    assert result.state == "reauth_required", result.error
    after = snapshot(edited.factory, books)
    for part in ("lines", "entries", "aliases", "pending", "accounts"):
        assert after[part] == before[part], part
    assert connection_row(edited.factory, books).state == "reauth_required"


def test_amounts_written_any_way_the_spec_allows_are_booked_exactly_or_refused(
    edited: Edited,
) -> None:
    """"+12.5", "1e3", "-7.2500" are exact amounts of a EUR account; "-3.335" is not one:
    the account books nothing rather than a rounded amount, and says so."""
    edited.connect(NORDWERK)
    edited.synced()
    edited.bank.world.advance(1)
    day = edited.bank.world.today.isoformat()
    written = {"W-1": "+12.5", "W-2": "1e3", "W-3": "-7.2500"}

    def spelled(amounts: dict[str, str]) -> Edit:
        def edit(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
            body["transactions"]["booked"] += [
                {"transactionId": f"{tx_id}-{account_id}", "bookingDate": day,
                 "transactionAmount": {"amount": amount, "currency": "EUR"},
                 "remittanceInformationUnstructuredArray": ["Spelled", tx_id]}
                for tx_id, amount in amounts.items()]
            return body
        return edit

    books = edited.books()
    before = snapshot(edited.factory, books)
    edited.transport.edits["transactions"] = spelled({**written, "W-4": "-3.335"})
    refused = edited.sync()
    assert refused.state in ("partial", "error"), refused.error
    assert "does not fit EUR" in (refused.error or "")
    assert snapshot(edited.factory, books)["lines"] == before["lines"]
    edited.transport.edits["transactions"] = spelled(written)
    booked = edited.sync()
    assert booked.state == "success", booked.error
    with edited.factory() as session:
        amounts = session.execute(
            select(StatementLine.label, func.sum(StatementLine.amount), func.count())
            .where(StatementLine.label.like("Spelled %")).group_by(StatementLine.label)
        ).all()
    accounts = len(books.accounts)
    assert sorted(amounts) == [("Spelled W-1", 1250 * accounts, accounts),
                               ("Spelled W-2", 100000 * accounts, accounts),
                               ("Spelled W-3", -725 * accounts, accounts)]


def test_one_account_out_of_requests_costs_only_its_own_part(edited: Edited) -> None:
    """GoCardless counts requests per account: one account's 429 leaves the others'
    answers to book, and that account books nothing until a later run; only when
    every account is limited is the run rate limited."""
    edited.connect(NORDWERK)
    edited.synced()
    edited.bank.world.advance(2)
    books = edited.books()
    before = snapshot(edited.factory, books)
    assert len(books.accounts) > 1
    quiet = min(books.accounts, key=lambda remote: sum(  # the busier one books
        1 for ln in before["lines"] if ln[1] == books.accounts[remote]))

    def limited(account_id: str, body: dict[str, Any]) -> dict[str, Any] | httpx.Response:
        if edited.gc.world_account(account_id) != quiet:
            return body
        return httpx.Response(429, json={
            "summary": "Rate limit exceeded",
            "detail": "Too many requests. Try again in 5400 seconds.",
            "status_code": 429})

    edited.transport.edits["transactions"] = limited
    result = edited.sync()
    assert result.state == "partial", result.error
    assert "out of requests" in (result.error or "")
    assert "a run in 5400 seconds fetches its transactions" in (result.error or "")
    after = snapshot(edited.factory, books)
    mine = books.accounts[quiet]
    assert [ln for ln in after["lines"] if ln[1] == mine] == [
        ln for ln in before["lines"] if ln[1] == mine]
    assert sorted(str(part.state) for part in result.accounts).count("failed") == 1
    assert result.new > 0 and len(after["lines"]) > len(before["lines"])
    edited.transport.edits["transactions"] = lambda _a, _b: httpx.Response(429, json={
        "summary": "Rate limit exceeded", "detail": "Try again in 60 seconds.",
        "status_code": 429})
    assert edited.sync().state == "rate_limited"
    del edited.transport.edits["transactions"]
    edited.synced()


def test_an_id_the_bank_gives_a_second_transaction_books_both_once(edited: Edited) -> None:
    """transactionId's quality varies: a bank that gives a new payment the id of one
    booked already must not have the payment dropped as its duplicate, nor the booked
    one booked again under its stand-in, on this run or the next."""
    edited.connect(NORDWERK)
    edited.synced()
    edited.bank.world.advance(1)
    day = edited.bank.world.today.isoformat()
    books = edited.books()
    before = snapshot(edited.factory, books)
    busy = max(books.accounts, key=lambda remote: sum(
        1 for ln in before["lines"] if ln[1] == books.accounts[remote]))
    reused: list[dict[str, Any]] = []

    def second(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if edited.gc.world_account(account_id) != busy:
            return body
        booked = body["transactions"]["booked"]
        if not reused:
            reused.append(next(t for t in booked
                               if t.get("transactionId") and t["bookingDate"] < day))
        booked.append({**reused[0], "bookingDate": day, "internalTransactionId": None,
                       "transactionAmount": {"amount": "-7.30", "currency": "EUR"},
                       "remittanceInformationUnstructured": "Second under a reused id"})
        return body

    edited.transport.edits["transactions"] = second
    mine = books.accounts[busy]
    for attempt in range(2):
        result = edited.sync()
        assert result.state == "success", result.error
        after = snapshot(edited.factory, books)
        with edited.factory() as session:
            seconds = session.scalar(select(func.count()).where(
                StatementLine.label == "Second under a reused id"))
        assert seconds == 1
        kept = [ln for ln in after["lines"] if ln[0] in {b[0] for b in before["lines"]}]
        assert kept == before["lines"]  # nothing booked before is touched or doubled
        first = (dt.date.fromisoformat(reused[0]["bookingDate"]),
                 int(reused[0]["transactionAmount"]["amount"].replace(".", "")))
        assert sum(1 for ln in after["lines"] if ln[1] == mine and (ln[2], ln[3]) == first) == 1
        assert len(after["lines"]) - len(before["lines"]) == result.new
        assert attempt == 0 or result.new == 0
        before = after
