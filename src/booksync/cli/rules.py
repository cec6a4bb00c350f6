"""``booksync rule``: the reconciliation rules, listed, added and disabled.

A thin adapter over :mod:`booksync.app.rules`, imported only when a rule
command runs, with SQLAlchemy and the ledger (docs/architecture.md,
"Command line").  The command line's own text forms are read here:
``ACCOUNT:PERCENT[:LABEL]``, ``REGEX=NAME``, ``2%`` or ``5.00``; what a rule
means is in docs/reconciliation.md ("Rules").
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import typer

from booksync.cli.context import state
from booksync.cli.ids import parse_id
from booksync.cli.output import emit_json, say, table
from booksync.errors import BooksyncError
from booksync.ledger.limits import MAX_ID

if TYPE_CHECKING:
    from booksync.app.rules import CounterpartInput, MappingInput, ToleranceInput

rule_app = typer.Typer(
    help="Reconciliation rules: buttons, suggestions and invoice matching.",
    no_args_is_help=True,
)
JSON = typer.Option(False, "--json", help="Print JSON.")
KINDS = {"button": "button", "suggestion": "suggestion", "invoice-matching": "invoice_matching"}


def register(app: typer.Typer) -> None:
    app.add_typer(rule_app, name="rule")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _decimal(text: str, what: str) -> Decimal:
    from booksync.money import MoneyError, parse_amount

    try:
        return parse_amount(text.strip())
    except MoneyError:
        raise BooksyncError(f"{what} {_shown(text)} is not a number") from None


def parse_counterpart(text: str) -> CounterpartInput:
    """``ACCOUNT:PERCENT[:LABEL]`` (``6500:100``, ``6100:50%:Rent``); the label may
    hold colons, an account code cannot."""
    from booksync.app.rules import CounterpartInput

    code, sep, rest = text.partition(":")
    percent, _, label = rest.partition(":")
    percent = percent.strip().removesuffix("%")
    if not sep or not code.strip() or not percent.strip():
        raise BooksyncError(f"--counterpart {_shown(text)} is not ACCOUNT:PERCENT[:LABEL]")
    return CounterpartInput(
        code.strip(), _decimal(percent, "counterpart percent"), label.strip() or None
    )


def parse_tolerance(text: str) -> ToleranceInput:
    """``2%`` (a percent of what the documents owe) or ``5.00`` (company currency)."""
    from booksync.app.rules import ToleranceInput

    stripped = text.strip()
    if stripped.endswith("%"):
        return ToleranceInput("percent", _decimal(stripped[:-1], "--tolerance"))
    return ToleranceInput("fixed", _decimal(stripped, "--tolerance"))


def parse_mapping(text: str) -> MappingInput:
    """``REGEX=NAME``, split at the last ``=``: a regex may hold one (``(?<=x)``),
    a partner's name rarely does."""
    from booksync.app.rules import MappingInput

    regex, sep, name = text.rpartition("=")
    if not sep or not regex or not name.strip():
        raise BooksyncError(f"--map-partner {_shown(text)} is not REGEX=NAME")
    return MappingInput(regex, name.strip())


def _sequence(text: str) -> int:
    digits = text.strip()
    if digits.isascii() and digits.isdigit() and int(digits) <= MAX_ID:
        return int(digits)
    raise BooksyncError(f"--sequence must be a whole number from 0 to {MAX_ID}, "
                        f"not {_shown(text)}")


def _kind(text: str) -> str:
    try:
        return KINDS[text.strip()]
    except KeyError:
        raise BooksyncError(
            f"--kind {_shown(text)} is not button, suggestion or invoice-matching"
        ) from None


def _conditions(row: dict[str, Any]) -> str:
    """A rule's conditions in a few words, for the table."""
    parts = []
    if row["journals"]:
        parts.append("journals " + ", ".join(row["journals"]))
    if row["nature"] != "both":
        parts.append(f"money {row['nature']}")
    if row["amount_min"] is not None or row["amount_max"] is not None:
        parts.append(f"amount {row['amount_min'] or '0'} to {row['amount_max'] or 'any'}")
    if row["label_contains"] is not None:
        parts.append(f"label contains \"{row['label_contains']}\"")
    if row["label_regex"] is not None:
        parts.append(f"label matches /{row['label_regex']}/")
    if row["partner"] is not None:
        parts.append(f"partner {row['partner']}")
    if row["currency"] is not None:
        parts.append(f"in {row['currency']}")
    return "; ".join(parts) or "any line"


def _effect(row: dict[str, Any]) -> str:
    """What a rule books or allows, for the table."""
    parts = [
        f"{c['percent'].rstrip('0').rstrip('.')}% to {c['account']}"
        + (f" ({c['label']})" if c["label"] else "")
        for c in row["counterparts"]
    ]
    tolerance = row["tolerance"]
    if tolerance is not None:
        value = tolerance["value"]
        size = f"{value.rstrip('0').rstrip('.')}%" if tolerance["kind"] == "percent" else value
        parts.append(f"tolerance {size} to {tolerance['account']}")
    parts += [f"/{m['regex']}/ is {m['partner']}" for m in row["map_partner"]]
    return "; ".join(parts)


@rule_app.command("list")
def rule_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the rules in the order they are tried, disabled ones too."""
    from booksync.app.context import open_books
    from booksync.app.rules import list_rules
    from booksync.app.shapes import as_json as shaped

    app_state = state(ctx)
    with open_books(app_state.engine, app_state.company) as books:
        rows = shaped(list_rules(books))
    if as_json:
        emit_json(rows)
        return
    table(
        "Reconciliation rules",
        ["ID", "Seq", "Name", "Kind", "Auto", "Active", "Applies to", "Books"],
        [(r["id"], r["sequence"], r["name"], r["kind"].replace("_", "-"),
          "yes" if r["auto"] else "", "yes" if r["active"] else "no",
          _conditions(r), _effect(r)) for r in rows],
        right=["ID", "Seq"],
    )


@rule_app.command("add")
def rule_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The rule's name."),
    kind: str = typer.Option(..., "--kind", help="button, suggestion or invoice-matching."),
    auto: bool = typer.Option(
        False, "--auto", help="Apply a certain match unasked (not for a button)."
    ),
    sequence: str | None = typer.Option(
        None, "--sequence", metavar="N", help="Order of the rule (default: after the last)."
    ),
    journals: list[str] = typer.Option(
        [], "--journal", metavar="J", help="A bank journal it reads (repeatable; default: all)."
    ),
    nature: str = typer.Option("both", "--nature", help="in, out or both: money in or out."),
    amount_min: str | None = typer.Option(
        None, "--amount-min", metavar="A", help="Least amount, company currency, sign ignored."
    ),
    amount_max: str | None = typer.Option(
        None, "--amount-max", metavar="A", help="Greatest amount, company currency."
    ),
    label_contains: str | None = typer.Option(
        None, "--label-contains", metavar="TEXT", help="Label or reference contains (any case)."
    ),
    label_regex: str | None = typer.Option(
        None, "--label-regex", metavar="RE", help="Label or reference matches this regex."
    ),
    partner: str | None = typer.Option(None, "--partner", metavar="NAME",
                                       help="Only lines of this partner."),
    tolerance: str | None = typer.Option(
        None, "--tolerance", help="Invoice matching: 2% of what is owed, or 5.00 (fixed)."
    ),
    tolerance_account: str | None = typer.Option(
        None, "--tolerance-account", metavar="CODE",
        help="Where a tolerated difference goes (default: 6500, Bank Fees).",
    ),
    counterparts: list[str] = typer.Option(
        [], "--counterpart", metavar="ACCOUNT:PERCENT[:LABEL]",
        help="Button or suggestion: a share booked to an account (repeatable).",
    ),
    mappings: list[str] = typer.Option(
        [], "--map-partner", metavar="REGEX=NAME",
        help="A line whose label matches REGEX is NAME's (repeatable).",
    ),
    as_json: bool = JSON,
) -> None:
    """Add a rule; nothing is written unless every part of it is right."""
    from booksync.app.context import open_books
    from booksync.app.rules import RuleInput, add_rule
    from booksync.app.shapes import as_json as shaped

    given = RuleInput(
        name=name,
        kind=_kind(kind),
        auto=auto,
        sequence=None if sequence is None else _sequence(sequence),
        journals=tuple(journals),
        nature=nature.strip(),
        amount_min=None if amount_min is None else _decimal(amount_min, "--amount-min"),
        amount_max=None if amount_max is None else _decimal(amount_max, "--amount-max"),
        label_contains=label_contains,
        label_regex=label_regex,
        partner=partner,
        tolerance=None if tolerance is None else parse_tolerance(tolerance),
        tolerance_account=tolerance_account,
        counterparts=tuple(parse_counterpart(c) for c in counterparts),
        map_partner=tuple(parse_mapping(m) for m in mappings),
    )
    app_state = state(ctx)
    with open_books(app_state.engine, app_state.company) as books:
        row = shaped(add_rule(books, given))
    if as_json:
        emit_json(row)
        return
    say(f"added rule {row['id']} {row['name']} (sequence {row['sequence']})")


@rule_app.command("disable")
def rule_disable(
    ctx: typer.Context, rule_id: str = typer.Argument(..., metavar="ID", help="The rule's id.")
) -> None:
    """Stop trying a rule; it stays listed, disabled."""
    from booksync.app.context import open_books
    from booksync.app.rules import disable_rule

    number = parse_id(rule_id, "a rule id")
    app_state = state(ctx)
    with open_books(app_state.engine, app_state.company) as books:
        view = disable_rule(books, number)
    say(f"disabled rule {view.id} {view.name}")
