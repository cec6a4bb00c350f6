"""Entering a bank account by hand in a browser: **Create it** with a wrong IBAN is
refused next to **Account Number**, what was typed is kept, and nothing is saved
(docs/banking.md, "Institutions and bank accounts")."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN, Server, Shot, log_in


def test_create_it_with_a_wrong_iban_shows_the_error_by_account_number_and_saves_nothing(
    page: Page, server: Server, shot: Shot
) -> None:
    tables = ("bank_account", "bank", "journal", "account")
    before = {t: server.count(f"SELECT count(*) FROM {t}") for t in tables}
    log_in(page, ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Add a bank account").click()
    page.get_by_role("link", name="Create it", exact=True).last.click()
    page.get_by_label("Account Number").fill("DE89 3704 0044 0532 0130 01")
    page.get_by_label("Bank", exact=True).fill("Hausbank")
    page.get_by_label("Bank Identifier Code").fill("COBADEFFXXX")
    page.get_by_role("button", name="Create", exact=True).click()

    error = page.locator("#account_number + .field-error")
    expect(error).to_contain_text("not a valid IBAN")
    expect(page.get_by_label("Account Number")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Bank", exact=True)).to_have_value("Hausbank")
    expect(page.get_by_label("Bank Identifier Code")).to_have_value("COBADEFFXXX")
    assert page.locator(".field-error").count() == 1
    shot("create-it-wrong-iban")
    assert {t: server.count(f"SELECT count(*) FROM {t}") for t in tables} == before
