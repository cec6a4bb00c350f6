"""The errors a bank data provider can raise, as one small typed tree.

The sync engine decides what to do from the class alone (docs/banking.md,
"Providers"), so every provider maps its library and HTTP errors into this
tree at its own edge, the way httpx maps httpcore's::

    ProviderError                  the provider refused or failed; run fails
    ├── TransientError             network, timeout, HTTP 5xx: retry with back-off
    ├── RateLimited                HTTP 429 or a quota: keep the watermark,
    │                              try again after ``retry_after`` seconds
    ├── ReauthRequired             consent expired, token revoked, login needed:
    │                              stop scheduling until the user renews it
    ├── ProviderProtocolError      the answer is malformed: nothing is written
    ├── PaymentRequired            the provider wants a (renewed) subscription
    ├── SetupTokenRejected         a one-time setup token was already claimed
    │                              or never existed: it may be compromised
    └── InsecureURL                a URL that is neither https:// nor loopback,
                                   or a host whose address is not allowed
                                   (private, link-local, ...; see url_policy)

Every message is one clear sentence meant for the user, and never contains a
secret: no access URL, no ``user:pass``, no token, no Authorization header.
Each class carries a stable ``code`` for API bodies
(``{"error": {"code": ..., "message": ...}}``, docs/architecture.md, "Errors").
"""

from __future__ import annotations

from collections.abc import Callable

from booksync.errors import BooksyncError

__all__ = [
    "InsecureURL",
    "PaymentRequired",
    "ProviderError",
    "ProviderProtocolError",
    "RateLimited",
    "ReauthRequired",
    "SetupTokenRejected",
    "TransientError",
]


class ProviderError(BooksyncError):
    """A provider refused or failed the request; the message is a clear sentence."""

    code = "provider_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def redact(self, redact: Callable[[str], str]) -> None:
        """Mask secrets in the message, in place: a provider's edge calls this on
        every error it lets out, with a redactor that knows the credentials."""
        self.message = redact(self.message)
        self.args = (self.message, *self.args[1:])


class TransientError(ProviderError):
    """Network failure, timeout or server error (5xx): worth retrying later."""

    code = "provider_unavailable"


class RateLimited(ProviderError):
    """The provider's quota is spent; ``retry_after`` is in seconds, None if unknown.

    The watermark must not advance past a rate-limited window (docs/banking.md,
    "What real banks do").
    """

    code = "rate_limited"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"RateLimited({self.message!r}, retry_after={self.retry_after!r})"


class ReauthRequired(ProviderError):
    """The user must renew access (consent expired, token revoked, bank login)."""

    code = "reauth_required"


class ProviderProtocolError(ProviderError):
    """The provider's answer does not follow its protocol: nothing may be written."""

    code = "provider_protocol_error"


class PaymentRequired(ProviderError):
    """The provider wants a paid or renewed subscription (SimpleFIN: HTTP 402)."""

    code = "payment_required"


class SetupTokenRejected(ProviderError):
    """A one-time setup token was already claimed or is unknown.

    SimpleFIN protocol, ``POST /claim/:token``: a 403 "could mean that the
    user's transaction information has been compromised", so the message tells
    the user to disable the token.
    """

    code = "setup_token_rejected"


class InsecureURL(ProviderError):
    """A URL booksync refuses: clear text to a non-loopback host, or an address
    the outbound policy does not allow (docs/banking.md, "Outbound requests")."""

    code = "insecure_url"
