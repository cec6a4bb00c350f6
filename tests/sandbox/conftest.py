"""Fixtures for the sandbox bank: a fixed-date world and a running server.

The client side is plain ``urllib`` over real loopback HTTP, so these tests
check the wire exactly as a SimpleFIN client sees it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import pytest

from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World

TODAY = dt.date(2026, 3, 10)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    url: str,
    method: str = "GET",
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5,
) -> Reply:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, dict(exc.headers), exc.read())


def control(bank: SandboxHandle, path: str, body: Any) -> Reply:
    payload = json.dumps(body).encode()
    return call(
        f"{bank.url}/_sandbox/{path}", "POST", payload, {"Content-Type": "application/json"}
    )


def claim(token: str) -> Reply:
    return call(base64.b64decode(token).decode(), "POST", b"")


@dataclass
class Client:
    """A minimal SimpleFIN client holding an access URL."""

    access_url: str

    def auth(self) -> dict[str, str]:
        parts = urlsplit(self.access_url)
        pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def base(self) -> str:
        parts = urlsplit(self.access_url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port}{parts.path}"

    def accounts(self, params: Any = (), timeout: float = 5) -> Reply:
        query = urlencode(params, doseq=True)
        return call(f"{self.base()}/accounts?{query}", headers=self.auth(), timeout=timeout)


def _ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")


@pytest.fixture
def world() -> World:
    return World(11, today=TODAY)


@pytest.fixture
def bank(world: World) -> Iterator[SandboxHandle]:
    handle = start(world=world)
    yield handle
    handle.stop()


@pytest.fixture
def client(bank: SandboxHandle) -> Client:
    reply = claim(bank.setup_token())
    assert reply.status == 200
    return Client(reply.body.decode())
