"""Every command that takes an id reads it with one parser: out-of-range ids are one sentence.

A number beyond 64 bits used to reach the driver and end in an OverflowError
traceback; beyond 32 bits, PostgreSQL refused it as "integer out of range".
"""

from __future__ import annotations

import pytest

from tests.cli.clitools import HUGE, MAX_ID, Cli, ok_json, one_error

RANGE = f"between 1 and {MAX_ID}"


@pytest.mark.parametrize(
    "args",
    [
        ("entry", "show", HUGE),
        ("entry", "post", HUGE),
        ("entry", "reverse", HUGE),
        ("sync", HUGE),
        ("sync", "run", "1", HUGE),
        ("sync", "log", HUGE),
        ("connection", "set", HUGE, "--interval", "4h"),
        ("connection", "disconnect", HUGE),
        ("entry", "list", "--after", HUGE),
        ("statement", "list", "--journal", "BNK1", "--after", HUGE),
        ("sync", "log", "--after", HUGE),
    ],
)
def test_an_id_beyond_64_bits_is_one_sentence(acme: Cli, args: tuple[str, ...]) -> None:
    one_error(acme(*args), RANGE, HUGE)


@pytest.mark.parametrize("limit", [HUGE, "0", "-1", "ten", str(MAX_ID + 1), str(2**63)])
@pytest.mark.parametrize(
    "command", [("entry", "list"), ("sync", "log"), ("statement", "list", "--journal", "BNK1")]
)
def test_a_limit_out_of_range_is_one_sentence(
    acme: Cli, command: tuple[str, ...], limit: str
) -> None:
    one_error(acme(*command, f"--limit={limit}"), "--limit", RANGE)


@pytest.mark.parametrize("text", ["\u00b2", "\u0661\u0662", "1.5", "0x10", "", " "])
def test_ids_that_are_not_plain_numbers(acme: Cli, text: str) -> None:
    """Unicode digits pass str.isdigit but are no id; entry refs fall back to "no entry"."""
    one_error(acme("connection", "disconnect", text), RANGE)
    one_error(acme("sync", "log", text), RANGE)
    one_error(acme("entry", "show", text), "entry")


def test_the_largest_id_is_simply_not_found(acme: Cli) -> None:
    one_error(acme("entry", "show", str(MAX_ID + 1)), RANGE)
    one_error(acme("entry", "show", str(MAX_ID)), "no entry")
    one_error(acme("connection", "disconnect", str(MAX_ID)), "no connection")
    assert ok_json(acme, "sync", "log", "--limit", str(MAX_ID)) == []
