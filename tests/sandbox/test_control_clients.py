"""Every protocol's control path answers loopback clients only, wherever the sandbox listens.

A sandbox bound to every interface (``--host 0.0.0.0``) is reachable from
the network; its SimpleFIN, GoCardless and Plaid control paths must then
refuse a client that is not this machine's loopback, by its address, and
still serve this machine's own tools (docs/banking.md, "The sandbox bank").
Over real HTTP from a non-loopback address of this machine where it has
one, and through each protocol handler's own code with the client address
the server would hand it.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterator

import pytest

from booksync.sandbox.protocols import SandboxRequest, handler_for
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World
from tests.sandbox.conftest import TODAY, call

JSON = {"Content-Type": "application/json"}
REFUSED = "control endpoints answer loopback clients only"
# Each protocol's control paths: one that reads the bank, one that queues a fault.
READS = ["/_sandbox/state", "/gocardless/_sandbox/state", "/plaid/_sandbox/items"]
FAULTS = ["/_sandbox/faults", "/gocardless/_sandbox/faults", "/plaid/_sandbox/faults"]
FAULT = json.dumps({"kind": "http_500"}).encode()


def _own_address() -> str | None:
    """An IPv4 address of this machine that is not loopback, if it has one.

    A UDP socket "connected" to a documentation address sends nothing; it only
    asks the routing table which of the machine's addresses would send.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if ipaddress.ip_address(address).is_loopback else address


@pytest.fixture
def open_bank() -> Iterator[SandboxHandle]:
    """A sandbox listening on every interface, as ``--host 0.0.0.0`` makes it."""
    with start(host="0.0.0.0", world=World(5, today=TODAY)) as handle:
        yield handle


@pytest.mark.parametrize("read, fault", list(zip(READS, FAULTS, strict=True)))
def test_a_client_beyond_loopback_is_refused_over_http(
    open_bank: SandboxHandle, read: str, fault: str
) -> None:
    address = _own_address()
    if address is None:
        pytest.skip("this machine has no address beyond loopback")
    port = open_bank.server.server_address[1]
    outside, inside = f"http://{address}:{port}", f"http://127.0.0.1:{port}"
    refused = call(f"{outside}{fault}", "POST", FAULT, JSON)
    assert refused.status == 403
    assert refused.json() == {"error": {"code": "forbidden", "message": REFUSED}}
    assert call(f"{outside}{read}").status == 403
    # This machine's own tools still drive the same sandbox; the refused fault was
    # never queued.
    assert call(f"{inside}{read}").status == 200
    assert call(f"{inside}{fault}", "POST", FAULT, JSON).json() == {"queued": 1}


def _ask(bank: SandboxHandle, method: str, path: str, client: str,
         **headers: str) -> tuple[int, dict[str, object]]:
    """One request answered by the protocol handler serving ``path``, as the server
    calls it (under the world's lock), from ``client``."""
    handle = handler_for(path)
    assert handle is not None
    port = bank.server.server_address[1]
    request = SandboxRequest(method, path, "", {"Host": f"127.0.0.1:{port}", **JSON, **headers},
                             FAULT if method == "POST" else b"", bank.url, client)
    with bank.world.lock:
        reply = handle(bank.server, request)
    return reply.status, json.loads(reply.body)


@pytest.mark.parametrize("read, fault", list(zip(READS[1:], FAULTS[1:], strict=True)))
@pytest.mark.parametrize("client", ["192.0.2.7", "::ffff:10.0.0.1", "2001:db8::5"])
def test_each_protocol_handler_refuses_a_client_beyond_loopback(
    open_bank: SandboxHandle, read: str, fault: str, client: str
) -> None:
    assert _ask(open_bank, "POST", fault, client) == (
        403, {"error": {"code": "forbidden", "message": REFUSED}})
    assert _ask(open_bank, "GET", read, client)[0] == 403
    assert _ask(open_bank, "GET", read, "127.0.0.1")[0] == 200
    assert _ask(open_bank, "POST", fault, "::1") == (200, {"queued": 1})


@pytest.mark.parametrize("fault", FAULTS[1:])
def test_the_guard_reads_headers_whatever_their_case(open_bank: SandboxHandle,
                                                     fault: str) -> None:
    status, body = _ask(open_bank, "POST", fault, "127.0.0.1", origin="https://evil.example")
    assert status == 403 and body == {"error": {"code": "forbidden", "message":
                                                "control endpoints refuse requests from other "
                                                "origins"}}
