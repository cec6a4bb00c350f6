"""What a GoCardless connection keeps sealed: the secret pair, its requisition, its consent.

Why one record: the sync engine hands a provider nothing but the connection's
sealed secret (``Credentials.secret``), so that text must say where the API
is (``url``: the sandbox bank stands in for the real one), the secret id and
key that buy tokens, the institution, the linked requisition and agreement,
and when the consent ends, so an expired one is known without a request.

Between ``booksync connect gocardless --institution`` (or ``--renew``) and
``--complete``, the requisition the user still has to approve waits in
``pending``, beside the linked one a renewal replaces only once the new one
is linked (docs/banking.md, "GoCardless Bank Account Data").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from booksync.providers.base import Credentials
from booksync.providers.errors import ProviderError
from booksync.providers.gocardless_http import Secrets

__all__ = ["GoCardlessSecret", "PendingLink"]

PROVIDER = "gocardless"


@dataclass(frozen=True, slots=True)
class PendingLink:
    """A requisition made and not yet completed: its id, our reference, its link."""

    requisition: str
    reference: str
    agreement: str
    link: str


@dataclass(frozen=True, slots=True)
class GoCardlessSecret:
    """The sealed text of a GoCardless connection, as a record; ``repr`` shows no secret."""

    url: str
    secret_id: str = field(repr=False)
    secret_key: str = field(repr=False)
    institution: str
    requisition: str | None = None
    agreement: str | None = None
    expires: dt.datetime | None = None
    pending: PendingLink | None = None

    @property
    def secrets(self) -> Secrets:
        return Secrets(self.url, self.secret_id, self.secret_key)

    def text(self) -> str:
        data: dict[str, Any] = {
            "v": 1,
            "url": self.url,
            "secret_id": self.secret_id,
            "secret_key": self.secret_key,
            "institution": self.institution,
            "requisition": self.requisition,
            "agreement": self.agreement,
            "expires": self.expires.isoformat() if self.expires else None,
            "pending": None,
        }
        if self.pending is not None:
            pending = self.pending
            data["pending"] = {
                "requisition": pending.requisition,
                "reference": pending.reference,
                "agreement": pending.agreement,
                "link": pending.link,
            }
        return orjson.dumps(data).decode()

    @classmethod
    def from_text(cls, text: str) -> GoCardlessSecret:
        """The record of a sealed text; a text of another shape is refused in one sentence."""
        try:
            data = orjson.loads(text)
            pending = data.get("pending")
            expires = data.get("expires")
            return cls(
                url=str(data["url"]),
                secret_id=str(data["secret_id"]),
                secret_key=str(data["secret_key"]),
                institution=str(data["institution"]),
                requisition=data.get("requisition"),
                agreement=data.get("agreement"),
                expires=dt.datetime.fromisoformat(expires) if expires else None,
                pending=PendingLink(**pending) if pending else None,
            )
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
            raise ProviderError(
                "The stored GoCardless credentials cannot be read: renew the connection."
            ) from None

    @classmethod
    def of(cls, credentials: Credentials) -> GoCardlessSecret:
        if credentials.provider != PROVIDER:
            raise ProviderError(
                f"These credentials belong to the {credentials.provider} provider, "
                "not GoCardless."
            )
        return cls.from_text(credentials.secret)

    def credentials(self, label: str = "") -> Credentials:
        return Credentials(provider=PROVIDER, secret=self.text(), label=label)

    def waiting(self, pending: PendingLink) -> GoCardlessSecret:
        """This secret with a requisition waiting for the user."""
        return replace(self, pending=pending)

    def linked(self, expires: dt.datetime) -> GoCardlessSecret:
        """The waiting requisition, now linked, replaces the former one."""
        if self.pending is None:
            raise ProviderError("No GoCardless requisition is waiting to be completed.")
        return replace(
            self,
            requisition=self.pending.requisition,
            agreement=self.pending.agreement,
            expires=expires,
            pending=None,
        )

    def abandoned(self) -> GoCardlessSecret:
        """This secret without its waiting requisition (one that will never be linked)."""
        return replace(self, pending=None)

    def waits_for(self, key: str) -> bool:
        """Whether ``key`` is the waiting requisition's id or the reference it carries back."""
        pending = self.pending
        return pending is not None and key.strip() in (pending.requisition, pending.reference)

    def with_secrets(self, secrets: Secrets) -> GoCardlessSecret:
        return replace(
            self, url=secrets.base_url, secret_id=secrets.secret_id, secret_key=secrets.secret_key
        )
