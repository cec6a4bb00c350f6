"""Entries: drafts, posting, numbering, the rules of docs/ledger.md, reversals."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.ledger.accounts import add_account, list_accounts
from booksync.ledger.companies import create_company
from booksync.ledger.entries import (
    EntryInput,
    LineInput,
    add_entries,
    get_entry,
    list_entries,
    post_entry,
    reverse_entry,
)
from booksync.ledger.errors import InvalidEntry, LockedPeriod, NotFound, UnbalancedEntry
from booksync.ledger.listing import entry_shape
from booksync.ledger.models import Account, Company, Entry, Line, Sequence
from booksync.ledger.partners import add_partner, list_partners
from booksync.ledger.reports import trial_balance
from tests.helpers import book, entry, simple


def count(session: Session, model: type, company: Company) -> int:
    return int(
        session.scalar(select(func.count()).select_from(model).where(
            model.company_id == company.id))  # type: ignore[attr-defined]
        or 0
    )


def account_id(session: Session, company: Company, code: str) -> int:
    found = session.scalar(
        select(Account.id).where(Account.company_id == company.id, Account.code == code)
    )
    assert found is not None
    return found


# --- drafts and posting ----------------------------------------------------------------


def test_add_draft(session: Session, company: Company) -> None:
    entry_id = simple(session, company, "1000", "3000", "125.50", post=False)
    e = get_entry(session, company, entry_id)
    assert e.state == "draft"
    assert e.number is None
    assert e.posted_at is None
    assert e.company_id == company.id
    assert e.uid.version == 7
    assert [(ln.account.code, ln.debit, ln.credit, ln.posted) for ln in e.lines] == [
        ("1000", 12550, 0, False),
        ("3000", 0, 12550, False),
    ]
    assert all(ln.date == e.date for ln in e.lines)
    # drafts are not in the books
    assert trial_balance(session, company).rows == []


def test_draft_may_be_unbalanced_but_not_posted(session: Session, company: Company) -> None:
    data = entry("MISC", "2026-02-01", ("1000", "10", "0"), ("3000", "0", "9.99"))
    entry_id = book(session, company, data, post=False)
    e = get_entry(session, company, entry_id)
    with pytest.raises(UnbalancedEntry, match=r"difference 0\.01 EUR"):
        post_entry(session, company, e)
    session.rollback()
    assert get_entry(session, company, entry_id).state == "draft"


def test_post_draft_numbers_it_and_marks_lines(session: Session, company: Company) -> None:
    entry_id = simple(session, company, "1100", "4000", "150", "2026-01-31",
                      journal="SAL", post=False)
    e = post_entry(session, company, get_entry(session, company, entry_id))
    session.commit()
    session.expire_all()
    e = get_entry(session, company, entry_id)
    assert e.state == "posted"
    assert e.number == "SAL/2026/00001"
    assert e.posted_at is not None
    assert all(ln.posted for ln in e.lines)
    assert e.version == 2


def test_post_at_once(session: Session, company: Company) -> None:
    entry_id = simple(session, company, "1100", "4000", "150", "2026-01-31", journal="SAL")
    e = get_entry(session, company, entry_id)
    assert (e.state, e.number) == ("posted", "SAL/2026/00001")
    assert all(ln.posted for ln in e.lines)


def test_numbering_is_gap_free_per_journal_and_year(session: Session, company: Company) -> None:
    posted: list[tuple[str, int, int]] = []  # (journal, year, id)
    plan = [
        ("SAL", "2026-01-05"), ("PUR", "2026-01-06"), ("SAL", "2026-03-01"),
        ("SAL", "2027-01-02"), ("SAL", "2026-12-31"), ("PUR", "2026-02-01"),
        ("SAL", "2027-05-05"), ("MISC", "2026-04-04"),
    ]
    for journal, day in plan:
        entry_id = simple(session, company, "1000", "4000", "1", day, journal=journal)
        posted.append((journal, int(day[:4]), entry_id))
    # a failed posting in between must not consume a number
    bad = book(session, company,
               entry("SAL", "2026-06-01", ("1000", "2", "0"), ("4000", "0", "1")), post=False)
    with pytest.raises(UnbalancedEntry):
        post_entry(session, company, get_entry(session, company, bad))
    session.rollback()
    late = simple(session, company, "1000", "4000", "1", "2026-07-01", journal="SAL")
    posted.append(("SAL", 2026, late))

    seen: dict[tuple[str, int], list[int]] = {}
    for journal, year, entry_id in posted:
        number = get_entry(session, company, entry_id).number
        assert number is not None
        match = re.fullmatch(r"([A-Z]+)/(\d{4})/(\d{5})", number)
        assert match, number
        assert (match[1], int(match[2])) == (journal, year)
        seen.setdefault((journal, year), []).append(int(match[3]))
    # numbers are given in posting order, from 1, without gaps
    for numbers in seen.values():
        assert numbers == list(range(1, len(numbers) + 1))
    assert get_entry(session, company, late).number == "SAL/2026/00004"
    assert get_entry(session, company, posted[3][2]).number == "SAL/2027/00001"
    assert get_entry(session, company, bad).number is None


def test_bulk_posting_numbers_in_order(session: Session, company: Company) -> None:
    datas = [
        entry("PUR", f"2026-01-{day:02d}", ("6100", "10", "0"), ("2000", "0", "10"))
        for day in range(1, 21)
    ]
    ids = add_entries(session, company, datas, post=True)
    session.commit()
    numbers = [get_entry(session, company, i).number for i in ids]
    assert numbers == [f"PUR/2026/{n:05d}" for n in range(1, 21)]
    seq = session.scalar(select(Sequence.last_number).where(Sequence.company_id == company.id))
    assert seq == 20
    # a later transaction continues the same sequence
    nxt = simple(session, company, "6100", "2000", "1", "2026-02-01", journal="PUR")
    assert get_entry(session, company, nxt).number == "PUR/2026/00021"


# --- what cannot be booked -------------------------------------------------------------


@pytest.mark.parametrize(
    ("debits", "credits"),
    [(["100.00"], ["99.99"]), (["10", "5.5"], ["20"]), (["0.01"], ["1000"])],
)
def test_unbalanced_entry_names_the_difference(
    session: Session, company: Company, debits: list[str], credits: list[str]
) -> None:
    lines = [("1000", d, "0") for d in debits] + [("3000", "0", c) for c in credits]
    data = entry("MISC", "2026-01-10", *lines)
    total_d = sum(Decimal(d) for d in debits)
    total_c = sum(Decimal(c) for c in credits)
    diff = abs(total_d - total_c).quantize(Decimal("0.01"))
    with pytest.raises(UnbalancedEntry) as info:
        add_entries(session, company, [data], post=True)
    message = str(info.value)
    assert f"difference {diff} EUR" in message
    assert f"debits {total_d.quantize(Decimal('0.01'))}" in message
    assert f"credits {total_c.quantize(Decimal('0.01'))}" in message
    session.rollback()
    assert count(session, Entry, company) == 0
    assert count(session, Line, company) == 0


def test_unknown_account(session: Session, company: Company) -> None:
    data = entry("MISC", "2026-01-10", ("9999", "5", "0"), ("3000", "0", "5"))
    with pytest.raises(InvalidEntry, match="unknown account '9999'"):
        add_entries(session, company, [data], post=True)
    session.rollback()
    assert count(session, Entry, company) == 0


def test_inactive_account(session: Session, company: Company) -> None:
    acc = session.get(Account, account_id(session, company, "6600"))
    assert acc is not None
    acc.active = False
    session.commit()
    data = entry("MISC", "2026-01-10", ("6600", "5", "0"), ("1000", "0", "5"))
    with pytest.raises(InvalidEntry, match="6600 is inactive"):
        add_entries(session, company, [data], post=False)
    session.rollback()
    assert count(session, Entry, company) == 0


def test_posting_a_draft_whose_account_became_inactive(
    session: Session, company: Company
) -> None:
    draft = simple(session, company, "6600", "1000", "5", post=False)
    acc = session.get(Account, account_id(session, company, "6600"))
    assert acc is not None
    acc.active = False
    session.commit()
    with pytest.raises(InvalidEntry, match="inactive"):
        post_entry(session, company, get_entry(session, company, draft))
    session.rollback()
    assert get_entry(session, company, draft).state == "draft"


def test_unknown_journal(session: Session, company: Company) -> None:
    data = entry("NOPE", "2026-01-10", ("1000", "5", "0"), ("3000", "0", "5"))
    with pytest.raises(InvalidEntry, match="unknown journal 'NOPE'"):
        add_entries(session, company, [data], post=False)


def test_unknown_and_known_partner(session: Session, company: Company) -> None:
    data = entry("SAL", "2026-01-10", ("1100", "5", "0", "Nobody"), ("4000", "0", "5"))
    with pytest.raises(InvalidEntry, match="unknown partner 'Nobody'"):
        add_entries(session, company, [data], post=True)
    session.rollback()
    partner = add_partner(session, company, "Nobody")
    session.commit()
    entry_id = book(session, company, data)
    e = get_entry(session, company, entry_id)
    assert e.lines[0].partner_id == partner.id
    assert e.lines[1].partner_id is None


@pytest.mark.parametrize("side", ["debit", "credit"])
def test_negative_amounts_are_refused(session: Session, company: Company, side: str) -> None:
    lines = (LineInput("1000", **{side: Decimal("-5")}), LineInput("3000"))
    with pytest.raises(InvalidEntry, match=f"{side} must not be negative"):
        add_entries(session, company, [EntryInput("MISC", dt.date(2026, 1, 1), lines)],
                    post=False)


def test_both_debit_and_credit_on_a_line(session: Session, company: Company) -> None:
    data = entry("MISC", "2026-01-10", ("1000", "5", "5"), ("3000", "0", "0"))
    with pytest.raises(InvalidEntry, match="1000 has both a debit and a credit"):
        add_entries(session, company, [data], post=False)


def test_amount_with_too_many_decimals(session: Session, company: Company) -> None:
    data = entry("MISC", "2026-01-10", ("1000", "1.005", "0"), ("3000", "0", "1.005"))
    with pytest.raises(InvalidEntry, match="more than 2 decimal places"):
        add_entries(session, company, [data], post=True)


def test_entry_without_lines(session: Session, company: Company) -> None:
    with pytest.raises(InvalidEntry, match="at least one line"):
        add_entries(session, company, [EntryInput("MISC", dt.date(2026, 1, 1), ())], post=False)


def test_zero_decimal_currency(session: Session) -> None:
    yen = create_company(session, "Nippon KK", "JPY", "JP")
    session.commit()
    entry_id = simple(session, yen, "1000", "3000", "1500")
    assert [ln.debit for ln in get_entry(session, yen, entry_id).lines] == [1500, 0]
    with pytest.raises(InvalidEntry, match="more than 0 decimal places"):
        simple(session, yen, "1000", "3000", "0.5")
    session.rollback()
    assert trial_balance(session, yen).as_dict()["total_debit"] == "1500"


def test_three_decimal_currency(session: Session) -> None:
    bhd = create_company(session, "Gulf WLL", "BHD", "BH")
    session.commit()
    entry_id = simple(session, bhd, "1000", "3000", "1.234")
    assert get_entry(session, bhd, entry_id).lines[0].debit == 1234
    data = entry("MISC", "2026-01-10", ("1000", "1.001", "0"), ("3000", "0", "1.000"))
    with pytest.raises(UnbalancedEntry, match=r"difference 0\.001 BHD"):
        add_entries(session, bhd, [data], post=True)


# --- lock date ---------------------------------------------------------------------------


def test_lock_date(session: Session, company: Company) -> None:
    draft = simple(session, company, "1000", "3000", "7", "2026-01-15", post=False)
    company.lock_date = dt.date(2026, 1, 31)
    session.commit()
    for day in ("2026-01-31", "2025-12-31"):
        with pytest.raises(LockedPeriod, match="lock date 2026-01-31"):
            simple(session, company, "1000", "3000", "7", day)
        session.rollback()
    with pytest.raises(LockedPeriod):
        post_entry(session, company, get_entry(session, company, draft))
    session.rollback()
    ok = simple(session, company, "1000", "3000", "7", "2026-02-01")
    assert get_entry(session, company, ok).number == "MISC/2026/00001"
    assert count(session, Entry, company) == 2  # the draft and the one posted


# --- reversal ----------------------------------------------------------------------------


def test_reversal(session: Session, company: Company) -> None:
    add_partner(session, company, "Bob")
    session.commit()
    data = entry("SAL", "2026-02-10", ("1100", "119", "0", "Bob"), ("4000", "0", "100", "Bob"),
                 ("2100", "0", "19"), ref="INV/1")
    original_id = book(session, company, data)
    original = get_entry(session, company, original_id)
    before = [(ln.account_id, ln.partner_id, ln.debit, ln.credit) for ln in original.lines]

    reversal = reverse_entry(session, company, original)
    session.commit()
    session.expire_all()
    original = get_entry(session, company, original_id)
    reversal = get_entry(session, company, reversal.id)

    assert reversal.state == "posted"
    assert reversal.number == "SAL/2026/00002"
    assert reversal.date == original.date
    assert reversal.reversal_of_id == original.id
    assert original.reversed_by is not None and original.reversed_by.id == reversal.id
    assert reversal.reversal_of is not None and reversal.reversal_of.id == original.id
    assert original.number is not None and original.number in (reversal.ref or "")
    mirrored = [(ln.account_id, ln.partner_id, ln.credit, ln.debit) for ln in reversal.lines]
    assert mirrored == before
    # the original is untouched
    assert [(ln.account_id, ln.partner_id, ln.debit, ln.credit) for ln in original.lines] == before
    assert original.state == "posted"
    # shown as reversed, the reversal itself as posted
    assert entry_shape(session, company, original.id)["state"] == "reversed"
    assert entry_shape(session, company, original.id)["reversed_by"] == reversal.number
    assert entry_shape(session, company, reversal.id)["state"] == "posted"
    assert entry_shape(session, company, reversal.id)["reversal_of"] == original.number
    # every account is back to zero
    assert all(row.balance == 0 for row in trial_balance(session, company).rows)

    with pytest.raises(InvalidEntry, match="already reversed"):
        reverse_entry(session, company, original)
    session.rollback()
    assert count(session, Entry, company) == 2


def test_reversal_with_its_own_date(session: Session, company: Company) -> None:
    original = simple(session, company, "6100", "1200", "800", "2026-01-20")
    reversal = reverse_entry(session, company, get_entry(session, company, original),
                             dt.date(2027, 1, 3))
    session.commit()
    assert reversal.date == dt.date(2027, 1, 3)
    assert reversal.number == "MISC/2027/00001"
    assert all(ln.date == dt.date(2027, 1, 3) for ln in reversal.lines)


def test_draft_cannot_be_reversed(session: Session, company: Company) -> None:
    draft = simple(session, company, "1000", "3000", "7", post=False)
    with pytest.raises(InvalidEntry, match="draft"):
        reverse_entry(session, company, get_entry(session, company, draft))


def test_reversal_respects_lock_date(session: Session, company: Company) -> None:
    original = simple(session, company, "1000", "3000", "7", "2026-01-15")
    company.lock_date = dt.date(2026, 1, 31)
    session.commit()
    with pytest.raises(LockedPeriod):
        reverse_entry(session, company, get_entry(session, company, original))
    session.rollback()
    reversal = reverse_entry(session, company, get_entry(session, company, original),
                             dt.date(2026, 2, 1))
    assert reversal.state == "posted"


def test_posting_twice_is_refused(session: Session, company: Company) -> None:
    entry_id = simple(session, company, "1000", "3000", "7")
    with pytest.raises(InvalidEntry, match="already posted"):
        post_entry(session, company, get_entry(session, company, entry_id))
    session.rollback()
    assert get_entry(session, company, entry_id).number == "MISC/2026/00001"


# --- lookup ------------------------------------------------------------------------------


def test_get_entry_by_id_number_and_uid(session: Session, company: Company) -> None:
    simple(session, company, "1000", "3000", "1")
    entry_id = simple(session, company, "1000", "3000", "2")
    e = get_entry(session, company, entry_id)
    assert e.number == "MISC/2026/00002"
    assert get_entry(session, company, e.number).id == entry_id
    assert get_entry(session, company, str(entry_id)).id == entry_id
    assert get_entry(session, company, str(e.uid)).id == entry_id
    assert get_entry(session, company, f"  {e.number} ").id == entry_id
    unknown_uid = "0192a7f0-0000-7000-8000-000000000000"
    for missing in ("MISC/2026/00099", "999999", "not-an-id", unknown_uid):
        with pytest.raises(NotFound, match="no entry"):
            get_entry(session, company, missing)


def test_list_entries(session: Session, company: Company) -> None:
    a = simple(session, company, "1000", "3000", "1", "2026-03-02")
    b = simple(session, company, "1100", "4000", "1", "2026-01-02", journal="SAL")
    c = simple(session, company, "1000", "3000", "1", "2026-02-02", post=False)
    assert [e.id for e in list_entries(session, company)] == [b, c, a]
    assert [e.id for e in list_entries(session, company, "SAL")] == [b]
    assert [e.id for e in list_entries(session, company, limit=2)] == [b, c]
    with pytest.raises(NotFound):
        list_entries(session, company, "NOPE")


# --- company isolation -------------------------------------------------------------------


def test_company_isolation(session: Session, company: Company) -> None:
    other = create_company(session, "Other GmbH", "EUR", "DE")
    session.commit()
    add_partner(session, company, "Only Acme's")
    add_account(session, company, "1270", "Acme Savings", "asset")
    session.commit()
    a_id = simple(session, company, "1270", "3000", "500")
    b_id = simple(session, other, "1000", "3000", "42")

    a_accounts = {a.id for a in list_accounts(session, company)}
    b_accounts = {a.id for a in list_accounts(session, other)}
    assert a_accounts and b_accounts and not a_accounts & b_accounts
    assert "1270" not in {a.code for a in list_accounts(session, other)}
    assert list_partners(session, other) == []

    # the same account code books on the company's own account
    b_entry = get_entry(session, other, b_id)
    assert {ln.account_id for ln in b_entry.lines} <= b_accounts
    assert {ln.company_id for ln in b_entry.lines} == {other.id}

    # entries, numbers and reports stay apart
    assert [e.id for e in list_entries(session, other)] == [b_id]
    assert get_entry(session, other, b_id).number == "MISC/2026/00001"
    assert get_entry(session, company, a_id).number == "MISC/2026/00001"
    assert get_entry(session, other, "MISC/2026/00001").id == b_id
    assert get_entry(session, company, "MISC/2026/00001").id == a_id
    with pytest.raises(NotFound):
        get_entry(session, other, a_id)
    with pytest.raises(NotFound):
        get_entry(session, company, b_id)
    with pytest.raises(NotFound):
        get_entry(session, other, str(get_entry(session, company, a_id).uid))
    tb_other = trial_balance(session, other)
    assert {r.code for r in tb_other.rows} == {"1000", "3000"}
    assert tb_other.total_debit == 4200

    # another company's account, partner or entry cannot be used
    with pytest.raises(InvalidEntry, match="unknown account '1270'"):
        simple(session, other, "1270", "3000", "1")
    session.rollback()
    with pytest.raises(InvalidEntry, match="unknown partner"):
        book(session, other, entry("MISC", "2026-01-01", ("1000", "1", "0", "Only Acme's"),
                                   ("3000", "0", "1")))
    session.rollback()
    with pytest.raises(NotFound):
        reverse_entry(session, other, get_entry(session, other, a_id))
