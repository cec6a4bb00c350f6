"""The web app: pages and the REST API over the application layer, in one FastAPI app.

:func:`create_app` takes the engine and what the server runs beside it;
``booksync serve`` (booksync.web.server) runs it under uvicorn, and the
tests call it directly.  Each page and each API resource is a router in a
module of its own, listed in :data:`ROUTERS` (docs/web.md, "Layout").
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from importlib.resources import files

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from booksync.app.dashboard import CardCache
from booksync.app.sandbox_catalogue import seed_sandbox_protocols
from booksync.db.engine import session_factory
from booksync.web import errors
from booksync.web.addresses import no_nul
from booksync.web.auth import RequestSession
from booksync.web.fetching import Fetches
from booksync.web.security import SecurityHeaders
from booksync.web.timing import ServerTiming

ROUTERS = (
    # First: the list programs poll most.  A request is matched against the routes in
    # this order, and trying the hundred others first cost the list a tenth of its
    # time; no other route's path can match one of its paths (docs/web.md, "Speed").
    "booksync.web.api.statements",
    "booksync.web.pages.login",
    "booksync.web.api.docs",
    "booksync.web.pages.invoices",
    "booksync.web.pages.partners",
    "booksync.web.api.invoices",
    "booksync.web.api.payments",
    "booksync.web.api.partners",
    "booksync.web.pages.reports",
    "booksync.web.pages.entries",
    "booksync.web.api.reports",
    "booksync.web.api.ledger",
    "booksync.web.pages.dashboard",
    "booksync.web.pages.connections",
    "booksync.web.api.connections",
    "booksync.web.pages.institutions",
    "booksync.web.api.institutions",
    "booksync.web.pages.statements",
    "booksync.web.pages.reconcile",
    "booksync.web.api.reconciliation",
    "booksync.web.api.rules",
)

__all__ = ["ROUTERS", "WebConfig", "create_app"]


@dataclass(frozen=True, slots=True)
class WebConfig:
    """What the server runs beside the app: the sandbox bank's address when started
    with ``--sandbox`` (its institutions connect with one click)."""

    sandbox_url: str | None = None


def _seed_sandbox_catalogue(engine: Engine) -> None:
    """With the sandbox bank running beside the app, its banks are in the catalogue
    (added here, at start, instead of by whichever request comes first)."""
    try:
        with session_factory(engine).begin() as session:
            seed_sandbox_protocols(session)
    except SQLAlchemyError:  # another server process added them at the same time
        pass


def create_app(engine: Engine, config: WebConfig | None = None) -> FastAPI:
    app = FastAPI(
        title="booksync",
        version="1",
        summary="The books of small companies, kept in step with their banks.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(no_nul)],
    )
    app.state.engine = engine
    app.state.sessions = session_factory(engine)  # each request's (booksync.web.auth)
    app.state.config = config or WebConfig()
    # Made once with the app, so requests never race to make them.
    app.state.fetches = Fetches()
    app.state.card_cache = CardCache()
    if app.state.config.sandbox_url is not None:
        _seed_sandbox_catalogue(engine)
    app.add_middleware(RequestSession)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ServerTiming)  # added last, so outermost: it times everything
    app.mount("/static", StaticFiles(directory=str(files("booksync.web") / "static")),
              name="static")
    errors.install(app)
    for name in ROUTERS:
        app.include_router(import_module(name).router)
    return app
