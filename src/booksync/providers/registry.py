"""Which provider class speaks for a connection's ``provider`` name."""

from __future__ import annotations

from booksync.providers.base import Provider
from booksync.providers.errors import ProviderError

__all__ = ["PROVIDERS", "provider_for"]

PROVIDERS = ("simplefin", "plaid", "gocardless")


def provider_for(name: str) -> Provider:
    """A fresh provider instance for ``name``.

    Provider modules are imported here, on first use: their HTTP client
    library is a tenth of a second of every command's start otherwise.
    """
    if name == "simplefin":
        from booksync.providers.simplefin import SimpleFINProvider

        return SimpleFINProvider()
    if name == "plaid":
        from booksync.providers.plaid import PlaidProvider

        return PlaidProvider()
    if name == "gocardless":
        from booksync.providers.gocardless import GoCardlessProvider

        return GoCardlessProvider()
    raise ProviderError(f"booksync has no provider named {name!r}")
