"""``booksync serve --workers 2``: two serving processes on one port, over loopback.

The server runs as a subprocess, as a person starts it; requests come on
fresh connections, so that either process may take each.  Every request
still checks its token in the database, so a revoked token fails on the
very next one whichever process answers; the sandbox bank runs once, in
the supervising process, and both serving processes reach it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from booksync.app.banking import add_bank_account
from booksync.app.context import open_books
from booksync.app.statements import add_line
from booksync.db.engine import session_factory
from booksync.ledger.models import Company
from booksync.statements.manual import ManualLine
from booksync.users.accounts import add_user
from booksync.users.models import ApiToken
from booksync.users.tokens import create_token
from booksync.web.server import ServeOptions, listening
from tests.cli.clitools import call

ADMIN = "admin@example.com"
CLI = "from booksync.cli.main import main; main()"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    """The serving processes uvicorn started (not multiprocessing's resource tracker)."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
        except FileNotFoundError:
            continue
    return found


class Served:
    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log

    def get(self, path: str, token: str) -> httpx.Response:
        """A request on a connection of its own (either process may accept it)."""
        with httpx.Client(base_url=self.url, timeout=30) as client:
            return client.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def serve(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(*options: str) -> Served:
        port = _free_port()
        log = tmp_path / f"serve-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-c", CLI, "--db", db_url, "serve", "--workers", "2",
                 "--no-worker", "--port", str(port), *options],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                env=os.environ.copy(),
            )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(url + "/login", timeout=2).status_code == 200 \
                        and len(_children(process.pid)) == 2:
                    return Served(process, url, log)
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"not serving within 90 s: {log.read_text()}")

    yield start
    for process in started:
        process.terminate()  # uvicorn's supervisor stops its serving processes too
        try:
            process.wait(timeout=60)
        finally:
            process.kill()  # nothing, once it has ended


def _token(session: Session) -> str:
    add_user(session, ADMIN, "admin", [], "correct horse battery")
    _row, token = create_token(session, ADMIN, "script")
    session.commit()
    return token


def test_two_processes_serve_and_a_revoked_token_fails_on_the_next_request(
        serve: Callable[..., Served], engine: Engine, session: Session,
        company: Company) -> None:
    with open_books(engine, "Acme Ltd") as books:
        add_bank_account(books, "DE89370400440532013000", "Main Bank")
        made = [int(add_line(books, ManualLine("BNK1", dt.date(2026, 5, 1), Decimal(n + 1),
                                               f"Line {n}"))["id"]) for n in range(3)]
    token = _token(session)
    served = serve()
    children = _children(served.process.pid)
    assert len(children) == 2
    for _ in range(12):
        answer = served.get("/api/v1/statement-lines?journal=BNK1", token)
        assert answer.status_code == 200, answer.text
        assert [item["id"] for item in answer.json()["items"]] == made[::-1]
    with session_factory(engine).begin() as writing:
        writing.execute(update(ApiToken).values(revoked=True))
    for _ in range(12):
        refused = served.get("/api/v1/statement-lines?journal=BNK1", token)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthenticated"
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0
    assert not any(Path(f"/proc/{child}").exists() for child in children)


def test_the_sandbox_bank_runs_once_and_both_processes_reach_it(
        serve: Callable[..., Served], session: Session, company: Company) -> None:
    token = _token(session)
    served = serve("--sandbox")
    log = served.log.read_text()
    assert log.count("the sandbox bank at http://127.0.0.1:") == 1, log
    for name in ("Banque du Lac", "Nordwerk Bank", "Sakura Shinyo Bank"):
        with httpx.Client(base_url=served.url, timeout=60) as client:
            answer = client.post("/api/v1/connections", json={"sandbox_institution": name},
                                 headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201, answer.text
        assert answer.json()["state"] == "connected"


def test_workers_must_be_at_least_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = call(capsys, "serve", "--workers", "0")
    assert code == 2 and "--workers" in err


def test_the_shared_port_answers_without_nagles_delay() -> None:
    """asyncio turns Nagle's algorithm off on the connections it accepts only from a
    socket made as TCP; with it on, each answer's body waited for the client's delayed
    acknowledgement of its headers."""
    shared = listening(ServeOptions(port=0))

    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def made(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(made, sock=shared)
        _reader, writer = await asyncio.open_connection(*shared.getsockname()[:2])
        found = await accepted
        writer.close()
        server.close()
        return found

    assert asyncio.run(accept_one()) != 0
