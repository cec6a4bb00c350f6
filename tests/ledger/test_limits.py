"""The limits of docs/ledger.md ("Limits"), on SQLite and PostgreSQL alike.

Each refusal is one sentence and writes nothing; what fits the limit is
accepted on both databases.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.ledger.accounts import add_account
from booksync.ledger.entries import EntryInput, LineInput, add_entries, get_entry, post_entry
from booksync.ledger.errors import InvalidEntry, LedgerError
from booksync.ledger.models import Account, Company, Entry, ExchangeRate, Line, Partner
from booksync.ledger.partners import add_partner
from booksync.ledger.rates import RateTable, set_rate
from booksync.ledger.reports import balance_sheet, trial_balance
from tests.helpers import entry, line_rows

DAY = dt.date(2026, 3, 10)
LARGEST = "9999999999999.99"  # 10**15 - 1 cents: the largest amount a line holds in EUR


def rows(session: Session, model: type, company: Company) -> int:
    session.expire_all()
    return int(
        session.scalar(
            select(func.count()).select_from(model).where(
                model.company_id == company.id  # type: ignore[attr-defined]
            )
        )
        or 0
    )


def labelled(label: str | None = None, ref: str | None = None) -> EntryInput:
    return EntryInput(
        "MISC",
        DAY,
        (LineInput("1000", Decimal(10), label=label), LineInput("3000", credit=Decimal(10))),
        ref,
    )


# --- amounts per line -------------------------------------------------------------------


def test_a_line_holds_at_most_fifteen_digits_of_minor_units(
    session: Session, company: Company
) -> None:
    add_entries(session, company, [entry("MISC", DAY, ("1000", LARGEST, "0"),
                                         ("3000", "0", LARGEST))], post=True)
    session.commit()
    with pytest.raises(InvalidEntry, match=r"too large: a line holds at most 9999999999999\.99"):
        add_entries(session, company, [entry("MISC", DAY, ("1000", "10000000000000", "0"),
                                             ("3000", "0", "10000000000000"))], post=True)
    session.rollback()
    assert rows(session, Entry, company) == 1


# --- what the posted lines of a company add up to ------------------------------------------


def test_posted_debits_stay_within_a_signed_64_bit_sum(
    session: Session, company: Company
) -> None:
    """9,223 of the largest entries fit; one more would break SQLite's SUM for good."""
    big = entry("MISC", DAY, ("1000", LARGEST, "0"), ("3000", "0", LARGEST))
    add_entries(session, company, [big] * 9223, post=True)
    session.commit()
    before = line_rows(session, company.id)
    with pytest.raises(InvalidEntry, match=r"beyond the 92233720368547758\.07 EUR the books can"):
        add_entries(session, company, [big], post=True)
    session.rollback()
    assert line_rows(session, company.id) == before
    # A draft does not count until it is posted; posting it is refused the same way.
    (draft,) = add_entries(session, company, [big], post=False)
    session.commit()
    with pytest.raises(InvalidEntry, match="the books can add up"):
        post_entry(session, company, get_entry(session, company, draft))
    session.rollback()
    assert get_entry(session, company, draft).state == "draft"
    # The reports still add everything up, on both databases.
    total = (10**15 - 1) * 9223
    assert trial_balance(session, company).total_debit == total
    assert balance_sheet(session, company, DAY).assets.total == total


# --- text users type ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "ref", "fragment"),
    [
        ("x" * 501, None, "label is longer than 500 characters (501)"),
        ("nul\x00", None, "label 'nul\\x00' contains a control character (U+0000)"),
        ("line\nbreak", None, "contains a control character (U+000A)"),
        ("c1\x85", None, "contains a control character (U+0085)"),
        (None, "r" * 501, "ref is longer than 500 characters (501)"),
        (None, "ref\x00", "ref 'ref\\x00' contains a control character (U+0000)"),
    ],
)
def test_labels_and_refs_fit_their_columns_and_hold_no_control_characters(
    session: Session, company: Company, label: str | None, ref: str | None, fragment: str
) -> None:
    with pytest.raises(InvalidEntry) as refused:
        add_entries(session, company, [labelled(label, ref)], post=True)
    assert fragment in str(refused.value)
    session.rollback()
    assert rows(session, Entry, company) == 0 and rows(session, Line, company) == 0


def test_text_up_to_the_limit_is_kept_as_typed(session: Session, company: Company) -> None:
    label, ref = "é" * 500, "Ref with unicode: ü, 日本, and spaces"
    (entry_id,) = add_entries(session, company, [labelled(label, ref)], post=True)
    session.commit()
    kept = get_entry(session, company, entry_id)
    assert kept.ref == ref and kept.lines[0].label == label


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("p" * 201, "partner name is longer than 200 characters (201)"),
        ("Bad\x00Name", "partner name 'Bad\\x00Name' contains a control character (U+0000)"),
    ],
)
def test_partner_names_are_checked(
    session: Session, company: Company, name: str, fragment: str
) -> None:
    with pytest.raises(LedgerError) as refused:
        add_partner(session, company, name)
    assert fragment in str(refused.value)
    session.rollback()
    assert rows(session, Partner, company) == 0


@pytest.mark.parametrize(
    ("code", "name", "fragment"),
    [
        ("6450", "n" * 201, "account name is longer than 200 characters (201)"),
        ("6450", "Host\x07ing", "account name 'Host\\x07ing' contains a control character"),
        ("64\x0050", "Hosting", "account code '64\\x0050' contains a control character"),
        ("6" * 129, "Hosting", "account code is longer than 128 characters (129)"),
    ],
)
def test_account_names_and_codes_are_checked(
    session: Session, company: Company, code: str, name: str, fragment: str
) -> None:
    before = rows(session, Account, company)
    with pytest.raises(LedgerError) as refused:
        add_account(session, company, code, name, "expense")
    assert fragment in str(refused.value)
    session.rollback()
    assert rows(session, Account, company) == before


# --- entries that move nothing -----------------------------------------------------------


def test_an_entry_of_zero_lines_is_saved_as_a_draft_but_never_posted(
    session: Session, company: Company
) -> None:
    zero = entry("MISC", DAY, ("1000", "0", "0"))
    with pytest.raises(InvalidEntry, match="entry has no amount"):
        add_entries(session, company, [zero], post=True)
    session.rollback()
    assert rows(session, Entry, company) == 0
    (draft,) = add_entries(session, company, [zero], post=False)
    session.commit()
    with pytest.raises(InvalidEntry, match="entry has no amount"):
        post_entry(session, company, get_entry(session, company, draft))
    session.rollback()
    assert get_entry(session, company, draft).number is None


def test_a_zero_line_inside_an_entry_with_an_amount_is_kept(
    session: Session, company: Company
) -> None:
    data = entry("MISC", DAY, ("1000", "5", "0"), ("1200", "0", "0"), ("3000", "0", "5"))
    (entry_id,) = add_entries(session, company, [data], post=True)
    session.commit()
    assert [(ln.debit, ln.credit) for ln in get_entry(session, company, entry_id).lines] == [
        (500, 0), (0, 0), (0, 500)]


# --- exchange rates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "fragment"),
    [
        ("1e-999999999", "is not a number between 0.000000001 and 1000000000"),
        ("1e30", "must lie between 0.000000001 and 1000000000, not 1E+30"),
        ("0.0000000001", "must lie between 0.000000001 and 1000000000"),
        ("1.000000000000000000001", "at most 20 significant digits, not 22"),
    ],
)
def test_rates_beyond_the_sane_range_are_refused(
    session: Session, company: Company, rate: str, fragment: str
) -> None:
    with pytest.raises(LedgerError) as refused:
        set_rate(session, company, "USD", DAY, rate)
    assert fragment in str(refused.value)
    session.rollback()
    assert rows(session, ExchangeRate, company) == 0


def test_rates_at_the_ends_of_the_range_are_kept(session: Session, company: Company) -> None:
    set_rate(session, company, "USD", DAY, "0.000000001")
    set_rate(session, company, "JPY", DAY, "1000000000")
    set_rate(session, company, "GBP", DAY, "1.1234567890123456789000")
    session.commit()
    assert rows(session, ExchangeRate, company) == 3


def test_a_conversion_never_books_zero_or_more_than_a_line_holds(
    session: Session, company: Company
) -> None:
    set_rate(session, company, "USD", DAY, "0.000000001")
    set_rate(session, company, "JPY", DAY, "1000000000")
    session.commit()
    usd, jpy = RateTable(session, company, "USD"), RateTable(session, company, "JPY")
    assert usd.convert(10**11, DAY) == 100  # 1,000,000,000.00 USD -> 1.00 EUR
    with pytest.raises(LedgerError, match=r"0\.01 USD at the rate 1E-9 of 2026-03-10 is zero in"):
        usd.convert(1, DAY)
    assert jpy.convert(9999, DAY) == 999900000000000
    with pytest.raises(LedgerError, match="JPY at the rate 1000000000 of 2026-03-10 is more than"):
        jpy.convert(10000, DAY)
    assert usd.convert(0, DAY) == 0
