"""What each role sees: a viewer reads the Dashboard and the connections but has no
**Fetch now**; an accountant has it (docs/web.md, "Roles")."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import ACCOUNTANT, VIEWER, Server, Shot, log_in


def _connection_page(page: Page) -> None:
    """The demo's connection, reached from Online Synchronization."""
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Online Synchronization").click()
    page.locator("table a[href^='/connections/']").first.click()
    expect(page).to_have_url(re.compile(r"/connections/\d+$"))


def test_a_viewer_sees_no_fetch_now(page: Page, server: Server, shot: Shot) -> None:
    log_in(page, VIEWER)
    expect(page.locator(".card").first).to_be_visible()  # the Dashboard's bank journals
    expect(page.get_by_role("button", name="Fetch now")).to_have_count(0)
    _connection_page(page)
    expect(page.get_by_text("Connected").first).to_be_visible()
    expect(page.get_by_role("button", name="Fetch now")).to_have_count(0)
    shot("viewer-connection")


def test_an_accountant_has_fetch_now(page: Page, server: Server, shot: Shot) -> None:
    log_in(page, ACCOUNTANT)
    expect(page.get_by_role("button", name="Fetch now").first).to_be_visible()
    _connection_page(page)
    expect(page.get_by_role("button", name="Fetch now")).to_have_count(1)
    shot("accountant-connection")
