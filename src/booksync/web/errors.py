"""Every error as the caller can use it: JSON for the API, a page for a person.

The API answers ``{"error": {"code", "message"}}`` with the status of the
code (booksync.errors.KINDS), and never a traceback: bad input is a 4xx.  A
page shows the same sentence in the layout, and a page that needs a
signed-in user sends the browser to the login page instead (docs/web.md,
"Errors").  A bug is logged with its traceback on the server and answered
with a 500 that says nothing about the inside.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from booksync.app.errors import user_error
from booksync.errors import BooksyncError
from booksync.web.auth import NotSignedIn, caller_of

log = logging.getLogger("booksync.web")

_HTTP_CODES = {404: "not_found", 405: "invalid", 401: "unauthenticated", 403: "forbidden"}

__all__ = ["install", "is_api"]


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _answer(request: Request, status: int, code: str, message: str) -> Response:
    if is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"error": {"code": code, "message": message}}, status,
                            headers=headers)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    from booksync.web.templating import page

    caller = caller_of(request)
    try:
        return page(request, caller, "error.html", status_code=status, code=code,
                    message=message, title="Error")
    except BooksyncError:  # the layout itself failed (no company): a bare page
        return page(request, None, "error.html", status_code=status, code=code,
                    message=message, title="Error")


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "The request is not valid."
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    text = str(first.get("msg", "is not valid"))
    return f"{where}: {text}" if where else text


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        return _answer(request, 401, exc.code, str(exc))

    @app.exception_handler(BooksyncError)
    async def refused(request: Request, exc: BooksyncError) -> Response:
        return _answer(request, exc.http_status, exc.code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _answer(request, 422, "invalid", _validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http(request: Request, exc: HTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "invalid")
        message = exc.detail if isinstance(exc.detail, str) else "The request is not valid."
        if exc.status_code == 404:
            message = "Nothing here: the address names no page or record."
        return _answer(request, exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        known = user_error(exc)
        if known is not None:
            return _answer(request, known.http_status, known.code, str(known))
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _answer(request, 500, "internal",
                       "Something went wrong on the server; nothing was changed.")
