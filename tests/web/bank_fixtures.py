"""Fixtures of the connection tests (a pytest plugin: ``pytest_plugins``): the sandbox
bank over real loopback HTTP, reachable under the server's outbound policy, and
Acme connected to it through the use case, or (``sandboxed``) the app as
``booksync serve --sandbox`` builds it.

The web server refuses loopback addresses unless allowed (docs/web.md,
"Serving"), so ``outbound`` allows the sandbox's one port for the test and
puts the previous policy back afterwards.  ``linked`` connects Acme with a
fresh setup token (a month of history, so a first run is quick) after
recording the USD and JPY rates its foreign accounts book with.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from booksync.app.connections import ConnectionView
from booksync.providers import url_policy
from booksync.providers.url_policy import OutboundPolicy
from booksync.sandbox import SandboxHandle, World, start
from booksync.web.app import WebConfig, create_app
from tests.web.conftest import Web
from tests.web.connected import connect_acme


@pytest.fixture
def bank() -> Iterator[SandboxHandle]:
    """A sandbox bank whose business date is today, as the runs' window is."""
    with start(world=World(5)) as handle:
        yield handle


@pytest.fixture
def outbound(bank: SandboxHandle) -> Iterator[None]:
    previous = url_policy.default_policy()
    url_policy.set_default_policy(
        OutboundPolicy.server(allow=[("127.0.0.1", bank.server.server_port)])
    )
    yield
    url_policy.set_default_policy(previous)


@pytest.fixture
def sandboxed(web: Web, bank: SandboxHandle, outbound: None) -> Web:
    """The app as ``booksync serve --sandbox`` builds it, over the same database."""
    return Web(create_app(web.engine, WebConfig(sandbox_url=bank.url)), web.engine,
               web.company, web.other)


@pytest.fixture
def linked(web: Web, bank: SandboxHandle, outbound: None) -> ConnectionView:
    return connect_acme(web, bank)
