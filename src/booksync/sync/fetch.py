"""A run's fetch: the provider's batches, outside any database transaction.

docs/banking.md, "A synchronization run", step 3.  Transient errors
(network, HTTP 5xx, time-outs) are retried with exponential back-off
(:class:`~booksync.sync.outcome.RetryPolicy`); any other provider error ends
the fetch at once, and the run decides from its class what that means.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from booksync.providers.base import Batch, Credentials, Provider, Window
from booksync.providers.errors import TransientError
from booksync.sync.outcome import RetryPolicy

log = logging.getLogger(__name__)

__all__ = ["fetch_batches"]


def fetch_batches(
    provider: Provider,
    credentials: Credentials,
    account_ids: list[str],
    window: Window,
    *,
    include_pending: bool,
    cursor: str | None = None,
    retry: RetryPolicy,
    sleep: Callable[[float], None],
) -> tuple[list[Batch], int]:
    """The batches of ``account_ids`` over ``window`` (or since ``cursor``, for a
    cursor-based provider), and how many tries it took; a retry starts from the
    same cursor.

    The provider is closed afterwards, whatever happens.
    """
    attempt = 0
    try:
        while True:
            attempt += 1
            try:
                batches = provider.fetch(
                    credentials, account_ids, window, include_pending=include_pending,
                    cursor=cursor,
                )
                return batches, attempt
            except TransientError as exc:
                if attempt >= retry.attempts:
                    raise TransientError(f"{exc} (gave up after {attempt} attempts)") from None
                log.info("transient provider error, retrying: %s", exc)
                sleep(retry.delay(attempt))
    finally:
        close = getattr(provider, "close", None)
        if callable(close):
            close()
