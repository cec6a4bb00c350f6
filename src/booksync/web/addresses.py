"""A NUL in a request's address is refused before any route reads it.

No name, code or search text booksync keeps holds a NUL.  PostgreSQL
refuses one in any text it is asked about ("the database refused the
operation") where SQLite simply finds nothing, so a journal, an account or
a search holding one was answered differently by the two databases.
Refused here, once for every route, it is the same one sentence on both
(docs/web.md, "Errors").
"""

from __future__ import annotations

from fastapi import Request

from booksync.errors import BooksyncError

__all__ = ["no_nul"]


async def no_nul(request: Request) -> None:
    """An app-wide dependency: a query string holding ``%00`` is bad input (422)."""
    if b"%00" in request.scope.get("query_string", b""):
        raise BooksyncError("The address holds a NUL character (%00), which no name, code "
                            "or search text can hold.")
