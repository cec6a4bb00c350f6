"""SimpleFIN's setup tokens and access credentials, as the sandbox bank issues them.

A setup token is the Base64 of a one-time claim URL; claiming it (``POST``)
yields an access URL ``http://user:password@host/simplefin`` (the password
percent-encoded: it holds ``/``, ``@`` and ``+``) whose user and decoded
password are then HTTP Basic credentials (the SimpleFIN Protocol, "Setup" and
"Access"; docs/banking.md, "Providers").
A token claims once; the second claim and any unknown token get 403, and so
does a revoked credential, for good.  Passwords are kept only as SHA-256
digests and compared in constant time: the sandbox is a fake bank, but its
secrets are handled like real ones so tests can prove they never leak.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from urllib.parse import quote

__all__ = ["AccessStore"]


def _digest(password: str) -> bytes:
    return hashlib.sha256(password.encode()).digest()


class AccessStore:
    """Setup tokens waiting to be claimed and the credentials they became."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._unclaimed: set[str] = set()
        self._users: dict[str, bytes] = {}
        self._revoked: set[str] = set()

    def new_setup_token(self, base_url: str) -> str:
        """A fresh setup token: Base64 of ``{base_url}/simplefin/claim/<random>``."""
        claim = secrets.token_urlsafe(24)
        with self._lock:
            self._unclaimed.add(claim)
        return base64.b64encode(f"{base_url}/simplefin/claim/{claim}".encode()).decode()

    def claim(self, claim: str, base_url: str) -> str | None:
        """The access URL for a claim token, or None when unknown or already used."""
        with self._lock:
            if claim not in self._unclaimed:
                return None
            self._unclaimed.discard(claim)
            user = f"sandbox-{secrets.token_hex(6)}"
            # Characters the access URL must percent-encode, so clients are
            # shown to decode it and to keep every spelling of it secret.
            password = f"{secrets.token_urlsafe(18)}/{secrets.token_urlsafe(6)}@+"
            self._users[user] = _digest(password)
        scheme, _, rest = base_url.partition("://")
        return f"{scheme}://{user}:{quote(password, safe='')}@{rest}/simplefin"

    def check(self, authorization: str | None) -> str | None:
        """The user of a valid, unrevoked ``Authorization: Basic`` header, else None."""
        if not authorization or not authorization.startswith("Basic "):
            return None
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        with self._lock:
            expected = self._users.get(user)
            revoked = user in self._revoked
        if not sep or expected is None or revoked:
            return None
        return user if hmac.compare_digest(expected, _digest(password)) else None

    def revoke(self, user: str | None = None) -> None:
        """Withdraw one user's access, or everyone's when ``user`` is None."""
        with self._lock:
            self._revoked.update([user] if user else self._users)
