"""The Plaid provider: link, accounts and the ``/transactions/sync`` cursor loop.

docs/banking.md, "Plaid".  Linking: a link token (``/link/token/create``)
opens Plaid Link in the user's browser, which hands back a *public token*;
``/item/public_token/exchange`` turns it into the Item's *access token*, the
connection's secret (sealed with booksync's keys as :class:`PlaidKeys`).
The sandbox bank makes a public token for one of its institutions directly
(``/sandbox/public_token/create``).

Fetching is cursor based: from the connection's saved cursor (none on the
first sync) the loop asks ``/transactions/sync`` for at most 500 changes a
page, ``added``, ``modified`` and ``removed``, until ``has_more`` is false,
and only then is the last ``next_cursor`` the new position, handed to the
run in each :class:`Batch` to save with the books.  When Plaid answers
``TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION`` the pages read so far are
dropped and the loop starts again from the first cursor.  The window the
engine passes only bounds a first sync's history: older transactions are
left to the opening line, as for any provider.

Errors are mapped at one edge (:mod:`plaid_http`) and every message leaves
through the redactor of the keys in use: the client secret and the access
token never reach a message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx

from booksync.providers.base import (
    Batch,
    Capabilities,
    Credentials,
    Institution,
    LinkSession,
    Problem,
    ProviderAccount,
    Transaction,
    TransactionStatus,
    Window,
)
from booksync.providers.errors import ProviderError, TransientError
from booksync.providers.owned_client import OwnedClient
from booksync.providers.plaid_http import MutationDuringPagination, PlaidKeys, post
from booksync.providers.plaid_wire import SyncPage, bad, parse_accounts, parse_sync_page
from booksync.providers.simplefin_values import sanitize_message
from booksync.providers.url_policy import OutboundPolicy

__all__ = ["CAPABILITIES", "PAGE_SIZE", "PlaidProvider"]

log = logging.getLogger(__name__)

# Plaid keeps up to two years of history; /transactions/sync has no window.
CAPABILITIES = Capabilities(
    pending=True,
    cursor_or_window="cursor",
    max_window_days=None,
    end_exclusive=True,
    max_history_days=730,
    requests_per_day=None,
)
PAGE_SIZE = 500
"""``count`` of a ``/transactions/sync`` request: Plaid's maximum."""
RESTARTS = 3
"""Cursor loops started over after a mutation during pagination, before giving up."""
MAX_PAGES = 20_000
# transactions_update_status values that say the history is not all there yet.
NOT_READY = frozenset({"NOT_READY", "TRANSACTIONS_UPDATE_STATUS_UNKNOWN"})
FIRST_SYNC_NOT_READY = NOT_READY | {"INITIAL_UPDATE_COMPLETE"}
COUNTRIES = ["US", "CA", "GB", "IE", "FR", "ES", "NL", "DE", "IT", "PL", "DK", "NO", "SE",
             "EE", "LT", "LV", "PT", "BE", "AT", "FI"]


class _Changes:
    """The net of a cursor loop's pages: the last word on each transaction id."""

    __slots__ = ("removed", "upserts")

    def __init__(self) -> None:
        self.upserts: dict[str, tuple[str, Transaction]] = {}
        self.removed: dict[str, str | None] = {}

    def take(self, page: SyncPage) -> None:
        upserts = self.upserts
        for pair in page.upserts:
            upserts[pair[1].provider_transaction_id or ""] = pair
        for tx_id, account_id in page.removed:
            gone = upserts.pop(tx_id, None)
            self.removed[tx_id] = account_id or (gone[0] if gone else None)


class PlaidProvider(OwnedClient):
    """Plaid over one synchronous httpx client.

    ``keys`` (booksync's client id, secret and Plaid's base URL) are needed to
    link; fetching reads them from the connection's credentials.
    """

    name = "plaid"
    capabilities = CAPABILITIES

    def __init__(
        self,
        keys: PlaidKeys | None = None,
        *,
        client: httpx.Client | None = None,
        timeout: float = 60.0,
        policy: OutboundPolicy | None = None,
        page_size: int = PAGE_SIZE,
        today: Callable[[], dt.date] | None = None,
    ) -> None:
        """``today`` dates a balance Plaid gives no time for (default: the UTC date)."""
        if not 1 <= page_size <= PAGE_SIZE:
            raise ValueError(f"a page holds 1 to {PAGE_SIZE} transactions")
        self._keys = keys
        self._use_client(client, policy, timeout)
        self._page_size = page_size
        self._today = today or (lambda: dt.datetime.now(dt.UTC).date())

    # -- linking ---------------------------------------------------------

    def _app(self) -> PlaidKeys:
        if self._keys is None:
            raise ProviderError("Linking a bank through Plaid needs booksync's Plaid keys.")
        return self._keys

    def _call(self, keys: PlaidKeys, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """One call with every error's message redacted for ``keys``."""
        try:
            return post(self._client, keys, path, body)
        except ProviderError as exc:
            exc.redact(keys.redact)
            raise

    def list_institutions(self, country: str | None = None) -> list[Institution]:
        """Plaid's own Link lists the banks; booksync keeps no copy of Plaid's list."""
        return []

    def start_link(
        self,
        institution: Institution | None,
        redirect_uri: str | None,
        history_days: int,
        access_days: int,
    ) -> LinkSession:
        """A link token for Plaid Link (``reference``); ``link_url`` is Plaid's hosted page."""
        body: dict[str, Any] = {
            "client_name": "booksync",
            "language": "en",
            "country_codes": COUNTRIES,
            "user": {"client_user_id": "booksync"},
            "products": ["transactions"],
            "transactions": {"days_requested": min(max(history_days, 1), 730)},
            "hosted_link": {},
        }
        if redirect_uri:
            body["redirect_uri"] = redirect_uri
        keys = self._app()
        answer = self._call(keys, "/link/token/create", body)
        token = answer.get("link_token")
        if not isinstance(token, str) or not token:
            raise bad("/link/token/create gave no link_token")
        hosted = answer.get("hosted_link_url")
        return LinkSession(
            provider=self.name,
            link_url=hosted if isinstance(hosted, str) and hosted else keys.base_url,
            reference=token,
            institution_id=institution.id if institution else None,
            redirect_uri=redirect_uri,
            history_days=history_days,
            access_days=access_days,
        )

    def complete_link(self, session: LinkSession, payload: str) -> Credentials:
        """``payload`` is the public token Plaid Link handed back."""
        return self.exchange(payload)

    def sandbox_public_token(self, institution_id: str) -> str:
        """A public token for an institution of a sandbox (``/sandbox/public_token/create``)."""
        keys = self._app()
        answer = self._call(
            keys,
            "/sandbox/public_token/create",
            {"institution_id": institution_id, "initial_products": ["transactions"]},
        )
        token = answer.get("public_token")
        if not isinstance(token, str) or not token.strip():
            raise bad("/sandbox/public_token/create gave no public_token")
        return token

    def exchange(self, public_token: str) -> Credentials:
        """Trade a one-time public token for the Item's access token (the secret)."""
        keys = self._app()
        token = public_token.strip()
        if not token:
            raise ProviderError("The Plaid public token is empty.", code="invalid")
        answer = self._call(keys, "/item/public_token/exchange", {"public_token": token})
        access, item = answer.get("access_token"), answer.get("item_id")
        if not isinstance(access, str) or not access.strip():
            raise bad("/item/public_token/exchange gave no access_token")
        linked = keys.linked(access, item if isinstance(item, str) else None)
        return Credentials(provider=self.name, secret=linked.to_secret(), label=keys.origin)

    def update_link_token(self, credentials: Credentials) -> str:
        """A link token for Link's update mode: the user signs in again, same access token."""
        keys = self._item(credentials)
        answer = self._call(
            keys,
            "/link/token/create",
            {
                "client_name": "booksync",
                "language": "en",
                "country_codes": COUNTRIES,
                "user": {"client_user_id": "booksync"},
                "access_token": keys.access_token,
            },
        )
        token = answer.get("link_token")
        if not isinstance(token, str) or not token:
            raise bad("/link/token/create gave no link_token")
        return token

    def revoke(self, credentials: Credentials) -> None:
        """``/item/remove``: the access token stops working at Plaid."""
        keys = self._item(credentials)
        self._call(keys, "/item/remove", {"access_token": keys.access_token})

    # -- data ------------------------------------------------------------

    def _item(self, credentials: Credentials) -> PlaidKeys:
        if credentials.provider != self.name:
            raise ProviderError(
                f"These credentials belong to the {credentials.provider} provider, not Plaid."
            )
        return PlaidKeys.from_secret(credentials.secret)

    def list_accounts(self, credentials: Credentials) -> list[ProviderAccount]:
        """The Item's accounts with their balances and the institution's name."""
        keys = self._item(credentials)
        answer = self._call(keys, "/accounts/get", {"access_token": keys.access_token})
        accounts = parse_accounts(answer, self._today())
        item = answer.get("item")
        item = item if isinstance(item, dict) else {}
        institution_id = item.get("institution_id")
        name = item.get("institution_name")
        if isinstance(institution_id, str) and not isinstance(name, str):
            name = self._institution_name(keys, institution_id)
        if not isinstance(institution_id, str):
            return accounts
        label = name if isinstance(name, str) and name.strip() else institution_id
        return [
            ProviderAccount(a.id, a.name, a.currency, a.iban, label, institution_id, a.balance)
            for a in accounts
        ]

    def _institution_name(self, keys: PlaidKeys, institution_id: str) -> str | None:
        """The institution's name, or None when Plaid will not say (it is only a label)."""
        try:
            answer = self._call(
                keys,
                "/institutions/get_by_id",
                {"institution_id": institution_id, "country_codes": COUNTRIES},
            )
        except ProviderError as exc:
            log.info("Plaid did not name institution %s: %s", institution_id, exc)
            return None
        found = answer.get("institution")
        name = found.get("name") if isinstance(found, dict) else None
        return name if isinstance(name, str) else None

    def fetch(
        self,
        credentials: Credentials,
        account_ids: Sequence[str] | None,
        window: Window,
        *,
        include_pending: bool = False,
        cursor: str | None = None,
    ) -> list[Batch]:
        """One Batch per account: the changes since ``cursor`` (None: the first sync).

        Every Batch carries the same ``next_cursor``, the Item's new position,
        or None when Plaid is still gathering the history (nothing is then
        booked and the cursor stays).  On a first sync, booked transactions
        dated before ``window.start`` are left to the opening line.
        """
        keys = self._item(credentials)
        wanted = list(dict.fromkeys(account_ids)) if account_ids is not None else None
        if wanted == []:
            return []
        try:
            return self._fetch(keys, wanted, window, include_pending, cursor or None)
        except ProviderError as exc:
            exc.redact(keys.redact)
            raise

    def _fetch(
        self,
        keys: PlaidKeys,
        wanted: list[str] | None,
        window: Window,
        include_pending: bool,
        cursor: str | None,
    ) -> list[Batch]:
        changes, next_cursor, accounts, status = self._sync(keys, cursor, window)
        if accounts is None:
            answer = post(self._client, keys, "/accounts/get", {"access_token": keys.access_token})
            accounts = parse_accounts(answer, self._today())
        balances = {a.id: a.balance for a in accounts}
        currencies = {a.id: a.currency for a in accounts}
        ids = wanted if wanted is not None else list(balances)
        booked: dict[str, list[Transaction]] = {a: [] for a in ids}
        pending: dict[str, list[Transaction]] = {a: [] for a in ids}
        foreign: dict[str, Transaction] = {}
        first = cursor is None
        start = window.start
        for account_id, tx in changes.upserts.values():
            if account_id not in booked:
                continue
            if tx.status is TransactionStatus.PENDING:
                if include_pending:
                    pending[account_id].append(tx)
            elif not first or (tx.booking_date is not None and tx.booking_date >= start):
                booked[account_id].append(tx)
                if tx.currency and tx.currency != currencies.get(account_id, tx.currency):
                    foreign.setdefault(account_id, tx)
        waiting = not next_cursor or status in (FIRST_SYNC_NOT_READY if first else NOT_READY)
        batches = []
        for account_id in ids:
            problems: list[Problem] = []
            if waiting:
                problems.append(Problem("not-ready", "Plaid is still gathering this account's "
                                        "transactions; a later run books them.", account_id))
            if account_id not in balances:
                problems.append(Problem("missing-account", "Plaid no longer reports account "
                                        f"'{account_id}'.", account_id))
            odd = foreign.get(account_id)
            if odd is not None:
                # Booked in the account's currency, a foreign amount would be wrong money.
                shown = sanitize_message(odd.provider_transaction_id or "", 80)
                problems.append(Problem("foreign-currency", (
                    f"Plaid sent transaction '{shown}' in "
                    f"{sanitize_message(odd.currency, 8)}, not in the account's "
                    f"{currencies[account_id]}; nothing is booked for the account until "
                    "Plaid sends its own currency."), account_id))
            removed = tuple(t for t, a in changes.removed.items() if a in (None, account_id))
            batches.append(
                Batch(
                    account_id=account_id,
                    window=window,
                    booked=tuple(booked[account_id]),
                    pending=tuple(pending[account_id]),
                    balance=balances.get(account_id),
                    next_cursor=None if waiting or odd is not None else next_cursor,
                    problems=tuple(problems),
                    removed=removed,
                )
            )
        return batches

    def _request(self, keys: PlaidKeys, cursor: str | None, window: Window) -> dict[str, Any]:
        """One ``/transactions/sync`` page after ``cursor``, as JSON (None: the first)."""
        body: dict[str, Any] = {"access_token": keys.access_token, "count": self._page_size}
        if cursor:
            body["cursor"] = cursor
        else:
            body["options"] = {"days_requested": min(max(window.days, 1), 730)}
        return post(self._client, keys, "/transactions/sync", body)

    def _sync(
        self, keys: PlaidKeys, start: str | None, window: Window
    ) -> tuple[_Changes, str, list[ProviderAccount] | None, str | None]:
        """The cursor loop, started over on a mutation during pagination.

        While one page's transactions are read, the next page is already asked
        for (its cursor is in the page's JSON), so the bank's time and booksync's
        overlap; a page is only used once every one before it was read whole.
        """
        days: dict[str, dt.date] = {}
        with ThreadPoolExecutor(1, thread_name_prefix="plaid-page") as ahead:
            for attempt in range(1, RESTARTS + 1):
                changes = _Changes()
                cursor = start
                coming: Future[dict[str, Any]] = ahead.submit(self._request, keys, cursor, window)
                try:
                    for _ in range(MAX_PAGES):
                        root = coming.result()
                        following = root.get("next_cursor")
                        if root.get("has_more") is True and isinstance(following, str) and (
                            following and following != cursor
                        ):
                            coming = ahead.submit(self._request, keys, following, window)
                        page = parse_sync_page(root, self._today(), days)
                        changes.take(page)
                        if not page.has_more:
                            return changes, page.next_cursor, page.accounts, page.update_status
                        if not page.next_cursor or page.next_cursor == cursor:
                            raise bad("'has_more' is true but the cursor did not move")
                        cursor = page.next_cursor
                    raise bad(f"more than {MAX_PAGES} pages of changes")
                except MutationDuringPagination:
                    log.info("Plaid's transactions changed while paging (try %s): starting over",
                             attempt)
                finally:
                    coming.cancel()
        raise TransientError(
            "Plaid's transactions kept changing while booksync paged through them; "
            "the next try starts over."
        )
