"""The sandbox bank speaking Plaid under ``/plaid/`` (docs/banking.md, "The sandbox bank").

The same deterministic world as SimpleFIN, as Plaid shows it: each world
institution is an institution ``ins_...`` whose accounts make one Item per
public token exchanged.  Served, each a ``POST`` of JSON authenticated by
``PLAID-CLIENT-ID`` and ``PLAID-SECRET`` (headers, or ``client_id`` and
``secret`` in the body; any non-empty pair is a sandbox's keys, and an Item
answers only the pair that made it):

- ``/link/token/create``, ``/sandbox/public_token/create``,
  ``/item/public_token/exchange``, ``/item/get``, ``/item/remove``;
- ``/accounts/get`` (also ``/accounts/balance/get``), ``/institutions/get_by_id``;
- ``/transactions/sync`` (:mod:`booksync.sandbox.plaid_bank`);
- ``/sandbox/item/reset_login``: the Item needs its user (``ITEM_LOGIN_REQUIRED``).

Control, like ``/_sandbox/`` for loopback clients only (:mod:`booksync.sandbox.guard`):
``POST /plaid/_sandbox/login {"item_id"?, "required"}``, ``/plaid/_sandbox/faults
{"kind", "count"?, "page"?, "variant"?}``, ``/plaid/_sandbox/remove
{"account_id", "transaction_id"}``, ``/plaid/_sandbox/rename {"account_id",
"transaction_id", "name"}``, and ``GET /plaid/_sandbox/items``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import orjson

from booksync.sandbox.guard import control_refused, media_type
from booksync.sandbox.model import SandboxError
from booksync.sandbox.plaid_bank import MAX_COUNT, Item, PlaidBank, PlaidError, PlaidFault
from booksync.sandbox.plaid_feed import institution_id
from booksync.sandbox.protocols import SandboxReply, SandboxRequest, json_reply

__all__ = ["handle"]

PREFIX = "/plaid"
CONTROL = "/plaid/_sandbox/"


def handle(server: Any, request: SandboxRequest) -> SandboxReply:
    """Answer one request under ``/plaid/`` (called under the world's lock)."""
    bank = PlaidBank.of(server)
    if request.path.startswith(CONTROL):
        return _control(server, bank, request)
    try:
        if request.method != "POST":
            raise PlaidError(405, "INVALID_REQUEST", "INVALID_HTTP_METHOD",
                             "Plaid's endpoints answer POST only")
        route = _ROUTES.get(request.path.removeprefix(PREFIX))
        if route is None:
            raise PlaidError(404, "INVALID_REQUEST", "UNKNOWN_ENDPOINT", "no such endpoint")
        body = _body(request)
        client_id = _keys(request, body)
        return route(bank, client_id, body, request)
    except PlaidError as exc:
        return json_reply(exc.status, exc.body(bank.request_id()))


def _body(request: SandboxRequest) -> dict[str, Any]:
    try:
        body = orjson.loads(request.body or b"{}")
    except orjson.JSONDecodeError:
        raise PlaidError(400, "INVALID_REQUEST", "INVALID_BODY", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise PlaidError(400, "INVALID_REQUEST", "INVALID_BODY", "the body is not an object")
    return body


def _keys(request: SandboxRequest, body: dict[str, Any]) -> str:
    """The client id, once a non-empty id and secret came with the request."""
    client_id = request.header("plaid-client-id") or body.get("client_id")
    secret = request.header("plaid-secret") or body.get("secret")
    if not isinstance(client_id, str) or not client_id or not isinstance(secret, str) or not secret:
        raise PlaidError(400, "INVALID_REQUEST", "MISSING_FIELDS",
                         "the request needs client_id and secret")
    return client_id


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise PlaidError(400, "INVALID_REQUEST", "MISSING_FIELDS", f"the request needs {key}")
    return value


def _ok(bank: PlaidBank, data: dict[str, Any]) -> SandboxReply:
    return json_reply(200, {**data, "request_id": bank.request_id()})


def _item_json(item: Item) -> dict[str, Any]:
    return {
        "item_id": item.item_id,
        "institution_id": institution_id(item.institution),
        "institution_name": item.institution.name,
        "products": ["transactions"],
        "error": None,
    }


Body = dict[str, Any]
Route = Callable[[PlaidBank, str, Body, SandboxRequest], SandboxReply]


def _link_token(bank: PlaidBank, client: str, body: Body, _: SandboxRequest) -> SandboxReply:
    if "access_token" in body:  # update mode: the Item must exist, login or not
        bank.item(client, body["access_token"], login=False)
    return _ok(bank, {"link_token": f"link-sandbox-{secrets.token_hex(16)}",
                      "expiration": "in four hours"})


def _public_token(bank: PlaidBank, client: str, body: Body, _: SandboxRequest) -> SandboxReply:
    return _ok(bank, {"public_token": bank.public_token(client, _text(body, "institution_id"))})


def _exchange(bank: PlaidBank, client: str, body: Body, _: SandboxRequest) -> SandboxReply:
    item = bank.exchange(client, _text(body, "public_token"))
    return _ok(bank, {"access_token": item.access_token, "item_id": item.item_id})


def _accounts(bank: PlaidBank, client: str, body: Body, _: SandboxRequest) -> SandboxReply:
    item = bank.item(client, body.get("access_token"))
    return _ok(bank, {"accounts": bank.accounts(item), "item": _item_json(item)})


def _item_get(bank: PlaidBank, client: str, body: Body, _: SandboxRequest) -> SandboxReply:
    item = bank.item(client, body.get("access_token"), login=False)
    error = None
    if item.login_required:
        error = PlaidError(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED", "a user login is required")
    data = {**_item_json(item), "error": error.body("") if error else None}
    return _ok(bank, {"item": data})


def _item_remove(bank: PlaidBank, client: str, body: Body, _: SandboxRequest) -> SandboxReply:
    bank.remove(bank.item(client, body.get("access_token"), login=False))
    return _ok(bank, {})


def _reset_login(bank: PlaidBank, client: str, body: Body, _: SandboxRequest) -> SandboxReply:
    bank.item(client, body.get("access_token"), login=False).login_required = True
    return _ok(bank, {"reset_login": True})


def _institution(bank: PlaidBank, client: str, body: Body, _: SandboxRequest) -> SandboxReply:
    found = bank.institution(_text(body, "institution_id"))
    return _ok(bank, {"institution": {
        "institution_id": institution_id(found), "name": found.name,
        "country_codes": [found.country], "products": ["transactions"], "oauth": False,
        "url": found.url, "routing_numbers": [],
    }})


def _sync(bank: PlaidBank, client: str, body: Body, request: SandboxRequest) -> SandboxReply:
    item = bank.item(client, body.get("access_token"))
    cursor = body.get("cursor") or ""
    count = body.get("count", 100)
    if not isinstance(cursor, str) or type(count) is not int or not 1 <= count <= MAX_COUNT:
        raise PlaidError(400, "INVALID_REQUEST", "INVALID_FIELD",
                         f"cursor must be a string and count between 1 and {MAX_COUNT}")
    fault, answer = bank.sync(item, cursor, count)
    if fault is None:
        return SandboxReply(200, answer)
    return _fault(bank, fault, request)


def _fault(bank: PlaidBank, fault: PlaidFault, request: SandboxRequest) -> SandboxReply:
    rid = bank.request_id()
    if fault.kind == "mutation":
        error = PlaidError(400, "TRANSACTIONS_ERROR",
                           "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
                           "underlying transaction data changed since the last page was "
                           "fetched; restart the pagination loop from the first cursor")
    elif fault.kind == "http_500":
        error = PlaidError(500, "API_ERROR", "INTERNAL_SERVER_ERROR",
                           "an unexpected error occurred (sandbox fault)")
    elif fault.kind == "rate_limit":
        reply = json_reply(429, PlaidError(429, "RATE_LIMIT_EXCEEDED", "TRANSACTIONS_SYNC_LIMIT",
                                           "rate limit exceeded").body(rid))
        reply.headers["Retry-After"] = "30"
        return reply
    elif fault.kind == "echo":
        said = (f"{request.body.decode(errors='replace')} with secret "
                f"{request.header('plaid-secret')} and headers {dict(request.headers)}")
        error = PlaidError(400, "INVALID_REQUEST", "INVALID_FIELD", f"you sent {said}")
    else:
        return SandboxReply(200, _malformed(fault.variant, rid))
    return json_reply(error.status, error.body(rid))


def _malformed(variant: str, rid: str) -> bytes:
    if variant == "not_json":
        return b'{"added": [{"transaction_id": '
    base: dict[str, Any] = {"added": [], "modified": [], "removed": [], "next_cursor": "x",
                            "has_more": False, "request_id": rid}
    if variant == "shape":
        base["added"] = {"transaction_id": "T"}
    elif variant == "amount":
        base["added"] = [{"transaction_id": "T-bad", "account_id": "A", "pending": False,
                          "amount": "12,50", "date": "2026-01-02", "name": "x"}]
    else:
        del base["next_cursor"]
    return orjson.dumps(base)


_ROUTES: dict[str, Route] = {
    "/link/token/create": _link_token,
    "/sandbox/public_token/create": _public_token,
    "/item/public_token/exchange": _exchange,
    "/accounts/get": _accounts,
    "/accounts/balance/get": _accounts,
    "/item/get": _item_get,
    "/item/remove": _item_remove,
    "/sandbox/item/reset_login": _reset_login,
    "/institutions/get_by_id": _institution,
    "/transactions/sync": _sync,
}


# -- control -------------------------------------------------------------------


def _control(server: Any, bank: PlaidBank, request: SandboxRequest) -> SandboxReply:
    refused = control_refused(request, server.public_host)
    if refused is not None:
        return refused
    action = request.path.removeprefix(CONTROL)
    if request.method == "GET" and action == "items":
        return json_reply(200, {"items": bank.describe()})
    if request.method != "POST":
        return json_reply(404, {"error": {"code": "not_found", "message": "no such endpoint"}})
    if media_type(request.header("content-type")) != "application/json":
        return json_reply(415, {"error": {"code": "unsupported_media_type",
                                          "message": "control requests must be application/json"}})
    try:
        data = orjson.loads(request.body or b"{}")
        if not isinstance(data, dict):
            raise SandboxError("the body must be a JSON object")
        return json_reply(200, _act(bank, action, data))
    except (orjson.JSONDecodeError, SandboxError, KeyError, TypeError, ValueError) as exc:
        message = str(exc) if isinstance(exc, SandboxError) else "the body is not what it needs"
        return json_reply(400, {"error": {"code": "bad_request", "message": message}})


def _act(bank: PlaidBank, action: str, data: dict[str, Any]) -> dict[str, Any]:
    if action == "login":
        item = data.get("item_id")
        changed = bank.require_login(str(item) if item else None, bool(data.get("required", True)))
        return {"items": changed}
    if action == "faults":
        page = data.get("page")
        waiting = bank.add_fault(str(data["kind"]), int(data.get("count", 1)),
                                 page=None if page is None else int(page),
                                 variant=str(data.get("variant", "")))
        return {"queued": waiting}
    if action == "remove":
        bank.withdraw(str(data["account_id"]), str(data["transaction_id"]))
        return {"removed": data["transaction_id"]}
    if action == "rename":
        bank.rename(str(data["account_id"]), str(data["transaction_id"]), str(data["name"]))
        return {"renamed": data["transaction_id"]}
    raise SandboxError(f"no control action {action!r}")
