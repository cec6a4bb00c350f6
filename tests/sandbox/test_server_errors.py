"""The sandbox bank's server stays quiet about clients that hang up, and only about them."""

from __future__ import annotations

import pytest

from booksync.sandbox.server import start


@pytest.mark.parametrize("error", [ConnectionResetError, BrokenPipeError, ConnectionAbortedError])
def test_a_client_hanging_up_is_not_reported(
    error: type[Exception], capsys: pytest.CaptureFixture[str]
) -> None:
    with start(port=0) as bank:
        try:
            raise error("the client went away")
        except error:
            bank.server.handle_error(None, ("127.0.0.1", 1))
    assert capsys.readouterr().err == ""


def test_any_other_failure_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    with start(port=0) as bank:
        try:
            raise ValueError("a bug in a handler")
        except ValueError:
            bank.server.handle_error(None, ("127.0.0.1", 1))
    err = capsys.readouterr().err
    assert "ValueError: a bug in a handler" in err
