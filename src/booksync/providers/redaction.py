"""Masking every form of a credential in text a server sent back.

A bank that echoes the request in its errors hands back the secret in forms
a plain ``str.replace`` of the password misses: percent-encoded as in the
access URL (``p%40ss``, or ``p%40ss`` in lower-case hex), as the Base64 of
``user:password`` of the ``Authorization: Basic`` header, as the whole
access URL, or as the user name. :class:`Redactor` knows all of them for the
credentials in hand and masks them in one pass; it also masks the value of
any ``Authorization`` header it sees, whatever it holds.

Every :class:`ProviderError` message and every warning a provider builds from
a response goes through one redactor at the provider's edge
(docs/banking.md, "Outbound requests"). :func:`redact_secret` is the same
for a caller that holds only the stored secret (the sync run, before it
stores a message).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote, urlsplit

from booksync.providers.base import Credentials

__all__ = ["MASK", "Redactor", "redact_secret"]

MASK = "***"
# Shorter pieces would mask ordinary words ("a", "id") all over a message.
_MIN_SECRET = 3
_MIN_JSON_VALUE = 8  # shorter values of a JSON secret are codes (EUR), not secrets
_AUTH_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization)(\W{1,4})(?:basic|bearer|digest|token)?\s*[^\s,;\"'}\]]+"
)


def _encodings(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    raw = secret.encode()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        text = encode(raw).decode()
        forms |= {text, text.rstrip("=")}
    return forms


class Redactor:
    """Masks the given secrets in every raw, percent-encoded and Base64 form."""

    def __init__(self, secrets: Iterable[str], pairs: Iterable[tuple[str, str]] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if len(secret) >= _MIN_SECRET:
                forms |= _encodings(secret)
        for user, password in pairs:
            # The Basic-auth pair and user-info are masked even if one half is short.
            forms |= _encodings(f"{user}:{password}")
            forms |= {f"{quote(user, safe='')}:{quote(password, safe='')}"}
        forms = {f for f in forms if len(f) >= _MIN_SECRET}
        # Longest first, so the whole URL is masked before the password inside it.
        ordered = sorted(forms, key=len, reverse=True)
        self._forms = tuple(ordered)
        self._pattern = (
            re.compile("|".join(re.escape(f) for f in ordered), re.IGNORECASE) if ordered else None
        )

    @classmethod
    def for_url(cls, url: str) -> Redactor:
        """A redactor for a URL with credentials (``https://user:pass@host/path``)."""
        try:
            parts = urlsplit(url.strip())
            user, password = parts.username, parts.password
        except ValueError:
            user = password = None
        secrets = [url, url.strip()]
        pairs: list[tuple[str, str]] = []
        for value in (user, password):
            if value:
                secrets += [value, unquote(value)]
        if user is not None and password is not None:
            secrets.append(f"{user}:{password}")
            pairs.append((unquote(user), unquote(password)))
        return cls(secrets, pairs)

    def __call__(self, text: str) -> str:
        text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
        if self._pattern is None:
            return text
        return self._cut_tail(self._pattern.sub(MASK, text))

    def _cut_tail(self, text: str) -> str:
        """Mask the start of a secret left at the end of a message cut short ("…").

        Server messages are cut to a few hundred characters when parsed, before
        the provider can redact them: the cut may fall inside a secret.
        """
        body = text.removesuffix("…")
        if body == text:
            return text
        lowered = body.lower()
        for form in self._forms:
            for size in range(len(form) - 1, _MIN_SECRET - 1, -1):
                if lowered.endswith(form[:size].lower()):
                    return body[:-size] + MASK + "…"
        return text


def redact_secret(text: str, credentials: Credentials) -> str:
    """``text`` with every form of ``credentials.secret`` masked.

    A secret that is a URL (SimpleFIN's access URL) has its user name and
    password masked too; a secret that is a JSON object (GoCardless's secret
    pair and tokens, Plaid's keys and access token) has each of its text
    values masked too, since an answer may echo one of them alone; any other
    secret is masked as a whole.
    """
    secret = credentials.secret
    if "://" in secret and not secret.lstrip().startswith("{"):
        return Redactor.for_url(secret)(text)
    return Redactor([secret, secret.strip(), *_json_values(secret)])(text)


def _json_values(secret: str) -> list[str]:
    """The text values of a secret written as a JSON object (nested ones too), long enough
    to be secrets rather than words or codes; none for any other secret."""
    try:
        data = json.loads(secret)
    except ValueError:
        return []
    found: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += item.values()
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, str) and len(item) >= _MIN_JSON_VALUE and "://" not in item:
            found.append(item)
    return found
