"""Bank statement lines: one bank journal's lines, newest first, filtered and searched.

A page is a keyset page on (date, id) (booksync.app.statements.browse_lines):
**Next** carries the last line's id, **Previous** the first's, so a page
deep in a million lines costs what the first does and a line booked while
someone pages never makes a line repeat or go missing.  Each line links to
its reconciliation widget (booksync.web.pages.reconcile; docs/web.md, "Bank
statement lines").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from booksync.app.masterdata import journals
from booksync.app.statements import SHOWS, browse_lines, clearing_entries
from booksync.errors import BooksyncError
from booksync.ledger.limits import MAX_ID
from booksync.users.roles import Permission
from booksync.web.auth import Caller, need
from booksync.web.companies import opened
from booksync.web.templating import page

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100

Reader = Annotated[Caller, Depends(need(Permission.READ))]
LineId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
FILTERS = (("all", "All"), ("to_reconcile", "To reconcile"), ("reconciled", "Reconciled"))


def company_query(request: Request) -> dict[str, str]:
    """``{"company": NAME}`` when the page was asked for by ``?company=``: the links and
    forms it draws keep to that company rather than the remembered one."""
    name = request.query_params.get("company")
    return {"company": name} if name else {}


def status_of(row: dict[str, Any], clearing: dict[int, str]) -> str:
    """``Reconciled with INV/2026/00001`` (or with its clearing entry), or ``To reconcile``."""
    if not row["reconciled"]:
        return "To reconcile"
    if row["matched"]:
        return "Reconciled with " + ", ".join(row["matched"])
    entry = clearing.get(row["id"])
    return f"Reconciled ({entry})" if entry else "Reconciled"


@router.get("/statements")
def statement_list(
    request: Request,
    caller: Reader,
    journal: Annotated[str | None, Query(max_length=16)] = None,
    filter: Annotated[str, Query(max_length=20)] = "all",
    q: Annotated[str | None, Query(max_length=200)] = None,
    after: LineId = None,
    before: LineId = None,
) -> Response:
    """The journal's lines newest first; ``after`` / ``before`` a line's id: the page
    of older / newer lines next to it."""
    if after is not None and before is not None:
        raise BooksyncError("Give either after or before, not both.")
    if filter not in SHOWS:
        raise BooksyncError(f"filter must be all, reconciled or to_reconcile, not "
                            f"{filter[:40]!r}")
    with opened(request, caller) as books:
        banks = [j for j in journals(books) if j.type == "bank"]
        code = (journal or "").strip() or (banks[0].code if banks else None)
        listed = None
        clearing: dict[int, str] = {}
        if code is not None:
            listed = browse_lines(books, code, show=filter,
                                  search=q, older_than=after, newer_than=before,
                                  limit=PAGE_SIZE)
            clearing = clearing_entries(books, [r["id"] for r in listed.rows
                                                if r["reconciled"]])
    kept = {**company_query(request), **({"journal": code} if code else {}),
            **({"filter": filter} if filter != "all" else {}),
            **({"q": q.strip()} if q and q.strip() else {})}
    rows = [
        {**row, "value": Decimal(row["amount"]), "status": status_of(row, clearing),
         "href": f"/statements/{row['id']}"
                 + (f"?{urlencode(company_query(request))}" if company_query(request) else "")}
        for row in (listed.rows if listed else [])
    ]
    newer = older = None
    if listed and listed.rows:
        if listed.newer:
            newer = "/statements?" + urlencode({**kept, "before": listed.rows[0]["id"]})
        if listed.older:
            older = "/statements?" + urlencode({**kept, "after": listed.rows[-1]["id"]})
    return page(
        request, caller, "statements.html", active="statements", title="Bank statement lines",
        banks=banks, journal=code, filter=filter, filters=FILTERS, q=(q or "").strip(),
        rows=rows, newer=newer, older=older, company_fields=company_query(request),
        first="/statements?" + urlencode(kept) if (after or before) else None,
    )
