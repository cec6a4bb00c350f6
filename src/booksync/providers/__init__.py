"""Bank data providers behind one contract (docs/banking.md, "Providers").

``base`` holds the normalized records and the ``Provider`` protocol,
``errors`` the error tree, ``url_policy`` the https/loopback rule, and one
module per provider turns its wire protocol into the records (``simplefin``).
Providers know nothing of booksync's database.
"""

from __future__ import annotations

from booksync.providers.base import (
    Balance,
    Batch,
    Capabilities,
    Credentials,
    Institution,
    LinkSession,
    Problem,
    Provider,
    ProviderAccount,
    Transaction,
    TransactionStatus,
    Window,
)
from booksync.providers.errors import (
    InsecureURL,
    PaymentRequired,
    ProviderError,
    ProviderProtocolError,
    RateLimited,
    ReauthRequired,
    SetupTokenRejected,
    TransientError,
)
from booksync.providers.url_policy import require_secure_url

__all__ = [
    "Balance",
    "Batch",
    "Capabilities",
    "Credentials",
    "InsecureURL",
    "Institution",
    "LinkSession",
    "PaymentRequired",
    "Problem",
    "Provider",
    "ProviderAccount",
    "ProviderError",
    "ProviderProtocolError",
    "RateLimited",
    "ReauthRequired",
    "SetupTokenRejected",
    "Transaction",
    "TransactionStatus",
    "TransientError",
    "Window",
    "require_secure_url",
]
