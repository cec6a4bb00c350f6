"""A run's fetch: the provider's batches, outside any database transaction.

docs/banking.md, "A synchronization run", step 3.  Transient errors
(network, HTTP 5xx, time-outs) are retried with exponential back-off
(:class:`~booksync.sync.outcome.RetryPolicy`); any other provider error ends
the fetch at once, and the run decides from its class what that means.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import replace

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
    behind: Collection[str] = (),
    retry: RetryPolicy,
    sleep: Callable[[float], None],
) -> tuple[list[Batch], int]:
    """The batches of ``account_ids`` over ``window`` (or since ``cursor``, for a
    cursor-based provider), and how many tries it took; a retry starts from the
    same cursor.

    ``behind``: accounts never synced yet (linked later).  Their history needs a
    loop from the first cursor, whose answer names no transaction withdrawn since
    ``cursor``: so the others still go on from ``cursor``, and every batch takes
    that position, the earlier of the two (docs/banking.md, "Plaid").

    The provider is closed afterwards, whatever happens.
    """
    tries = [0]

    def fetched(ids: list[str], since: str | None) -> list[Batch]:
        while True:
            tries[0] += 1
            try:
                return provider.fetch(
                    credentials, ids, window, include_pending=include_pending, cursor=since
                )
            except TransientError as exc:
                if tries[0] >= retry.attempts:
                    raise TransientError(f"{exc} (gave up after {tries[0]} attempts)") from None
                log.info("transient provider error, retrying: %s", exc)
                sleep(retry.delay(tries[0]))

    try:
        late = [a for a in account_ids if a in behind]
        if cursor is None or not late:
            return fetched(account_ids, cursor), tries[0]
        if len(late) == len(account_ids):
            return fetched(account_ids, None), tries[0]
        going_on = fetched([a for a in account_ids if a not in behind], cursor)
        position = going_on[0].next_cursor if going_on else None
        history = [
            batch if batch.next_cursor is None else replace(batch, next_cursor=position)
            for batch in fetched(late, None)
        ]
        return going_on + history, tries[0]
    finally:
        close = getattr(provider, "close", None)
        if callable(close):
            close()
