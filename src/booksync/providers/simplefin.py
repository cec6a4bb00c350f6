"""The SimpleFIN provider: the real protocol over HTTP (docs/banking.md, "Providers").

Flow (spec "App Quickstart"): the user makes a *setup token* at their
server's ``/create`` page; the token is the Base64 of a claim URL; one
``POST`` with an empty body claims it and answers the *access URL*
``https://user:pass@host/path``; ``GET {access}/accounts`` with HTTP Basic
auth returns an Account Set (parsed in :mod:`simplefin_wire`).

The access URL is the connection's secret. It lives only inside
:class:`Credentials`; requests use httpx's ``auth=`` so the user-info never
appears in a request URL, and every message names the server by scheme and
host only. Every error and problem built from an answer leaves
``list_accounts`` and ``fetch`` through the access URL's redactor, which
masks the credentials in every form a server might echo them
(:mod:`redaction`). Requests go through a pinned client that connects only
to addresses the outbound policy allows (:mod:`url_policy`). httpx's
exceptions and HTTP statuses are mapped into the provider error tree at one
edge, :mod:`simplefin_http`; this module turns answers into Batches: one per
account, merged over the window's pieces.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import httpx

from booksync.providers.base import (
    Balance,
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
from booksync.providers.errors import (
    InsecureURL,
    ProviderError,
    ProviderProtocolError,
    ReauthRequired,
    SetupTokenRejected,
    TransientError,
)
from booksync.providers.owned_client import OwnedClient
from booksync.providers.simplefin_http import AccessURL, check_status, decode_setup_token, send
from booksync.providers.simplefin_wire import (
    NormalizedAccountSet,
    WireAccount,
    WireAccountSet,
    WireError,
    bank_date_to_epoch,
    parse_account_set,
    parse_normalized_account_set,
)
from booksync.providers.url_policy import OutboundPolicy, public_origin, require_secure_url

__all__ = ["CAPABILITIES", "DEFAULT_CREATE_URL", "SimpleFINProvider", "decode_setup_token"]

log = logging.getLogger(__name__)

DEFAULT_CREATE_URL = "https://bridge.simplefin.org/simplefin/create"

# Spec "GET /accounts": start-date inclusive, end-date exclusive, pending=1.
# The Bridge caps one request at 90 days and allows about 24 requests a day.
CAPABILITIES = Capabilities(
    pending=True,
    cursor_or_window="window",
    max_window_days=90,
    end_exclusive=True,
    max_history_days=None,
    requests_per_day=24,
)

# An access URL is a few hundred bytes: more is not a SimpleFIN server's answer.
_CLAIM_LIMIT = 64 * 1024

# Errors that mean an account's data in this answer may be incomplete.
_INCOMPLETE_KINDS = frozenset({"gen.", "con.", "act.", "act.failed", "act.missingdata"})


@dataclass(slots=True)
class _AccountFold:
    """Merges one account's answers over the window pieces into one Batch."""

    account_id: str
    booked: list[Transaction] = field(default_factory=list)
    pending: list[Transaction] = field(default_factory=list)
    keys: dict[TransactionStatus, set[str]] = field(
        default_factory=lambda: {s: set() for s in TransactionStatus}
    )
    balance: tuple[int, Balance] | None = None
    problems: list[Problem] = field(default_factory=list)
    incomplete: bool = False
    pieces: int = 0

    def add(self, txs: Iterable[Transaction], window: Window) -> None:
        """Add one piece's transactions, skipping what earlier pieces already returned.

        The key is status and id, or status and raw payload for id-less
        transactions (a lingering pending authorisation may share its booked
        twin's id): two
        identical id-less records in one answer are both kept (two genuine
        payments), the same record in two answers is one. Keys are kept per
        status as the id or raw text itself, so no key string is built per
        transaction of a big answer.
        """
        earlier = {s: set(k) for s, k in self.keys.items()} if self.pieces > 1 else None
        start, end = window.start, window.end
        for tx in txs:
            tx_id = tx.provider_transaction_id
            key = tx_id or tx.raw
            keys = self.keys[tx.status]
            if earlier is not None and key in earlier[tx.status]:
                continue
            if tx.status is TransactionStatus.BOOKED:
                day = tx.booking_date
                if day is None or not start <= day < end:  # Window.__contains__
                    continue
                if tx_id and key in keys:
                    self.problems.append(
                        Problem(
                            "duplicate-id",
                            f"SimpleFIN sent transaction id '{tx.provider_transaction_id}' "
                            "twice in one answer; the first was kept.",
                            self.account_id,
                        )
                    )
                    continue
                self.booked.append(tx)
            else:
                self.pending.append(tx)
            keys.add(key)


class SimpleFINProvider(OwnedClient):
    """SimpleFIN over one synchronous httpx client (thread-safe, one per process)."""

    name = "simplefin"
    capabilities = CAPABILITIES

    def __init__(
        self,
        *,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
        create_url: str = DEFAULT_CREATE_URL,
        policy: OutboundPolicy | None = None,
    ) -> None:
        """``policy`` says where requests may go (default: the process's, see
        :mod:`url_policy`); a given ``client`` is used as it is (tests)."""
        self._use_client(client, policy, timeout)
        self._create_url = require_secure_url(create_url)

    # -- linking ---------------------------------------------------------

    def list_institutions(self, country: str | None = None) -> list[Institution]:
        """SimpleFIN publishes no institution list: the server is the institution."""
        return []

    def start_link(
        self,
        institution: Institution | None,
        redirect_uri: str | None,
        history_days: int,
        access_days: int,
    ) -> LinkSession:
        """Send the user to the server's ``/create`` page to make a setup token."""
        return LinkSession(
            provider=self.name,
            link_url=self._create_url,
            institution_id=institution.id if institution else None,
            redirect_uri=redirect_uri,
            history_days=history_days,
            access_days=access_days,
        )

    def complete_link(self, session: LinkSession, payload: str) -> Credentials:
        """``payload`` is the setup token the user pasted back."""
        return self.claim(payload)

    def claim(self, setup_token: str) -> Credentials:
        """Claim a setup token once (spec "POST /claim/:token") for the access URL."""
        claim_url = decode_setup_token(setup_token)
        origin = public_origin(claim_url)
        response = send(self._client, "POST", claim_url, origin, content=b"", limit=_CLAIM_LIMIT)
        status = response.status_code
        if status == 403:
            raise SetupTokenRejected(
                f"The SimpleFIN server at {origin} refused the setup token: it was already "
                "claimed or does not exist. If you did not claim it yourself, it may be "
                "compromised: disable it at your SimpleFIN server and create a new one."
            )
        if status != 200:
            # Whatever answered is not shown: a token may point anywhere (docs/banking.md).
            error = TransientError if status >= 500 else ProviderError
            raise error(
                f"The SimpleFIN server at {origin} did not accept the setup token (HTTP {status})."
            )
        access_url = response.text.strip()
        try:
            access = AccessURL.parse(access_url)
        except InsecureURL:
            raise
        except ProviderError:
            raise ProviderProtocolError(
                f"The SimpleFIN server at {origin} did not answer the claim with an access URL."
            ) from None
        return Credentials(provider=self.name, secret=access_url, label=access.origin)

    def revoke(self, credentials: Credentials) -> None:
        """SimpleFIN has no revoke call: the user revokes access at the server.

        The caller forgets the credentials; nothing is sent.
        """

    # -- data ------------------------------------------------------------

    def list_accounts(self, credentials: Credentials) -> list[ProviderAccount]:
        """Accounts and balances (``balances-only=1``); warnings go to the log."""
        access = self._access(credentials)
        try:
            answer = self._get_accounts(access, [("balances-only", "1")])
            self._raise_for_auth(answer, None)
        except ProviderError as exc:
            exc.redact(access.redact)
            raise
        for error in answer.errors:
            log.warning("SimpleFIN warning (%s): %s", error.code, access.redact(error.message))
        return [_provider_account(a) for a in answer.accounts]

    def fetch(
        self,
        credentials: Credentials,
        account_ids: Sequence[str] | None,
        window: Window,
        *,
        include_pending: bool = False,
        cursor: str | None = None,
    ) -> list[Batch]:
        """One Batch per account over ``window``, requested in pieces of <= 90 days.

        ``account_ids`` None means every account. ``cursor`` is ignored
        (SimpleFIN is window-based). An account with an error in any piece, or
        missing from one, gets ``next_watermark=None``: do not advance past it.
        """
        access = self._access(credentials)
        wanted = list(dict.fromkeys(account_ids)) if account_ids is not None else None
        if wanted == []:
            return []
        try:
            batches = self._fetch(access, wanted, window, include_pending)
        except ProviderError as exc:
            exc.redact(access.redact)
            raise
        return [_redacted(batch, access.redact) for batch in batches]

    def _fetch(
        self, access: AccessURL, wanted: list[str] | None, window: Window, include_pending: bool
    ) -> list[Batch]:
        folds: dict[str, _AccountFold] = {a: _AccountFold(a) for a in wanted or ()}
        pieces = window.split(self.capabilities.max_window_days or window.days)
        for piece in pieces:
            params = [
                ("start-date", str(bank_date_to_epoch(piece.start))),
                ("end-date", str(bank_date_to_epoch(piece.end))),
            ]
            if include_pending:
                params.append(("pending", "1"))
            params += [("account", account_id) for account_id in wanted or ()]
            answer = parse_normalized_account_set(self._get_body(access, params))
            self._raise_for_auth(answer, wanted)
            conn_of: dict[str, str | None] = {}
            for account, txs in zip(answer.accounts, answer.transactions, strict=True):
                if wanted is not None and account.id not in folds:
                    continue
                fold = folds.setdefault(account.id, _AccountFold(account.id))
                fold.pieces += 1
                conn_of[account.id] = account.conn_id
                if isinstance(txs, ProviderProtocolError):
                    raise txs
                keep = (t for t in txs if include_pending or t.status is TransactionStatus.BOOKED)
                fold.add(keep, window)
                if fold.balance is None or account.balance_date >= fold.balance[0]:
                    fold.balance = (account.balance_date, account.normalized_balance())
            for error in answer.errors:
                for fold in folds.values():
                    if _concerns(error, fold.account_id, conn_of.get(fold.account_id)):
                        fold.problems.append(Problem(error.code, error.message, fold.account_id))
                        fold.incomplete |= error.kind in _INCOMPLETE_KINDS
        return [_batch(fold, window, len(pieces)) for fold in folds.values()]

    # -- requests --------------------------------------------------------

    def _access(self, credentials: Credentials) -> AccessURL:
        if credentials.provider != self.name:
            raise ProviderError(
                f"These credentials belong to the {credentials.provider} provider, not SimpleFIN."
            )
        return AccessURL.parse(credentials.secret)

    def _get_accounts(self, access: AccessURL, params: list[tuple[str, str]]) -> WireAccountSet:
        return parse_account_set(self._get_body(access, params))

    def _get_body(self, access: AccessURL, params: list[tuple[str, str]]) -> bytes:
        """The body of a ``GET /accounts`` answer; the response itself is let go."""
        response = send(
            self._client,
            "GET",
            f"{access.base_url}/accounts",
            access.origin,
            params=params,
            auth=httpx.BasicAuth(access.username, access.password),
        )
        check_status(response, access.origin, access)
        return response.content

    @staticmethod
    def _raise_for_auth(
        answer: WireAccountSet | NormalizedAccountSet, wanted: list[str] | None
    ) -> None:
        """``gen.auth`` and ``con.auth`` of a wanted account's connection need the user."""
        wanted_conns = {a.conn_id for a in answer.accounts if wanted is None or a.id in wanted}
        for error in answer.errors:
            relevant = error.kind == "gen.auth" or (
                error.kind == "con.auth"
                and (wanted is None or error.conn_id is None or error.conn_id in wanted_conns)
            )
            if relevant:
                raise ReauthRequired(
                    "SimpleFIN needs you to sign in to your bank again "
                    f"({error.code}): {error.message}"
                )


def _redacted(batch: Batch, redact: Callable[[str], str]) -> Batch:
    """``batch`` with its problems' messages (built from the answer) redacted."""
    if not batch.problems:
        return batch
    problems = tuple(replace(p, message=redact(p.message)) for p in batch.problems)
    return replace(batch, problems=problems)


def _provider_account(account: WireAccount) -> ProviderAccount:
    return ProviderAccount(
        id=account.id,
        name=account.name,
        currency=account.currency,
        iban=account.iban,
        institution=account.institution,
        institution_id=account.institution_id,
        balance=account.normalized_balance(),
    )


def _concerns(error: WireError, account_id: str, conn_id: str | None) -> bool:
    """Spec "Error": ids narrow an error to one connection or account."""
    if error.kind in ("gen.auth", "con.auth"):
        return False  # raised already when relevant
    if error.account_id is not None:
        return error.account_id == account_id
    if error.conn_id is not None:
        return error.conn_id == conn_id
    return True


def _batch(fold: _AccountFold, window: Window, pieces: int) -> Batch:
    problems = list(dict.fromkeys(fold.problems))  # one per error, not one per piece
    if fold.pieces < pieces:
        problems.append(
            Problem(
                "missing-account",
                f"SimpleFIN left account '{fold.account_id}' out of "
                f"{pieces - fold.pieces} of {pieces} answers.",
                fold.account_id,
            )
        )
    complete = not fold.incomplete and fold.pieces == pieces
    return Batch(
        account_id=fold.account_id,
        window=window,
        booked=tuple(fold.booked),
        pending=tuple(fold.pending),
        balance=fold.balance[1] if fold.balance else None,
        next_watermark=window.end if complete else None,
        problems=tuple(problems),
    )
