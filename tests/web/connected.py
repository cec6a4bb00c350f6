"""Helpers of the connection tests: connecting a company to the sandbox bank through the
use case, reading a finished event stream, reading a connection back.

The fixtures that use them are in ``tests.web.bank_fixtures``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from booksync.app.connections import ConnectionView, connect
from booksync.banking.models import Connection
from booksync.db.engine import session_factory
from booksync.ledger.models import Company
from booksync.ledger.rates import set_rate
from booksync.sandbox import SandboxHandle
from tests.web.conftest import Web

RATES = {"USD": "0.92", "JPY": "0.0061"}
HISTORY_DAYS = 30
EVENT = re.compile(r"event: (\w+)\ndata: (.*)")


def connect_acme(web: Web, bank: SandboxHandle, company: str = "Acme Ltd") -> ConnectionView:
    """A SimpleFIN connection of ``company`` to every sandbox account, new journals."""
    with session_factory(web.engine).begin() as session:
        found = session.scalar(select(Company).where(Company.name == company))
        assert found is not None
        for currency, rate in RATES.items():
            set_rate(session, found, currency, dt.date(2000, 1, 1), rate)
    return connect(web.engine, company, provider="simplefin", token=bank.setup_token(),
                   interval_seconds=12 * 3600, history_days=HISTORY_DAYS,
                   include_pending=True, links={})


@dataclass
class Stream:
    """A finished event stream: its events in order, their data parsed."""

    events: list[tuple[str, Any]]

    def named(self, name: str) -> list[Any]:
        return [data for event, data in self.events if event == name]


def parse_events(text: str) -> Stream:
    return Stream([(m.group(1), json.loads(m.group(2))) for m in EVENT.finditer(text)])


def connection_row(engine: Engine, ident: int) -> Connection:
    with session_factory(engine)() as session:
        found = session.get(Connection, ident)
        assert found is not None
        session.expunge(found)
        return found
