"""Which booked bank transactions are new: the exactly-once rules.

docs/banking.md, "Exactly once: the dedupe rules", against the bugs users keep reporting.
Every rule is per *statement source* (a provider account's online source, a
statement file's, a journal's manual one), never across sources:

- A transaction is known when any of its ids (the source's id and its
  alternative ids) is an alias of a statement line of the same source (ids
  are unique per source only, bug 4). A known transaction whose other ids
  are new adds them as aliases: a changed id rule adds aliases, not
  duplicates.
- An unknown booked transaction may *claim* an existing line only when that
  line is an orphan: dated inside the fetched window, yet none of its ids
  came back in this fetch (the provider changed the id, or a pending
  transaction booked under a new id, bugs 1 and 2). It must have the same
  amount, a date within ``tolerance_days``; the nearest date wins, and a
  line is claimed once. Two genuine same-day same-amount transactions in one
  answer keep their own ids, so neither is an orphan's match (bug 5).
- Everything else is new.

This module is pure (no database): the importer hands it what it loaded
(:mod:`booksync.statements.known`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Fetched(Generic[T]):
    """A booked transaction reduced to what dedupe needs; ``item`` is carried along."""

    ids: tuple[str, ...]
    date: dt.date
    amount: int
    item: T
    label: str = ""


@dataclass(frozen=True, slots=True)
class KnownLine:
    """A statement line already booked for the source, with all its alias ids."""

    id: int
    date: dt.date
    amount: int
    ids: frozenset[str]
    label: str = ""


@dataclass(slots=True)
class Plan(Generic[T]):
    new: list[Fetched[T]] = field(default_factory=list)
    duplicates: int = 0
    updated: int = 0
    aliases: list[tuple[int, str]] = field(default_factory=list)  # (line id, new id)


def plan(
    fetched: Sequence[Fetched[T]],
    known: Mapping[str, int],
    window_lines: Iterable[KnownLine],
    *,
    tolerance_days: int = 7,
) -> Plan[T]:
    """Sort ``fetched`` into duplicates, claims of orphan lines, and new ones."""
    result: Plan[T] = Plan()
    seen: dict[str, int | None] = dict(known)  # id -> line id (None: new in this fetch)
    fetched_ids = {i for tx in fetched for i in tx.ids}
    unknown: list[Fetched[T]] = []
    for tx in fetched:
        line = next((seen[i] for i in tx.ids if i in seen), -1)
        if line == -1:
            unknown.append(tx)
            for i in tx.ids:
                seen[i] = None
            continue
        result.duplicates += 1
        added = [i for i in tx.ids if i not in seen]
        for i in added:
            seen[i] = line
            if line is not None:
                result.aliases.append((line, i))
        if added and line is not None:
            result.updated += 1
    orphans = [ln for ln in window_lines if ln.ids and not ln.ids & fetched_ids]
    ordered = sorted(unknown, key=lambda t: (t.date, t.ids))
    matches = _nearest_pairs(ordered, orphans, tolerance_days)
    for index, tx in enumerate(ordered):
        line_id = matches.get(index)
        if line_id is None:
            result.new.append(tx)
            continue
        result.updated += 1
        result.aliases.extend((line_id, i) for i in tx.ids)
    return result


def _nearest_pairs(
    txs: Sequence[Fetched[T]], orphans: Sequence[KnownLine], tolerance: int
) -> dict[int, int]:
    """Index in ``txs`` -> orphan line id it claims: nearest dates first, each once.

    Pairs are taken by date distance over all candidates, not transaction by
    transaction, so an unrelated earlier payment of the same amount cannot
    take the line of a changed id that sits on the line's own date. Between
    equally near candidates the one with the same label wins, so two
    same-day same-amount transactions whose ids both change each keep their
    own line.
    """
    by_amount: dict[int, list[KnownLine]] = {}
    for line in orphans:
        by_amount.setdefault(line.amount, []).append(line)
    # (distance, label differs, tx index, line id)
    candidates: list[tuple[int, bool, int, int]] = []
    for index, tx in enumerate(txs):
        for line in by_amount.get(tx.amount, ()):
            distance = abs((line.date - tx.date).days)
            if distance <= tolerance:
                candidates.append((distance, line.label != tx.label, index, line.id))
    candidates.sort()
    matches: dict[int, int] = {}
    taken: set[int] = set()
    for _, _, index, line_id in candidates:
        if index not in matches and line_id not in taken:
            matches[index] = line_id
            taken.add(line_id)
    return matches
