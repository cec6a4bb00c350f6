"""Plaid's HTTP edge: the keys, one POST, and Plaid's errors mapped into the error tree.

Every Plaid call is a ``POST`` of a JSON object to a path under the
environment's base URL (``https://production.plaid.com``, the sandbox
bank's ``/plaid``), authenticated by the ``PLAID-CLIENT-ID`` and
``PLAID-SECRET`` headers.  A failed call answers a 4xx or 5xx with an error
object (``error_type``, ``error_code``, ``error_message``,
``display_message``); the code decides the class here, once
(docs/banking.md, "Plaid"):

- ``ITEM_LOGIN_REQUIRED`` and the other codes that need the user at the bank
  -> :class:`ReauthRequired`;
- ``TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION`` -> :class:`MutationDuringPagination`,
  which the provider answers by starting its cursor loop over;
- ``RATE_LIMIT_EXCEEDED`` (or HTTP 429) -> :class:`RateLimited`;
- HTTP 5xx, Plaid's ``API_ERROR`` and the institution's outages -> :class:`TransientError`;
- anything else -> :class:`ProviderError` with Plaid's code (code ``invalid``,
  the user's input to fix, for a public token or institution Plaid does not know).

The client secret and the access token are the secrets: they travel only in
headers and bodies, never in a URL, and every message leaves through the
redactor of :class:`PlaidKeys`.  A message names the server by scheme and
host only, and of Plaid's error body only its code and message are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from booksync.providers.errors import (
    ProviderError,
    RateLimited,
    ReauthRequired,
    TransientError,
)
from booksync.providers.plaid_wire import load
from booksync.providers.redaction import Redactor
from booksync.providers.simplefin_http import retry_after_seconds
from booksync.providers.simplefin_values import sanitize_message
from booksync.providers.url_policy import public_origin, require_secure_url

__all__ = [
    "DEFAULT_URL",
    "MutationDuringPagination",
    "PlaidKeys",
    "post",
]

DEFAULT_URL = "https://production.plaid.com"

# Codes that only the user, signing in again through Plaid Link, can clear.
REAUTH_CODES = frozenset(
    {
        "ITEM_LOGIN_REQUIRED",
        "INVALID_ACCESS_TOKEN",
        "ITEM_NOT_FOUND",
        "ACCESS_NOT_GRANTED",
        "USER_PERMISSION_REVOKED",
        "PENDING_EXPIRATION",
        "PENDING_DISCONNECT",
    }
)
TRANSIENT_TYPES = frozenset({"API_ERROR", "INSTITUTION_ERROR"})
# What the user typed (a public token, an institution id): their input to fix.
INPUT_CODES = frozenset({"INVALID_PUBLIC_TOKEN", "INVALID_INSTITUTION"})
MUTATION = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
_MAX_REASON = 200
_MAX_ERROR_BODY = 64 * 1024


class MutationDuringPagination(TransientError):
    """Plaid's data changed while the cursor loop paged: start it over."""


@dataclass(frozen=True, slots=True)
class PlaidKeys:
    """booksync's Plaid keys and, once linked, one Item's access token.

    This is what a connection's sealed credentials hold (as JSON,
    :meth:`to_secret`), so a scheduled run needs no environment variables.
    ``repr`` shows neither the secret nor the access token.
    """

    client_id: str
    secret: str = field(repr=False)
    base_url: str = DEFAULT_URL
    access_token: str | None = field(default=None, repr=False)
    item_id: str | None = None

    def __post_init__(self) -> None:
        if not self.client_id.strip() or not self.secret.strip():
            raise ProviderError(
                "Plaid needs a client id and a secret (BOOKSYNC_PLAID_CLIENT_ID and "
                "BOOKSYNC_PLAID_SECRET, or --client-id and --secret).",
                code="invalid",
            )
        object.__setattr__(self, "base_url", require_secure_url(self.base_url.rstrip("/")))

    @property
    def origin(self) -> str:
        """The server as messages name it: scheme and host."""
        return public_origin(self.base_url)

    @property
    def redact(self) -> Redactor:
        """Masks the secret and the access token in every spelling."""
        return Redactor([s for s in (self.secret, self.access_token) if s])

    def linked(self, access_token: str, item_id: str | None) -> PlaidKeys:
        return replace(self, access_token=access_token, item_id=item_id)

    def to_secret(self) -> str:
        return json.dumps(
            {
                "client_id": self.client_id,
                "secret": self.secret,
                "url": self.base_url,
                "access_token": self.access_token,
                "item_id": self.item_id,
            },
            sort_keys=True,
        )

    @classmethod
    def from_secret(cls, text: str) -> PlaidKeys:
        try:
            data = json.loads(text)
            keys = cls(
                str(data["client_id"]),
                str(data["secret"]),
                str(data["url"]),
                str(data["access_token"]),
                None if data.get("item_id") is None else str(data["item_id"]),
            )
        except (ValueError, KeyError, TypeError):
            raise ProviderError(
                "The stored Plaid credentials cannot be read: connect the bank again."
            ) from None
        return keys


def _reason(response: httpx.Response) -> tuple[str, str, str]:
    """Plaid's error type, code and message (message cleaned, cut short; unredacted)."""
    content = response.content
    if not content or len(content) > _MAX_ERROR_BODY:
        return "", "", ""
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        return "", "", ""
    if not isinstance(data, dict):
        return "", "", ""
    kind, code = data.get("error_type"), data.get("error_code")
    message = data.get("display_message") or data.get("error_message")
    return (
        kind if isinstance(kind, str) else "",
        code if isinstance(code, str) else "",
        sanitize_message(message, _MAX_REASON) if isinstance(message, str) else "",
    )


def _raise_for(response: httpx.Response, origin: str, redact: Redactor) -> None:
    status = response.status_code
    kind, code, message = _reason(response)
    said = f" ({code}): {redact(message)}" if code and message else f" ({code})" if code else ""
    if code in REAUTH_CODES:
        raise ReauthRequired(
            f"Plaid needs you to sign in to your bank again{said}. Renew the connection "
            "with `booksync connect plaid --renew`; it keeps its journals and lines."
        )
    if code == MUTATION:
        raise MutationDuringPagination(f"Plaid's transactions changed while paging{said}.")
    if status == 429 or kind == "RATE_LIMIT_EXCEEDED":
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        raise RateLimited(f"Plaid at {origin} is rate limiting requests{said}.", retry_after)
    if status >= 500 or kind in TRANSIENT_TYPES:
        raise TransientError(f"Plaid at {origin} failed (HTTP {status}){said}.")
    raise ProviderError(
        f"Plaid at {origin} refused the request (HTTP {status}){said}.",
        code="invalid" if code in INPUT_CODES else None,
    )


def post(
    client: httpx.Client, keys: PlaidKeys, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    """POST ``body`` to ``path``; the answer's JSON object, every fraction a Decimal."""
    origin = keys.origin
    headers = {"PLAID-CLIENT-ID": keys.client_id, "PLAID-SECRET": keys.secret}
    try:
        response = client.post(f"{keys.base_url}{path}", json=body, headers=headers)
    except httpx.TimeoutException:
        raise TransientError(f"Plaid at {origin} did not answer in time.") from None
    except (httpx.NetworkError, httpx.ProtocolError, httpx.ProxyError) as exc:
        raise TransientError(
            f"Could not reach Plaid at {origin} ({type(exc).__name__})."
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise ProviderError(
            f"The request to Plaid at {origin} failed ({type(exc).__name__})."
        ) from None
    if response.status_code != 200:
        _raise_for(response, origin, keys.redact)
    return load(response.content)
