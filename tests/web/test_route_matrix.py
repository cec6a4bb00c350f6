"""Every route, for every role: who may call it, and that nobody sees another company.

The routes are read from the app itself, so a route added later is walked
too; its permission is the one its ``need(...)`` dependency names.  Callers
use API tokens here (no CSRF, and a POST to /logout ends nothing), except
the anonymous one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import pytest
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from booksync.db.engine import session_factory
from booksync.users.roles import Permission, allows
from booksync.users.tokens import create_token
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, USERS, VIEWER, Web

PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/api/docs")}
# Routes about no one company: what they show is the caller's own.
NOT_COMPANY_SCOPED = {"/logout", "/company", "/api/v1/companies", "/api/v1/institutions"}
# Streams that stay open while a run goes on: walked for refusals only.
STREAMS = re.compile(r"/events$")


def _permission(route: APIRoute) -> Permission | None:
    def walk(dependant: object) -> Iterator[Permission]:
        for dep in getattr(dependant, "dependencies", []):
            found = getattr(dep.call, "permission", None)
            if found is not None:
                yield found
            yield from walk(dep)

    found = set(walk(route.dependant))
    assert len(found) <= 1, f"{route.path} asks for several permissions"
    return found.pop() if found else None


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every route of the app, those of its included routers too (FastAPI keeps each
    included router as one entry of ``app.routes``)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def _routes(web: Web) -> list[tuple[str, str, Permission | None]]:
    found = []
    for route in _api_routes(web.app.routes):
        for method in sorted(route.methods - {"HEAD"}):
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            found.append((method, path, _permission(route)))
    return found


def test_the_walk_reaches_every_page_and_every_api_operation(web: Web) -> None:
    walked = {path for _method, path, _permission in _routes(web)}
    api = {re.sub(r"\{[^}]+\}", "1", path) for path in web.app.openapi()["paths"]}
    assert api <= walked
    assert {"/", "/connections", "/statements", "/invoices", "/reports", "/entries"} <= walked


def _tokens(web: Web) -> dict[str, str]:
    with session_factory(web.engine).begin() as session:
        return {email: create_token(session, email, "matrix")[1] for email in USERS}


def test_every_route_but_the_public_ones_asks_for_a_permission(web: Web) -> None:
    for method, path, permission in _routes(web):
        if (method, path) in PUBLIC or path == "/api/openapi.json":
            continue
        assert permission is not None, f"{method} {path} checks no permission"


def test_every_route_refuses_anonymous_callers(web: Web) -> None:
    client = web.client()
    for method, path, permission in _routes(web):
        if permission is None:
            continue
        answer = client.request(method, path)
        if path.startswith("/api/"):
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.json()["error"]["code"] == "unauthenticated"
        else:
            assert answer.status_code == 303, (method, path)
            assert answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("email", [VIEWER, ACCOUNTANT, ADMIN])
def test_each_role_is_let_through_exactly_where_its_permission_allows(
    web: Web, email: str
) -> None:
    token = _tokens(web)[email]
    role = USERS[email][0]
    client = web.client()
    headers = {"Authorization": f"Bearer {token}"}
    for method, path, permission in _routes(web):
        if permission is None:
            continue
        if allows(role, permission):
            if STREAMS.search(path):
                continue
            answer = client.request(method, path, headers=headers)
            assert answer.status_code not in (401, 403), (role, method, path, answer.text)
            assert answer.status_code < 500, (role, method, path, answer.text)
        else:
            answer = client.request(method, path, headers=headers)
            assert answer.status_code == 403, (role, method, path, answer.status_code)
            assert "Traceback" not in answer.text


def test_a_user_of_another_company_never_reaches_acme(web: Web) -> None:
    token = _tokens(web)[OUTSIDER]
    client = web.client()
    headers = {"Authorization": f"Bearer {token}"}
    for method, path, permission in _routes(web):
        if permission is None or path in NOT_COMPANY_SCOPED:
            continue
        if not allows("accountant", permission):
            continue
        answer = client.request(method, path, params={"company": "Acme Ltd"}, headers=headers)
        # A request missing a required parameter or body is refused as invalid before
        # its company is looked at; else the company is not found for this caller.
        assert answer.status_code in {404, 422}, (method, path, answer.status_code, answer.text)
        if answer.status_code == 422:
            assert answer.headers["content-type"].startswith("application/json") or \
                "is not valid" in answer.text or "required" in answer.text, (method, path)


def test_an_id_past_what_the_database_holds_is_refused_not_a_fault(web: Web) -> None:
    token = _tokens(web)[ADMIN]
    client = web.client()
    headers = {"Authorization": f"Bearer {token}"}
    for route in _api_routes(web.app.routes):
        if "{" not in route.path:
            continue
        path = re.sub(r"\{[^}]+\}", str(2**63), route.path)
        for method in sorted(route.methods - {"HEAD"}):
            if STREAMS.search(path) and method == "GET":
                continue
            answer = client.request(method, path, headers=headers)
            assert answer.status_code in (404, 422), (method, path, answer.status_code)
