"""SimpleFIN's HTTP edge: setup tokens, access URLs, and httpx mapped into the error tree.

Spec (the SimpleFIN Protocol; docs/banking.md, "Providers"): a setup token is
"a Base64-encoded URL";
claiming answers an access URL with "included Basic Auth credentials";
``GET /accounts`` answers 200, 402 (payment required) or 403 (authentication
failed or access revoked). Every httpx exception and HTTP status is
translated here, once, the way httpx translates httpcore's; no
message names more of a URL than its scheme and host, and of a failed
answer's body only SimpleFIN's own error fields are kept, redacted and cut
short (docs/banking.md, "Outbound requests").
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import httpx

from booksync.providers.errors import (
    PaymentRequired,
    ProviderError,
    ProviderProtocolError,
    RateLimited,
    ReauthRequired,
    TransientError,
)
from booksync.providers.redaction import Redactor
from booksync.providers.simplefin_wire import clean_text, sanitize_message
from booksync.providers.url_policy import public_origin, require_secure_url

__all__ = [
    "AccessURL",
    "check_status",
    "decode_setup_token",
    "error_fields",
    "retry_after_seconds",
    "send",
]


def decode_setup_token(setup_token: str) -> str:
    """The claim URL inside a setup token (spec: "a Base64-encoded URL").

    A token that is no such thing is the user's input to fix: code ``invalid``
    (exit 1), not a failure of the bank.
    """
    text = "".join(setup_token.split())
    if not text:
        raise ProviderError("The SimpleFIN setup token is empty.", code="invalid")
    padded = text + "=" * (-len(text) % 4)
    try:
        decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        url = decoded.decode("utf-8").strip()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ProviderError(
            "The SimpleFIN setup token is not valid Base64 text.", code="invalid"
        ) from None
    if not url.lower().startswith(("https://", "http://")):
        raise ProviderError(
            "The SimpleFIN setup token does not contain a claim URL.", code="invalid"
        )
    return require_secure_url(url)


@dataclass(frozen=True, slots=True)
class AccessURL:
    """An access URL split into a credential-free base URL and Basic auth.

    ``redact`` masks every form of these credentials (raw, percent-encoded,
    Base64 ``user:password``, the whole URL) in text a server sent back.
    """

    base_url: str
    origin: str
    username: str = field(repr=False)
    password: str = field(repr=False)
    redact: Redactor = field(repr=False, compare=False)

    @classmethod
    def parse(cls, access_url: str) -> AccessURL:
        try:
            looks_like_url = access_url.lower().startswith(("https://", "http://"))
            looks_like_url = looks_like_url and bool(urlsplit(access_url).hostname)
        except ValueError:
            looks_like_url = False
        if not looks_like_url:
            raise ProviderProtocolError("The SimpleFIN access URL is not an http(s) URL.")
        url = require_secure_url(access_url)
        parts = urlsplit(url)
        if parts.username is None or parts.password is None:
            raise ProviderProtocolError("The SimpleFIN access URL carries no credentials.")
        host = parts.netloc.rpartition("@")[2]
        base = f"{parts.scheme}://{host}{parts.path.rstrip('/')}"
        username, password = unquote(parts.username), unquote(parts.password)
        redactor = Redactor.for_url(access_url)
        return cls(base, public_origin(url), username, password, redactor)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None or not value.strip():
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def send(
    client: httpx.Client,
    method: str,
    url: str,
    origin: str,
    *,
    content: bytes | None = None,
    params: list[tuple[str, str]] | None = None,
    auth: httpx.Auth | None = None,
    limit: int | None = None,
) -> httpx.Response:
    """One request, with httpx's exceptions mapped into the provider tree.

    ``limit`` caps the body read, in bytes: a setup token may point at any
    server, and what answers its claim must not fill the memory. The answer
    then comes back as status and body only.
    """
    try:
        query = tuple(params) if params is not None else None
        if limit is None:
            return client.request(method, url, content=content, params=query, auth=auth)
        request = client.build_request(method, url, content=content, params=query)
        response = client.send(request, auth=auth, stream=True)
        try:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise ProviderProtocolError(
                        f"The SimpleFIN server at {origin} sent an answer larger than "
                        f"{limit} bytes."
                    )
        finally:
            response.close()
        return httpx.Response(response.status_code, content=bytes(body), request=request)
    except httpx.TimeoutException:
        raise TransientError(f"The SimpleFIN server at {origin} did not answer in time.") from None
    except httpx.UnsupportedProtocol:
        raise ProviderError(f"The SimpleFIN URL of {origin} uses an unsupported scheme.") from None
    except (httpx.NetworkError, httpx.ProtocolError, httpx.ProxyError) as exc:
        raise TransientError(
            f"Could not reach the SimpleFIN server at {origin} ({type(exc).__name__})."
        ) from None
    except httpx.DecodingError:
        raise ProviderProtocolError(
            f"The SimpleFIN server at {origin} sent a body that could not be decoded."
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise ProviderError(
            f"The request to the SimpleFIN server at {origin} failed ({type(exc).__name__})."
        ) from None


_MAX_REASON = 200
_MAX_ERROR_BODY = 64 * 1024


def error_fields(response: httpx.Response, redact: Callable[[str], str]) -> str:
    """The server's own error messages in a failed answer, redacted and cut short.

    Only SimpleFIN's error fields (``errlist`` messages, or the v1 ``errors``
    strings) of a JSON body are kept: any other body (an HTML page, an echo
    of the request) is never shown or stored. Redaction comes before the
    cut, so a cut cannot fall inside a secret.
    """
    content = response.content
    if not content or len(content) > _MAX_ERROR_BODY:
        return ""
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        return ""
    if not isinstance(data, dict):
        return ""
    errlist, errors = data.get("errlist"), data.get("errors")
    messages: list[object] = []
    if isinstance(errlist, list):
        messages = [e.get("msg") for e in errlist if isinstance(e, dict)]
    elif isinstance(errors, list):
        messages = errors
    text = "; ".join(m for m in messages if isinstance(m, str) and m.strip())
    return sanitize_message(redact(clean_text(text)), _MAX_REASON)


def check_status(response: httpx.Response, origin: str, access: AccessURL | None) -> None:
    """Spec: 200 ok, 402 payment required, 403 auth failed or revoked."""
    status = response.status_code
    if status == 200:
        return
    redact = access.redact if access is not None else Redactor(())
    reason = error_fields(response, redact)
    because = f": {reason}" if reason else ""
    if status == 402:
        raise PaymentRequired(
            f"The SimpleFIN server at {origin} asks for payment (HTTP 402){because}."
        )
    if status == 403:
        raise ReauthRequired(
            f"The SimpleFIN server at {origin} refused the access (HTTP 403): access was "
            "revoked or the credentials are wrong; connect again with a new setup token."
        )
    if status == 429:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        when = f" in {retry_after:.0f} seconds" if retry_after is not None else " later"
        raise RateLimited(
            f"The SimpleFIN server at {origin} is rate limiting requests; try again{when}.",
            retry_after,
        )
    if status >= 500:
        raise TransientError(f"The SimpleFIN server at {origin} failed (HTTP {status}).")
    raise ProviderError(f"The SimpleFIN server at {origin} answered HTTP {status}{because}.")
