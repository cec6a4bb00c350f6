"""Reading a SimpleFIN answer's JSON fast, with every number exactly as sent.

orjson reads a big answer several times faster than ``json`` and writes
canonical text ten times faster, but it reads every fraction, and every
integer beyond 64 bits, as a ``float``. Money must never pass through
``float`` (docs/ledger.md, "Money"), and the spec sends amounts as strings: so orjson's
tree is used only when it holds no float, which is then exactly the tree
``json`` makes. Otherwise, and for anything orjson refuses, ``json`` with
``parse_float=Decimal`` reads the answer and gives its own error messages,
as the parser always did.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

from booksync.providers.errors import ProviderProtocolError

__all__ = ["canonical_json", "load_answer", "malformed"]


def malformed(what: str) -> ProviderProtocolError:
    """The error for an answer that breaks the protocol."""
    return ProviderProtocolError(f"SimpleFIN sent a malformed answer: {what}.")


def canonical_json(obj: Any) -> str:
    """Raw payload text: sorted keys; Decimal numbers are written as strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _orjson_canonical(obj: Any) -> str:
    """:func:`canonical_json`'s text for a tree without floats or Decimals.

    Both write sorted keys, no spaces, non-ASCII as is and the same escapes
    (a test compares them over random answers).
    """
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()


def _refuse_constant(name: str) -> Any:
    raise malformed(f"it contains the non-number {name}")


def _has_float(tree: Any) -> bool:
    """Whether orjson read any number as a float (75 ms for 100,000 transactions).

    Cheaper than any test of the text: a fraction's digits look like those
    of every amount string.
    """
    stack = [tree]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is float:
            return True
    return False


def load_answer(body: bytes) -> tuple[Any, Callable[[Any], str]]:
    """The answer's JSON tree, and the canonical-text function that fits it."""
    try:
        root = orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    else:
        if not _has_float(root):
            return root, _orjson_canonical
        del root
    try:
        root = json.loads(
            body.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant
        )
    except UnicodeDecodeError:
        raise malformed("it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise malformed(f"it is not JSON ({exc.msg} at line {exc.lineno})") from None
    return root, canonical_json
