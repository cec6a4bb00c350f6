"""``booksync sandbox serve``: prints the URL and a working setup token, then stops."""

from __future__ import annotations

import base64
import re

import pytest
import typer
from typer.testing import CliRunner

from booksync.cli import sandbox
from booksync.sandbox.server import SandboxHandle
from tests.sandbox.conftest import call, claim


def test_serve_prints_url_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, int] = {}

    def wait(handle: SandboxHandle) -> None:
        """Instead of blocking until Ctrl-C: use the server once, then stop it."""
        token = handle.setup_token()
        seen["claim"] = claim(token).status
        seen["info"] = call(f"{handle.url}/simplefin/info").status
        handle.stop()

    monkeypatch.setattr(SandboxHandle, "wait", wait)
    app = typer.Typer()
    app.callback()(lambda: None)
    sandbox.register(app)
    result = CliRunner().invoke(app, ["sandbox", "serve", "--port", "0", "--seed", "3"])
    assert result.exit_code == 0, result.output
    url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", result.output)
    token = re.search(r"setup token: (\S+)", result.output)
    assert url and token
    assert base64.b64decode(token.group(1)).decode().startswith(f"{url.group(1)}/simplefin/claim/")
    assert seen == {"claim": 200, "info": 200}
    assert "@" not in result.output and "stopped" in result.output
