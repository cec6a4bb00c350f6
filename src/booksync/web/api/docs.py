"""``/api/docs``: the API's reference drawn from its OpenAPI schema, on the server.

The usual interactive viewers load their script from a CDN, which the
pages' security policy and an offline install both rule out; this page
lists each operation, its parameters and its answer's shape from
``/api/openapi.json`` with no script at all (docs/web.md, "API").
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from booksync.web.auth import caller_of
from booksync.web.templating import page

router = APIRouter(include_in_schema=False)

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path, item in sorted(schema.get("paths", {}).items()):
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            found.append({
                "method": method.upper(),
                "path": path,
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "tag": (operation.get("tags") or ["other"])[0],
                "parameters": [
                    {"name": p["name"], "in": p["in"], "required": p.get("required", False),
                     "description": p.get("description", "")}
                    for p in operation.get("parameters", [])
                ],
                "body": "requestBody" in operation,
            })
    return found


@router.get("/api/docs")
def api_docs(request: Request) -> Response:
    schema = request.app.openapi()
    caller = caller_of(request)
    return page(request, caller, "api_docs.html", title="API", active="",
                operations=_operations(schema), company=None, companies=[])
