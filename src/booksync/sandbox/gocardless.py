"""The sandbox bank speaking GoCardless Bank Account Data, API v2 (docs/banking.md,
"The sandbox bank").

Served under ``/gocardless`` (so a client's base URL is ``{sandbox}/gocardless``)
by :func:`handle`, which the server calls for every request under that prefix
with the world's lock held (:mod:`booksync.sandbox.protocols`):

- ``POST /api/v2/token/new/`` and ``/token/refresh/``: tokens;
- ``GET /api/v2/institutions/?country=XX`` and ``/institutions/{id}/``;
- ``POST /api/v2/agreements/enduser/``, ``GET .../{id}/``;
- ``POST /api/v2/requisitions/``, ``GET`` and ``DELETE .../{id}/``;
- ``GET /api/v2/accounts/{id}/`` and its ``details/``, ``balances/`` and
  ``transactions/?date_from=&date_to=`` (both dates included);
- ``GET /psd2/start/{requisition}/{institution}``: the consent page a
  requisition's link opens.  Fetching it gives consent (``?decision=reject``
  refuses it) and redirects to the requisition's redirect URL with ``?ref=``;
- ``/_sandbox/quota``, ``faults``, ``requisitions``, ``tokens`` (POST, JSON) and
  ``state`` (GET): control, answered only to a loopback client, for the
  sandbox's own host name and with no other site's ``Origin``, like
  ``/_sandbox/`` (``guard.py``).  The same controls are methods of
  :func:`bank_of`'s :class:`GoCardlessBank` for a test in the same process.

Errors have the API's shape, ``{"summary", "detail", "status_code"}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, quote

import orjson

from booksync.sandbox.gocardless_bank import (
    NOON_WAIT,
    SCOPES,
    Agreement,
    GoCardlessBank,
    Requisition,
)
from booksync.sandbox.gocardless_wire import balances, details, transactions
from booksync.sandbox.guard import control_refused, media_type
from booksync.sandbox.protocols import SandboxReply, SandboxRequest, json_reply

__all__ = ["bank_of", "handle"]

STATE_KEY = "gocardless"
Body = dict[str, Any]


def bank_of(server: Any) -> GoCardlessBank:
    """The GoCardless side of a sandbox server, made on first use."""
    found = server.protocol_state.get(STATE_KEY)
    if found is None:
        with server.world.lock:
            found = server.protocol_state.setdefault(STATE_KEY, GoCardlessBank(server.world))
    assert isinstance(found, GoCardlessBank)
    return found


def _error(status: int, summary: str, detail: str, **headers: str) -> SandboxReply:
    return json_reply(status, {"summary": summary, "detail": detail, "status_code": status},
                      **headers)


def _noon(day: dt.date) -> str:
    return f"{day.isoformat()}T12:00:00Z"


def _body(request: SandboxRequest) -> Body | None:
    try:
        data = orjson.loads(request.body or b"{}")
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def handle(server: Any, request: SandboxRequest) -> SandboxReply:
    """Answer one request under ``/gocardless/``."""
    bank = bank_of(server)
    path = request.path.removeprefix("/gocardless")
    if path.startswith("/_sandbox/"):
        return _control(server, bank, request, path.removeprefix("/_sandbox/").strip("/"))
    if path.startswith("/psd2/start/"):
        return _consent(bank, request, path.removeprefix("/psd2/start/").strip("/"))
    if not path.startswith("/api/v2/"):
        return _error(404, "Not found", "No such endpoint.")
    parts = path.removeprefix("/api/v2/").strip("/").split("/")
    if parts[0] == "token" and request.method == "POST":
        return _token(bank, request, parts[1:])
    user = bank.user_of(request.headers.get("Authorization"))
    if user is None:
        return _error(401, "Invalid token", "The token is unknown or has expired.")
    if parts[0] == "institutions" and request.method == "GET":
        return _institutions(bank, request, parts[1:])
    if parts[:2] == ["agreements", "enduser"]:
        return _agreements(bank, request, user, parts[2:])
    if parts[0] == "requisitions":
        return _requisitions(bank, request, user, parts[1:])
    if parts[0] == "accounts" and len(parts) in (2, 3) and request.method == "GET":
        return _account(bank, request, user, parts[1], parts[2] if len(parts) == 3 else None)
    return _error(404, "Not found", "No such endpoint.")


# -- tokens and institutions -------------------------------------------------------------


def _token(bank: GoCardlessBank, request: SandboxRequest, parts: list[str]) -> SandboxReply:
    body = _body(request)
    if parts == ["new"]:
        fault = bank.take_fault(token=True)
        if fault is not None:
            if fault.kind == "echo":
                text = request.body.decode("utf-8", "replace")
                return _error(401, "Authentication failed", f"No user matches the body {text}")
            return _fault(fault, request)
        secret_id = (body or {}).get("secret_id")
        secret_key = (body or {}).get("secret_key")
        if not isinstance(secret_id, str) or not isinstance(secret_key, str) or not (
            secret_id.strip() and secret_key.strip()
        ):
            return _error(400, "Invalid request", "secret_id and secret_key are required.")
        issued = bank.issue(secret_id, secret_key)
        if issued is None:
            return _error(401, "Authentication failed",
                          "No active account was found with the given credentials.")
        return json_reply(200, issued)
    if parts == ["refresh"]:
        refresh = (body or {}).get("refresh")
        renewed = bank.renew(refresh) if isinstance(refresh, str) else None
        if renewed is None:
            return _error(401, "Invalid token", "The token is unknown or has expired.")
        return json_reply(200, renewed)
    return _error(404, "Not found", "No such endpoint.")


def _institutions(bank: GoCardlessBank, request: SandboxRequest, parts: list[str]) -> SandboxReply:
    known = bank.institutions()
    if parts:
        found = known.get(parts[0])
        if found is None:
            return _error(404, "Not found", f"No institution {parts[0]}.")
        return json_reply(200, found[0])
    country = (parse_qs(request.query).get("country") or [""])[-1].upper()
    listed = [w for w, _ in known.values() if not country or country in w["countries"]]
    return json_reply(200, listed)


# -- agreements and requisitions -----------------------------------------------------------


def _int(body: Body, name: str, default: int, top: int) -> int | None:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        return None
    return value


def _agreement_json(bank: GoCardlessBank, ident: str) -> Body:
    found = bank.agreements[ident]
    return {
        "id": found.id,
        "created": _noon(found.created),
        "institution_id": found.institution_id,
        "max_historical_days": found.max_historical_days,
        "access_valid_for_days": found.access_valid_for_days,
        "access_scope": list(found.access_scope),
        "accepted": _noon(found.accepted) if found.accepted else None,
    }


def _agreements(
    bank: GoCardlessBank, request: SandboxRequest, user: str, parts: list[str]
) -> SandboxReply:
    if parts and request.method == "GET":
        found = bank.agreements.get(parts[0])
        if found is None or found.owner != user:
            return _error(404, "Not found", f"No agreement {parts[0]}.")
        return json_reply(200, _agreement_json(bank, found.id))
    if parts or request.method != "POST":
        return _error(404, "Not found", "No such endpoint.")
    body = _body(request)
    institution = (body or {}).get("institution_id")
    if body is None or institution not in bank.institutions():
        return json_reply(400, {"institution_id": {"summary": "Unknown Institution ID",
                                                   "detail": f"{institution} is not known."},
                                "status_code": 400})
    history = _int(body, "max_historical_days", 90, 730)
    access = _int(body, "access_valid_for_days", 90, 180)
    scope = body.get("access_scope", list(SCOPES))
    if history is None or access is None:
        return _error(400, "Invalid day counts",
                      "max_historical_days is 1 to 730, access_valid_for_days 1 to 180.")
    if not isinstance(scope, list) or not scope or not set(scope) <= set(SCOPES):
        return _error(400, "Invalid access scope", f"access_scope holds some of {list(SCOPES)}.")
    ident = bank.new_id()
    bank.agreements[ident] = Agreement(
        ident, user, str(institution), history, access, list(scope), bank.world.today
    )
    return json_reply(201, _agreement_json(bank, ident))


def _requisition_json(found: Requisition, base_url: str) -> Body:
    return {
        "id": found.id,
        "created": _noon(found.created),
        "redirect": found.redirect,
        "status": found.status,
        "institution_id": found.institution_id,
        "agreement": found.agreement,
        "reference": found.reference,
        "accounts": list(found.accounts),
        "user_language": "EN",
        "link": f"{base_url}/gocardless/psd2/start/{found.id}/{found.institution_id}",
        "ssn": None,
        "account_selection": False,
        "redirect_immediate": False,
    }


def _requisitions(
    bank: GoCardlessBank, request: SandboxRequest, user: str, parts: list[str]
) -> SandboxReply:
    if parts:
        found = bank.requisition(parts[0], user)
        if found is None:
            return _error(404, "Not found", f"No requisition {parts[0]}.")
        if request.method == "DELETE":
            bank.requisitions.pop(found.id, None)
            for account in found.accounts:
                bank.accounts.pop(account, None)
            return json_reply(200, {"summary": "Requisition deleted",
                                    "detail": f"Requisition {found.id} and its agreement "
                                              "were deleted."})
        return json_reply(200, _requisition_json(found, request.base_url))
    if request.method != "POST":
        return _error(404, "Not found", "No such endpoint.")
    body = _body(request) or {}
    redirect, institution = body.get("redirect"), body.get("institution_id")
    agreement_id = body.get("agreement")
    reference = body.get("reference") or bank.new_id()
    if not isinstance(redirect, str) or not redirect.startswith(("http://", "https://")):
        return _error(400, "Invalid redirect", "redirect must be an http(s) URL.")
    agreement = bank.agreements.get(agreement_id) if isinstance(agreement_id, str) else None
    if agreement is None or agreement.owner != user or agreement.institution_id != institution:
        return _error(400, "Invalid agreement",
                      "agreement must be one of yours, for the same institution.")
    taken = any(r.reference == reference and r.owner == user for r in bank.requisitions.values())
    if not isinstance(reference, str) or taken:
        return json_reply(400, {"reference": {"summary": "Client reference must be unique",
                                              "detail": "Use a new reference."},
                                "status_code": 400})
    found = Requisition(bank.new_id(), user, agreement.institution_id, agreement.id, redirect,
                        reference, bank.world.today)
    bank.requisitions[found.id] = found
    return json_reply(201, _requisition_json(found, request.base_url))


def _consent(bank: GoCardlessBank, request: SandboxRequest, rest: str) -> SandboxReply:
    """The page a requisition's link opens: consent given (or refused), then the redirect."""
    requisition_id = rest.split("/")[0]
    refuse = (parse_qs(request.query).get("decision") or [""])[-1] == "reject"
    try:
        found = bank.reject(requisition_id) if refuse else bank.approve(requisition_id)
    except ValueError as exc:
        status = 404 if "no requisition" in str(exc) else 410
        return SandboxReply(status, f"This link cannot be used: {exc}.".encode(), "text/plain")
    joiner = "&" if "?" in found.redirect else "?"
    target = f"{found.redirect}{joiner}ref={quote(found.reference, safe='')}"
    if refuse:
        target += "&error=UserCancelledSession"
    return SandboxReply(302, b"", "text/plain", {"Location": target})


# -- account data -------------------------------------------------------------------------


def _account(
    bank: GoCardlessBank, request: SandboxRequest, user: str, ident: str, scope: str | None
) -> SandboxReply:
    linked = bank.accounts.get(ident)
    world = bank.world
    if linked is None or linked.owner != user or linked.world_id not in world.accounts:
        return _error(404, "Not found", f"No account {ident}.")
    account = world.accounts[linked.world_id]
    agreement = bank.agreements[linked.agreement]
    if scope is None:
        return json_reply(200, {
            "id": ident, "created": _noon(agreement.created), "last_accessed": None,
            "iban": account.iban, "institution_id": agreement.institution_id,
            "status": "EXPIRED" if agreement.ended(world.today) else "READY",
            "owner_name": "Sandbox Customer",
        })
    if scope not in SCOPES:
        return _error(404, "Not found", "No such endpoint.")
    fault = bank.take_fault()
    if fault is not None and fault.kind != "expired":
        return _fault(fault, request, scope)
    if fault is not None or agreement.ended(world.today):
        return _error(
            400, f"End User Agreement (EUA) {agreement.id} has expired",
            f"The agreement gave {agreement.access_valid_for_days} days of access, which ended "
            f"on {agreement.end.isoformat()}; the account holder must give consent again "
            "through a new agreement and requisition.",
        )
    if bank.over_quota(ident, scope):
        return _limited(bank.quota or 0, NOON_WAIT)
    if scope == "details":
        data = details(account, ident)
    elif scope == "balances":
        data = balances(world, account)
    else:
        window = _window(request, world.today, agreement.max_historical_days)
        if isinstance(window, SandboxReply):
            return window
        data = transactions(world, account, *window)
    left = bank.count(ident, scope)
    headers = {} if left < 0 else {
        "X-RateLimit-Account-Success-Limit": str(bank.quota),
        "X-RateLimit-Account-Success-Remaining": str(left),
        "X-RateLimit-Account-Success-Reset": str(NOON_WAIT),
    }
    return json_reply(200, data, **headers)


def _window(
    request: SandboxRequest, today: dt.date, history_days: int
) -> tuple[dt.date, dt.date] | SandboxReply:
    """``date_from`` to ``date_to``, both included, no earlier than the agreement allows."""
    params = parse_qs(request.query)
    earliest = today - dt.timedelta(days=history_days)
    try:
        first = dt.date.fromisoformat((params.get("date_from") or [earliest.isoformat()])[-1])
        last = dt.date.fromisoformat((params.get("date_to") or [today.isoformat()])[-1])
    except ValueError:
        return _error(400, "Invalid date", "date_from and date_to are dates, YYYY-MM-DD.")
    if first > last:
        return _error(400, "Invalid date range", "date_from must not be after date_to.")
    return max(first, earliest), last


def _limited(per_day: int, wait: int) -> SandboxReply:
    return _error(
        429, "Rate limit exceeded",
        f"The daily limit of {per_day} successful requests for this account and scope is "
        f"reached; try again in {wait} seconds.",
        **{"X-RateLimit-Account-Success-Limit": str(per_day),
           "X-RateLimit-Account-Success-Remaining": "0",
           "X-RateLimit-Account-Success-Reset": str(wait)},
    )


def _fault(fault: Any, request: SandboxRequest, scope: str = "") -> SandboxReply:
    if fault.kind == "rate_limit":
        return _limited(4, fault.retry_after)
    if fault.kind == "http_500":
        return SandboxReply(500, b"Internal Server Error (sandbox fault)", "text/plain")
    if fault.kind == "echo":
        header = request.headers.get("Authorization", "")
        return _error(400, "Bad request",
                      f"Could not serve {request.method} {request.path}?{request.query} "
                      f"for Authorization: {header}")
    if fault.variant == "not_json":
        return SandboxReply(200, b'{"transactions": {"booked": [{"transactionId": ',
                            "application/json")
    if fault.variant == "float_amount" and scope == "transactions":
        return SandboxReply(200, b'{"transactions": {"booked": [{"transactionId": "F-1", '
                                 b'"bookingDate": "2026-01-05", "transactionAmount": '
                                 b'{"amount": 12.3, "currency": "EUR"}}], "pending": []}}',
                            "application/json")
    return json_reply(200, {"transactions": [], "balances": {"amount": 1}, "account": []})


# -- control --------------------------------------------------------------------------------


def _control(server: Any, bank: GoCardlessBank, request: SandboxRequest, name: str) -> SandboxReply:
    refused = control_refused(request, server.public_host)
    if refused is not None:
        return refused
    if name == "state" and request.method == "GET":
        return json_reply(200, bank.state())
    if request.method != "POST":
        return json_reply(404, {"error": {"code": "not_found", "message": "no such control"}})
    if media_type(request.headers.get("Content-Type")) != "application/json":
        return json_reply(415, {"error": {"code": "unsupported_media_type",
                                          "message": "control requests must be application/json"}})
    body = _body(request)
    if body is None:
        return json_reply(400, {"error": {"code": "bad_request", "message": "not a JSON object"}})
    try:
        return json_reply(200, _apply(bank, name, body))
    except (ValueError, TypeError, KeyError) as exc:
        return json_reply(400, {"error": {"code": "bad_request", "message": str(exc)}})


def _apply(bank: GoCardlessBank, name: str, body: Body) -> Body:
    if name == "quota":
        per_day = body.get("per_day")
        bank.set_quota(None if per_day is None else int(per_day))
        return {"quota": bank.quota}
    if name == "faults":
        options = {k: body[k] for k in ("retry_after", "variant", "token") if k in body}
        return {"queued": bank.inject(str(body.get("kind", "")), int(body.get("count", 1)),
                                      **options)}
    if name == "requisitions":
        ident = str(body["id"])
        decision = body.get("decision")
        if decision == "approve":
            bank.approve(ident)
        elif decision == "reject":
            bank.reject(ident)
        else:
            bank.set_status(ident, str(body.get("status", "")))
        found = bank.requisition(ident)
        return {"id": ident, "status": found.status if found else None}
    if name == "tokens":
        bank.expire_tokens(str(body.get("expire", "access")))
        return {"expired": body.get("expire", "access")}
    raise ValueError(f"no control named {name!r}")
