"""Which provider class speaks for a connection's ``provider`` name."""

from __future__ import annotations

from booksync.providers.base import Provider
from booksync.providers.errors import ProviderError
from booksync.providers.simplefin import SimpleFINProvider

__all__ = ["PROVIDERS", "provider_for"]

PROVIDERS = ("simplefin",)


def provider_for(name: str) -> Provider:
    """A fresh provider instance for ``name``."""
    if name == "simplefin":
        return SimpleFINProvider()
    raise ProviderError(f"booksync has no provider named {name!r}")
