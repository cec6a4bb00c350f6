"""Who may drive the sandbox bank: the guard of its control endpoints.

``/_sandbox/...`` moves the bank's clock, adds transactions and queues
faults, so only the user's own tools may call it: a loopback client, asking
for the sandbox's own address, with no other site's ``Origin``.  A web page
open in the user's browser can send a "simple" cross-origin POST to
loopback, or reach it by DNS rebinding (a name of its own resolving to
127.0.0.1), but it cannot pass these checks, nor set the JSON content type a
control POST needs without a CORS preflight the sandbox never grants
(docs/banking.md, "The sandbox bank").  Every protocol's control path, and
SimpleFIN's, asks :func:`control_refused` about the request it was given,
so a sandbox listening beyond loopback still answers control to this
machine's own tools only.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from booksync.sandbox.protocols import SandboxReply, SandboxRequest, json_reply

__all__ = [
    "control_refusal",
    "control_refused",
    "is_loopback_client",
    "is_own_host",
    "media_type",
]


def is_loopback_client(address: str) -> bool:
    """Whether a client address is loopback (an IPv4 client of a dual-stack socket too)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped.is_loopback
    return parsed.is_loopback


def is_own_host(host: str, public_host: str | None) -> bool:
    """A Host the sandbox answers to: an IP address, localhost, or its public host.

    Any other name reaching a loopback socket came by DNS rebinding.
    """
    try:
        name = urlsplit(f"//{host}").hostname or ""
    except ValueError:  # "[::1" and the like
        return False
    if name == "localhost" or (public_host or "").strip("[]") == name:
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def control_refusal(
    client: str, host: str, origin: str | None, public_host: str | None
) -> str | None:
    """Why a control request is refused (answered 403), or None when it may go on."""
    if not is_loopback_client(client):
        return "control endpoints answer loopback clients only"
    if not is_own_host(host, public_host):
        return "control endpoints answer requests for the sandbox's own address only"
    if origin is not None and origin.rstrip("/").lower() != f"http://{host}".lower():
        return "control endpoints refuse requests from other origins"
    return None


def control_refused(request: SandboxRequest, public_host: str | None) -> SandboxReply | None:
    """The 403 answering a control request :func:`control_refusal` refuses, else None."""
    reason = control_refusal(request.client, request.header("Host") or "",
                             request.header("Origin"), public_host)
    if reason is None:
        return None
    return json_reply(403, {"error": {"code": "forbidden", "message": reason}})


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``."""
    return (content_type or "").split(";")[0].strip().lower()
