"""``booksync connect simplefin`` with a setup token that points where it must not.

One sentence on stderr, exit 1, nothing written, and nothing of whatever
answered a failed claim.
"""

from __future__ import annotations

import base64
import json

import pytest

from booksync.cli.main import run
from booksync.errors import KINDS
from tests.providers.listener import Answer, listening

BODY = b"BODY-MARKER internal admin page: db password hunter2"


def _connect(db_url: str, capsys: pytest.CaptureFixture[str], url: str) -> tuple[int, str, str]:
    assert run(["--db", db_url, "init", "--company", "Acme Ltd"]) == 0
    capsys.readouterr()
    setup_token = base64.b64encode(url.encode()).decode()
    code = run(["--db", db_url, "connect", "simplefin", setup_token])
    out, err = capsys.readouterr()
    assert run(["--db", db_url, "connection", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing written
    return code, out, err


def _one_error_line(code: int, out: str, err: str, *, kind: str = "insecure_url") -> str:
    assert code == KINDS[kind].exit_code and "Traceback" not in out + err
    (line,) = err.strip().splitlines()
    assert line.startswith("error: ")
    assert "TOKEN-SECRET" not in out + err
    return line


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/TOKEN-SECRET",
        "https://10.0.0.1/simplefin/claim/TOKEN-SECRET",
        "https://[fe80::1]/simplefin/claim/TOKEN-SECRET",
        "https://2130706433/simplefin/claim/TOKEN-SECRET",
    ],
)
def test_a_token_for_a_private_address_is_refused(
    db_url: str, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    line = _one_error_line(*_connect(db_url, capsys, url))
    assert "Refusing to connect to https://" in line


@pytest.mark.parametrize("status", [500, 404])
def test_a_failed_claim_prints_no_byte_of_the_answer(
    db_url: str, capsys: pytest.CaptureFixture[str], status: int
) -> None:
    with listening("127.0.0.1", Answer(status, BODY)) as listener:
        url = f"http://127.0.0.1:{listener.server_address[1]}/simplefin/claim/TOKEN-SECRET"
        code, out, err = _connect(db_url, capsys, url)
        assert len(listener.accepted) == 1
    line = _one_error_line(code, out, err, kind="provider_error")
    assert f"HTTP {status}" in line and "did not accept the setup token" in line
    for word in ("BODY-MARKER", "admin", "hunter2"):
        assert word not in out + err
