"""``/api/v1/rules``: the reconciliation rules, listed (anyone), added and disabled (admins).

A rule goes in the shape it comes out in (``booksync rule list --json``;
docs/reconciliation.md, "JSON and refusals"): ``kind`` ``button``,
``suggestion`` or ``invoice_matching``; amounts and percents as decimal
strings (a JSON number is refused: a float cannot say which decimal was
meant); the tolerance as ``{"kind": "percent"|"fixed", "value", "account"}``.
Everything a rule names is checked before anything is written
(docs/web.md, "Rules API").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from booksync.app.rules import (
    CounterpartInput,
    MappingInput,
    RuleInput,
    ToleranceInput,
    add_rule,
    disable_rule,
    list_rules,
)
from booksync.app.shapes import as_json
from booksync.ledger.limits import MAX_ID
from booksync.money import parse_amount
from booksync.users.roles import Permission
from booksync.web.api.common import CompanyQuery
from booksync.web.auth import Caller, need
from booksync.web.companies import opened

router = APIRouter(prefix="/api/v1", tags=["rules"])

MAX_PARTS = 50  # counterparts, journals or mappings of one rule

Reader = Annotated[Caller, Depends(need(Permission.READ))]
Admin = Annotated[Caller, Depends(need(Permission.ADMIN))]
DecimalText = Annotated[str, Field(max_length=40, description="A decimal string, e.g. \"2.50\".")]
Short = Annotated[str, Field(max_length=200)]


class ToleranceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["percent", "fixed"]
    value: DecimalText = Field(description="Percent points, or an amount in company currency.")
    account: Short | None = Field(None, description="Where the difference goes (default "
                                  "6500, Bank Fees).")


class CounterpartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: Short
    percent: DecimalText
    label: Annotated[str, Field(max_length=500)] | None = None


class MappingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regex: Annotated[str, Field(max_length=500)]
    partner: Short


class RuleBody(BaseModel):
    """A new rule, as ``booksync rule add`` takes it."""

    model_config = ConfigDict(extra="forbid")

    name: Short
    kind: Literal["button", "suggestion", "invoice_matching", "invoice-matching"]
    auto: bool = False
    sequence: Annotated[int, Field(ge=0, le=MAX_ID)] | None = None
    journals: list[Annotated[str, Field(max_length=16)]] = Field([], max_length=MAX_PARTS)
    nature: Literal["in", "out", "both"] = "both"
    amount_min: DecimalText | None = None
    amount_max: DecimalText | None = None
    label_contains: Annotated[str, Field(max_length=500)] | None = None
    label_regex: Annotated[str, Field(max_length=500)] | None = None
    partner: Short | None = None
    currency: Annotated[str, Field(max_length=3)] | None = None
    tolerance: ToleranceBody | None = None
    counterparts: list[CounterpartBody] = Field([], max_length=MAX_PARTS)
    map_partner: list[MappingBody] = Field([], max_length=MAX_PARTS)

    def given(self) -> RuleInput:
        tolerance = self.tolerance
        return RuleInput(
            name=self.name,
            kind=self.kind.replace("-", "_"),
            auto=self.auto,
            sequence=self.sequence,
            journals=tuple(self.journals),
            nature=self.nature,
            amount_min=None if self.amount_min is None else parse_amount(self.amount_min),
            amount_max=None if self.amount_max is None else parse_amount(self.amount_max),
            label_contains=self.label_contains,
            label_regex=self.label_regex,
            partner=self.partner,
            currency=self.currency,
            tolerance=None if tolerance is None
            else ToleranceInput(tolerance.kind, parse_amount(tolerance.value)),
            tolerance_account=None if tolerance is None else tolerance.account,
            counterparts=tuple(
                CounterpartInput(c.account, parse_amount(c.percent.removesuffix("%")), c.label)
                for c in self.counterparts
            ),
            map_partner=tuple(MappingInput(m.regex, m.partner) for m in self.map_partner),
        )


@router.get("/rules", summary="The reconciliation rules")
def rules(request: Request, caller: Reader, company: CompanyQuery = None) -> dict[str, Any]:
    """Every rule in the order they are tried, disabled ones too (`rule list --json`)."""
    with opened(request, caller) as books:
        return {"items": as_json(list_rules(books)), "next": None}


@router.post("/rules", status_code=201, summary="Add a rule")
def add(request: Request, caller: Admin, body: RuleBody,
        company: CompanyQuery = None) -> dict[str, Any]:
    """Add a rule (`rule add --json`); nothing is written unless every part is right."""
    given = body.given()
    with opened(request, caller) as books:
        shaped: dict[str, Any] = as_json(add_rule(books, given))
        return shaped


@router.post("/rules/{rule_id}/disable", summary="Disable a rule")
def disable(request: Request, caller: Admin,
            rule_id: Annotated[int, Path(ge=1, le=MAX_ID)],
            company: CompanyQuery = None) -> dict[str, Any]:
    """Stop trying a rule; it stays listed, disabled (the rule as listed)."""
    with opened(request, caller) as books:
        shaped: dict[str, Any] = as_json(disable_rule(books, rule_id))
        return shaped
