"""Every command starts without the heavy libraries only some commands use.

Starting Python and the CLI is part of every command's time; Alembic (only
``init`` and ``demo`` migrate), httpx (only commands that reach a bank) and
Beancount (only ``import beancount``) are imported where they are used.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("alembic", "httpx", "beancount")


def test_the_cli_starts_without_the_heavy_libraries() -> None:
    probe = (
        "import sys, booksync.cli.main; "
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []
