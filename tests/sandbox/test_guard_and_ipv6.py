"""The control endpoints refuse what a web page can send, and the sandbox speaks IPv6.

A page open in the user's browser may POST ``text/plain`` to any loopback
port without a CORS preflight, or reach it through a rebinding DNS name; the
control endpoints answer neither. Over real loopback HTTP, IPv4 and IPv6.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator

import pytest

from booksync.sandbox.guard import control_refusal, is_loopback_client, is_own_host, media_type
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World
from tests.sandbox.conftest import TODAY, Client, call, claim, control, needs_ipv6

ADVANCE = json.dumps({"days": 1}).encode()


def test_the_guard_rules_one_by_one() -> None:
    assert is_loopback_client("127.0.0.1") and is_loopback_client("::1")
    assert is_loopback_client("::ffff:127.0.0.1")  # IPv4 through a dual-stack socket
    assert not is_loopback_client("192.168.1.10") and not is_loopback_client("nonsense")
    assert is_own_host("127.0.0.1:8765", None) and is_own_host("[::1]:8765", None)
    assert is_own_host("localhost:8765", None) and is_own_host("bank.test:80", "bank.test")
    assert not is_own_host("rebound.example:8765", None) and not is_own_host("[::1", None)
    assert control_refusal("127.0.0.1", "127.0.0.1:1", "http://127.0.0.1:1/", None) is None
    assert "loopback" in str(control_refusal("10.0.0.1", "127.0.0.1:1", None, None))
    assert "own address" in str(control_refusal("127.0.0.1", "evil.example:1", None, None))
    assert "origins" in str(control_refusal("127.0.0.1", "127.0.0.1:1", "http://evil", None))
    assert media_type("Application/JSON; charset=utf-8") == "application/json"
    assert media_type(None) == ""


def _today(bank: SandboxHandle) -> str:
    return str(call(f"{bank.url}/_sandbox/state").json()["today"])


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "multipart/form-data; boundary=x"},
        {},
    ],
)
def test_a_control_post_that_is_not_json_is_refused(
    bank: SandboxHandle, headers: dict[str, str]
) -> None:
    before = _today(bank)
    reply = call(f"{bank.url}/_sandbox/advance", "POST", ADVANCE, headers)
    assert reply.status == 415
    assert reply.json()["error"]["code"] == "unsupported_media_type"
    assert _today(bank) == before
    faults = call(f"{bank.url}/_sandbox/faults", "POST", b'{"kind": "revoke"}', headers)
    assert faults.status == 415 and len(bank.faults) == 0


def test_json_with_a_charset_is_accepted(bank: SandboxHandle) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    assert call(f"{bank.url}/_sandbox/advance", "POST", ADVANCE, headers).status == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1"])
def test_a_foreign_origin_is_refused(bank: SandboxHandle, origin: str) -> None:
    before = _today(bank)
    headers = {"Content-Type": "application/json", "Origin": origin}
    reply = call(f"{bank.url}/_sandbox/advance", "POST", ADVANCE, headers)
    assert reply.status == 403 and "origin" in reply.json()["error"]["message"]
    assert _today(bank) == before
    assert call(f"{bank.url}/_sandbox/state", headers={"Origin": origin}).status == 403


def test_the_sandbox_own_origin_is_accepted(bank: SandboxHandle) -> None:
    headers = {"Content-Type": "application/json", "Origin": bank.url}
    assert call(f"{bank.url}/_sandbox/advance", "POST", ADVANCE, headers).status == 200


def test_a_rebound_host_name_is_refused(bank: SandboxHandle) -> None:
    """DNS rebinding: the page's own name, now pointing at 127.0.0.1, same origin."""
    port = bank.url.rsplit(":", 1)[1]
    host = f"rebind.evil.example:{port}"
    headers = {"Content-Type": "application/json", "Host": host, "Origin": f"http://{host}"}
    before = _today(bank)
    assert call(f"{bank.url}/_sandbox/advance", "POST", ADVANCE, headers).status == 403
    assert call(f"{bank.url}/_sandbox/state", headers={"Host": host}).status == 403
    assert _today(bank) == before
    for broken in ("[::1", "", "a b"):
        headers = {"Content-Type": "application/json", "Host": broken}
        assert call(f"{bank.url}/_sandbox/advance", "POST", ADVANCE, headers).status in (400, 403)
    local = {"Content-Type": "application/json", "Host": f"localhost:{port}"}
    assert call(f"{bank.url}/_sandbox/advance", "POST", ADVANCE, local).status == 200


@pytest.fixture
def bank6() -> Iterator[SandboxHandle]:
    handle = start(host="::1", world=World(4, today=TODAY))
    yield handle
    handle.stop()


@needs_ipv6
def test_the_sandbox_serves_ipv6_loopback(bank6: SandboxHandle) -> None:
    assert re.fullmatch(r"http://\[::1\]:\d+", bank6.url)
    token = bank6.setup_token()
    assert base64.b64decode(token).decode().startswith(f"{bank6.url}/simplefin/claim/")
    reply = claim(token)
    assert reply.status == 200
    client = Client(reply.body.decode())
    assert client.accounts().status == 200
    assert control(bank6, "advance", {"days": 1}).status == 200
    headers = {"Content-Type": "text/plain"}
    assert call(f"{bank6.url}/_sandbox/advance", "POST", ADVANCE, headers).status == 415


@needs_ipv6
def test_the_wildcard_ipv6_address_answers_both_families() -> None:
    with start(host="::", world=World(4, today=TODAY)) as handle:
        port = handle.server.server_address[1]
        for host in ("[::1]", "127.0.0.1"):
            assert call(f"http://{host}:{port}/simplefin/info").status == 200
            token = base64.b64decode(call(f"http://{host}:{port}/simplefin/create").body).decode()
            assert token.startswith(f"http://{host}:{port}/simplefin/claim/")
