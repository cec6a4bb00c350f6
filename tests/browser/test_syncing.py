"""Online synchronization in a browser: **Add a bank account**, one click to connect a
sandbox bank, then **Fetch now** with its counts arriving live (docs/banking.md, "A
synchronization run").

The module's name sorts it last: it adds bank journals to the served books,
and the Dashboard's screenshot (test_sign_in) shows the demo's own."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN, Server, Shot, log_in

RUN_SECONDS = 90

# Every text the progress element shows, in order, recorded in the page as it changes.
RECORD_PROGRESS = """() => {
  window.progressSeen = [];
  const note = () => {
    const shown = document.querySelector('.progress');
    const text = shown ? shown.textContent.trim() : '';
    const seen = window.progressSeen;
    if (text && seen[seen.length - 1] !== text) seen.push(text);
  };
  new MutationObserver(note).observe(document.body,
    {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def _finished_run(server: Server, connection: int) -> dict[str, Any]:
    """The connection's one run, once finished, as ``booksync sync log --json`` shows it."""
    deadline = time.monotonic() + RUN_SECONDS
    while time.monotonic() < deadline:
        if server.count("SELECT count(*) FROM sync_run WHERE connection_id = ?"
                        " AND finished_at IS NOT NULL", connection):
            (run,) = server.cli_json("sync", "log", str(connection))
            return dict(run)
        time.sleep(0.5)
    raise AssertionError(f"no run of connection {connection} finished in {RUN_SECONDS} s")


def test_a_sandbox_bank_connects_in_one_click_and_fetch_now_shows_the_counts(
    page: Page, server: Server, shot: Shot
) -> None:
    before = server.count("SELECT count(*) FROM connection")
    log_in(page, ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Add a bank account").click()
    expect(page.get_by_role("heading", name="Add a bank account")).to_be_visible()
    bank = page.locator('tr[data-provider="simplefin"]', has_text="Nordwerk Bank")
    expect(bank).to_have_count(1)
    shot("add-a-bank-account")
    bank.get_by_role("button", name="Connect").click()

    expect(page).to_have_url(re.compile(r"/connections/\d+$"))
    connection = int(page.url.rsplit("/", 1)[1])
    assert server.count("SELECT count(*) FROM connection") == before + 1
    assert server.count("SELECT count(*) FROM sync_run WHERE connection_id = ?",
                        connection) == 0
    page.evaluate(RECORD_PROGRESS)
    page.get_by_role("button", name="Fetch now").click()

    run = _finished_run(server, connection)
    fetched, new, reconciled = run["fetched"], run["new"], run["reconciled"]
    assert run["state"] == "success" and fetched > 0 and new > 0, run
    progress = page.locator(".progress")
    # the run's counts, as its result says them
    expect(progress).to_contain_text(
        re.compile(rf"fetched {fetched}\b.*new {new}\b.*reconciled {reconciled}\b"))
    # the page's script wrote the counts as they came, then the result (a reload would
    # have lost the recorder): some "new N" seen before the end is a part of the total
    seen = page.evaluate("() => window.progressSeen")
    assert isinstance(seen, list) and len(seen) >= 2, seen
    partial = [int(n) for text in seen[:-1] for n in re.findall(r"\bnew (\d+)", text)]
    assert any(0 < n < new for n in partial), seen
    expect(page.locator(".badge", has_text=re.compile(r"^\s*Connected\s*$")).first).to_be_visible()
    shot("fetch-now")
    lines = server.count(
        "SELECT count(*) FROM statement_line s JOIN provider_account p"
        " ON p.journal_id = s.journal_id WHERE p.connection_id = ? AND NOT s.is_opening",
        connection)
    assert lines == new  # what the page said is what the books got
