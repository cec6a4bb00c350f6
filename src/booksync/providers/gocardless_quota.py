"""One GoCardless account's spent quota costs that account's part of a run, not the others'.

GoCardless counts requests per account and scope (four successful ones a
day, docs/banking.md, "GoCardless Bank Account Data"): one account's 429 says nothing of the
others.  Failing the whole fetch on it would drop what the other accounts
answered, after spending their own requests, and a connection with one
account out of requests would book nothing for any account while each retry
spent the others' again.  So an account that answers 429 gets an incomplete
batch (nothing booked, its watermark kept) with a problem saying when to try
again, and the others book; only when every account is out of requests is
the run rate limited, retried when the first of them may ask again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from booksync.providers.base import Batch, Problem, Window
from booksync.providers.errors import RateLimited

__all__ = ["batches_within_quota"]


def batches_within_quota(
    accounts: Sequence[str], window: Window, batch: Callable[[str], Batch]
) -> list[Batch]:
    """``batch(account)`` for each account; a rate-limited one's batch books nothing.

    Raises the :class:`RateLimited` of the account that may ask again first
    (an unknown wait counts as the longest) when every account is limited.
    """
    batches: list[Batch] = []
    limited: list[RateLimited] = []
    for account_id in accounts:
        try:
            batches.append(batch(account_id))
        except RateLimited as exc:
            limited.append(exc)
            wait = (f"in {round(exc.retry_after)} seconds" if exc.retry_after is not None
                    else "later")
            batches.append(Batch(account_id=account_id, window=window, problems=(Problem(
                "rate-limited",
                f"account {account_id} is out of requests for now ({exc.message}); "
                f"nothing is booked for it, and a run {wait} fetches its transactions.",
                account_id,
            ),)))
    if limited and len(limited) == len(batches):
        raise min(limited, key=lambda exc: (exc.retry_after is None, exc.retry_after or 0))
    return batches
