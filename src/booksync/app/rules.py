"""Use cases of reconciliation rules: add one, list them, disable one.

Everything a rule names (journals, accounts, partners) is looked up and every
condition checked before anything is written, so a refused rule leaves the
books as they were; the one sentence says what to fix
(docs/reconciliation.md, "Rules").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from booksync.app.context import Books
from booksync.errors import BooksyncError
from booksync.ledger.errors import NotFound
from booksync.ledger.limits import MAX_ID, MAX_NAME, MAX_TEXT, check_text, shown
from booksync.ledger.models import Account, Journal, JournalType, Partner
from booksync.ledger.partners import partner_named
from booksync.money import MoneyError, exponent, to_decimal, to_minor
from booksync.reconciliation.rule_models import (
    HUNDRED_PERCENT,
    Nature,
    ReconcileRule,
    RuleKind,
    ToleranceKind,
)
from booksync.reconciliation.rules import compile_regex, ensure_default_rules

__all__ = [
    "DEFAULT_TOLERANCE_ACCOUNT",
    "CounterpartInput",
    "CounterpartView",
    "MappingInput",
    "MappingView",
    "RuleInput",
    "RuleView",
    "ToleranceInput",
    "ToleranceView",
    "add_rule",
    "disable_rule",
    "list_rules",
]

PERCENT_PLACES = 4  # percents are kept in ten-thousandths of a percent point
DEFAULT_TOLERANCE_ACCOUNT = "6500"  # Bank Fees in the generic chart
SEQUENCE_STEP = 10


@dataclass(frozen=True, slots=True)
class CounterpartInput:
    account: str
    percent: Decimal
    label: str | None = None


@dataclass(frozen=True, slots=True)
class ToleranceInput:
    """``kind`` percent (``value`` in percent points) or fixed (company currency)."""

    kind: str
    value: Decimal


@dataclass(frozen=True, slots=True)
class MappingInput:
    regex: str
    partner: str


@dataclass(frozen=True, slots=True)
class RuleInput:
    """A new rule as a person names its parts: codes and names, decimal amounts.

    ``sequence`` None puts the rule after the last one; ``tolerance_account``
    None means account 6500 (Bank Fees) when a tolerance is given.
    """

    name: str
    kind: str
    auto: bool = False
    sequence: int | None = None
    journals: tuple[str, ...] = ()
    nature: str = Nature.BOTH.value
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    label_contains: str | None = None
    label_regex: str | None = None
    partner: str | None = None
    currency: str | None = None
    tolerance: ToleranceInput | None = None
    tolerance_account: str | None = None
    counterparts: tuple[CounterpartInput, ...] = ()
    map_partner: tuple[MappingInput, ...] = ()


@dataclass(frozen=True, slots=True)
class ToleranceView:
    kind: str
    value: Decimal
    account: str | None


@dataclass(frozen=True, slots=True)
class CounterpartView:
    """``label`` None: the write-off is labelled with the rule's name."""

    account: str
    percent: Decimal
    label: str | None


@dataclass(frozen=True, slots=True)
class MappingView:
    regex: str
    partner: str


@dataclass(frozen=True, slots=True)
class RuleView:
    """A rule as listed; its fields are the JSON keys of ``rule list --json``."""

    id: int
    name: str
    kind: str
    sequence: int
    auto: bool
    active: bool
    journals: list[str]
    nature: str
    amount_min: Decimal | None
    amount_max: Decimal | None
    label_contains: str | None
    label_regex: str | None
    partner: str | None
    currency: str | None
    tolerance: ToleranceView | None
    counterparts: list[CounterpartView]
    map_partner: list[MappingView]


# -- checks and look-ups ------------------------------------------------------------------


def _percent(value: Decimal, what: str) -> int:
    """Percent points as ten-thousandths; more than 0 and at most 100."""
    try:
        scaled = to_minor(value, PERCENT_PLACES)
    except MoneyError:
        raise BooksyncError(
            f"{what} {value} has more than {PERCENT_PLACES} decimal places"
        ) from None
    if not 0 < scaled <= HUNDRED_PERCENT:
        raise BooksyncError(f"{what} {value} must be more than 0 and at most 100")
    return scaled


def _money(value: Decimal, exp: int, what: str) -> int:
    minor = to_minor(value, exp)
    if minor < 0:
        raise BooksyncError(f"{what} {value} cannot be negative: rules compare amounts "
                            f"without their sign (use the nature for the direction)")
    return minor


def _account(books: Books, code: str) -> Account:
    account = books.session.scalar(select(Account).where(
        Account.company_id == books.company.id, Account.code == code.strip()))
    if account is None:
        raise NotFound(f"unknown account {shown(code.strip())}")
    if not account.active:
        raise BooksyncError(f"account {shown(account.code)} is not active")
    return account


def _partner_id(books: Books, name: str) -> int:
    return partner_named(books.session, books.company, name.strip()).id


def _bank_journal(books: Books, code: str) -> int:
    journal = books.session.scalar(select(Journal).where(
        Journal.company_id == books.company.id, Journal.code == code.strip()))
    if journal is None:
        raise NotFound(f"unknown journal {shown(code.strip())}")
    if journal.type != JournalType.BANK:
        raise BooksyncError(f"journal {journal.code} is not a bank journal: rules read "
                            f"bank statement lines")
    return journal.id


def _label(given: RuleInput) -> tuple[str | None, str | None]:
    if given.label_contains is not None and given.label_regex is not None:
        raise BooksyncError("a rule matches the label by text or by regex, not both: "
                            "give one of label-contains and label-regex")
    contains = given.label_contains
    if contains is not None:
        check_text(contains, "label text", MAX_TEXT)
        if not contains.strip():
            raise BooksyncError("the label text to look for is empty")
    if given.label_regex is not None:
        compile_regex(given.label_regex, "label regex")
    return contains, given.label_regex


def _tolerance(books: Books, given: RuleInput, kind: RuleKind) -> tuple[str, int, int | None]:
    if given.tolerance is None:
        if given.tolerance_account is not None:
            raise BooksyncError("a tolerance account is named without a tolerance")
        return ToleranceKind.NONE.value, 0, None
    if kind is not RuleKind.INVOICE_MATCHING:
        raise BooksyncError("a tolerance is for invoice-matching rules: a button or a "
                            "suggestion books its counterparts whatever the amount")
    if given.tolerance.kind == ToleranceKind.PERCENT.value:
        value = _percent(given.tolerance.value, "tolerance")
    elif given.tolerance.kind == ToleranceKind.FIXED.value:
        value = _money(given.tolerance.value, exponent(books.company.currency_code), "tolerance")
        if value == 0:
            raise BooksyncError("a fixed tolerance must be more than zero")
    else:
        raise BooksyncError(f"tolerance kind {shown(given.tolerance.kind)} is not percent "
                            f"or fixed")
    code = given.tolerance_account
    if code is None:
        found = books.session.scalar(select(Account).where(
            Account.company_id == books.company.id, Account.code == DEFAULT_TOLERANCE_ACCOUNT))
        if found is None:
            raise BooksyncError(f"the company has no account {DEFAULT_TOLERANCE_ACCOUNT} "
                                f"to write differences off to: name a tolerance account")
        code = DEFAULT_TOLERANCE_ACCOUNT
    return given.tolerance.kind, value, _account(books, code).id


def _counterparts(books: Books, given: RuleInput, kind: RuleKind) -> list[dict[str, object]]:
    if kind is RuleKind.INVOICE_MATCHING:
        if given.counterparts:
            raise BooksyncError("counterparts are for button and suggestion rules: an "
                                "invoice-matching rule books the documents it finds")
        return []
    if not given.counterparts:
        raise BooksyncError(f"a {kind.value} rule needs at least one counterpart "
                            f"(ACCOUNT:PERCENT[:LABEL])")
    stored: list[dict[str, object]] = []
    total = 0
    for counterpart in given.counterparts:
        account = _account(books, counterpart.account)
        percent = _percent(counterpart.percent, "counterpart percent")
        total += percent
        label = check_text(counterpart.label, "counterpart label", MAX_TEXT)
        stored.append({"account_id": account.id, "percent": percent,
                       "label": (label.strip() or None) if label else None})
    if total > HUNDRED_PERCENT:
        raise BooksyncError(f"the counterparts' percents add up to "
                            f"{to_decimal(total, PERCENT_PLACES).normalize():f} %, "
                            f"more than 100 %")
    return stored


def _checked(books: Books, given: RuleInput) -> ReconcileRule:
    """The rule to store, every part checked; raises before anything is written."""
    name = check_text(given.name.strip(), "rule name", MAX_NAME) or ""
    if not name:
        raise BooksyncError("a rule needs a name")
    try:
        kind = RuleKind(given.kind)
    except ValueError:
        raise BooksyncError(f"rule kind {shown(given.kind)} is not button, suggestion or "
                            f"invoice_matching") from None
    if given.auto and kind is RuleKind.BUTTON:
        raise BooksyncError("a button is pressed by hand: only suggestion and "
                            "invoice-matching rules can be automatic")
    try:
        nature = Nature(given.nature)
    except ValueError:
        raise BooksyncError(f"nature {shown(given.nature)} is not in, out or both") from None
    if given.sequence is not None and not 0 <= given.sequence <= MAX_ID:
        raise BooksyncError(f"sequence {given.sequence} must be from 0 to {MAX_ID}")
    journals = list(dict.fromkeys(_bank_journal(books, code) for code in given.journals))
    exp = exponent(books.company.currency_code)
    low = None if given.amount_min is None else _money(given.amount_min, exp, "amount-min")
    high = None if given.amount_max is None else _money(given.amount_max, exp, "amount-max")
    if low is not None and high is not None and low > high:
        raise BooksyncError(f"amount-min {given.amount_min} is more than amount-max "
                            f"{given.amount_max}")
    contains, regex = _label(given)
    currency = None
    if given.currency is not None:
        currency = given.currency.strip().upper()
        exponent(currency)  # an unknown currency is refused here
    tolerance_kind, tolerance_value, tolerance_account = _tolerance(books, given, kind)
    counterparts = _counterparts(books, given, kind)
    mappings = []
    for mapping in given.map_partner:
        compile_regex(mapping.regex, "partner regex")
        mappings.append({"regex": mapping.regex, "partner_id": _partner_id(books, mapping.partner)})
    return ReconcileRule(
        company_id=books.company.id, name=name, kind=kind.value, sequence=given.sequence,
        auto=given.auto, active=True, journal_ids=json.dumps(journals), nature=nature.value,
        amount_min=low, amount_max=high, label_contains=contains, label_regex=regex,
        partner_id=None if given.partner is None else _partner_id(books, given.partner),
        currency_code=currency, tolerance_kind=tolerance_kind, tolerance_value=tolerance_value,
        tolerance_account_id=tolerance_account, counterparts=json.dumps(counterparts),
        partner_mappings=json.dumps(mappings),
    )


# -- the use cases ------------------------------------------------------------------------


def add_rule(books: Books, given: RuleInput) -> RuleView:
    """Add a rule, after the company's default rules are made (they come first when
    a company's first own rule is added, as they would have on a first listing)."""
    row = _checked(books, given)
    ensure_default_rules(books.session, books.company)
    if row.sequence is None:
        last = books.session.scalar(select(func.max(ReconcileRule.sequence)).where(
            ReconcileRule.company_id == books.company.id))
        row.sequence = (last or 0) + SEQUENCE_STEP
    books.session.add(row)
    books.session.flush()
    return _views(books, [row])[0]


def list_rules(books: Books) -> list[RuleView]:
    """Every rule of the company, disabled ones too, in the order they are tried."""
    ensure_default_rules(books.session, books.company)
    rows = books.session.scalars(
        select(ReconcileRule)
        .where(ReconcileRule.company_id == books.company.id)
        .order_by(ReconcileRule.sequence, ReconcileRule.id)
    ).all()
    return _views(books, rows)


def disable_rule(books: Books, rule_id: int) -> RuleView:
    """Stop trying a rule; it stays listed.  Disabling a disabled rule changes nothing."""
    row = books.session.get(ReconcileRule, rule_id)
    if row is None or row.company_id != books.company.id:
        raise NotFound(f"no rule {rule_id}")
    if row.active:
        row.active = False
        books.session.flush()
    return _views(books, [row])[0]


def _names(books: Books, ids: set[int], columns: tuple[Any, Any, Any]) -> dict[int, str]:
    """Each id's code or name; ``columns``: the table's id, company id and that text."""
    if not ids:
        return {}
    id_column, company, text = columns
    found = books.session.execute(
        select(id_column, text).where(company == books.company.id, id_column.in_(ids))
    )
    return {row_id: name for row_id, name in found}


def _views(books: Books, rows: Iterable[ReconcileRule]) -> list[RuleView]:
    """The rules with their journals, accounts and partners named (three queries)."""
    decoded = [(row, json.loads(row.journal_ids), json.loads(row.counterparts),
                json.loads(row.partner_mappings)) for row in rows]
    journals = _names(books, {j for _, js, _, _ in decoded for j in js},
                      (Journal.id, Journal.company_id, Journal.code))
    accounts = _names(books, {c["account_id"] for _, _, cs, _ in decoded for c in cs}
                      | {r.tolerance_account_id for r, *_ in decoded
                         if r.tolerance_account_id is not None},
                      (Account.id, Account.company_id, Account.code))
    partners = _names(books, {m["partner_id"] for *_, ms in decoded for m in ms}
                      | {r.partner_id for r, *_ in decoded if r.partner_id is not None},
                      (Partner.id, Partner.company_id, Partner.name))
    exp = exponent(books.company.currency_code)
    views = []
    for row, journal_ids, counterparts, mappings in decoded:
        tolerance = None
        if row.tolerance_kind != ToleranceKind.NONE.value:
            places = PERCENT_PLACES if row.tolerance_kind == ToleranceKind.PERCENT.value else exp
            tolerance = ToleranceView(
                row.tolerance_kind, to_decimal(row.tolerance_value, places),
                accounts.get(row.tolerance_account_id) if row.tolerance_account_id else None)
        views.append(RuleView(
            id=row.id, name=row.name, kind=row.kind, sequence=row.sequence, auto=row.auto,
            active=row.active, journals=[journals[j] for j in journal_ids], nature=row.nature,
            amount_min=None if row.amount_min is None else to_decimal(row.amount_min, exp),
            amount_max=None if row.amount_max is None else to_decimal(row.amount_max, exp),
            label_contains=row.label_contains, label_regex=row.label_regex,
            partner=partners[row.partner_id] if row.partner_id is not None else None,
            currency=row.currency_code, tolerance=tolerance,
            counterparts=[CounterpartView(accounts[c["account_id"]],
                                          to_decimal(c["percent"], PERCENT_PLACES), c["label"])
                          for c in counterparts],
            map_partner=[MappingView(m["regex"], partners[m["partner_id"]]) for m in mappings],
        ))
    return views
