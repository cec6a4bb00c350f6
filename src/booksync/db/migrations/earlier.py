"""Earlier migrations' statements, for later migrations that restate or restore them.

Alembic loads each revision file by path (their names start with digits,
so they cannot be imported): a later revision that rewrites a trigger, or
puts one back on downgrade, reads the earlier revision's own statements
instead of copying them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

VERSIONS = Path(__file__).with_name("versions")


def revision_module(filename: str) -> ModuleType:
    """The module of the revision file ``filename`` in ``versions/``."""
    path = VERSIONS / filename
    spec = importlib.util.spec_from_file_location(f"booksync_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def trigger(statements: list[str], name: str) -> str:
    """The ``CREATE TRIGGER`` statement of ``name`` among ``statements``."""
    return next(sql for sql in statements if f"CREATE TRIGGER {name} " in sql)
