"""Names a user types are held to their columns on both databases, with one sentence."""

from __future__ import annotations

import pytest

from tests.cli.clitools import Cli, one_error

LONG = "N" * 201


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["init", "--company", LONG], ("company name is longer than 200 characters",)),
        (["init", "--company", "Acme\x01Ltd"], ("company name", "control character (U+0001)")),
        (
            ["bank-account", "create", "--account-number", "DE89370400440532013000",
             "--bank", LONG, "--bic", "COBADEFFXXX"],
            ("bank name is longer than 200 characters",),
        ),
        (
            ["bank-account", "create", "--account-number", "DE89370400440532013000",
             "--bank", "Haus\tbank"],
            ("bank name", "control character (U+0009)"),
        ),
    ],
    ids=["long-company", "control-company", "long-bank", "tab-bank"],
)
def test_names_beyond_their_columns_are_one_sentence(
    acme: Cli, args: list[str], fragments: tuple[str, ...]
) -> None:
    one_error(acme(*args), *fragments)
    code, out, err = acme("journal", "list", "--json")
    assert code == 0, err
    assert "BNK" not in out  # the refused bank account left no journal behind


@pytest.mark.parametrize(
    "args",
    [["init", "--company", "Acme\x00Ltd"], ["partner", "add", "A\x00B"], ["--company", "\x00"]],
)
def test_a_nul_in_any_argument_is_one_sentence_on_both_databases(
    acme: Cli, args: list[str]
) -> None:
    one_error(acme(*args, *(["account", "list"] if args[0] == "--company" else [])), "NUL")
