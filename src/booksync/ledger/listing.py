"""Entries as ``entry list`` and ``entry show`` print them: read in batches, paged.

Listing through the ORM loaded each entry's reversal links one query at a
time (two queries per entry) and kept every object until the end: 200,000
entries took minutes and gigabytes.  Here one query streams the entries in
listing order (date, then id) with their journal and reversal numbers, and
one query per batch reads the batch's lines, so memory holds one batch.

Pages are a keyset on that order: ``after`` is the id of the last entry of
the previous page, and the next page starts right after it, so pages never
repeat or skip an entry, whatever is booked in between.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, select, tuple_
from sqlalchemy.orm import Session, aliased

from booksync.ledger.errors import NotFound
from booksync.ledger.models import Account, Company, Entry, Journal, Line, Partner
from booksync.money import CURRENCIES, format_minor

BATCH = 1000


def keyset_page(
    session: Session,
    query: Select[*tuple[Any, ...]],
    day: Any,
    ident: Any,
    *,
    after: int | None,
    limit: int | None,
    owner: ColumnElement[bool],
    missing: str,
) -> Select[*tuple[Any, ...]]:
    """``query`` in (day, id) order, from the row after row ``after``, at most ``limit`` rows.

    ``owner`` limits where ``after`` is looked up (the company, the journal);
    when it is not there, ``NotFound(missing)``.
    """
    if after is not None:
        last = session.execute(select(day).where(owner, ident == after)).first()
        if last is None:
            raise NotFound(missing)
        # A row value, so that both databases seek the listing index to the page's start.
        query = query.where(tuple_(day, ident) > tuple_(last[0], after))
    return query.order_by(day, ident).limit(limit)


def _heads(company: Company) -> Select[*tuple[Any, ...]]:
    original = aliased(Entry)
    reversal = aliased(Entry)
    return (
        select(
            Entry.id,
            Entry.uid,
            Entry.number,
            Journal.code,
            Entry.date,
            Entry.ref,
            Entry.state,
            original.number,
            reversal.id,
            reversal.number,
        )
        .join(Journal, Journal.id == Entry.journal_id)
        .outerjoin(original, original.id == Entry.reversal_of_id)
        .outerjoin(reversal, reversal.reversal_of_id == Entry.id)
        .where(Entry.company_id == company.id)
    )


def _lines(session: Session, ids: Sequence[int]) -> dict[int, list[Any]]:
    rows = session.execute(
        select(
            Line.entry_id,
            Account.code,
            Partner.name,
            Line.label,
            Line.debit,
            Line.credit,
            Line.currency_code,
            Line.amount_currency,
        )
        .join(Account, Account.id == Line.account_id)
        .outerjoin(Partner, Partner.id == Line.partner_id)
        .where(Line.entry_id.in_(ids))
        .order_by(Line.entry_id, Line.id)
    )
    by_entry: dict[int, list[Any]] = {i: [] for i in ids}
    for row in rows:
        by_entry[row[0]].append(row)
    return by_entry


def _shape(head: Any, lines: list[Any], exp: int) -> dict[str, Any]:
    """The JSON shape of one entry (the contract of ``entry show --json``)."""
    ident, uid, number, journal, date, ref, state, original, reversal_id, reversal = head
    return {
        "id": ident,
        "uid": str(uid),
        "number": number,
        "journal": journal,
        "date": date.isoformat(),
        "ref": ref,
        "state": "reversed" if state == "posted" and reversal_id is not None else state,
        "reversal_of": original,
        "reversed_by": reversal,
        "lines": [
            {
                "account": account,
                "partner": partner,
                "label": label,
                "debit": format_minor(debit, exp),
                "credit": format_minor(credit, exp),
                "currency": currency,
                "amount_currency": None
                if foreign is None or currency is None
                else format_minor(foreign, CURRENCIES[currency][0]),
            }
            for _, account, partner, label, debit, credit, currency, foreign in lines
        ],
        "total_debit": format_minor(sum(ln[4] for ln in lines), exp),
        "total_credit": format_minor(sum(ln[5] for ln in lines), exp),
    }


def entry_shapes(
    session: Session,
    company: Company,
    *,
    journal: str | None = None,
    after: int | None = None,
    limit: int | None = None,
    only: int | None = None,
    batch: int = BATCH,
) -> Iterator[dict[str, Any]]:
    """Entries by date then id, as JSON shapes, read ``batch`` at a time.

    ``journal`` keeps one journal's entries; ``after`` starts after that
    entry (``NotFound`` if the company has none with that id); ``only``
    yields the one entry with that id.
    """
    query = _heads(company)
    if journal:
        journal_id = session.scalar(
            select(Journal.id).where(Journal.company_id == company.id, Journal.code == journal)
        )
        if journal_id is None:
            raise NotFound(f"unknown journal {journal!r}")
        query = query.where(Entry.journal_id == journal_id)
    if only is not None:
        query = query.where(Entry.id == only)
    query = keyset_page(
        session, query, Entry.date, Entry.id, after=after, limit=limit,
        owner=Entry.company_id == company.id, missing=f"no entry {after} to list after",
    )
    exp = company.currency.exponent
    heads = session.execute(query, execution_options={"yield_per": batch})
    for chunk in heads.partitions():
        lines = _lines(session, [head[0] for head in chunk])
        for head in chunk:
            yield _shape(head, lines[head[0]], exp)


def entry_shape(session: Session, company: Company, entry_id: int) -> dict[str, Any]:
    """One entry's JSON shape by id (found by the caller, e.g. ``get_entry``)."""
    for shape in entry_shapes(session, company, only=entry_id):
        return shape
    raise NotFound(f"no entry {entry_id}")


__all__ = ["entry_shape", "entry_shapes", "keyset_page"]
