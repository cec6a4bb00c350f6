"""Reconciliation rules: each condition, the write-offs, the tolerance, partner mapping
and the default rules, stored and read back on both databases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booksync.app.context import Books
from booksync.app.rules import (
    CounterpartInput,
    MappingInput,
    RuleInput,
    ToleranceInput,
    add_rule,
    disable_rule,
    list_rules,
)
from booksync.errors import BooksyncError
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Account, Company, Journal
from booksync.ledger.partners import add_partner
from booksync.reconciliation.bank import WriteOff
from booksync.reconciliation.facts import LineFacts
from booksync.reconciliation.rule_models import ReconcileRule, RuleKind, ToleranceKind
from booksync.reconciliation.rules import (
    Counterpart,
    Rule,
    Tolerance,
    compile_regex,
    ensure_default_rules,
    load_rules,
)

D = Decimal
FEES = (CounterpartInput("6500", D(100)),)


@dataclasses.dataclass
class World:
    session: Session
    company: Company
    bank: Journal
    other_bank: Journal
    osaka: int
    kyoto: int

    def account(self, code: str) -> int:
        return self.session.scalars(select(Account.id).where(
            Account.company_id == self.company.id, Account.code == code)).one()

    def rule(self, **given: Any) -> Rule:
        """A rule added through the application, read back as the engine reads it."""
        given.setdefault("name", "Rule")
        given.setdefault("kind", "suggestion")
        if given["kind"] != "invoice_matching":
            given.setdefault("counterparts", FEES)
        view = add_rule(Books(self.session, self.company), RuleInput(**given))
        self.session.commit()
        return next(r for r in load_rules(self.session, self.company) if r.id == view.id)

    def facts(self, **values: Any) -> LineFacts:
        base: dict[str, Any] = dict(
            line_id=1, journal_id=self.bank.id, date=dt.date(2026, 3, 10), amount=-1500,
            company_amount=-1500, currency="EUR", label="Card fee March",
        )
        return LineFacts(**(base | values))


@pytest.fixture
def world(session: Session, company: Company) -> World:
    bank = create_bank_journal(session, company, "Main bank")
    other = create_bank_journal(session, company, "Savings")
    osaka = add_partner(session, company, "Osaka").id
    kyoto = add_partner(session, company, "Kyoto").id
    session.commit()
    return World(session, company, bank, other, osaka, kyoto)


# -- conditions ------------------------------------------------------------------------


def test_a_rule_without_conditions_applies_to_every_line(world: World) -> None:
    rule = world.rule()
    assert rule.applies(world.facts())
    assert rule.applies(world.facts(journal_id=world.other_bank.id, amount=7, company_amount=7))


def test_journals(world: World) -> None:
    rule = world.rule(journals=(world.bank.code,))
    assert rule.journal_ids == frozenset({world.bank.id})
    assert rule.applies(world.facts())
    assert not rule.applies(world.facts(journal_id=world.other_bank.id))
    both = world.rule(journals=(world.bank.code, world.other_bank.code, world.bank.code))
    assert both.applies(world.facts(journal_id=world.other_bank.id))


@pytest.mark.parametrize(("nature", "applies_to"), [
    ("in", {100}), ("out", {-100}), ("both", {100, -100, 0}),
])
def test_nature(world: World, nature: str, applies_to: set[int]) -> None:
    rule = world.rule(nature=nature)
    for amount in (100, -100, 0):
        facts = world.facts(amount=amount, company_amount=amount)
        assert rule.applies(facts) is (amount in applies_to), amount


def test_amount_range_is_inclusive_and_reads_the_company_amount_without_its_sign(
    world: World,
) -> None:
    rule = world.rule(amount_min=D("10.00"), amount_max=D("20"))
    assert (rule.amount_min, rule.amount_max) == (1000, 2000)
    for company_amount, expected in [(-1000, True), (2000, True), (1500, True),
                                     (-999, False), (2001, False)]:
        assert rule.applies(world.facts(company_amount=company_amount)) is expected
    # A dollar line of 50.00 booked as 15.00 euros: the euros are compared.
    assert rule.applies(world.facts(amount=5000, company_amount=1500, currency="USD"))
    assert not rule.applies(world.facts(amount=1500, company_amount=5000, currency="USD"))
    only_min = world.rule(amount_min=D("10"))
    assert only_min.applies(world.facts(company_amount=10**14))
    assert not only_min.applies(world.facts(company_amount=0))
    only_max = world.rule(amount_max=D("0.50"))
    assert only_max.applies(world.facts(company_amount=50))
    assert not only_max.applies(world.facts(company_amount=51))


def test_label_contains_ignores_case_and_reads_the_reference_too(world: World) -> None:
    rule = world.rule(label_contains="FEE")
    assert rule.applies(world.facts(label="Card fee March"))
    assert rule.applies(world.facts(label="Payment", reference="monthly Fee"))
    assert rule.applies(world.facts(label="coffee"))  # a substring, as the option says
    assert not rule.applies(world.facts(label="Card charge", reference="March"))
    assert not rule.applies(world.facts(label="Card charge"))


def test_label_regex_is_read_as_written_on_the_label_and_on_the_reference(
    world: World,
) -> None:
    rule = world.rule(label_regex=r"^INV-\d+$")
    assert isinstance(rule.label_regex, re.Pattern)
    assert rule.applies(world.facts(label="INV-42"))
    assert rule.applies(world.facts(label="Payment", reference="INV-42"))
    assert not rule.applies(world.facts(label="Payment INV-42"))  # anchored on each field
    assert not rule.applies(world.facts(label="inv-42"))  # case counts without (?i)
    assert world.rule(label_regex=r"(?i)^inv-\d+").applies(world.facts(label="inv-42"))


@pytest.mark.parametrize(("pattern", "reason"), [
    ("(", "not a valid regex: missing )"), ("", "is empty"), ("a" * 501, "longer than 500"),
    ("a\x00", "NUL"), ("*", "nothing to repeat"),
])
def test_a_regex_that_cannot_be_kept_is_one_sentence(pattern: str, reason: str) -> None:
    with pytest.raises(BooksyncError, match=re.escape(reason)) as refused:
        compile_regex(pattern, "label regex")
    assert refused.value.code == "invalid"
    assert "\n" not in str(refused.value)


def test_partner(world: World) -> None:
    rule = world.rule(partner="Osaka")
    assert rule.partner_id == world.osaka
    assert rule.applies(world.facts(partner_id=world.osaka))
    assert not rule.applies(world.facts(partner_id=world.kyoto))
    assert not rule.applies(world.facts(partner_id=None))


def test_currency(world: World) -> None:
    rule = world.rule(currency="usd")
    assert rule.currency == "USD"
    assert rule.applies(world.facts(currency="USD", amount=-2000))
    assert not rule.applies(world.facts(currency="EUR"))


def test_every_condition_must_hold(world: World) -> None:
    rule = world.rule(journals=(world.bank.code,), nature="out", amount_max=D(20),
                      label_contains="fee", partner="Osaka", currency="EUR")
    line = world.facts(partner_id=world.osaka)
    assert rule.applies(line)
    spoilers: list[dict[str, Any]] = [
        dict(journal_id=world.other_bank.id), dict(amount=1500), dict(company_amount=-2001),
        dict(label="Card"), dict(partner_id=world.kyoto), dict(currency="CHF"),
    ]
    for spoiled in spoilers:
        assert not rule.applies(dataclasses.replace(line, **spoiled)), spoiled


# -- write-offs --------------------------------------------------------------------------


def test_one_counterpart_takes_the_whole_line_labelled_with_the_rule_s_name(
    world: World,
) -> None:
    rule = world.rule(name="Bank fees")
    facts = world.facts(partner_id=world.osaka)
    assert rule.write_offs(facts) == [WriteOff(world.account("6500"), 1500, "Bank fees",
                                               world.osaka)]
    assert rule.write_offs(facts, amount=-250) == [
        WriteOff(world.account("6500"), 250, "Bank fees", world.osaka)]
    assert rule.write_offs(facts, amount=0) == []


def test_thirds_add_up_exactly_the_last_taking_the_rounding(world: World) -> None:
    rule = world.rule(name="Thirds", counterparts=(
        CounterpartInput("6100", D("33.3333"), "Rent"),
        CounterpartInput("6200", D("33.3333")),
        CounterpartInput("6300", D("33.3334")),
    ))
    rent, utilities, office = world.account("6100"), world.account("6200"), world.account("6300")
    assert rule.write_offs(world.facts(amount=10000)) == [
        WriteOff(rent, 3333, "Rent"), WriteOff(utilities, 3333, "Thirds"),
        WriteOff(office, 3334, "Thirds")]
    assert [w.amount for w in rule.write_offs(world.facts(amount=-10))] == [3, 3, 4]
    assert [w.amount for w in rule.write_offs(world.facts(amount=2))] == [2]  # 0, 0 left out


def test_a_rule_under_a_hundred_percent_books_its_share_rounded_half_up(world: World) -> None:
    rule = world.rule(counterparts=(CounterpartInput("6100", D(60)),
                                    CounterpartInput("6200", D(15))))
    # 75 % of 10.01 is 7.5075: 7.51, of which 60 % rounded down (6.00) and the rest.
    assert [w.amount for w in rule.write_offs(world.facts(amount=1001))] == [600, 151]
    assert [w.amount for w in rule.write_offs(world.facts(amount=2))] == [1, 1]


def test_write_offs_always_add_up_and_never_go_below_zero() -> None:
    """Many amounts and splits: the total is exact, no share is negative or zero."""
    splits = [(16_7000,) * 5 + (16_5000,), (33_3333, 33_3333, 33_3334), (1, 999_999),
              (50_0000, 25_0000), (99_9999,), (12_3456, 65_4321, 22_2223)]
    for percents in splits:
        rule = Rule(1, "r", RuleKind.SUGGESTION, 10, False,
                    counterparts=tuple(Counterpart(i, p) for i, p in enumerate(percents)))
        whole = sum(percents) == 1_000_000
        for amount in [1, 2, 3, 7, 10, 99, 101, 1001, 33_333, 10**15 - 1]:
            shares = [w.amount for w in rule.write_offs(_facts(amount))]
            expected = amount if whole else (2 * amount * sum(percents) + 10**6) // (2 * 10**6)
            assert sum(shares) == expected, (percents, amount)
            assert all(share > 0 for share in shares)


def test_a_rule_without_counterparts_writes_nothing_off(world: World) -> None:
    rule = world.rule(kind="invoice_matching")
    assert rule.counterparts == ()
    assert rule.write_offs(world.facts()) == []


# -- tolerance ---------------------------------------------------------------------------


def _facts(amount: int, company_amount: int | None = None, currency: str = "EUR") -> LineFacts:
    return LineFacts(1, 1, dt.date(2026, 3, 10), amount,
                     amount if company_amount is None else company_amount, currency, "x")


def test_a_percent_tolerance_is_relative_to_what_is_expected(world: World) -> None:
    rule = world.rule(kind="invoice_matching", tolerance=ToleranceInput("percent", D(2)))
    assert rule.tolerance == Tolerance(ToleranceKind.PERCENT, 20000, world.account("6500"))
    assert rule.within_tolerance(200, 10000)
    assert rule.within_tolerance(-200, 10000)
    assert not rule.within_tolerance(201, 10000)
    assert not rule.within_tolerance(-201, 10000)
    assert rule.within_tolerance(0, 0)
    assert not rule.within_tolerance(1, 0)
    half = world.rule(kind="invoice_matching", tolerance=ToleranceInput("percent", D("2.5")),
                      tolerance_account="6700")
    assert half.tolerance.account_id == world.account("6700")
    assert half.within_tolerance(8, 333)  # 2.5 % of 3.33 is 0.08325
    assert not half.within_tolerance(9, 333)


def test_a_fixed_tolerance_is_in_company_currency(world: World) -> None:
    rule = world.rule(kind="invoice_matching", tolerance=ToleranceInput("fixed", D("5.00")))
    assert rule.tolerance.kind is ToleranceKind.FIXED and rule.tolerance.value == 500
    assert rule.within_tolerance(500, 10**9)
    assert rule.within_tolerance(-500, 1)
    assert not rule.within_tolerance(501, 10**9)
    assert rule.within_tolerance(500, 1, _facts(10000))
    # 100.00 USD booked as 90.00 EUR: 5.55 USD is 4.995 EUR, 5.56 USD is 5.004 EUR.
    dollars = _facts(-10000, -9000, "USD")
    assert rule.within_tolerance(555, 10000, dollars)
    assert not rule.within_tolerance(556, 10000, dollars)


def test_without_a_tolerance_only_an_exact_amount_passes(world: World) -> None:
    rule = world.rule(kind="invoice_matching")
    assert rule.tolerance == Tolerance()
    assert rule.within_tolerance(0, 10000)
    assert not rule.within_tolerance(1, 10000)
    assert not rule.within_tolerance(-1, 10000, _facts(10000))


# -- partner mapping ---------------------------------------------------------------------


def test_the_first_mapping_that_finds_its_regex_names_the_partner(world: World) -> None:
    rule = world.rule(map_partner=(MappingInput(r"OSAKA\s+GMBH", "Osaka"),
                                   MappingInput("KYOTO|OSAKA", "Kyoto")))
    assert rule.map_partner("SEPA OSAKA  GMBH INV 12") == world.osaka
    assert rule.map_partner(world.facts(label="Transfer", reference="OSAKA LTD").text) == (
        world.kyoto)
    assert rule.map_partner("osaka gmbh") is None
    assert rule.map_partner("") is None
    assert rule.map_partner(None) is None
    assert world.rule().map_partner("OSAKA GMBH") is None


# -- defaults and loading ----------------------------------------------------------------


def _rule_rows(session: Session, company: Company) -> int:
    return session.scalar(select(func.count()).select_from(ReconcileRule).where(
        ReconcileRule.company_id == company.id)) or 0


def test_default_rules_are_made_once(session: Session, company: Company) -> None:
    assert _rule_rows(session, company) == 2  # made with the company
    rules = load_rules(session, company)
    session.commit()
    assert [(r.name, r.kind, r.sequence, r.auto) for r in rules] == [
        ("Invoices: exact match", RuleKind.INVOICE_MATCHING, 10, True),
        ("Invoices: suggestions", RuleKind.INVOICE_MATCHING, 20, False),
    ]
    assert all(r.applies(_facts(-1)) and r.tolerance == Tolerance() for r in rules)
    assert load_rules(session, company) == rules
    assert not ensure_default_rules(session, company)
    assert len(list_rules(Books(session, company))) == 2
    assert _rule_rows(session, company) == 2


def test_a_company_that_disabled_the_defaults_does_not_get_them_again(
    session: Session, company: Company,
) -> None:
    books = Books(session, company)
    for view in list_rules(books):
        disable_rule(books, view.id)
    session.commit()
    assert load_rules(session, company) == []
    assert [v.active for v in list_rules(books)] == [False, False]
    assert _rule_rows(session, company) == 2


def test_a_first_rule_added_comes_after_the_defaults(world: World) -> None:
    rule = world.rule(name="Fees")
    assert rule.sequence == 30
    assert [r.name for r in load_rules(world.session, world.company)] == [
        "Invoices: exact match", "Invoices: suggestions", "Fees"]


def test_rules_are_tried_by_sequence_then_id_and_disabled_ones_are_left_out(
    world: World,
) -> None:
    first = world.rule(name="First", sequence=5)
    tie = world.rule(name="Tie", sequence=10)
    gone = world.rule(name="Gone", sequence=0)
    disable_rule(Books(world.session, world.company), gone.id)
    world.session.commit()
    names = [r.name for r in load_rules(world.session, world.company)]
    assert names == ["First", "Invoices: exact match", "Tie", "Invoices: suggestions"]
    assert first.auto is False and tie.kind is RuleKind.SUGGESTION


def test_the_database_refuses_both_label_conditions(session: Session, company: Company) -> None:
    session.add(ReconcileRule(company_id=company.id, name="x", kind="suggestion",
                              label_contains="a", label_regex="b"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
