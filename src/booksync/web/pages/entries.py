"""Journal entries: the list, an entry's page, the form of a new entry, Post and Reverse.

The list shows the newest entries first, a page at a time by a keyset on
(date, id), so a page deep in a million entries costs what the first does.
An entry's page shows its lines with what each is reconciled with and the
reversal links both ways.  The form works without script: **Add a line**
sends the form back with one more empty line, and an entry that cannot be
booked comes back with the sentence that says why, nothing saved
(docs/web.md, "Journal entries").
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from booksync.app import entries
from booksync.app.context import Books
from booksync.app.errors import user_error
from booksync.app.masterdata import accounts, journals, partners
from booksync.errors import BooksyncError
from booksync.ledger.entries import LineInput
from booksync.ledger.errors import NotFound
from booksync.ledger.limits import MAX_ID, shown
from booksync.money import MoneyError, parse_amount
from booksync.users.roles import Permission
from booksync.web.api.common import IdPath
from booksync.web.auth import Caller, need
from booksync.web.companies import opened
from booksync.web.templating import page

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
NEW_LINES = 2  # the empty lines a new form starts with
MAX_LINES = 150  # a form of more would pass the 1,000 fields Starlette reads of a form
MAX_PARTNERS = 1000  # offered as suggestions; any other name may still be typed

Reader = Annotated[Caller, Depends(need(Permission.READ))]
Booker = Annotated[Caller, Depends(need(Permission.BOOK))]
Field = Annotated[list[str], Form(max_length=MAX_LINES)]


def _failed(exc: Exception) -> BooksyncError:
    """``exc`` as the sentence a person can act on; a bug stays a bug."""
    known = user_error(exc)
    if known is None:
        raise exc
    return known


def _day(text: str | None, name: str) -> dt.date | None:
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BooksyncError(f"{name} {shown(text)} is not a date (YYYY-MM-DD)") from None


def _entry_ref(text: str) -> str | int:
    """What **Open** was given: a number, or an id the books can hold; digits past the
    largest id, or of another script, name no entry (and must not reach the driver)."""
    if not text.isdigit():
        return text
    if text.isascii() and len(text) <= len(str(MAX_ID)) and int(text) <= MAX_ID:
        return int(text)
    raise NotFound(f"no entry {shown(text)}")


@router.get("/entries")
def entry_list(
    request: Request,
    caller: Reader,
    journal: Annotated[str | None, Query(max_length=16)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    after: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    number: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The newest entries first; ``after`` the last entry of the page before, ``until``
    the latest date shown, ``number`` goes straight to the entry of that number."""
    with opened(request, caller) as books:
        if number and number.strip():
            found = entries.show_entry(books, _entry_ref(number.strip()))
            return RedirectResponse(f"/entries/{found['id']}", status_code=303)
        day = _day(until, "until")
        code = (journal or "").strip() or None
        listed = entries.entry_page(books, journal=code, older_than=after, until=day,
                                    limit=PAGE_SIZE)
        codes = [j.code for j in journals(books)]
    kept = {k: v for k, v in (("journal", code), ("until", day and day.isoformat())) if v}
    older = None
    if listed.more and listed.entries:
        older = "/entries?" + urlencode({**kept, "after": listed.entries[-1]["id"]})
    newest = "/entries?" + urlencode(kept) if after is not None else None
    return page(request, caller, "entries.html", active="entries", title="Journal entries",
                entries=listed.entries, journals=codes, journal=code,
                until=day.isoformat() if day else "", older=older, newest=newest)


def _blank() -> dict[str, str]:
    return {"account": "", "label": "", "debit": "", "credit": "", "partner": ""}


def _form(request: Request, caller: Caller, books: Books, *, values: dict[str, Any],
          error: str | None = None, status_code: int = 200) -> Response:
    """The form with what was typed, and at least the empty lines a new one starts with."""
    lines = values["lines"]
    values = {**values, "lines": lines + [_blank() for _ in range(NEW_LINES - len(lines))]}
    return page(
        request, caller, "entry_form.html", active="entries", title="New entry",
        journals=journals(books), accounts=[a for a in accounts(books) if a.active],
        partners=[p.name for p in partners(books)[:MAX_PARTNERS]],
        exponent=books.company.currency.exponent, values=values, error=error,
        status_code=status_code,
    )


@router.get("/entries/new")
def new_entry(request: Request, caller: Booker) -> Response:
    values = {"journal": "MISC", "date": dt.date.today().isoformat(), "ref": "", "lines": []}
    with opened(request, caller) as books:
        return _form(request, caller, books, values=values)


def _rows(account: list[str], label: list[str], debit: list[str], credit: list[str],
          partner: list[str]) -> list[dict[str, str]]:
    """The form's lines as typed, the empty ones left out."""
    count = max(len(account), len(label), len(debit), len(credit), len(partner))

    def at(values: list[str], n: int) -> str:
        return values[n].strip() if n < len(values) else ""

    rows = [
        {"account": at(account, n), "label": at(label, n), "debit": at(debit, n),
         "credit": at(credit, n), "partner": at(partner, n)}
        for n in range(count)
    ]
    return [row for row in rows if any(row.values())]


def _line(row: dict[str, str], n: int) -> LineInput:
    if not row["account"]:
        raise BooksyncError(f"Line {n}: choose an account.")
    try:
        debit, credit = parse_amount(row["debit"]), parse_amount(row["credit"])
    except MoneyError as exc:
        raise BooksyncError(f"Line {n}: {exc}", code="invalid_amount") from None
    return LineInput(row["account"], debit=debit, credit=credit,
                     partner=row["partner"] or None, label=row["label"] or None)


@router.post("/entries")
def create_entry(
    request: Request,
    caller: Booker,
    journal: Annotated[str, Form(max_length=16)] = "",
    date: Annotated[str, Form(max_length=40)] = "",
    ref: Annotated[str, Form(max_length=500)] = "",
    account: Field = [],  # noqa: B006 - FastAPI copies a form's defaults
    label: Field = [],  # noqa: B006
    debit: Field = [],  # noqa: B006
    credit: Field = [],  # noqa: B006
    partner: Field = [],  # noqa: B006
    action: Annotated[str, Form(max_length=20)] = "draft",
) -> Response:
    """Save the form as a draft (balanced) or post it; ``action=add_line`` only draws
    the form again with one more line."""
    rows = _rows(account, label, debit, credit, partner)
    values: dict[str, Any] = {"journal": journal, "date": date, "ref": ref, "lines": rows}
    error: BooksyncError | None = None
    if action == "add_line":
        values["lines"] = [*rows, _blank()]
    else:
        try:
            day = _day(date, "date")
            if day is None:
                raise BooksyncError("Give the entry's date.")
            if not rows:
                raise BooksyncError("Give the entry's lines: an account and an amount each.")
            lines = [_line(row, n) for n, row in enumerate(rows, 1)]
            with opened(request, caller) as books:  # one transaction: all or nothing
                made = entries.add_entry(books, journal=journal.strip(), date=day,
                                         lines=lines, ref=ref.strip() or None,
                                         post=action == "post", balanced=True)
            return RedirectResponse(f"/entries/{made['id']}", status_code=303)
        except Exception as exc:  # a refusal is shown, a bug re-raised
            error = _failed(exc)
    with opened(request, caller) as books:
        return _form(request, caller, books, values=values,
                     error=str(error) if error else None,
                     status_code=error.http_status if error else 200)


def _entry_page(request: Request, caller: Caller, entry_id: int, *, error: str | None = None,
                status_code: int = 200) -> Response:
    with opened(request, caller) as books:
        shape = entries.show_entry(books, entry_id)
        links = entries.entry_links(books, entry_id)
    lines = list(zip(shape["lines"], links.lines, strict=True))
    return page(request, caller, "entry.html", active="entries",
                title=shape["number"] or f"Draft {shape['id']}", entry=shape, links=links,
                lines=lines, error=error, today=dt.date.today().isoformat(),
                status_code=status_code)


@router.get("/entries/{entry_id}")
def show_entry(request: Request, caller: Reader, entry_id: IdPath) -> Response:
    return _entry_page(request, caller, entry_id)


@router.post("/entries/{entry_id}/post")
def post_entry(request: Request, caller: Booker, entry_id: IdPath) -> Response:
    """Post a draft; a refusal (unbalanced, locked period) is shown on its page."""
    try:
        with opened(request, caller) as books:
            entries.post_draft(books, entry_id)
    except Exception as exc:  # a refusal is shown, a bug re-raised
        refused = _failed(exc)
        if refused.code == "not_found":
            raise refused from None
        return _entry_page(request, caller, entry_id, error=str(refused),
                           status_code=refused.http_status)
    return RedirectResponse(f"/entries/{entry_id}", status_code=303)


@router.post("/entries/{entry_id}/reverse")
def reverse_entry(request: Request, caller: Booker, entry_id: IdPath,
                  date: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Post the mirror of a posted entry, dated ``date`` (default: the entry's), and
    show it."""
    try:
        day = _day(date, "date")
        with opened(request, caller) as books:
            made = entries.reverse(books, entry_id, day)
    except Exception as exc:  # a refusal is shown, a bug re-raised
        refused = _failed(exc)
        if refused.code == "not_found":
            raise refused from None
        return _entry_page(request, caller, entry_id, error=str(refused),
                           status_code=refused.http_status)
    return RedirectResponse(f"/entries/{made['id']}", status_code=303)
