"""The sandbox bank's institutions in the catalogue, once the sandbox is used.

``booksync init`` leaves the institutions catalogue empty: the sandbox's
banks are fictional, so they enter a database only when it talks to the
sandbox (``booksync demo``, and ``connect simplefin`` with a token from
``booksync sandbox serve``), as SimpleFIN names them there.  The catalogue
id is the SimpleFIN ``org`` id the sandbox serves, the one
:meth:`SimpleFINProvider.list_accounts` reports as ``institution_id``, so
the connection finds these rows, with their BIC and country, instead of
adding bare ones.  SimpleFIN publishes no institution list, so nothing else
fills the catalogue for it (docs/banking.md, "Institutions and bank accounts").

The sandbox speaks GoCardless and Plaid too (docs/banking.md, "The sandbox
bank"), each naming the same banks by ids of its own (``NORDWERKBANK_NWBKDEFF``,
``ins_nordwerk``).  :func:`seed_sandbox_protocols` lists them under every
protocol, with the values each protocol's connecting writes, so that a web
app running beside the sandbox offers each bank through each protocol and a
connection reuses the row.

This lives in the application layer, above both the sandbox and the banking
tables, for the command line and the web app alike (docs/architecture.md):
``banking`` never imports the sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from booksync.banking.institutions import upsert_institutions
from booksync.errors import BooksyncError
from booksync.providers.base import Institution, ProviderAccount
from booksync.sandbox.catalogue import INSTITUTIONS
from booksync.sandbox.model import Institution as SandboxInstitution

PROVIDER = "simplefin"
PROTOCOLS = ("simplefin", "gocardless", "plaid")

__all__ = [
    "PROTOCOLS",
    "sandbox_ids",
    "sandbox_institution_id",
    "sandbox_institutions",
    "seed_sandbox_catalogue",
    "seed_sandbox_protocols",
    "uses_sandbox",
]


def sandbox_institutions() -> list[Institution]:
    """The sandbox bank's institutions, as the SimpleFIN provider reports them."""
    return [Institution(i.id, i.name, i.bic, i.country, PROVIDER, True) for i in INSTITUTIONS]


def _ident(provider: str, institution: SandboxInstitution) -> str:
    """The id under which ``provider``'s side of the sandbox serves ``institution``."""
    if provider == "gocardless":
        from booksync.sandbox.gocardless_wire import institution_id as gocardless_id

        return gocardless_id(institution)
    if provider == "plaid":
        from booksync.sandbox.plaid_feed import institution_id as plaid_id

        return plaid_id(institution)
    return institution.id


def sandbox_ids(provider: str) -> frozenset[str]:
    """The ids of the sandbox's institutions under ``provider`` (none for another)."""
    if provider not in PROTOCOLS:
        return frozenset()
    return frozenset(_ident(provider, i) for i in INSTITUTIONS)


def sandbox_institution_id(provider: str, name: str) -> str:
    """``provider``'s id of the sandbox institution named by any of its ids or its name
    (any case): ``nordwerk``, ``Nordwerk Bank`` and ``ins_nordwerk`` name the same bank."""
    wanted = name.strip().casefold()
    if provider in PROTOCOLS:
        for institution in INSTITUTIONS:
            known = {institution.id, institution.name,
                     *(_ident(other, institution) for other in PROTOCOLS)}
            if wanted in {k.casefold() for k in known}:
                return _ident(provider, institution)
    raise BooksyncError(f"The sandbox bank has no institution {name.strip()[:80]!r}.",
                        code="not_found")


def seed_sandbox_catalogue(session: Session) -> int:
    """Add the sandbox's institutions to the catalogue (idempotent); how many changed."""
    return upsert_institutions(session, sandbox_institutions())


def seed_sandbox_protocols(session: Session) -> int:
    """The sandbox's institutions under each protocol it speaks (idempotent); how many
    changed.  For a server running the sandbox beside it, so that every bank can be
    connected through SimpleFIN, GoCardless and Plaid alike."""
    return upsert_institutions(session, [
        Institution(_ident(provider, i), i.name, i.bic, i.country, provider, True)
        for provider in PROTOCOLS for i in INSTITUTIONS
    ])


def uses_sandbox(provider: str, accounts: Sequence[ProviderAccount]) -> bool:
    """Whether ``accounts`` come from the sandbox bank: one of its institutions, id and name."""
    if provider != PROVIDER:
        return False
    known = {(i.id, i.name) for i in INSTITUTIONS}
    return any((a.institution_id, a.institution) in known for a in accounts)
