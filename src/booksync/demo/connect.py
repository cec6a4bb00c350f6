"""The demo's connections: one sandbox bank reached through all three providers.

Each of the sandbox's banks is connected through the provider that reaches
such a bank in real life: Nordwerk Bank (DE) through a SimpleFIN bridge,
Banque du Lac (FR) through GoCardless Bank Account Data (PSD2: an agreement,
a requisition, the account holder's consent at the bank's page, then the
accounts), Sakura Shinyo Bank through Plaid (a public token exchanged for an
Item).  Every call goes over loopback HTTP to the sandbox bank, through the
same use cases as ``booksync connect`` (docs/banking.md, "The sandbox bank").
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import Engine

from booksync.app.connect_gocardless import complete_gocardless, start_gocardless
from booksync.app.connect_plaid import connect_plaid
from booksync.app.context import open_books
from booksync.app.sandbox_catalogue import seed_sandbox_catalogue
from booksync.banking.connections import create_connection
from booksync.providers.gocardless_http import Secrets
from booksync.providers.plaid_http import PlaidKeys
from booksync.providers.simplefin import SimpleFINProvider
from booksync.sandbox import SandboxHandle
from booksync.sandbox.gocardless_wire import institution_id as gocardless_id
from booksync.sandbox.plaid_feed import institution_id as plaid_id

__all__ = ["DemoConnection", "connect_all"]

# Any pair the sandbox sees first is its customer's (docs/banking.md, "The sandbox bank").
DEMO_SECRET_ID, DEMO_SECRET_KEY = "booksync-demo", "demo-secret-key"


@dataclass(frozen=True, slots=True)
class DemoConnection:
    """A connection the demo made: its id, provider, bank, and journal per sandbox account."""

    id: int
    provider: str
    bank: str
    journals: dict[str, str]  # sandbox account id -> journal code


def _simplefin(engine: Engine, company: str, bank: SandboxHandle) -> DemoConnection:
    institution = bank.world.institutions[0]
    with SimpleFINProvider(timeout=10.0) as simplefin:
        credentials = simplefin.claim(bank.setup_token())
        accounts = [a for a in simplefin.list_accounts(credentials)
                    if bank.world.account(a.id).institution is institution]
    with open_books(engine, company) as books:
        seed_sandbox_catalogue(books.session)
        made = create_connection(books.session, books.company, credentials, accounts)
        journals = {a.provider_account_id: a.journal.code for a in made.accounts if a.journal}
        return DemoConnection(made.id, "simplefin", institution.name, journals)


def _gocardless(engine: Engine, company: str, bank: SandboxHandle) -> DemoConnection:
    institution = bank.world.institutions[1]
    secrets = Secrets.checked(f"{bank.url}/gocardless", DEMO_SECRET_ID, DEMO_SECRET_KEY)
    started = start_gocardless(engine, company, secrets=secrets,
                               institution_id=gocardless_id(institution),
                               redirect=f"{bank.url}/demo-returned")
    # The account holder gives consent at the bank's page, which sends them back.
    consent = httpx.get(started.link, follow_redirects=False, timeout=10.0)
    if consent.status_code >= 400:
        raise RuntimeError(f"the sandbox's consent page answered {consent.status_code}")
    done = complete_gocardless(engine, company, started.requisition)
    by_name = {a.name: a.id for a in bank.world.accounts.values()
               if a.institution is institution}
    journals = {by_name.get(a.name, a.provider_account_id): a.journal
                for a in done.connection.accounts if a.journal}
    return DemoConnection(done.connection.id, "gocardless", institution.name, journals)


def _plaid(engine: Engine, company: str, bank: SandboxHandle) -> DemoConnection:
    institution = bank.world.institutions[2]
    keys = PlaidKeys("booksync-demo", "demo-secret", f"{bank.url}/plaid")
    made = connect_plaid(engine, company, keys=keys, sandbox_institution=plaid_id(institution),
                         interval_seconds=12 * 3600, history_days=90, include_pending=True,
                         links={})
    by_name = {a.name: a.id for a in bank.world.accounts.values()
               if a.institution is institution}
    journals = {by_name.get(a.name, a.provider_account_id): a.journal
                for a in made.accounts if a.journal}
    return DemoConnection(made.id, "plaid", institution.name, journals)


def connect_all(engine: Engine, company: str, bank: SandboxHandle) -> list[DemoConnection]:
    """The sandbox's three banks connected, each through its provider, in that order."""
    return [_simplefin(engine, company, bank), _gocardless(engine, company, bank),
            _plaid(engine, company, bank)]
