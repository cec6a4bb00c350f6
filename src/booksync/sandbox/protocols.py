"""The sandbox bank's other protocols: each a module with one ``handle`` function.

SimpleFIN is served by ``server.py`` itself; GoCardless Bank Account Data, Plaid
and the ECB's rate feed each live in a module of their own, reached under their
path prefix (docs/banking.md, "The sandbox bank").  A module answers
:class:`SandboxRequest` with a :class:`SandboxReply` and keeps whatever it
remembers (tokens, agreements, cursors, queued faults) in the server's
``protocol_state`` under its own name, so that one world and one port serve
every protocol.  A request carries its client's address, which every control
path checks (:func:`booksync.sandbox.guard.control_refused`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["ROUTES", "SandboxReply", "SandboxRequest", "handler_for", "json_reply"]

ROUTES: dict[str, str] = {
    "/gocardless/": "booksync.sandbox.gocardless",
    "/plaid/": "booksync.sandbox.plaid",
    "/ecb/": "booksync.sandbox.ecb",
}
"""Path prefix -> the module whose ``handle(server, request)`` answers under it."""


@dataclass(frozen=True, slots=True)
class SandboxRequest:
    """One HTTP request as a protocol module sees it; ``path`` without the query,
    ``client`` the address it came from."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    base_url: str
    client: str

    def header(self, name: str) -> str | None:
        """The header ``name``, however the client spelled its case."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted),
                    None)


@dataclass(frozen=True, slots=True)
class SandboxReply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, data: Any, **headers: str) -> SandboxReply:
    return SandboxReply(status, orjson.dumps(data), "application/json", dict(headers))


Handler = Callable[[Any, SandboxRequest], SandboxReply]


def handler_for(path: str) -> Handler | None:
    """The ``handle`` of the module serving ``path``, or None when no module does."""
    for prefix, module in ROUTES.items():
        if path.startswith(prefix):
            try:
                found: Handler = importlib.import_module(module).handle
            except ModuleNotFoundError:
                return None
            return found
    return None
