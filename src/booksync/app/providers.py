"""Which online providers booksync speaks, what each needs to connect, what each can do.

The capabilities are each provider's own (``Provider.capabilities``, what the
sync engine plans windows and schedules around); what a person needs to
connect and the command that does it are said here once, for ``booksync
provider list`` (docs/banking.md, "Providers").
"""

from __future__ import annotations

from dataclasses import dataclass

from booksync.providers.registry import PROVIDERS, provider_for

__all__ = ["ProviderView", "providers"]


@dataclass(frozen=True, slots=True)
class ProviderView:
    name: str
    title: str
    needs: str
    connect: str
    pending: bool
    cursor_or_window: str
    max_window_days: int | None
    max_history_days: int | None
    requests_per_day: int | None


_ABOUT: dict[str, tuple[str, str, str]] = {
    "simplefin": (
        "SimpleFIN Bridge",
        "a setup token made at a SimpleFIN bridge, for the banks the bridge reaches",
        "booksync connect simplefin SETUP_TOKEN",
    ),
    "gocardless": (
        "GoCardless Bank Account Data",
        "a secret id and key (BOOKSYNC_GOCARDLESS_SECRET_ID, BOOKSYNC_GOCARDLESS_SECRET_KEY), "
        "then the account holder's consent at the bank, through the link printed",
        "booksync connect gocardless --institution ID, then --complete REQUISITION_ID",
    ),
    "plaid": (
        "Plaid",
        "a client id and secret (BOOKSYNC_PLAID_CLIENT_ID, BOOKSYNC_PLAID_SECRET) and a "
        "public token from Plaid Link",
        "booksync connect plaid --public-token TOKEN",
    ),
}


def providers() -> list[ProviderView]:
    """Every provider, in the registry's order."""
    found = []
    for name in PROVIDERS:
        title, needs, connect = _ABOUT[name]
        able = provider_for(name).capabilities
        found.append(ProviderView(name, title, needs, connect, able.pending,
                                  able.cursor_or_window, able.max_window_days,
                                  able.max_history_days, able.requests_per_day))
    return found
