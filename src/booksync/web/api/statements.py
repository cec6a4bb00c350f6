"""``/api/v1/statement-lines``: a bank journal's statement lines, a page at a time.

Items are the shape of ``booksync statement list --json`` (docs/banking.md,
"Statement lines"), newest first like the web page; ``next`` is the cursor
of the following (older) page.  The pages are keyset pages on (date, id), so
they never repeat or skip a line however deep they go (docs/web.md,
"Statement lines API").

The list is what programs poll most, so a plain page (no search, no
filter: a seek of at most ``limit`` rows) is read on the server's event
loop: handing a request of a millisecond or two to a worker thread and back
cost more than reading it, and the two threads then took turns at the
interpreter lock.  A search or a filter, which may read a journal to its
end, still goes to a worker thread, so that it never holds up the other
requests (docs/web.md, "Speed").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from booksync.app.statements import browse_lines, one_line
from booksync.ledger.limits import MAX_ID
from booksync.users.roles import Permission
from booksync.web.api.common import (
    DEFAULT_LIMIT,
    CompanyQuery,
    CursorQuery,
    LimitQuery,
    after_id,
    cursor_of,
    json_answer,
)
from booksync.web.auth import Caller, need
from booksync.web.companies import opened

router = APIRouter(prefix="/api/v1", tags=["statements"])


Reader = Annotated[Caller, Depends(need(Permission.READ))]
LineId = Annotated[int, Path(ge=1, le=MAX_ID, description="The statement line's id.")]


@router.get("/statement-lines", summary="A bank journal's statement lines, newest first")
async def list_statement_lines(
    request: Request,
    caller: Reader,
    journal: Annotated[str, Query(max_length=16, description="The bank journal's code, "
                                                             "e.g. BNK1.")],
    filter: Annotated[Literal["all", "reconciled", "to_reconcile"],
                      Query(description="Which lines.")] = "all",
    q: Annotated[str | None, Query(
        max_length=200, description="An amount (`1234.50`, `-1,234.50`: the line's signed "
        "amount exactly) or text looked for in the label and the partner's name.")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    company: CompanyQuery = None,
) -> dict[str, Any]:
    """Lines by date then id, newest first (`booksync statement list --json` items)."""
    older_than = after_id(cursor)

    def answer() -> Response:
        with opened(request, caller) as books:
            found = browse_lines(books, journal, show=filter, search=q,
                                 older_than=older_than, limit=limit)
        more = found.older and found.rows
        return json_answer(
            {"items": found.rows, "next": cursor_of(found.rows[-1]["id"]) if more else None}
        )

    plain = filter == "all" and not (q or "").strip()
    written = answer() if plain else await run_in_threadpool(answer)
    return written  # type: ignore[return-value]  # the declared shape, written by orjson


@router.get("/statement-lines/{line_id}", summary="One statement line")
def show_statement_line(request: Request, caller: Reader, line_id: LineId,
                        company: CompanyQuery = None) -> dict[str, Any]:
    """One line, whether and with what it is reconciled (`statement list --json` item)."""
    with opened(request, caller) as books:
        return one_line(books, line_id)
