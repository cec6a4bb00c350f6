"""The sandbox's control endpoints: move the world, add transactions, queue faults.

Tests and demos drive the bank through these (loopback only, no auth), the
way an operator would poke a real bank's test environment.  Each handler
takes the decoded JSON body and returns ``(status, JSON body)``; a bad request
is a 400 with ``{"error": {"code", "message"}}`` like booksync's own API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from booksync.sandbox.faults import Fault, FaultQueue
from booksync.sandbox.model import Event, SandboxError
from booksync.sandbox.world import World

__all__ = ["ControlError", "handle_control"]

Reply = tuple[int, dict[str, Any]]
MAX_ADVANCE_DAYS = 3660


class ControlError(ValueError):
    """A control request that cannot be honoured (answered with 400)."""


def _events(events: list[Event]) -> list[dict[str, Any]]:
    return [
        {"day": e.day.isoformat(), "kind": e.kind, "account": e.account, "ids": list(e.ids)}
        for e in events
    ]


def _int(body: dict[str, Any], name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(f"{name!r} must be an integer")
    return value


def _advance(world: World, faults: FaultQueue, body: dict[str, Any]) -> Reply:
    days = _int(body, "days", 1)
    if not 0 <= days <= MAX_ADVANCE_DAYS:
        raise ControlError(f"'days' must be between 0 and {MAX_ADVANCE_DAYS}")
    events = world.advance(days)
    return 200, {"today": world.today.isoformat(), "events": _events(events)}


def _transactions(world: World, faults: FaultQueue, body: dict[str, Any]) -> Reply:
    specs = body.get("transactions")
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise ControlError("'transactions' must be a list of objects")
    ids = world.add_transactions(str(body.get("account", "")), specs)
    return 200, {"ids": ids}


def _faults(world: World, faults: FaultQueue, body: dict[str, Any]) -> Reply:
    options: dict[str, Any] = {"kind": str(body.get("kind", ""))}
    if "delay" in body:
        delay = body["delay"]
        if isinstance(delay, bool) or not isinstance(delay, int | float):
            raise ControlError("'delay' must be a number of seconds")
        options["delay"] = float(delay)
    if "retry_after" in body:
        options["retry_after"] = _int(body, "retry_after")
    if "variant" in body:
        options["variant"] = str(body["variant"])
    try:
        waiting = faults.add(Fault(**options), _int(body, "count", 1))
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return 200, {"queued": waiting}


def _event(world: World, faults: FaultQueue, body: dict[str, Any]) -> Reply:
    """Single movements on demand: ``book_pending`` and ``change_id``."""
    kind, account, txn = body.get("kind"), str(body.get("account", "")), str(body.get("id", ""))
    if kind == "book_pending":
        return 200, {"id": world.book_pending(account, txn)}
    if kind == "change_id":
        return 200, {"id": world.change_id(account, txn)}
    raise ControlError("'kind' must be 'book_pending' or 'change_id'")


ROUTES: dict[str, Callable[[World, FaultQueue, dict[str, Any]], Reply]] = {
    "/_sandbox/advance": _advance,
    "/_sandbox/transactions": _transactions,
    "/_sandbox/faults": _faults,
    "/_sandbox/events": _event,
}


def handle_control(path: str, world: World, faults: FaultQueue, body: Any) -> Reply:
    """Run one ``POST /_sandbox/...`` request."""
    handler = ROUTES.get(path)
    if handler is None:
        return 404, {"error": {"code": "not_found", "message": f"no control endpoint {path}"}}
    if not isinstance(body, dict):
        return 400, {"error": {"code": "bad_request", "message": "the body must be a JSON object"}}
    try:
        return handler(world, faults, body)
    except (ControlError, SandboxError) as exc:
        return 400, {"error": {"code": "bad_request", "message": str(exc)}}
