"""Typed results as JSON: the one conversion the CLI's ``--json`` and the API share.

A use case returns frozen dataclasses; :func:`as_json` turns one (or a list
of them) into plain JSON values: amounts as decimal strings (never floats),
dates as ISO text, enums as their values.  The field names are the JSON
keys, so a result's dataclass is its documented shape; a key that is no
Python name (an aged balance's ``"1-30"``) is given as the field's
``metadata={"json": "1-30"}``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def as_json(value: Any) -> Any:
    """``value`` with every dataclass, Decimal, date and enum made plain JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.metadata.get("json", f.name): as_json(getattr(value, f.name))
            for f in dataclasses.fields(value)
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value


__all__ = ["as_json"]
