"""``booksync sandbox serve``: prints the URL and a working setup token, then stops."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest
import typer
from typer.testing import CliRunner

from booksync.cli import sandbox
from booksync.sandbox.server import SandboxHandle
from tests.sandbox.conftest import call, claim, needs_ipv6


def _serve(
    monkeypatch: pytest.MonkeyPatch, use: Callable[[SandboxHandle], None], *options: str
) -> str:
    """Run ``sandbox serve``; instead of blocking until Ctrl-C, ``use`` it once, then stop."""

    def wait(handle: SandboxHandle) -> None:
        use(handle)
        handle.stop()

    monkeypatch.setattr(SandboxHandle, "wait", wait)
    app = typer.Typer()
    app.callback()(lambda: None)
    sandbox.register(app)
    result = CliRunner().invoke(app, ["sandbox", "serve", "--port", "0", *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_serve_prints_url_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, int] = {}

    def use(handle: SandboxHandle) -> None:
        token = handle.setup_token()
        seen["claim"] = claim(token).status
        seen["info"] = call(f"{handle.url}/simplefin/info").status

    output = _serve(monkeypatch, use, "--seed", "3")
    url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", output)
    token = re.search(r"setup token: (\S+)", output)
    assert url and token
    assert base64.b64decode(token.group(1)).decode().startswith(f"{url.group(1)}/simplefin/claim/")
    assert seen == {"claim": 200, "info": 200}
    assert "@" not in output and "stopped" in output


@needs_ipv6
@pytest.mark.parametrize("host", ["::1", "::"])
def test_serve_with_an_ipv6_host(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    seen: dict[str, int] = {}

    def use(handle: SandboxHandle) -> None:
        port = handle.server.server_address[1]
        seen["info"] = call(f"http://[::1]:{port}/simplefin/info").status

    output = _serve(monkeypatch, use, "--host", host)
    assert seen == {"info": 200}
    url = re.search(r"listening on (http://\S+)", output)
    assert url and url.group(1).startswith("http://[::1]:")
    token = re.search(r"setup token: (\S+)", output)
    assert token and base64.b64decode(token.group(1)).decode().startswith(url.group(1))
