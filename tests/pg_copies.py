"""Fresh PostgreSQL databases for the tests, copied from a migrated template ahead of time.

Every ``DROP DATABASE`` makes the server take a checkpoint, which writes out
every page changed since the last one, a new copy's too when it was made
page by page through the shared buffers (``CREATE DATABASE``'s default
strategy since PostgreSQL 15).  So copies are made by copying the template's
files (``STRATEGY FILE_COPY``, the only way before 15), and neither the copy
nor the drop runs while a test waits: each goes to the server on a libpq
connection of its own without waiting for the answer.  The next test's copy
is made while a test runs; a test's copy is dropped once the next test is
done (its connections are gone by then), and a test waits only for what the
server has not finished yet.
"""

from __future__ import annotations

import uuid

from psycopg import pq


def _finish(conn: pq.PGconn) -> None:
    """Wait for the answer to the query sent on ``conn``, if any; raise its error."""
    errors = []
    while (result := conn.get_result()) is not None:
        if result.status != pq.ExecStatus.COMMAND_OK:
            errors.append(result.get_error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b"")
    if errors:
        raise RuntimeError(b"; ".join(errors).decode(errors="replace"))


class TemplateCopies:
    """Copies of ``template`` on the server that ``conninfo`` (a libpq URL) names."""

    def __init__(self, conninfo: str, template: str) -> None:
        self.template = template
        self.maker = pq.PGconn.connect(conninfo.encode())
        self.dropper = pq.PGconn.connect(conninfo.encode())
        for conn in (self.maker, self.dropper):
            if conn.status != pq.ConnStatus.OK:
                raise RuntimeError(conn.get_error_message())
        self.strategy = " STRATEGY FILE_COPY" if self.maker.server_version >= 150000 else ""
        self.used: str | None = None
        self.ready = self._make()

    def _make(self) -> str:
        name = f"booksync_t_{uuid.uuid4().hex[:16]}"
        self.maker.send_query(
            f"CREATE DATABASE {name} TEMPLATE {self.template}{self.strategy}".encode()
        )
        return name

    def take(self) -> str:
        """A fresh copy's name; the one after it is started."""
        name = self.ready
        try:
            _finish(self.maker)
        finally:
            self.ready = self._make()
        return name

    def give_back(self, name: str) -> None:
        """Drop the copy given back before ``name``, and ``name`` next time."""
        previous, self.used = self.used, name
        if previous is not None:
            self._drop(previous)

    def _drop(self, name: str) -> None:
        _finish(self.dropper)
        # FORCE: a test's killed subprocess may have left a connection behind.
        self.dropper.send_query(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())

    def close(self) -> None:
        """Drop the last copy used and the unused next one, and wait until they are gone."""
        try:
            _finish(self.maker)
        finally:
            for name in (self.used, self.ready):
                if name is not None:
                    self._drop(name)
            for conn in (self.maker, self.dropper):
                _finish(conn)
                conn.finish()
