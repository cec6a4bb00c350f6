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

This lives in the application layer, above both the sandbox and the banking
tables, for the command line and the web app alike (docs/architecture.md):
``banking`` never imports the sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from booksync.banking.institutions import upsert_institutions
from booksync.providers.base import Institution, ProviderAccount
from booksync.sandbox.catalogue import INSTITUTIONS

PROVIDER = "simplefin"

__all__ = ["sandbox_institutions", "seed_sandbox_catalogue", "uses_sandbox"]


def sandbox_institutions() -> list[Institution]:
    """The sandbox bank's institutions, as the SimpleFIN provider reports them."""
    return [Institution(i.id, i.name, i.bic, i.country, PROVIDER, True) for i in INSTITUTIONS]


def seed_sandbox_catalogue(session: Session) -> int:
    """Add the sandbox's institutions to the catalogue (idempotent); how many changed."""
    return upsert_institutions(session, sandbox_institutions())


def uses_sandbox(provider: str, accounts: Sequence[ProviderAccount]) -> bool:
    """Whether ``accounts`` come from the sandbox bank: one of its institutions, id and name."""
    if provider != PROVIDER:
        return False
    known = {(i.id, i.name) for i in INSTITUTIONS}
    return any((a.institution_id, a.institution) in known for a in accounts)
