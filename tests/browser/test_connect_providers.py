"""Connecting through GoCardless and Plaid in a browser: **Connect** on a GoCardless row,
on to the sandbox bank's consent page and back to the connection with its accounts;
a Plaid row in one click (docs/banking.md, "GoCardless Bank Account Data", "Plaid").

These connections add bank journals, and the page lists every sandbox bank under
each of its protocols, so this module serves books of its own (a fresh company and
an admin) with ``booksync serve --sandbox`` rather than the demo's that the other
browser tests share: their rows and the Dashboard's screenshot stay the demo's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from booksync.app.sandbox_catalogue import seed_sandbox_protocols
from booksync.db.engine import make_engine, session_factory
from tests.browser.conftest import ADMIN, PASSWORD, Server, Shot, _booksync, log_in, serving

COMPANY = "Acme Ltd"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fresh company and its admin, served with the sandbox bank beside it, and the
    sandbox's banks under every protocol it speaks (as the app lists them)."""
    folder = tmp_path_factory.mktemp("providers")
    db = folder / "books.db"
    _booksync("--db", str(db), "init", "--company", COMPANY)
    _booksync("--db", str(db), "user", "add", ADMIN, "--role", "admin", "--password-stdin",
              stdin=PASSWORD + "\n")
    engine = make_engine(f"sqlite:///{db}")
    with session_factory(engine).begin() as session:
        seed_sandbox_protocols(session)
    engine.dispose()
    yield from serving(folder, db)


def test_gocardless_goes_to_the_banks_consent_page_and_back_and_plaid_takes_one_click(
    page: Page, server: Server, shot: Shot
) -> None:
    log_in(page, ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Add a bank account").click()
    gocardless = page.locator('tr[data-provider="gocardless"]', has_text="Nordwerk Bank")
    expect(gocardless).to_have_count(1)
    expect(gocardless).to_contain_text("via GoCardless")
    expect(page.locator("tr", has_text="Nordwerk Bank")).to_have_count(3)  # one per protocol
    shot("add-a-bank-account-providers")
    gocardless.get_by_role("button", name="Connect").click()

    expect(page.get_by_role("heading", name="Consent at Nordwerk Bank")).to_be_visible()
    waiting = re.search(r"/connections/(\d+)/consent$", page.url)
    assert waiting, page.url
    connection = int(waiting.group(1))
    shot("gocardless-consent")
    page.get_by_role("link", name="Continue to Nordwerk Bank").click()

    # The sandbox's consent page gives consent and sends the browser back, which links
    # the accounts and shows the connection.
    expect(page).to_have_url(re.compile(rf"/connections/{connection}\?done=linked$"))
    expect(page.get_by_role("status")).to_have_text("Connected 2 accounts.")
    expect(page.locator(".badge", has_text=re.compile(r"^\s*Connected\s*$"))).to_be_visible()
    accounts = page.locator("table.accounts tbody tr")
    expect(accounts).to_have_count(2)
    expect(accounts.filter(has_text="Geschäftskonto")).to_have_count(1)
    expect(accounts.filter(has_text="Tagesgeld")).to_have_count(1)
    shot("gocardless-connected")
    assert server.count("SELECT count(*) FROM provider_account WHERE connection_id = ?"
                        " AND journal_id IS NOT NULL", connection) == 2

    page.goto("/institutions")
    plaid = page.locator('tr[data-provider="plaid"]', has_text="Sakura Shinyo Bank")
    expect(plaid).to_contain_text("via Plaid")
    plaid.get_by_role("button", name="Connect").click()
    expect(page).to_have_url(re.compile(r"/connections/\d+$"))
    expect(page.get_by_role("heading", name="Sakura Shinyo Bank")).to_be_visible()
    expect(page.locator("table.accounts tbody tr")).to_have_count(2)
    assert server.count("SELECT count(*) FROM connection WHERE provider = 'plaid'"
                        " AND state = 'connected'") == 1
