"""Connecting a bank through GoCardless Bank Account Data: start, complete, renew.

GoCardless links through the user's browser (docs/banking.md, "GoCardless
Bank Account Data"), so connecting takes two steps with the user in between:

1. :func:`start_gocardless` makes an agreement and a requisition and writes a
   connection that is not connected yet (state ``disconnected``, no accounts)
   holding the sealed secret pair and the requisition waiting for the user;
   the caller shows the requisition's link;
2. once the user has given consent at the bank, :func:`complete_gocardless`,
   called with the requisition id (or the ``ref`` the bank's redirect carried:
   a web route can call it as it is), checks that the requisition is linked
   and links its accounts, each to a new bank journal or to the one named.

:func:`renew_gocardless` starts step 1 again for a connection whose consent
ended (or is about to): the same institution, the connection unchanged until
step 2 pairs the new consent's accounts with the old ones (by IBAN, else by
name and currency, or as ``links`` says), so their journals, lines,
watermarks and transaction ids carry over and nothing is booked twice.

As in :mod:`booksync.app.connections`, the network talk happens between two
short transactions, never inside one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from booksync.app.banking import InstitutionView
from booksync.app.connections import ConnectionView, view
from booksync.app.context import open_books
from booksync.banking.connections import add_provider_account, get_connection
from booksync.banking.institutions import institution_key, upsert_institutions
from booksync.banking.models import Connection, Institution, ProviderAccount
from booksync.banking.secrets import seal, unseal
from booksync.banking.states import ConnectionState
from booksync.db.base import utcnow
from booksync.db.engine import session_factory
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.journals import get_journal
from booksync.ledger.limits import MAX_NAME, fit_text, shown, text_ok
from booksync.ledger.models import Company, JournalType
from booksync.providers.base import ProviderAccount as RemoteAccount
from booksync.providers.gocardless import GoCardlessProvider, RequisitionNotLinked
from booksync.providers.gocardless_http import Secrets
from booksync.providers.gocardless_records import InstitutionInfo
from booksync.providers.gocardless_secret import GoCardlessSecret
from booksync.providers.gocardless_wire import PROVIDER

__all__ = [
    "Completed",
    "GoCardlessLink",
    "Providers",
    "complete_gocardless",
    "gocardless_institutions",
    "renew_gocardless",
    "start_gocardless",
]

Providers = Callable[[Secrets | None], GoCardlessProvider]
"""Makes the provider a use case talks through (tests give one with the bank's clock)."""
MAX_HISTORY_DAYS = 730
OVERLAP_DAYS = 10  # a sync's window starts this far before the watermark (sync.window)


def _provider(secrets: Secrets | None) -> GoCardlessProvider:
    return GoCardlessProvider(secrets)


@dataclass(frozen=True, slots=True)
class GoCardlessLink:
    """A requisition waiting for the user: open ``link``, then complete ``requisition``."""

    connection: ConnectionView
    institution: str
    link: str
    requisition: str
    reference: str
    history_days: int
    access_days: int
    renewal: bool


@dataclass(frozen=True, slots=True)
class Completed:
    """A completed link; ``warnings`` name old accounts the new consent left out."""

    connection: ConnectionView
    renewal: bool
    warnings: tuple[str, ...]


def gocardless_institutions(
    engine: Engine, secrets: Secrets, country: str, *, providers: Providers = _provider
) -> tuple[InstitutionView, ...]:
    """The institutions of ``country`` at GoCardless, added to (or refreshed in) the catalogue."""
    code = country.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise LedgerError(f"the country must be a two-letter code, not {shown(country)}")
    with providers(secrets) as provider:
        found = provider.list_institutions(code)
    with session_factory(engine).begin() as session:
        upsert_institutions(session, found)
    return tuple(
        InstitutionView(i.id, i.name, i.bic, i.country, i.provider, i.online_sync) for i in found
    )


def _days(value: int, what: str, top: int) -> int:
    if not 1 <= value <= top:
        raise LedgerError(f"{what} must be between 1 and {top}")
    return value


def _catalogue_row(session: Session, info: InstitutionInfo) -> int:
    upsert_institutions(session, [info.institution])
    row = session.scalar(select(Institution.id).where(
        Institution.provider == PROVIDER,
        Institution.provider_institution_id == institution_key(info.institution.id),
    ))
    assert row is not None
    return row


def start_gocardless(
    engine: Engine,
    company: str | None,
    *,
    secrets: Secrets,
    institution_id: str,
    redirect: str,
    history_days: int = 90,
    access_days: int = 90,
    interval_seconds: int = 12 * 3600,
    include_pending: bool = True,
    providers: Providers = _provider,
) -> GoCardlessLink:
    """Step 1: an agreement and a requisition at ``institution_id``, and the connection
    that waits for the user's consent (not connected, no accounts)."""
    _days(history_days, "history days", MAX_HISTORY_DAYS)
    _days(access_days, "access days", 365)
    with open_books(engine, company):
        pass  # an unknown company is refused before the bank is asked for anything
    with providers(secrets) as provider:
        started = provider.start(institution_id, redirect, history_days, access_days)
    info, pending = started.institution, started.pending
    secret = GoCardlessSecret(
        secrets.base_url, secrets.secret_id, secrets.secret_key, info.institution.id,
        pending=pending,
    )
    with open_books(engine, company) as books:
        connection = Connection(
            company_id=books.company.id,
            provider=PROVIDER,
            institution_id=_catalogue_row(books.session, info),
            label=fit_text(info.institution.name, MAX_NAME),
            credentials=seal(secret.text()),
            state=ConnectionState.DISCONNECTED,
            auto_sync=False,
            next_sync_at=None,
            interval_seconds=interval_seconds,
            include_pending=include_pending,
            history_days=started.agreement.max_historical_days,
        )
        books.session.add(connection)
        books.session.flush()
        books.session.refresh(connection)
        shape = view(connection)
    return GoCardlessLink(
        shape, info.institution.name, pending.link, pending.requisition, pending.reference,
        started.agreement.max_historical_days, started.agreement.access_valid_for_days, False,
    )


def renew_gocardless(
    engine: Engine,
    company: str | None,
    connection_id: int,
    *,
    redirect: str,
    secrets: Secrets | None = None,
    access_days: int = 90,
    providers: Providers = _provider,
) -> GoCardlessLink:
    """Step 1 again for a connection with accounts: a new consent at the same institution,
    asking for enough history to reach back past its oldest watermark.  The connection
    syncs as before until :func:`complete_gocardless` links the new consent."""
    _days(access_days, "access days", 365)
    with open_books(engine, company) as books:
        connection = get_connection(books.session, books.company, connection_id)
        if connection.provider != PROVIDER:
            raise LedgerError(f"connection {connection.id} is not a GoCardless connection")
        if not connection.accounts:
            raise LedgerError(
                f"connection {connection.id} has no accounts yet: complete its link, "
                "or connect the bank anew"
            )
        secret = _renewable(connection, secrets)
        marks = [a.watermark for a in connection.accounts if a.watermark is not None]
        today = utcnow().date()
        reach = (today - min(marks)).days + OVERLAP_DAYS + 1 if marks else 0
        history = min(MAX_HISTORY_DAYS, max(connection.history_days, reach))
    with providers(secret.secrets) as provider:
        started = provider.start(secret.institution, redirect, history, access_days)
    with open_books(engine, company) as books:
        connection = get_connection(books.session, books.company, connection_id)
        connection.credentials = seal(secret.waiting(started.pending).text())
        books.session.flush()
        shape = view(connection)
    pending = started.pending
    return GoCardlessLink(
        shape, started.institution.institution.name, pending.link, pending.requisition,
        pending.reference, started.agreement.max_historical_days,
        started.agreement.access_valid_for_days, True,
    )


def _renewable(connection: Connection, secrets: Secrets | None) -> GoCardlessSecret:
    """The connection's secret, with ``secrets`` when given: a connection whose credentials
    were forgotten (disconnected) needs them, and its catalogue institution."""
    if connection.credentials is not None:
        secret = GoCardlessSecret.from_text(unseal(connection.credentials))
        return secret.with_secrets(secrets) if secrets is not None else secret
    if secrets is None or connection.institution is None:
        raise LedgerError(
            f"connection {connection.id} keeps no GoCardless secrets: give the secret id "
            "and key to renew it"
        )
    ident = connection.institution.provider_institution_id
    return GoCardlessSecret(secrets.base_url, secrets.secret_id, secrets.secret_key, ident)


def _waiting(session: Session, company: Company, key: str) -> tuple[Connection, GoCardlessSecret]:
    """The company's GoCardless connection waiting for requisition (or reference) ``key``."""
    found = session.scalars(select(Connection).where(
        Connection.company_id == company.id,
        Connection.provider == PROVIDER,
        Connection.credentials.is_not(None),
    ).order_by(Connection.id))
    for connection in found:
        assert connection.credentials is not None
        secret = GoCardlessSecret.from_text(unseal(connection.credentials))
        if secret.waits_for(key):
            return connection, secret
    raise NotFound(
        f"no GoCardless connection waits for requisition {shown(key.strip())}: start one "
        "with `booksync connect gocardless --institution ID`"
    )


def complete_gocardless(
    engine: Engine,
    company: str | None,
    requisition: str,
    *,
    links: Mapping[str, str] | None = None,
    providers: Providers = _provider,
) -> Completed:
    """Step 2: link the accounts of requisition ``requisition`` (its id, or the reference the
    bank's redirect carried) once the user has given consent.

    A new connection links each account to a new bank journal, or to the journal
    ``links`` names for it; a renewal pairs them with the connection's accounts.  A
    requisition that is not linked changes nothing, except that one that never will be
    (rejected, expired) is noted on the connection and no longer waited for.
    """
    links = dict(links or {})
    with open_books(engine, company) as books:
        connection, secret = _waiting(books.session, books.company, requisition)
        ident = connection.id
        for code in links.values():
            if get_journal(books.session, books.company, code).type != JournalType.BANK:
                raise LedgerError(f"journal {code} is not a bank journal")
    with providers(secret.secrets) as provider:
        try:
            linked, _ = provider.linked(secret)
        except RequisitionNotLinked as exc:
            if exc.ended:
                _give_up(engine, company, ident, requisition, str(exc))
            raise
        remote = provider.list_accounts(linked.credentials())
    if not remote:
        raise LedgerError("the bank gave access to no account: nothing to link")
    assert linked.expires is not None
    with open_books(engine, company) as books:
        connection, _ = _waiting(books.session, books.company, requisition)
        renewal = bool(connection.accounts)
        if renewal:
            warnings = _pair(books.session, books.company, connection, remote, links)
        else:
            unknown = set(links) - {a.id for a in remote}
            if unknown:
                raise LedgerError(f"the bank gave no account {sorted(unknown)[0]!r} to link")
            for account in remote:
                add_provider_account(books.session, books.company, connection, account, links)
            connection.auto_sync = True
            warnings = []
        connection.credentials = seal(linked.text())
        connection.state = ConnectionState.CONNECTED
        connection.consent_expires_at = linked.expires
        connection.last_error = None
        connection.next_sync_at = utcnow() if connection.auto_sync else None
        books.session.flush()
        books.session.refresh(connection)
        return Completed(view(connection), renewal, tuple(warnings))


def _give_up(engine: Engine, company: str | None, ident: int, key: str, message: str) -> None:
    """A requisition that will never be linked: forget it, and say why on the connection."""
    with open_books(engine, company) as books:
        connection, secret = _waiting(books.session, books.company, key)
        if connection.accounts and secret.requisition is not None:
            connection.credentials = seal(secret.abandoned().text())
        else:
            connection.credentials = None  # a new connection that never was: nothing to keep
        connection.last_error = message


def _pair(
    session: Session,
    company: Company,
    connection: Connection,
    remote: Sequence[RemoteAccount],
    links: Mapping[str, str],
) -> list[str]:
    """Give the connection's accounts the ids of the new consent's, so their journals,
    lines and transaction ids carry over; accounts new at the bank get journals, and
    accounts the new consent left out stop being synchronized (their books stay)."""
    old = list(connection.accounts)
    paired: dict[int, RemoteAccount] = {}
    left = list(remote)
    journal_of = {a.id: a.journal.code if a.journal else None for a in old}

    def take(match: Callable[[ProviderAccount, RemoteAccount], bool]) -> None:
        for account in old:
            if account.id in paired:
                continue
            found = [r for r in left if match(account, r)]
            rivals = [a for a in old if a.id not in paired and found and match(a, found[0])]
            if len(found) == 1 and len(rivals) == 1:
                paired[account.id] = found[0]
                left.remove(found[0])

    take(lambda a, r: r.id in links and links[r.id] == journal_of[a.id])
    take(lambda a, r: bool(a.iban) and a.iban == r.iban)
    take(lambda a, r: a.name == fit_text(r.name, MAX_NAME) and a.currency_code == r.currency)
    for account in old:  # first out of the way, so a swap of ids breaks no uniqueness
        if account.id in paired:
            account.provider_account_id = f"~renewing-{account.id}"
    session.flush()
    for account in old:
        match = paired.get(account.id)
        if match is not None:
            account.provider_account_id = match.id
            account.iban = match.iban if match.iban and text_ok(match.iban, 34) else account.iban
    unknown = set(links) - {r.id for r in remote}
    if unknown:
        raise LedgerError(f"the bank gave no account {sorted(unknown)[0]!r} to link")
    for extra in left:
        add_provider_account(session, company, connection, extra, links)
    warnings = []
    for account in old:
        if account.id not in paired and account.journal_id is not None:
            warnings.append(
                f"account {account.name!r} ({journal_of[account.id]}) is not in the new "
                "consent: it is no longer synchronized; its lines stay"
            )
            account.journal_id = None
    session.flush()
    return warnings
