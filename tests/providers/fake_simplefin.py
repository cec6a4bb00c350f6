"""An ``httpx.MockTransport`` handler for SimpleFIN edge cases.

Only for what a real server can't easily produce (docs/architecture.md, "Errors"): odd
statuses, broken bodies, transport failures. It records every request.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx

from booksync.providers.simplefin import SimpleFINProvider

USERNAME = "booksync-user-7f3a"
PASSWORD = "s3cr3t-Pa55w0rd-9b1c"
ACCESS_URL = f"https://{USERNAME}:{PASSWORD}@sfin.example/simplefin"
CLAIM_TOKEN = "CLAIM-ONE-TIME-5e2d"
CLAIM_URL = f"https://sfin.example/simplefin/claim/{CLAIM_TOKEN}"
SETUP_TOKEN = base64.b64encode(CLAIM_URL.encode()).decode()
SECRETS = (USERNAME, PASSWORD, CLAIM_TOKEN, SETUP_TOKEN)

Handler = Callable[[httpx.Request], httpx.Response]


def account_set(*accounts: dict[str, Any], errlist: list[dict[str, Any]] | None = None) -> bytes:
    body: dict[str, Any] = {"accounts": list(accounts), "connections": []}
    if errlist is not None:
        body["errlist"] = errlist
    return json.dumps(body).encode()


def account(account_id: str, *transactions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": account_id,
        "name": f"Account {account_id}",
        "currency": "USD",
        "balance": "100.00",
        "balance-date": 1772668800,
        "transactions": list(transactions),
        **extra,
    }


class FakeServer:
    """Answers every request with ``handler`` and keeps the requests."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def provider(self) -> SimpleFINProvider:
        client = httpx.Client(transport=httpx.MockTransport(self))
        return SimpleFINProvider(client=client)
