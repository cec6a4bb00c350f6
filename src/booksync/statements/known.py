"""What a statement source has booked already, read as the dedupe rules need it.

Everything here is keyed on the source, never the provider account or the
journal: transaction ids are unique per source (docs/banking.md, "Exactly
once: the dedupe rules"), and a journal may hold lines of several sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.banking.models import StatementLine, TransactionAlias
from booksync.providers.base import Window
from booksync.statements.dedupe import KnownLine

T = TypeVar("T")

CHUNK = 500  # ids per ``IN (...)`` lookup


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class KnownLines:
    """The lines and aliases of one source."""

    def __init__(self, session: Session, source_id: int) -> None:
        self.session = session
        self.source_id = source_id

    def known(self, ids: Sequence[str]) -> dict[str, int]:
        """Line ids of the given ids that are already aliases of this source.

        A source without any alias (a first sync) answers with one query
        instead of one per ``CHUNK`` ids.
        """
        known: dict[str, int] = {}
        has_aliases = self.session.scalar(
            select(TransactionAlias.id).where(TransactionAlias.source_id == self.source_id).limit(1)
        )
        if has_aliases is None:
            return known
        for chunk in chunks(ids):
            rows = self.session.execute(
                select(TransactionAlias.transaction_id, TransactionAlias.statement_line_id).where(
                    TransactionAlias.source_id == self.source_id,
                    TransactionAlias.transaction_id.in_(chunk),
                )
            )
            known.update((tid, line_id) for tid, line_id in rows)
        return known

    def window_lines(self, window: Window) -> list[KnownLine]:
        """The source's lines dated in ``window``, each with all its alias ids."""
        rows = self.session.execute(
            select(
                StatementLine.id,
                StatementLine.date,
                StatementLine.amount,
                StatementLine.label,
                TransactionAlias.transaction_id,
            )
            .join(TransactionAlias, TransactionAlias.statement_line_id == StatementLine.id)
            .where(
                StatementLine.source_id == self.source_id,
                StatementLine.date >= window.start,
                StatementLine.date < window.end,
            )
        )
        lines: dict[int, tuple[dt.date, int, str, set[str]]] = {}
        for line_id, date, amount, label, tid in rows:
            lines.setdefault(line_id, (date, amount, label, set()))[3].add(tid)
        return [
            KnownLine(i, d, a, frozenset(ids), label) for i, (d, a, label, ids) in lines.items()
        ]

    def any(self) -> bool:
        """Whether the source has booked any line."""
        found = self.session.scalar(
            select(StatementLine.id).where(StatementLine.source_id == self.source_id).limit(1)
        )
        return found is not None


__all__ = ["CHUNK", "KnownLines", "chunks"]
