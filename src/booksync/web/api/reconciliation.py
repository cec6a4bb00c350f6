"""``/api/v1/reconciliation/{line_id}``: a line's suggestions, reconciling it, undoing it.

The answers are the shapes of ``booksync reconcile list --json`` (one line
with its suggestions) and ``reconcile apply --json`` / ``reconcile undo
--json``; a body names what ``reconcile apply`` takes, or one suggestion by
its rule (docs/web.md, "Reconciliation API").
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from booksync.app import line_reconcile, reconcile
from booksync.app.shapes import as_json
from booksync.errors import BooksyncError
from booksync.ledger.limits import MAX_ID
from booksync.users.roles import Permission
from booksync.web.api.common import CompanyQuery
from booksync.web.auth import Caller, need
from booksync.web.companies import opened

router = APIRouter(prefix="/api/v1", tags=["reconciliation"])

MAX_NAMED = 100  # documents, payments or counterparts in one request

Reader = Annotated[Caller, Depends(need(Permission.READ))]
Booker = Annotated[Caller, Depends(need(Permission.BOOK))]
LineId = Annotated[int, Path(ge=1, le=MAX_ID, description="The statement line's id.")]
Name = Annotated[str, Field(max_length=200)]


class ApplyBody(BaseModel):
    """How to reconcile the line.

    ``rule``: apply the suggestion of that rule (a button's name presses the
    button); ``documents`` then picks which of the rule's suggestions.  Without
    ``rule``: the documents, payments and counterparts (`ACCOUNT:AMOUNT[:LABEL]`)
    to reconcile with, the rest on ``partner``'s account, as `reconcile apply`
    takes them; an empty body applies the line's best suggestion.
    """

    model_config = ConfigDict(extra="forbid")

    rule: Name | None = Field(default=None, description="A suggestion's rule, as listed.")
    documents: list[Name] = Field(default=[], max_length=MAX_NAMED,
                                  description="Invoice or bill numbers.")
    payments: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default=[], max_length=MAX_NAMED, description="Registered payments' ids.")
    counterparts: list[Annotated[str, Field(max_length=600)]] = Field(
        default=[], max_length=MAX_NAMED, description="`ACCOUNT:AMOUNT[:LABEL]`, e.g. "
        "`6500:2.50:Bank fees`.")
    partner: Name | None = Field(default=None, description="What is left goes on this partner's "
                                 "account.")


@router.get("/reconciliation/{line_id}/suggestions", summary="A line's suggestions")
def suggestions(request: Request, caller: Reader, line_id: LineId,
                company: CompanyQuery = None) -> dict[str, Any]:
    """The line with its suggestions, best first (a `reconcile list --json` item); a
    reconciled line is a conflict (409)."""
    with opened(request, caller) as books:
        found: dict[str, Any] = as_json(line_reconcile.line_to_reconcile(books, line_id))
        return found


@router.post("/reconciliation/{line_id}/apply", summary="Reconcile a line")
def apply(request: Request, caller: Booker, line_id: LineId, body: ApplyBody | None = None,
          company: CompanyQuery = None) -> dict[str, Any]:
    """Reconcile the line (`reconcile apply --json`): its clearing entry, the documents
    it settled, its state."""
    given = body or ApplyBody()
    with opened(request, caller) as books:
        if given.rule is not None:
            if given.payments or given.counterparts or given.partner:
                raise BooksyncError("A suggestion is applied as it is: give its rule (and "
                                    "documents), without payments, counterparts or partner.")
            done = line_reconcile.apply_suggestion(books, line_id, given.rule,
                                              given.documents or None)
        else:
            done = reconcile.apply(books, line_id, given.documents, given.payments,
                                   given.counterparts, given.partner)
        shaped: dict[str, Any] = as_json(done)
        return shaped


@router.post("/reconciliation/{line_id}/undo", summary="Undo a line's reconciliation")
def undo(request: Request, caller: Booker, line_id: LineId,
         company: CompanyQuery = None) -> dict[str, Any]:
    """Reverse the line's clearing entry; the documents it settled are open again
    (`reconcile undo --json`)."""
    with opened(request, caller) as books:
        shaped: dict[str, Any] = as_json(reconcile.undo(books, line_id))
        return shaped
