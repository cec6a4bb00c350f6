"""Signing in with a browser: the login page, the Secure session cookie over loopback
HTTP, the Dashboard; a wrong password (docs/web.md, "Signing in")."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import ACCOUNTANT, Server, Shot, log_in


def test_signing_in_opens_the_dashboard(page: Page, server: Server, shot: Shot) -> None:
    page.goto("/")
    expect(page).to_have_url(f"{server.url}/login?next=%2F")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    shot("login")
    log_in(page, ACCOUNTANT)
    expect(page).to_have_url(f"{server.url}/")
    # Chromium keeps the Secure cookie from http://127.0.0.1: loopback is a secure context
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "booksync_session"]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    expect(page.locator("nav.menu a[aria-current=page]")).to_have_text("Dashboard")
    expect(page.locator("header .email")).to_have_text(f"{ACCOUNTANT} (accountant)")
    books = server.cli_json("journal", "list")
    banks = [j for j in books if j["type"] == "bank"]
    expect(page.locator(".card")).to_have_count(len(banks))  # a card per bank journal
    for journal in banks:
        expect(page.get_by_role("heading", name=f"{journal['name']} {journal['code']}")
               ).to_be_visible()
    shot("dashboard")


def test_a_wrong_password_shows_the_error_and_signs_nobody_in(
    page: Page, server: Server, shot: Shot
) -> None:
    log_in(page, ACCOUNTANT, "not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Email")).to_have_value(ACCOUNTANT)
    shot("wrong-password")
    expect(page).to_have_url(f"{server.url}/login")
    assert not [c for c in page.context.cookies() if c["name"] == "booksync_session"]
    page.goto("/")
    expect(page).to_have_url(f"{server.url}/login?next=%2F")
