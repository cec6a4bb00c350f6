"""Browser tests: Debian's Chromium, driven by Playwright, against a real ``booksync serve``.

Once per session (per xdist worker) a fresh SQLite file gets the demo's
books (``booksync demo --path``: a company with months of activity, bank
journals, invoices the sandbox bank paid and one still waiting for a person)
and one user per role (``booksync user add ... --password-stdin``); then
the installed ``booksync serve --sandbox`` runs on a free loopback port, in
a process of its own, exactly as a user starts it.  Each test gets a fresh
browser context (no cookies), so it signs in like a person would.

Chromium is the system's (``/usr/bin/chromium``, Debian's package), never a
build downloaded by ``playwright install``.  Without it the tests skip,
except under ``CI=true`` where they fail: CI installs it (``.ci/run``).

Every test saves screenshots; ``BOOKSYNC_SCREENSHOTS=docs/screenshots``
writes them there (the README's pictures) instead of a temporary folder
(docs/web.md, "Browser tests").
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
COMPANY = "Demo Trading Ltd"  # the company `booksync demo` makes
PASSWORD = "correct horse battery"
ADMIN = "admin@example.com"
ACCOUNTANT = "accountant@example.com"
VIEWER = "viewer@example.com"
USERS = {ADMIN: ("admin", []), ACCOUNTANT: ("accountant", [COMPANY]),
         VIEWER: ("viewer", [COMPANY])}
VIEWPORT = {"width": 1280, "height": 800}
STARTUP_SECONDS = 60
TIMEOUT_MS = 20_000  # what a step may take on a loaded two-core machine


def _unavailable(reason: str) -> None:
    """Skip, except under CI=true: there the browser tests must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs it)")
    pytest.skip(reason)


@dataclass(frozen=True)
class Server:
    """A running ``booksync serve`` and the database file it serves."""

    url: str
    db: Path
    log: Path

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """``booksync --db DB ARGS`` in a process of its own; its stdout (it must succeed)."""
        return _booksync("--db", str(self.db), *args, stdin=stdin)

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json"))

    def count(self, sql: str, *params: object) -> int:
        """One number from the served file, read-only (e.g. rows before and after a form)."""
        with closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)) as db:
            return int(db.execute(sql, params).fetchone()[0])


def _command() -> list[str]:
    """The installed ``booksync`` script beside this interpreter, else the module's entry."""
    script = Path(sys.executable).with_name("booksync")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from booksync.cli.main import main; main()"]


def _environment(key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKSYNC_")}
    env["BOOKSYNC_SECRET_KEY"] = key  # never the user's key file
    return env


_KEY = Fernet.generate_key().decode()


def _booksync(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run([*_command(), *args], input=stdin, capture_output=True, text=True,
                          timeout=180, env=_environment(_KEY))
    assert done.returncode == 0, f"booksync {' '.join(args)}: {done.stderr}"
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"booksync serve stopped with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"booksync serve did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn finishes what it serves), then kill if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def serving(folder: Path, db: Path) -> Iterator[Server]:
    """``booksync serve --sandbox --no-worker`` over ``db`` on a free port, up until the
    caller is done (its log in ``folder``)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*_command(), "--db", str(db), "serve", "--sandbox", "--no-worker",
             "--port", str(port)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            env=_environment(_KEY),
        )
    try:
        _wait_until_up(process, url, log)
        yield Server(url, db, log)
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo's books with a user per role, served by ``booksync serve --sandbox``.

    ``--no-worker``: no scheduled run races the tests' **Fetch now** (a new
    connection is due at once); the fetch itself runs in the server as it
    always does.
    """
    folder = tmp_path_factory.mktemp("served")
    db = folder / "demo.db"
    _booksync("demo", "--path", str(db))
    for email, (role, companies) in USERS.items():
        grants = [arg for name in companies for arg in ("--company", name)]
        _booksync("--db", str(db), "user", "add", email, "--role", role, *grants,
                  "--password-stdin", stdin=PASSWORD + "\n")
    yield from serving(folder, db)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the server, 1280x800."""
    context = browser.new_context(base_url=server.url, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``BOOKSYNC_SCREENSHOTS`` (e.g. docs/screenshots), else a temp dir."""
    chosen = os.environ.get("BOOKSYNC_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


Shot = Callable[[str], Path]


@pytest.fixture
def shot(page: Page, screenshots: Path) -> Shot:
    """``shot("dashboard")`` saves the viewport as ``dashboard.png``."""

    def save(name: str) -> Path:
        if not re.fullmatch(r"[a-z0-9-]+", name):
            raise ValueError(f"screenshot name {name!r}: lower-case letters, digits, dashes")
        path = screenshots / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return save


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login page, as a person does."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
