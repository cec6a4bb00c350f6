"""Signing in and out, and choosing the company the pages show.

A sign-in is refused with the same sentence whether the address is unknown
or the password wrong, and after too many failures (booksync.users.throttle)
with how long to wait; a refused attempt is not counted again while the
wait lasts.  The session cookie is HttpOnly, Secure and SameSite=Lax
(docs/web.md, "Signing in").
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from booksync.db.engine import session_factory
from booksync.users.accounts import authenticate
from booksync.users.roles import Permission
from booksync.users.sessions import end_session, start_session
from booksync.users.throttle import record_attempt, retry_after
from booksync.web.auth import COOKIE, Caller, caller_of, engine_of, need
from booksync.web.companies import COMPANY_COOKIE, visible
from booksync.web.templating import page

router = APIRouter(include_in_schema=False)

SESSION_COOKIE_AGE = 7 * 24 * 3600  # the session's absolute lifetime; the server ends it sooner


def _local(target: str | None) -> str:
    """``target`` when it is a path of this site, else the dashboard: never elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    if caller_of(request) is not None:
        return RedirectResponse(_local(next), status_code=303)
    return page(request, None, "login.html", title="Log in", next=_local(next), email="",
                error=None)


@router.post("/login")
def login(
    request: Request,
    email: Annotated[str, Form(max_length=300)] = "",
    password: Annotated[str, Form(max_length=1100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    remote = request.client.host if request.client else "unknown"
    factory = session_factory(engine_of(request))
    with factory.begin() as session:
        wait = retry_after(session, email, remote)
        if wait is not None:
            return page(request, None, "login.html", status_code=429, title="Log in",
                        next=_local(next), email=email,
                        error=f"Too many failed attempts: try again in {wait} seconds.")
        user = authenticate(session, email, password)
        record_attempt(session, email, remote, user is not None)
        started = start_session(session, user.id) if user is not None else None
    if started is None:
        return page(request, None, "login.html", status_code=401, title="Log in",
                    next=_local(next), email=email, error="Wrong email or password.")
    cookie, _csrf = started
    answer = RedirectResponse(_local(next), status_code=303)
    answer.set_cookie(COOKIE, cookie, max_age=SESSION_COOKIE_AGE, httponly=True, secure=True,
                      samesite="lax", path="/")
    return answer


@router.post("/logout")
def logout(request: Request, caller: Annotated[Caller, Depends(need(Permission.READ))]
           ) -> Response:
    cookie = request.cookies.get(COOKIE)
    if cookie:
        with session_factory(engine_of(request)).begin() as session:
            end_session(session, cookie)
    answer = RedirectResponse("/login", status_code=303)
    answer.delete_cookie(COOKIE, path="/", httponly=True, secure=True, samesite="lax")
    return answer


@router.post("/company")
def choose_company(
    request: Request,
    caller: Annotated[Caller, Depends(need(Permission.READ))],
    company: Annotated[int, Form()],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Remember the company the pages show (one the caller sees; else nothing changes)."""
    answer = RedirectResponse(_local(next), status_code=303)
    if any(c.id == company for c in visible(request, caller)):
        answer.set_cookie(COMPANY_COOKIE, str(company), httponly=True, secure=True,
                          samesite="lax", path="/")
    return answer
