"""GoCardless Bank Account Data's HTTP edge: tokens, requests, answers mapped into errors.

API v2 (docs/banking.md, "GoCardless Bank Account Data"): a user's *secret id*
and *secret key* buy an access token (``POST /api/v2/token/new/``, valid for a
day) and a refresh token (valid for a month); ``POST /api/v2/token/refresh/``
turns the refresh token into a new access token.  Every other call carries
``Authorization: Bearer ACCESS``.

Why a cache for the whole process: a token pair is worth a month, a new one
costs a request, and the worker runs every connection of the same secrets in
one process.  The cache is keyed by the API's address, the secret id and a
digest of the secret key, so a changed key never reuses a token of the old
one.  A token is refreshed a minute before its end; a 401 that says the token
is invalid (the server forgot it, or our clock is wrong) drops it and the call
is tried once more with a fresh one.

Every httpx exception and HTTP status is translated here, once: 429 is
:class:`RateLimited` with the wait the answer states (its ``detail`` says "try
again in N seconds", or the ``X-RateLimit-*-Reset`` headers), an expired or
revoked End User Agreement is :class:`ReauthRequired`, 5xx and network
failures are :class:`TransientError`.  Of a failed answer only GoCardless's own
``summary`` and ``detail`` fields are kept, with the secrets and tokens masked
and cut short (docs/banking.md, "Outbound requests").
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from booksync.providers.errors import (
    ProviderError,
    ProviderProtocolError,
    RateLimited,
    ReauthRequired,
    TransientError,
)
from booksync.providers.redaction import Redactor
from booksync.providers.simplefin_values import clean_text, sanitize_message
from booksync.providers.url_policy import public_origin, require_secure_url

__all__ = ["DEFAULT_URL", "GoCardlessClient", "Secrets", "clear_token_cache", "error_text"]

DEFAULT_URL = "https://bankaccountdata.gocardless.com"
NAME = "GoCardless Bank Account Data"
_API = "/api/v2"
_EARLY = 60.0  # seconds before its end a token is renewed
_MAX_REASON = 200
_MAX_ERROR_BODY = 64 * 1024
_WAIT = re.compile(r"try again in (\d+)\s*second", re.IGNORECASE)
_AGREEMENT = re.compile(r"end user agreement|\beua\b")
_RESET_HEADERS = ("X-RateLimit-Account-Success-Reset", "X-RateLimit-Reset", "Retry-After")


@dataclass(frozen=True, slots=True)
class Secrets:
    """Where the API is and the user's secret pair; ``repr`` shows neither secret."""

    base_url: str
    secret_id: str = field(repr=False)
    secret_key: str = field(repr=False)

    @classmethod
    def checked(cls, base_url: str, secret_id: str, secret_key: str) -> Secrets:
        """The pair with blanks stripped; an empty one is the user's input to fix."""
        secret_id, secret_key = secret_id.strip(), secret_key.strip()
        if not secret_id or not secret_key:
            raise ProviderError(
                f"{NAME} needs a secret id and a secret key (from its portal, "
                "User secrets).",
                code="invalid",
            )
        return cls(require_secure_url(base_url).rstrip("/"), secret_id, secret_key)

    @property
    def origin(self) -> str:
        return public_origin(self.base_url)

    def key(self) -> tuple[str, str, str]:
        digest = hashlib.sha256(self.secret_key.encode()).hexdigest()
        return (self.base_url, self.secret_id, digest)


@dataclass(slots=True)
class _Tokens:
    access: str
    access_until: float
    refresh: str
    refresh_until: float


_CACHE: dict[tuple[str, str, str], _Tokens] = {}
_CACHE_LOCK = threading.Lock()


def clear_token_cache() -> None:
    """Forget every cached token (tests, and a process that changed its secrets)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def error_text(content: bytes, redact: Callable[[str], str]) -> str:
    """GoCardless's own error fields in a failed answer, masked and cut short.

    The API answers ``{"summary", "detail", "status_code"}``, or, for a
    refused field, ``{"field": {"summary", "detail"}}`` or ``{"field":
    ["message"]}``.  Nothing else of a body is ever shown or stored; masking
    comes before the cut, so a cut cannot fall inside a secret.
    """
    if not content or len(content) > _MAX_ERROR_BODY:
        return ""
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(data, dict):
        return ""
    parts = list(_fields(data))
    if not parts:
        for name, value in data.items():
            if isinstance(value, dict):
                parts += [f"{name}: {p}" for p in _fields(value)]
            elif isinstance(value, list):
                parts += [f"{name}: {v}" for v in value if isinstance(v, str) and v.strip()]
    text = "; ".join(dict.fromkeys(p for p in parts if p.strip()))
    return sanitize_message(redact(clean_text(text)), _MAX_REASON)


def _fields(data: Mapping[str, Any]) -> Iterable[str]:
    for name in ("summary", "detail"):
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, str) and v.strip())


def _wait_seconds(response: httpx.Response, reason: str) -> float | None:
    """How long a 429 says to wait: its detail's "try again in N seconds", else a header."""
    found = _WAIT.search(reason)
    if found:
        return float(found.group(1))
    for name in _RESET_HEADERS:
        value = (response.headers.get(name) or "").strip()
        if value.isdigit():
            return float(value)
    return None


def _consent_over(status: int, reason: str) -> bool:
    """The bank's consent is gone: an expired or revoked agreement, a suspended account."""
    if status not in (400, 401, 403, 409):
        return False
    text = reason.lower()
    ended = "expired" in text or "revoked" in text
    agreement = _AGREEMENT.search(text) is not None
    return (agreement and ended) or (status != 400 and "access" in text and ended) or (
        status in (403, 409) and "suspended" in text
    )


def _token_refused(status: int, reason: str) -> bool:
    return status == 401 and "token" in reason.lower()


class GoCardlessClient:
    """Requests to one API with one secret pair; tokens come from the process cache.

    ``seconds`` is the clock token lifetimes are measured on (tests move it).
    """

    def __init__(
        self,
        http: httpx.Client,
        secrets: Secrets,
        *,
        seconds: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self.secrets = secrets
        self._seconds = seconds
        self.origin = secrets.origin

    # -- masking ------------------------------------------------------------

    def redact(self, text: str) -> str:
        """``text`` with the secret pair and this pair's tokens masked in every spelling."""
        known = [self.secrets.secret_id, self.secrets.secret_key]
        with _CACHE_LOCK:
            tokens = _CACHE.get(self.secrets.key())
        if tokens is not None:
            known += [tokens.access, tokens.refresh]
        return Redactor(known)(text)

    # -- tokens -------------------------------------------------------------

    def _token(self) -> str:
        """A valid access token: cached, refreshed, or new."""
        key = self.secrets.key()
        now = self._seconds()
        with _CACHE_LOCK:
            tokens = _CACHE.get(key)
        if tokens is not None and tokens.access_until - _EARLY > now:
            return tokens.access
        if tokens is not None and tokens.refresh_until - _EARLY > now:
            refreshed = self._refresh(tokens)
            if refreshed is not None:
                return refreshed
        return self._new_tokens()

    def _new_tokens(self) -> str:
        body = {"secret_id": self.secrets.secret_id, "secret_key": self.secrets.secret_key}
        response = self._send("POST", "/token/new/", json_body=body)
        if response.status_code in (401, 403):
            reason = error_text(response.content, self.redact)
            raise ReauthRequired(
                f"{NAME} at {self.origin} refused the secret id and key (HTTP "
                f"{response.status_code}){_because(reason)}: check them in its portal (User "
                "secrets) and give them again."
            )
        data = self._checked(response, "a token")
        now = self._seconds()
        tokens = _Tokens(
            _token_field(data, "access", self.origin),
            now + _lifetime(data, "access_expires", self.origin),
            _token_field(data, "refresh", self.origin),
            now + _lifetime(data, "refresh_expires", self.origin),
        )
        with _CACHE_LOCK:
            _CACHE[self.secrets.key()] = tokens
        return tokens.access

    def _refresh(self, tokens: _Tokens) -> str | None:
        """A new access token from the refresh token, or None when it was refused."""
        response = self._send("POST", "/token/refresh/", json_body={"refresh": tokens.refresh})
        if response.status_code in (401, 403):
            self._forget(tokens.access, refresh_too=True)
            return None
        data = self._checked(response, "a token")
        access = _token_field(data, "access", self.origin)
        lifetime = _lifetime(data, "access_expires", self.origin)
        renewed = _Tokens(access, self._seconds() + lifetime, tokens.refresh, tokens.refresh_until)
        with _CACHE_LOCK:
            _CACHE[self.secrets.key()] = renewed
        return access

    def _forget(self, access: str, *, refresh_too: bool = False) -> None:
        """The server refused ``access`` (and its refresh token, with ``refresh_too``): the
        next call refreshes it, or asks for a new pair.  Only if no other thread replaced
        it meanwhile."""
        key = self.secrets.key()
        with _CACHE_LOCK:
            tokens = _CACHE.get(key)
            if tokens is None or tokens.access != access:
                return
            if refresh_too:
                del _CACHE[key]
            else:
                tokens.access_until = 0.0

    # -- calls --------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, str] | None = None) -> bytes:
        """The body of a successful ``GET {API}{path}``."""
        return self._call("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any]) -> bytes:
        return self._call("POST", path, json_body=body)

    def delete(self, path: str) -> bytes:
        return self._call("DELETE", path)

    def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> bytes:
        access = self._token()
        response = self._send(method, path, access, json_body=json_body, params=params)
        if response.status_code == 401 and _token_refused(401, _reason(response)):
            self._forget(access)
            access = self._token()
            response = self._send(method, path, access, json_body=json_body, params=params)
        self.check(response)
        return response.content

    def _send(
        self,
        method: str,
        path: str,
        access: str | None = None,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if access is not None:
            headers["Authorization"] = f"Bearer {access}"
        content = None
        if json_body is not None:
            content = orjson.dumps(json_body)
            headers["Content-Type"] = "application/json"
        url = f"{self.secrets.base_url}{_API}{path}"
        origin = self.origin
        try:
            return self._http.request(
                method, url, content=content, params=params, headers=headers
            )
        except httpx.TimeoutException:
            raise TransientError(f"{NAME} at {origin} did not answer in time.") from None
        except (httpx.NetworkError, httpx.ProtocolError, httpx.ProxyError) as exc:
            raise TransientError(
                f"Could not reach {NAME} at {origin} ({type(exc).__name__})."
            ) from None
        except httpx.DecodingError:
            raise ProviderProtocolError(
                f"{NAME} at {origin} sent a body that could not be decoded."
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise ProviderError(
                f"The request to {NAME} at {origin} failed ({type(exc).__name__})."
            ) from None

    def _checked(self, response: httpx.Response, what: str) -> dict[str, Any]:
        self.check(response)
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            raise ProviderProtocolError(f"{NAME} at {self.origin} did not answer with {what}.")
        return data

    def check(self, response: httpx.Response) -> None:
        """Raise the provider error an unsuccessful answer means."""
        status = response.status_code
        if status in (200, 201):
            return
        reason = error_text(response.content, self.redact)
        because = _because(reason)
        origin = self.origin
        if status == 429:
            wait = _wait_seconds(response, reason)
            when = f"try again in {wait:.0f} seconds" if wait is not None else "try again later"
            raise RateLimited(
                f"{NAME} at {origin} refused the request: its rate limit is reached "
                f"(HTTP 429{because}); {when}.",
                wait,
            )
        if status >= 500:
            raise TransientError(f"{NAME} at {origin} failed (HTTP {status}).")
        if _consent_over(status, reason):
            raise ReauthRequired(
                f"The bank's consent through {NAME} has ended (HTTP {status}{because}): "
                "renew the connection to give it again."
            )
        if status == 404:
            raise ProviderError(f"{NAME} at {origin} knows no such thing (HTTP 404{because}).")
        raise ProviderError(f"{NAME} at {origin} refused the request (HTTP {status}{because}).")


def _reason(response: httpx.Response) -> str:
    return error_text(response.content, lambda text: text)


def _because(reason: str) -> str:
    return f": {reason}" if reason else ""


def _token_field(data: Mapping[str, Any], name: str, origin: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ProviderProtocolError(f"{NAME} at {origin} sent a token answer without '{name}'.")
    return value


def _lifetime(data: Mapping[str, Any], name: str, origin: str) -> float:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProviderProtocolError(
            f"{NAME} at {origin} sent a token answer whose '{name}' is not a number of seconds."
        )
    return float(value)
