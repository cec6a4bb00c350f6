"""The HTTP client a provider talks through, and who closes it.

A provider makes its own client, pinned to the outbound policy
(:func:`booksync.providers.pinned_transport.pinned_client`), and closes it
with itself; a client given to it (tests, a caller sharing one) is the
giver's to close.  Every provider is a context manager for that.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

import httpx

from booksync.providers.pinned_transport import pinned_client
from booksync.providers.url_policy import OutboundPolicy

__all__ = ["OwnedClient"]


class OwnedClient:
    """Base of a provider holding one httpx client (``self._client``)."""

    _client: httpx.Client
    _own_client: bool

    def _use_client(self, client: httpx.Client | None, policy: OutboundPolicy | None,
                    timeout: float) -> None:
        self._own_client = client is None
        self._client = client or pinned_client(policy, timeout)

    def close(self) -> None:
        """Close the HTTP client if this provider made it."""
        if self._own_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
