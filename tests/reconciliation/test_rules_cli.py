"""``booksync rule``: add, list and disable as JSON, and every refusal writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from booksync.reconciliation.rule_models import ReconcileRule
from tests.cli.clitools import Cli, Result, call, ok_json, one_error


@pytest.fixture
def cli(db_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    """A company with a bank journal (BNK1) and two partners."""

    def run_on_db(*args: str, company: str | None = None) -> Result:
        return call(capsys, "--db", db_url, *args)

    for command in (
        ("init", "--company", "Acme Ltd"),
        ("bank-account", "create", "--account-number", "DE89370400440532013000",
         "--bank", "Foo Bank"),
        ("partner", "add", "Osaka"),
        ("partner", "add", "Kyoto"),
    ):
        code, _, err = run_on_db(*command)
        assert code == 0, err
    return run_on_db


def _rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ReconcileRule)).scalar_one()


DEFAULTS = [
    {"id": 1, "name": "Invoices: exact match", "kind": "invoice_matching", "sequence": 10,
     "auto": True, "active": True, "journals": [], "nature": "both", "amount_min": None,
     "amount_max": None, "label_contains": None, "label_regex": None, "partner": None,
     "currency": None, "tolerance": None, "counterparts": [], "map_partner": []},
    {"id": 2, "name": "Invoices: suggestions", "kind": "invoice_matching", "sequence": 20,
     "auto": False, "active": True, "journals": [], "nature": "both", "amount_min": None,
     "amount_max": None, "label_contains": None, "label_regex": None, "partner": None,
     "currency": None, "tolerance": None, "counterparts": [], "map_partner": []},
]


def test_list_shows_the_default_rules_made_once(cli: Cli, engine: Engine) -> None:
    assert _rows(engine) == 2  # made with the company by init
    assert ok_json(cli, "rule", "list") == DEFAULTS
    assert ok_json(cli, "rule", "list") == DEFAULTS
    assert _rows(engine) == 2
    code, out, err = cli("rule", "list")
    assert code == 0, err
    assert "Invoices: exact match" in out and "invoice-matching" in out


def test_add_a_suggestion_with_every_condition_then_disable_it(cli: Cli) -> None:
    added = ok_json(
        cli, "rule", "add", "Card fees", "--kind", "suggestion", "--auto", "--journal", "BNK1",
        "--nature", "out", "--amount-min", "0.5", "--amount-max", "20", "--label-contains",
        "fee", "--partner", "Osaka", "--counterpart", "6500:75:Fee: card",
        "--counterpart", "6700:25%", "--map-partner", r"OSAKA\s+K=K=Osaka",
        "--map-partner", "KYOTO=Kyoto",
    )
    assert added == {
        "id": 3, "name": "Card fees", "kind": "suggestion", "sequence": 30, "auto": True,
        "active": True, "journals": ["BNK1"], "nature": "out", "amount_min": "0.50",
        "amount_max": "20.00", "label_contains": "fee", "label_regex": None,
        "partner": "Osaka", "currency": None, "tolerance": None,
        "counterparts": [{"account": "6500", "percent": "75.0000", "label": "Fee: card"},
                         {"account": "6700", "percent": "25.0000", "label": None}],
        "map_partner": [{"regex": r"OSAKA\s+K=K", "partner": "Osaka"},
                        {"regex": "KYOTO", "partner": "Kyoto"}],
    }
    assert ok_json(cli, "rule", "list") == [*DEFAULTS, added]
    code, out, err = cli("rule", "disable", "3")
    assert code == 0, err
    assert "disabled rule 3" in out
    assert ok_json(cli, "rule", "list")[2] == added | {"active": False}
    assert cli("rule", "disable", "3")[0] == 0  # already disabled: nothing changes
    code, out, err = cli("rule", "list")
    assert code == 0, err
    assert "Card fees" in out and "75% to 6500" in out


def test_add_invoice_matching_rules_with_a_tolerance(cli: Cli) -> None:
    percent = ok_json(cli, "rule", "add", "Tolerant", "--kind", "invoice-matching",
                      "--tolerance", "2.5%", "--sequence", "5", "--label-regex", r"(?i)^inv")
    assert (percent["kind"], percent["sequence"], percent["label_regex"]) == (
        "invoice_matching", 5, "(?i)^inv")
    assert percent["tolerance"] == {"kind": "percent", "value": "2.5000", "account": "6500"}
    fixed = ok_json(cli, "rule", "add", "Fixed", "--kind", "invoice-matching", "--auto",
                    "--tolerance", "5", "--tolerance-account", "6700")
    assert fixed["tolerance"] == {"kind": "fixed", "value": "5.00", "account": "6700"}
    assert fixed["auto"] is True and fixed["counterparts"] == []
    listed = ok_json(cli, "rule", "list")
    assert [r["name"] for r in listed] == [
        "Tolerant", "Invoices: exact match", "Invoices: suggestions", "Fixed"]


def test_a_button_books_its_counterparts(cli: Cli) -> None:
    button = ok_json(cli, "rule", "add", "Rent", "--kind", "button",
                     "--counterpart", "6100:100", "--amount-max", "2000.00")
    assert (button["kind"], button["auto"], button["amount_max"]) == ("button", False, "2000.00")


REFUSALS: list[tuple[tuple[str, ...], str]] = [
    (("--kind", "invoice-matching", "--label-regex", "(unclosed"), "not a valid regex"),
    (("--kind", "invoice-matching", "--map-partner", "[a-=Osaka"), "not a valid regex"),
    (("--kind", "button", "--counterpart", "9999:100"), "unknown account '9999'"),
    (("--kind", "invoice-matching", "--journal", "NOPE"), "unknown journal 'NOPE'"),
    (("--kind", "invoice-matching", "--journal", "SAL"), "not a bank journal"),
    (("--kind", "invoice-matching", "--partner", "Nobody"), "unknown partner 'Nobody'"),
    (("--kind", "invoice-matching", "--map-partner", "X=Nobody"), "unknown partner"),
    (("--kind", "button", "--counterpart", "6500:60", "--counterpart", "6100:40.0001"),
     "more than 100 %"),
    (("--kind", "button", "--counterpart", "6500:0"), "more than 0 and at most 100"),
    (("--kind", "button", "--counterpart", "6500:101"), "more than 0 and at most 100"),
    (("--kind", "button", "--counterpart", "6500:33.33333"), "more than 4 decimal places"),
    (("--kind", "button", "--counterpart", "6500"), "ACCOUNT:PERCENT[:LABEL]"),
    (("--kind", "button", "--counterpart", "6500:lots"), "is not a number"),
    (("--kind", "invoice-matching", "--label-contains", "a", "--label-regex", "b"),
     "not both"),
    (("--kind", "suggestion",), "needs at least one counterpart"),
    (("--kind", "button",), "needs at least one counterpart"),
    (("--kind", "invoice-matching", "--counterpart", "6500:100"), "button and suggestion"),
    (("--kind", "button", "--counterpart", "6500:100", "--tolerance", "2%"),
     "for invoice-matching rules"),
    (("--kind", "invoice-matching", "--tolerance-account", "6500"), "without a tolerance"),
    (("--kind", "invoice-matching", "--tolerance", "0%"), "more than 0"),
    (("--kind", "invoice-matching", "--tolerance", "0"), "more than zero"),
    (("--kind", "invoice-matching", "--tolerance", "101%"), "at most 100"),
    (("--kind", "invoice-matching", "--tolerance", "2%", "--tolerance-account", "9999"),
     "unknown account"),
    (("--kind", "button", "--auto", "--counterpart", "6500:100"), "pressed by hand"),
    (("--kind", "invoice_matching",), "not button, suggestion or invoice-matching"),
    (("--kind", "invoice-matching", "--nature", "sideways"), "not in, out or both"),
    (("--kind", "invoice-matching", "--amount-min", "20", "--amount-max", "10"),
     "is more than amount-max"),
    (("--kind", "invoice-matching", "--amount-min", "-5"), "cannot be negative"),
    (("--kind", "invoice-matching", "--amount-max", "1.001"), "more than 2 decimal places"),
    (("--kind", "invoice-matching", "--amount-max", "ten"), "is not a number"),
    (("--kind", "invoice-matching", "--sequence", "first"), "--sequence"),
    (("--kind", "invoice-matching", "--map-partner", "no mapping"), "REGEX=NAME"),
    (("--kind", "invoice-matching", "--label-contains", " "), "empty"),
]


def test_every_refusal_is_one_sentence_and_writes_nothing(cli: Cli, engine: Engine) -> None:
    """Each refusal leaves the company's rules (the defaults init made) as they were."""
    for args, fragment in REFUSALS:
        one_error(cli("rule", "add", "Name", *args), fragment)
        assert _rows(engine) == 2, args
    one_error(cli("rule", "add", " ", "--kind", "invoice-matching"), "needs a name")
    assert _rows(engine) == 2


def test_a_refusal_after_the_defaults_leaves_the_rules_as_they_were(cli: Cli) -> None:
    before = ok_json(cli, "rule", "list")
    one_error(cli("rule", "add", "Bad", "--kind", "button", "--counterpart", "6500:50",
                  "--counterpart", "6100:60"), "110 %")
    one_error(cli("rule", "add", "Bad", "--kind", "invoice-matching", "--label-regex", "a{2,1}"),
              "not a valid regex")
    assert ok_json(cli, "rule", "list") == before


def test_disable_refuses_what_is_not_a_rule_of_the_company(cli: Cli) -> None:
    one_error(cli("rule", "disable", "99"), "no rule 99")
    one_error(cli("rule", "disable", "abc"), "a rule id")
    one_error(cli("rule", "disable", "0"), "a rule id")


def test_the_json_of_add_is_the_json_of_list(cli: Cli) -> None:
    added: dict[str, Any] = ok_json(cli, "rule", "add", "Any", "--kind", "suggestion",
                                    "--counterpart", "6500:100")
    listed = ok_json(cli, "rule", "list")
    assert json.dumps(listed[-1]) == json.dumps(added)
