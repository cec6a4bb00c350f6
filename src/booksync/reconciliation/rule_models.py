"""The table of reconciliation rules: what a bank line must look like, and what to do.

Three kinds, as mainstream ERPs have them (docs/reconciliation.md, "Rules"):
a *button* books a line on chosen accounts when the user presses it; a
*suggestion* proposes those same counterparts (and books them unasked when
``auto``); *invoice matching* finds open documents the line pays, with a
tolerance for small differences.

The lists a rule carries (its journals, counterparts and partner mappings)
are JSON text: they are read and written only whole, with the rule, and a
rule is read once per reconciliation run (:mod:`booksync.reconciliation.rules`).
Money is integer minor units of the company currency; percentages are
ten-thousandths of a percent point (2 % is 20_000), as tax rates are.
"""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from booksync.db.base import Base, CompanyOwned

PERCENT_SCALE = 10_000  # ten-thousandths of a percent point: 1 % is 10_000
HUNDRED_PERCENT = 100 * PERCENT_SCALE


class RuleKind(enum.StrEnum):
    BUTTON = "button"
    SUGGESTION = "suggestion"
    INVOICE_MATCHING = "invoice_matching"


class Nature(enum.StrEnum):
    """Which lines a rule looks at: money in, money out, or both."""

    IN = "in"
    OUT = "out"
    BOTH = "both"


class ToleranceKind(enum.StrEnum):
    NONE = "none"
    PERCENT = "percent"
    FIXED = "fixed"


class ReconcileRule(CompanyOwned, Base):
    """One rule of a company; the conditions that are None (or empty) do not restrict.

    ``journal_ids``: JSON list of bank journal ids (empty: every bank journal).
    ``counterparts``: JSON list of ``{"account_id", "percent", "label"}``.
    ``partner_mappings``: JSON list of ``{"regex", "partner_id"}``.
    """

    __tablename__ = "reconcile_rule"
    __table_args__ = (
        CheckConstraint("kind IN ('button', 'suggestion', 'invoice_matching')", name="kind"),
        CheckConstraint("nature IN ('in', 'out', 'both')", name="nature"),
        CheckConstraint("tolerance_kind IN ('none', 'percent', 'fixed')", name="tolerance_kind"),
        CheckConstraint(
            "label_contains IS NULL OR label_regex IS NULL", name="one_label_condition"
        ),
        CheckConstraint(
            "amount_min IS NULL OR amount_max IS NULL OR amount_min <= amount_max",
            name="amount_range",
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))
    sequence: Mapped[int] = mapped_column(Integer, default=10)
    auto: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    journal_ids: Mapped[str] = mapped_column(Text, default="[]")
    nature: Mapped[str] = mapped_column(String(8), default=Nature.BOTH.value)
    amount_min: Mapped[int | None] = mapped_column(BigInteger)
    amount_max: Mapped[int | None] = mapped_column(BigInteger)
    label_contains: Mapped[str | None] = mapped_column(String(500))
    label_regex: Mapped[str | None] = mapped_column(String(500))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    currency_code: Mapped[str | None] = mapped_column(ForeignKey("currency.code"))
    tolerance_kind: Mapped[str] = mapped_column(String(8), default=ToleranceKind.NONE.value)
    tolerance_value: Mapped[int] = mapped_column(BigInteger, default=0)
    tolerance_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    counterparts: Mapped[str] = mapped_column(Text, default="[]")
    partner_mappings: Mapped[str] = mapped_column(Text, default="[]")


__all__ = [
    "HUNDRED_PERCENT",
    "PERCENT_SCALE",
    "Nature",
    "ReconcileRule",
    "RuleKind",
    "ToleranceKind",
]
