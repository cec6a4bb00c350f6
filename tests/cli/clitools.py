"""Calling the CLI in-process and checking its answers, for the hardening tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from booksync.cli.main import run

Result = tuple[int, str, str]
Cli = Callable[..., Result]
MAX_ID = 2**31 - 1
HUGE = "99999999999999999999999"


def call(capsys: Any, *argv: str) -> Result:
    """``booksync ARGV`` in this process -> (exit code, stdout, stderr)."""
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ok_json(cli: Cli, *args: str, company: str | None = None) -> Any:
    code, out, err = cli(*args, "--json", **({"company": company} if company else {}))
    assert code == 0, err
    return json.loads(out)


def one_error(result: Result, *fragments: str, exit_code: int = 1) -> str:
    """The command failed with ``exit_code`` (1: refused) and one sentence on
    stderr, no traceback."""
    code, out, err = result
    assert code == exit_code, (code, out, err)
    assert "Traceback" not in err + out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
