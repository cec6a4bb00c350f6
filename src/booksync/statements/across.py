"""One bank transaction, one line, whichever way it came in first: matching across sources.

A bank journal's ``online`` sources (a provider account, and after a re-link
its successor) and its ``file`` source mirror the same bank account, so a
period imported from a file and then fetched online, or the other way round,
brings the same transactions twice under ids of different namespaces
(docs/banking.md, "Exactly once across sources").  What one source's own ids
leave new (:mod:`booksync.statements.dedupe`) is matched here against the
lines the journal's other mirror sources booked:

- **The same id.**  A bank's own reference read from a file (a CAMT.053
  ``AcctSvcrRef``, an MT940 bank reference) is often what an online provider
  gives as its id too: a transaction whose id is an alias of another mirror
  source's line is that line.
- **Else date, amount and label, within the overlap.**  Both sides list every
  booked transaction of the days they cover, so on a day both cover, the
  transactions of one amount are the same ones: each claims a line of the
  same booking date and amount, the one whose label is most alike first;
  when one side has more of them than the other, the rest are new (two
  genuine same-day same-amount payments stay two).  A line and a transaction
  that both carry a reference (an end-to-end id, a structured remittance
  reference) that differ are never the same.

A claimed line stays where it is; the ids of the transaction that claimed it
become aliases of the claiming source, so that the next fetch or file of that
source knows it by its own ids.  Lines entered by hand are not matched: a
person may type a line the bank never booked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.banking.models import SourceKind, StatementLine, StatementSource, TransactionAlias
from booksync.providers.base import Transaction
from booksync.statements.dedupe import Fetched
from booksync.statements.known import chunks

__all__ = ["Across", "claim_across", "mirror_sources", "mirrored_balance", "mirrors_anything"]

MIRRORS = (SourceKind.ONLINE, SourceKind.FILE)


@dataclass(slots=True)
class Across:
    """What matching across sources decided: the still new, and the lines claimed with
    the ids that become the claiming source's aliases."""

    new: list[Fetched[Transaction]]
    aliases: list[tuple[int, str]]


@dataclass(slots=True)
class _Line:
    id: int
    label: str
    reference: str | None


def mirror_sources(session: Session, journal_id: int) -> list[int]:
    """The ids of the journal's sources that mirror the bank account (online, file)."""
    return list(session.scalars(
        select(StatementSource.id).where(StatementSource.journal_id == journal_id,
                                         StatementSource.kind.in_(MIRRORS))
    ))


def mirrored_balance(session: Session, journal_id: int, as_of: dt.date) -> int:
    """What the journal's mirror sources' lines add up to at the end of bank date
    ``as_of``: the balance the bank's own should equal (lines entered by hand aside)."""
    total = session.scalar(
        select(func.coalesce(func.sum(StatementLine.amount), 0))
        .join(StatementSource, StatementSource.id == StatementLine.source_id)
        .where(StatementLine.journal_id == journal_id, StatementLine.date <= as_of,
               StatementSource.kind.in_(MIRRORS))
    )
    return int(total or 0)


def mirrors_anything(session: Session, journal_id: int) -> bool:
    """Whether any mirror source of the journal has booked a line."""
    return session.scalar(
        select(StatementLine.id)
        .join(StatementSource, StatementSource.id == StatementLine.source_id)
        .where(StatementLine.journal_id == journal_id, StatementSource.kind.in_(MIRRORS))
        .limit(1)
    ) is not None


def _by_id(session: Session, others: list[int], new: Sequence[Fetched[Transaction]]
           ) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks([i for f in new for i in f.ids]):
        found.update(session.execute(
            select(TransactionAlias.transaction_id, TransactionAlias.statement_line_id)
            .where(TransactionAlias.source_id.in_(others),
                   TransactionAlias.transaction_id.in_(chunk))
        ).tuples().all())
    return found


def _open_lines(session: Session, journal_id: int, source_id: int, others: list[int],
                first: dt.date, last: dt.date) -> dict[tuple[dt.date, int], list[_Line]]:
    """The other sources' lines dated ``first``..``last`` that this source has not
    claimed yet, by (date, amount)."""
    taken = set(session.scalars(
        select(TransactionAlias.statement_line_id)
        .join(StatementLine, StatementLine.id == TransactionAlias.statement_line_id)
        .where(TransactionAlias.source_id == source_id, StatementLine.journal_id == journal_id,
               StatementLine.source_id != source_id, StatementLine.date >= first,
               StatementLine.date <= last)
    ))
    lines: dict[tuple[dt.date, int], list[_Line]] = {}
    for ident, day, amount, label, reference in session.execute(
        select(StatementLine.id, StatementLine.date, StatementLine.amount, StatementLine.label,
               StatementLine.reference)
        .where(StatementLine.journal_id == journal_id, StatementLine.source_id.in_(others),
               StatementLine.is_opening.is_(False), StatementLine.date >= first,
               StatementLine.date <= last)
        .order_by(StatementLine.id)
    ):
        if ident not in taken:
            lines.setdefault((day, amount), []).append(_Line(ident, label, reference))
    return lines


def _best(candidates: list[_Line], fetched: Fetched[Transaction]) -> _Line | None:
    """The line most like ``fetched`` by label, none whose reference contradicts it."""
    reference = fetched.item.reference
    fitting = [line for line in candidates
               if not (reference and line.reference and line.reference != reference)]
    if not fitting:
        return None
    return max(fitting, key=lambda line: fuzz.token_set_ratio(line.label, fetched.label))


def claim_across(session: Session, journal_id: int, source_id: int,
                 new: list[Fetched[Transaction]]) -> Across:
    """Match what source ``source_id`` found new against the journal's other mirror
    sources' lines; one query when the journal has no other."""
    others = [s for s in mirror_sources(session, journal_id) if s != source_id]
    if not others or not new:
        return Across(new, [])
    decided = Across([], [])
    claimed: set[int] = set()
    by_id = _by_id(session, others, new)
    rest: list[Fetched[Transaction]] = []
    for fetched in new:
        line = next((by_id[i] for i in fetched.ids if i in by_id), None)
        if line is None or line in claimed:
            rest.append(fetched)
            continue
        claimed.add(line)
        decided.aliases += [(line, i) for i in fetched.ids]
    if rest:
        lines = _open_lines(session, journal_id, source_id, others,
                            min(f.date for f in rest), max(f.date for f in rest))
        for fetched in rest:
            candidates = [c for c in lines.get((fetched.date, fetched.amount), ())
                          if c.id not in claimed]
            best = _best(candidates, fetched) if candidates else None
            if best is None:
                decided.new.append(fetched)
                continue
            claimed.add(best.id)
            decided.aliases += [(best.id, i) for i in fetched.ids]
    return decided
