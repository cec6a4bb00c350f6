"""The GoCardless Bank Account Data provider: API v2 over HTTP (docs/banking.md, "Providers").

Linking, as the API has it (docs/banking.md, "GoCardless Bank Account Data"):

1. an End User Agreement with the institution (``POST /agreements/enduser/``):
   how many days of history, for how many days, which scopes;
2. a requisition (``POST /requisitions/``) whose ``link`` the user opens to
   give consent at the bank; the bank sends the browser back to the redirect
   URL with ``?ref=`` our reference;
3. once the requisition's status is ``LN`` (linked), its ``accounts`` are
   readable: details, balances, transactions.  Any other status is not an
   error of the bank but a step the user has not finished, or a consent that
   was refused or ended: :class:`RequisitionNotLinked` says which.

The connection's sealed secret (:mod:`gocardless_secret`) names the API, the
secret pair and the consent's end; tokens come from the process-wide cache of
:mod:`gocardless_http`, which also maps every HTTP answer into the error
tree.  Every error leaving this class has the secret pair and the tokens
masked.  A consent past its end is :class:`ReauthRequired` before any
request: the sync engine then waits for the user to renew it.

Each account costs two requests a sync (transactions, balances), and the
API allows four successful requests a day per account and scope.
"""

from __future__ import annotations

import datetime as dt
import secrets as random_tokens
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote

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
    Window,
)
from booksync.providers.errors import ProviderError, ReauthRequired
from booksync.providers.gocardless_balances import (
    balance_currency,
    parse_balances,
    parse_details,
)
from booksync.providers.gocardless_http import NAME, GoCardlessClient, Secrets
from booksync.providers.gocardless_quota import batches_within_quota
from booksync.providers.gocardless_records import (
    Agreement,
    InstitutionInfo,
    Requisition,
    parse_agreement,
    parse_institution,
    parse_institutions,
    parse_requisition,
)
from booksync.providers.gocardless_secret import GoCardlessSecret, PendingLink
from booksync.providers.gocardless_wire import PROVIDER, load, parse_transactions
from booksync.providers.owned_client import OwnedClient
from booksync.providers.simplefin_values import sanitize_message
from booksync.providers.url_policy import OutboundPolicy

__all__ = [
    "CAPABILITIES",
    "SCOPES",
    "STATUS_MEANINGS",
    "GoCardlessProvider",
    "RequisitionNotLinked",
    "Started",
]

T = TypeVar("T")

CAPABILITIES = Capabilities(
    pending=True,
    cursor_or_window="window",
    max_window_days=None,
    end_exclusive=False,
    max_history_days=730,
    requests_per_day=4,
)
SCOPES = ("balances", "details", "transactions")
STATUS_MEANINGS = {
    "CR": "created: nobody has opened its link yet",
    "GC": "giving consent: the user is still on the consent page",
    "UA": "undergoing authentication: the user is still signing in at the bank",
    "RJ": "rejected: the bank or the user refused the consent",
    "SA": "selecting accounts: the user is still choosing the accounts at the bank",
    "GA": "granting access: the bank is still granting access",
    "LN": "linked",
    "EX": "expired: the access it gave has ended, or its link was not used in time",
    "SU": "suspended: GoCardless suspended it after repeated failures",
}
ENDED = frozenset({"RJ", "EX", "SU"})


class RequisitionNotLinked(ProviderError):
    """The requisition is not linked: ``status`` says how far the user got, ``ended``
    whether it can still become linked (no: rejected, expired or suspended)."""

    def __init__(self, requisition: str, status: str) -> None:
        meaning = STATUS_MEANINGS.get(status, "a status booksync does not know")
        self.status = status
        self.ended = status in ENDED
        if self.ended:
            message = (
                f"The GoCardless requisition {requisition} will not be linked: its status is "
                f"{status} ({meaning}); start again with a new link."
            )
        else:
            message = (
                f"The GoCardless requisition {requisition} is not linked yet: its status is "
                f"{status} ({meaning}); finish at the bank, then complete it again."
            )
        super().__init__(message, code="conflict")


@dataclass(frozen=True, slots=True)
class Started:
    """A requisition waiting for the user: ``pending.link`` is where they go."""

    institution: InstitutionInfo
    agreement: Agreement
    pending: PendingLink


class GoCardlessProvider(OwnedClient):
    """GoCardless over one synchronous httpx client (thread-safe, one per process).

    ``secrets`` are needed to link (institutions, agreements, requisitions);
    ``fetch`` and ``list_accounts`` take theirs from the credentials.
    ``clock`` says when a consent has ended; ``seconds`` is the clock token
    lifetimes run on.  A given ``client`` is used as it is (tests).
    """

    name = PROVIDER
    capabilities = CAPABILITIES

    def __init__(
        self,
        secrets: Secrets | None = None,
        *,
        client: httpx.Client | None = None,
        timeout: float = 60.0,
        policy: OutboundPolicy | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        seconds: Callable[[], float] = time.time,
    ) -> None:
        self._use_client(client, policy, timeout)
        self._secrets = secrets
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._seconds = seconds

    # -- plumbing -----------------------------------------------------------

    def client(self, secrets: Secrets | None = None) -> GoCardlessClient:
        chosen = secrets or self._secrets
        if chosen is None:
            raise ProviderError(f"{NAME} needs a secret id and key to link a bank.", code="invalid")
        return GoCardlessClient(self._client, chosen, seconds=self._seconds)

    @staticmethod
    def _masked(client: GoCardlessClient, work: Callable[[], T]) -> T:
        """``work()``, any provider error it raises masked with the client's secrets."""
        try:
            return work()
        except ProviderError as exc:
            exc.redact(client.redact)
            raise

    # -- institutions -------------------------------------------------------

    def institutions(self, country: str | None = None) -> list[InstitutionInfo]:
        """``GET /institutions/?country=XX``: the banks of a country, with their limits."""
        client = self.client()
        params = {"country": country.strip().upper()} if country else None
        body = self._masked(client, lambda: client.get("/institutions/", params))
        return parse_institutions(body, country)

    def list_institutions(self, country: str | None = None) -> list[Institution]:
        return [info.institution for info in self.institutions(country)]

    def institution(self, institution_id: str, secrets: Secrets | None = None) -> InstitutionInfo:
        """``GET /institutions/{id}/``: one bank, with its limits."""
        client = self.client(secrets)
        path = f"/institutions/{quote(institution_id.strip(), safe='')}/"
        return parse_institution(load(self._masked(client, lambda: client.get(path))))

    # -- linking ------------------------------------------------------------

    def start(
        self, institution_id: str, redirect: str, history_days: int, access_days: int
    ) -> Started:
        """An agreement and a requisition for ``institution_id``; the user opens its link.

        The days asked for are cut to what the institution grants.
        """
        info = self.institution(institution_id)
        history = min(history_days, info.history_days or history_days)
        access = min(access_days, info.access_days or access_days)
        client = self.client()
        ident = info.institution.id
        agreement = parse_agreement(self._masked(client, lambda: client.post(
            "/agreements/enduser/",
            {
                "institution_id": ident,
                "max_historical_days": history,
                "access_valid_for_days": access,
                "access_scope": list(SCOPES),
            },
        )))
        reference = f"booksync-{random_tokens.token_hex(12)}"
        requisition = parse_requisition(self._masked(client, lambda: client.post(
            "/requisitions/",
            {
                "redirect": redirect,
                "institution_id": ident,
                "agreement": agreement.id,
                "reference": reference,
                "user_language": "EN",
            },
        )))
        if requisition.link is None:
            raise ProviderError(f"{NAME} made requisition {requisition.id} without a link.")
        pending = PendingLink(requisition.id, reference, agreement.id, requisition.link)
        return Started(info, agreement, pending)

    def start_link(
        self,
        institution: Institution | None,
        redirect_uri: str | None,
        history_days: int,
        access_days: int,
    ) -> LinkSession:
        if institution is None or not redirect_uri:
            raise ProviderError(f"{NAME} links one institution and needs a redirect URL.")
        started = self.start(institution.id, redirect_uri, history_days, access_days)
        return LinkSession(
            provider=self.name,
            link_url=started.pending.link,
            reference=started.pending.requisition,
            institution_id=started.institution.institution.id,
            redirect_uri=redirect_uri,
            history_days=started.agreement.max_historical_days,
            access_days=started.agreement.access_valid_for_days,
        )

    def requisition(self, requisition_id: str, secrets: Secrets | None = None) -> Requisition:
        client = self.client(secrets)
        path = f"/requisitions/{quote(requisition_id.strip(), safe='')}/"
        return parse_requisition(self._masked(client, lambda: client.get(path)))

    def agreement(self, agreement_id: str, secrets: Secrets | None = None) -> Agreement:
        client = self.client(secrets)
        path = f"/agreements/enduser/{quote(agreement_id, safe='')}/"
        return parse_agreement(self._masked(client, lambda: client.get(path)))

    def linked(self, secret: GoCardlessSecret) -> tuple[GoCardlessSecret, Requisition]:
        """The secret with its waiting requisition linked, once its status is ``LN``.

        Raises :class:`RequisitionNotLinked` for any other status.
        """
        pending = secret.pending
        if pending is None:
            raise ProviderError("No GoCardless requisition is waiting to be completed.")
        requisition = self.requisition(pending.requisition, secret.secrets)
        if requisition.status != "LN":
            raise RequisitionNotLinked(requisition.id, requisition.status)
        agreement = self.agreement(requisition.agreement or pending.agreement, secret.secrets)
        return secret.linked(agreement.expires_at(self._clock())), requisition

    def complete_link(self, session: LinkSession, payload: str) -> Credentials:
        """``payload`` is the requisition id (or our reference) the bank sent back."""
        if self._secrets is None or session.institution_id is None or session.reference is None:
            raise ProviderError(f"{NAME} completes only a link it started.")
        requisition = self.requisition(session.reference)
        waiting = GoCardlessSecret(
            self._secrets.base_url,
            self._secrets.secret_id,
            self._secrets.secret_key,
            session.institution_id,
            pending=PendingLink(
                requisition.id, requisition.reference or payload, requisition.agreement or "",
                session.link_url,
            ),
        )
        secret, _ = self.linked(waiting)
        return secret.credentials(label=NAME)

    def revoke(self, credentials: Credentials) -> None:
        """Delete the connection's requisitions (with their agreements) at GoCardless."""
        secret = GoCardlessSecret.of(credentials)
        client = self.client(secret.secrets)
        ids = [secret.requisition, secret.pending.requisition if secret.pending else None]
        for requisition in dict.fromkeys(i for i in ids if i):
            try:
                self._masked(client, _deleter(client, requisition))
            except ProviderError as exc:
                if "HTTP 404" not in str(exc):
                    raise

    # -- data ---------------------------------------------------------------

    def list_accounts(self, credentials: Credentials) -> list[ProviderAccount]:
        """The linked requisition's accounts, named as the bank names them (``/details/``)."""
        secret = GoCardlessSecret.of(credentials)
        if secret.requisition is None:
            raise ProviderError("This GoCardless connection has no linked requisition yet.")
        requisition = self.requisition(secret.requisition, secret.secrets)
        institution = self._institution_name(secret)
        client = self.client(secret.secrets)

        def account(account_id: str) -> ProviderAccount:
            path = f"/accounts/{quote(account_id, safe='')}/details/"
            details = parse_details(self._masked(client, lambda: client.get(path)))
            if details.currency is None:
                raise ProviderError(
                    f"{NAME} gives no currency for account {account_id}: it cannot be booked."
                )
            tail = f" {details.iban[-4:]}" if details.iban else ""
            return ProviderAccount(
                id=account_id,
                name=details.name or f"{institution or 'Account'}{tail}",
                currency=details.currency,
                iban=details.iban,
                institution=institution,
                institution_id=secret.institution,
            )

        return [account(a) for a in requisition.accounts]

    def _institution_name(self, secret: GoCardlessSecret) -> str | None:
        try:
            return self.institution(secret.institution, secret.secrets).institution.name
        except ProviderError:
            return None

    def fetch(
        self,
        credentials: Credentials,
        account_ids: Sequence[str] | None,
        window: Window,
        *,
        include_pending: bool = False,
        cursor: str | None = None,
    ) -> list[Batch]:
        """One Batch per account: its transactions in ``window`` and its balance.

        ``account_ids`` None means every account of the linked requisition;
        ``cursor`` is ignored (GoCardless is window-based).  A consent past its
        end raises :class:`ReauthRequired` before any request.
        """
        secret = GoCardlessSecret.of(credentials)
        now = self._clock()
        if secret.expires is not None and now >= secret.expires:
            raise ReauthRequired(
                f"The bank's consent through {NAME} ended on {secret.expires.date()}: "
                "renew the connection to give it again."
            )
        if account_ids is None:
            linked = self.requisition(secret.requisition or "", secret.secrets)
            account_ids = linked.accounts
        client = self.client(secret.secrets)
        wanted = list(dict.fromkeys(account_ids))
        # Each account's errors are masked as they are raised, a rate limit included.
        return batches_within_quota(wanted, window, lambda a: self._masked(
            client, lambda: self._batch(client, a, window, include_pending)))

    def _batch(
        self, client: GoCardlessClient, account_id: str, window: Window, include_pending: bool
    ) -> Batch:
        path = f"/accounts/{quote(account_id, safe='')}"
        last = window.end - dt.timedelta(days=1)  # the API's date_to is inclusive
        params = {"date_from": window.start.isoformat(), "date_to": last.isoformat()}
        booked, pending, problems = parse_transactions(
            client.get(f"{path}/transactions/", params),
            account_id,
            window,
            include_pending=include_pending,
        )
        balances = client.get(f"{path}/balances/")
        # The account's currency is its balances' (a transaction's may be another's).
        sample = booked[0] if booked else pending[0] if pending else None
        currency = balance_currency(balances) or (sample.currency if sample else None)
        balance = parse_balances(balances, currency, self._clock().date(), window.start)
        if balance is None:
            problems += (
                Problem(
                    "no-balance",
                    f"{NAME} sent no balance for account {account_id}.",
                    account_id,
                ),
            )
        foreign = next((tx for tx in booked if currency and tx.currency != currency), None)
        if foreign is not None:
            problems += (_foreign(foreign, account_id, currency or ""),)
        return Batch(
            account_id=account_id,
            window=window,
            booked=booked,
            pending=pending,
            balance=balance,
            # Booked in the account's currency, a foreign amount would be wrong money:
            # the account books nothing and keeps its watermark until the bank's answer is.
            next_watermark=window.end if foreign is None else None,
            problems=tuple(Problem(p.code, client.redact(p.message), p.account_id)
                           for p in problems),
        )


def _foreign(tx: Transaction, account_id: str, currency: str) -> Problem:
    ident = sanitize_message(tx.provider_transaction_id or tx.description or "?", 80)
    return Problem(
        "foreign-currency",
        f"{NAME} sent transaction '{ident}' of account {account_id} in "
        f"{sanitize_message(tx.currency, 8)}, not in the account's {currency}; nothing is "
        "booked for the account until the bank sends its own currency.",
        account_id,
    )


def _deleter(client: GoCardlessClient, requisition: str) -> Callable[[], bytes]:
    path = f"/requisitions/{quote(requisition, safe='')}/"
    return lambda: client.delete(path)
