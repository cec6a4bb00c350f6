"""Reconciling in a browser: from the Dashboard's **Reconcile** to a bank line waiting
with a suggestion, **Apply**, and the invoice it pays shows **Paid**.

The demo leaves one such line in BNK1: a transfer naming only the customer's
IBAN, suggested for the one invoice of the same amount (docs/banking.md,
"The sandbox bank")."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import ACCOUNTANT, Server, Shot, log_in

JOURNAL = "BNK1"


def _waiting_line(server: Server) -> tuple[dict[str, Any], str]:
    """The line of JOURNAL with a suggestion, and the invoice suggested."""
    lines = server.cli_json("reconcile", "list", "--journal", JOURNAL)
    (line,) = [line for line in lines if line["suggestions"]]
    (number,) = line["suggestions"][0]["documents"]
    return line, number


def test_applying_the_suggestion_reconciles_the_line_and_pays_the_invoice(
    page: Page, server: Server, shot: Shot
) -> None:
    line, number = _waiting_line(server)
    assert server.cli_json("invoice", "show", number)["payment_state"] == "not_paid"
    log_in(page, ACCOUNTANT)
    card = page.locator(".card").filter(
        has=page.get_by_role("heading", name=re.compile(rf"\b{JOURNAL}$")))
    card.get_by_role("link", name="Reconcile").click()
    expect(page).to_have_url(re.compile(rf"/statements\?journal={JOURNAL}&filter=to_reconcile"))
    expect(page.locator("nav.menu a[aria-current=page]")).to_have_text("Bank statement lines")
    page.get_by_role("searchbox").fill("NL91 ABNA")
    page.get_by_role("searchbox").press("Enter")
    row = page.locator("tr", has_text=line["label"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text("To reconcile")
    shot("bank-statement-lines")
    row.get_by_role("link").first.click()

    expect(page).to_have_url(re.compile(rf"/statements/{line['id']}$"))
    expect(page.locator(".badge", has_text="To reconcile")).to_be_visible()
    suggestion = page.locator("tr", has_text=number).filter(
        has=page.get_by_role("button", name="Apply"))
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("same amount")
    shot("reconcile")
    suggestion.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(re.compile(rf"/statements/{line['id']}(\?|$)"))
    expect(page.locator(".badge", has_text=re.compile(r"^\s*Reconciled\s*$"))).to_be_visible()
    expect(page.get_by_text(f"Reconciled with {number}")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    assert server.cli_json("invoice", "show", number)["payment_state"] == "paid"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
    invoice = page.locator("tr", has_text=number)
    expect(invoice).to_contain_text("Paid")
    invoice.get_by_role("link", name=number).click()
    expect(page.locator(".badge", has_text=re.compile(r"^\s*Paid\s*$")).first).to_be_visible()
    shot("invoice-paid")
