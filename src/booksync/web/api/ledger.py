"""``/api/v1/companies``, ``company``, ``accounts``, ``journals`` and ``entries``: the
ledger's API.

Answers are the shapes of the command line's ``--json`` (``company show``, ``company
lock``, ``account list``, ``journal list``, ``entry list``, ``entry show``, ``entry
add``), read by
the same use cases; lists come as ``{"items": [...], "next": ...}``, the
entries a page at a time by their keyset cursor (docs/web.md, "Ledger API").
Amounts go in and out as decimal strings: a JSON number is refused, since a
float cannot say which decimal was meant.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from booksync.app import entries
from booksync.app.companies import company_view, lock
from booksync.app.masterdata import accounts, journals
from booksync.app.shapes import as_json
from booksync.ledger.entries import LineInput
from booksync.money import parse_amount
from booksync.users.roles import Permission
from booksync.web.api.common import (
    DEFAULT_LIMIT,
    CompanyQuery,
    CursorQuery,
    Day,
    IdPath,
    LimitQuery,
    after_id,
    listing,
)
from booksync.web.auth import Caller, need
from booksync.web.companies import opened, visible

router = APIRouter(prefix="/api/v1", tags=["ledger"])

Reader = Annotated[Caller, Depends(need(Permission.READ))]
Booker = Annotated[Caller, Depends(need(Permission.BOOK))]
Admin = Annotated[Caller, Depends(need(Permission.ADMIN))]
Amount = Annotated[str, Field(max_length=40, description="A decimal string, e.g. \"150.00\".")]



class LineBody(BaseModel):
    """One line: ``debit`` or ``credit`` (the other ``"0"`` or left out)."""

    model_config = ConfigDict(extra="forbid")

    account: str = Field(max_length=128, description="The account's code.")
    debit: Amount = "0"
    credit: Amount = "0"
    partner: str | None = Field(None, max_length=200, description="A partner's name.")
    label: str | None = Field(None, max_length=500)


class EntryBody(BaseModel):
    """An entry as ``booksync entry add`` takes it; a draft unless ``post``."""

    model_config = ConfigDict(extra="forbid")

    journal: str = Field(max_length=16, description="The journal's code, e.g. MISC.")
    date: Day = Field(description="YYYY-MM-DD.")
    ref: str | None = Field(None, max_length=500)
    lines: list[LineBody] = Field(min_length=1, max_length=1000)
    post: bool = Field(False, description="Post at once: checked, numbered, final.")


class LockBody(BaseModel):
    """``booksync company lock DATE [--reopen]`` (``date`` null: ``company unlock``)."""

    model_config = ConfigDict(extra="forbid")

    date: Day | None = Field(description="Last day of the closed period, YYYY-MM-DD; "
                                         "null opens every period.")
    reopen: bool = Field(False, description="Allow moving the lock date back or away.")


class ReverseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Day | None = Field(None, description="The reversal's date (default: the entry's).")


def _line(given: LineBody) -> LineInput:
    return LineInput(
        account=given.account.strip(),
        debit=parse_amount(given.debit),
        credit=parse_amount(given.credit),
        partner=(given.partner or "").strip() or None,
        label=given.label or None,
    )


@router.get("/companies", summary="The companies the caller sees")
def list_companies(request: Request, caller: Reader) -> dict[str, Any]:
    """Every company the caller may see, by name: its id, name and currency."""
    items = [{"id": c.id, "name": c.name, "currency": c.currency}
             for c in visible(request, caller)]
    return {"items": items, "next": None}


@router.get("/company", summary="The company and its lock date")
def show_company(request: Request, caller: Reader, company: CompanyQuery = None
                 ) -> dict[str, Any]:
    """Name, currency, country and the day the books are closed up to
    (`booksync company show --json`)."""
    with opened(request, caller) as books:
        return dict(as_json(company_view(books)))


@router.put("/company/lock", summary="Close the books up to a day, or reopen them")
def lock_company(request: Request, caller: Admin, body: LockBody,
                 company: CompanyQuery = None) -> dict[str, Any]:
    """Nothing is posted on or before the lock date any more; moving it back or away
    needs `reopen` (`booksync company lock`, docs/ledger.md "Closing a period")."""
    with opened(request, caller) as books:
        return dict(as_json(lock(books, body.date, today=dt.date.today(),
                                 reopen=body.reopen)))


@router.get("/accounts", summary="The chart of accounts")
def list_accounts(request: Request, caller: Reader, company: CompanyQuery = None
                  ) -> dict[str, Any]:
    """The company's accounts by code (`booksync account list --json`)."""
    with opened(request, caller) as books:
        return {"items": as_json(accounts(books)), "next": None}


@router.get("/journals", summary="The journals")
def list_journals(request: Request, caller: Reader, company: CompanyQuery = None
                  ) -> dict[str, Any]:
    """The company's journals by code (`booksync journal list --json`)."""
    with opened(request, caller) as books:
        return {"items": as_json(journals(books)), "next": None}


@router.get("/entries", summary="Journal entries, a page at a time")
def list_entries(
    request: Request,
    caller: Reader,
    journal: Annotated[str | None, Query(max_length=16,
                                         description="Only this journal's entries.")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    company: CompanyQuery = None,
) -> dict[str, Any]:
    """Entries by date then id with their lines (`booksync entry list --json`); pages
    never repeat or skip an entry, whatever is booked in between."""
    after = after_id(cursor)
    with opened(request, caller) as books:
        found = list(entries.list_entries(books, journal=journal or None, after=after,
                                          limit=limit + 1))
    return listing(found, limit)


@router.get("/entries/{entry_id}", summary="One entry")
def show_entry(request: Request, caller: Reader, entry_id: IdPath,
               company: CompanyQuery = None) -> dict[str, Any]:
    """One entry with its lines (`booksync entry show ID --json`)."""
    with opened(request, caller) as books:
        return entries.show_entry(books, entry_id)


@router.post("/entries", status_code=201, summary="Add an entry")
def add_entry(request: Request, caller: Booker, body: EntryBody,
              company: CompanyQuery = None) -> dict[str, Any]:
    """Add an entry, a draft unless `post` (`booksync entry add --json`).  A draft may
    be unbalanced; posting checks the balance, the lock date and the accounts."""
    lines = [_line(given) for given in body.lines]
    with opened(request, caller) as books:
        return entries.add_entry(books, journal=body.journal.strip(), date=body.date,
                                 lines=lines, ref=body.ref or None, post=body.post)


@router.post("/entries/{entry_id}/post", summary="Post a draft entry")
def post_entry(request: Request, caller: Booker, entry_id: IdPath,
               company: CompanyQuery = None) -> dict[str, Any]:
    """Post a draft: checked, numbered, and from then on unchangeable; the entry as
    posted."""
    with opened(request, caller) as books:
        entries.post_draft(books, entry_id)
        return entries.show_entry(books, entry_id)


@router.post("/entries/{entry_id}/reverse", status_code=201, summary="Reverse an entry")
def reverse_entry(request: Request, caller: Booker, entry_id: IdPath,
                  body: ReverseBody | None = None, company: CompanyQuery = None
                  ) -> dict[str, Any]:
    """Post the mirror entry of a posted entry (`booksync entry reverse --json`): the
    reversal, linked to the original."""
    day = body.date if body is not None else None
    with opened(request, caller) as books:
        return entries.reverse(books, entry_id, day)
