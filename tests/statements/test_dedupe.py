"""The pure exactly-once rules (booksync.statements.dedupe.plan), docs/banking.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from booksync.banking.bank_values import fingerprint
from booksync.providers.base import Transaction, TransactionStatus
from booksync.statements.dedupe import Fetched, KnownLine, Plan, plan

D = dt.date(2026, 3, 10)


def tx(*ids: str, date: dt.date = D, amount: int = -1250) -> Fetched[str]:
    return Fetched(tuple(ids), date, amount, ids[0] if ids else "")


def line(line_id: int, *ids: str, date: dt.date = D, amount: int = -1250) -> KnownLine:
    return KnownLine(line_id, date, amount, frozenset(ids))


def new_ids(result: Plan[str]) -> list[tuple[str, ...]]:
    return [f.ids for f in result.new]


# -- exact ids and aliases -----------------------------------------------------------


def test_exact_id_is_a_duplicate() -> None:
    result = plan([tx("a")], {"a": 1}, [line(1, "a")])
    assert result.new == []
    assert result.duplicates == 1
    assert result.updated == 0
    assert result.aliases == []


def test_alternative_id_of_a_known_transaction_becomes_an_alias() -> None:
    result = plan([tx("a", "a-v2")], {"a": 1}, [line(1, "a")])
    assert result.new == []
    assert (result.duplicates, result.updated) == (1, 1)
    assert result.aliases == [(1, "a-v2")]


def test_known_only_through_an_alternative_id() -> None:
    """A changed id rule: the new primary id is unknown, the old one rides along."""
    result = plan([tx("new-rule-7", "a")], {"a": 1}, [line(1, "a")])
    assert result.new == []
    assert (result.duplicates, result.updated) == (1, 1)
    assert result.aliases == [(1, "new-rule-7")]


def test_all_ids_known_adds_nothing() -> None:
    result = plan([tx("a", "b")], {"a": 1, "b": 1}, [line(1, "a", "b")])
    assert (result.duplicates, result.updated, result.aliases) == (1, 0, [])


def test_the_same_id_twice_in_one_answer_is_booked_once() -> None:
    result = plan([tx("a"), tx("a")], {}, [])
    assert new_ids(result) == [("a",)]
    assert result.duplicates == 1
    assert result.aliases == []  # the new line gets its ids from the importer


def test_ids_are_per_account_so_unknown_ids_are_new() -> None:
    """``known`` is the account's own alias map: another account's ids never appear."""
    result = plan([tx("a"), tx("b", amount=500)], {}, [])
    assert new_ids(result) == [("a",), ("b",)]
    assert result.duplicates == 0


# -- orphans: changed ids and pending -> booked ------------------------------------


def test_changed_id_claims_its_orphan_line() -> None:
    result = plan([tx("a2")], {}, [line(1, "a")])
    assert result.new == []
    assert result.updated == 1
    assert result.aliases == [(1, "a2")]


def test_claim_adds_every_id_of_the_transaction() -> None:
    result = plan([tx("a2", "a2-alt")], {}, [line(1, "a")])
    assert result.new == []
    assert sorted(result.aliases) == [(1, "a2"), (1, "a2-alt")]


def test_orphan_claim_needs_the_same_amount() -> None:
    result = plan([tx("a2", amount=-1251)], {}, [line(1, "a")])
    assert new_ids(result) == [("a2",)]
    assert result.updated == 0
    assert result.aliases == []


def test_orphan_claim_within_seven_days_only() -> None:
    seven = plan([tx("a2", date=D + dt.timedelta(days=7))], {}, [line(1, "a")])
    assert seven.new == [] and seven.aliases == [(1, "a2")]
    eight = plan([tx("a2", date=D + dt.timedelta(days=8))], {}, [line(1, "a")])
    assert new_ids(eight) == [("a2",)]
    before = plan([tx("a2", date=D - dt.timedelta(days=8))], {}, [line(1, "a")])
    assert new_ids(before) == [("a2",)]


def test_nearest_orphan_wins() -> None:
    lines = [
        line(1, "far", date=D - dt.timedelta(days=3)),
        line(2, "near", date=D + dt.timedelta(days=1)),
        line(3, "other-amount", date=D, amount=-999),
    ]
    result = plan([tx("x")], {}, lines)
    assert result.aliases == [(2, "x")]


def test_nearest_pair_first_across_transactions() -> None:
    """A changed id on its own date beats an unrelated earlier payment of the same amount.

    The orphan is line 1 (date D, old id ``a``); the bank now shows it as
    ``a2`` on D, and a new ``b`` of the same amount two days earlier. The
    line belongs to ``a2`` (distance 0), not to whichever comes first by date.
    """
    result = plan(
        [tx("b", date=D - dt.timedelta(days=2)), tx("a2")],
        {},
        [line(1, "a")],
    )
    assert result.aliases == [(1, "a2")]
    assert new_ids(result) == [("b",)]
    assert [f.date for f in result.new] == [D - dt.timedelta(days=2)]


def test_each_orphan_is_claimed_once() -> None:
    result = plan([tx("x"), tx("y")], {}, [line(1, "a")])
    assert len(result.new) == 1
    assert result.updated == 1
    assert len(result.aliases) == 1
    assert {result.aliases[0][1], *(f.ids[0] for f in result.new)} == {"x", "y"}


def test_two_orphans_two_changed_ids() -> None:
    lines = [line(1, "a"), line(2, "b")]
    result = plan([tx("a2"), tx("b2")], {}, lines)
    assert result.new == []
    assert result.updated == 2
    assert {line_id for line_id, _ in result.aliases} == {1, 2}


def test_a_line_whose_id_is_still_fetched_is_never_claimed() -> None:
    """Two genuine same-day same-amount payments: one known, one new. Both stay."""
    result = plan([tx("a"), tx("b")], {"a": 1}, [line(1, "a")])
    assert new_ids(result) == [("b",)]
    assert result.duplicates == 1
    assert result.updated == 0
    assert result.aliases == []


def test_a_line_known_by_an_alias_still_fetched_is_not_an_orphan() -> None:
    result = plan([tx("b"), tx("x", "a-old")], {"a-old": 1}, [line(1, "a", "a-old")])
    assert new_ids(result) == [("b",)]
    assert result.aliases == [(1, "x")]


def test_lines_without_ids_are_never_orphans() -> None:
    result = plan([tx("x")], {}, [KnownLine(1, D, -1250, frozenset())])
    assert new_ids(result) == [("x",)]


def test_two_genuine_same_day_same_amount_transactions_are_both_new() -> None:
    result = plan([tx("p1"), tx("p2")], {}, [])
    assert new_ids(result) == [("p1",), ("p2",)]
    assert (result.duplicates, result.updated) == (0, 0)


# -- blank ids: the importer's fingerprint --------------------------------------------


def _idless(description: str = "PARKING CITY GARAGE") -> Transaction:
    return Transaction(
        None, TransactionStatus.BOOKED, Decimal("-4.50"), "EUR", D, description, raw="{}"
    )


def _fingerprinted(txs: list[Transaction]) -> list[Fetched[Transaction]]:
    """What StatementImporter._fetched does for id-less transactions of one answer."""
    seen: dict[tuple[object, ...], int] = {}
    out: list[Fetched[Transaction]] = []
    for t in txs:
        key = (t.booking_date, -450, t.description)
        seen[key] = seen.get(key, 0) + 1
        out.append(Fetched((fingerprint(t, -450, seen[key]),), D, -450, t))
    return out


def test_two_identical_idless_payments_stay_two_and_are_not_rebooked() -> None:
    answer = _fingerprinted([_idless(), _idless()])
    assert len({f.ids for f in answer}) == 2
    first = plan(answer, {}, [])
    assert len(first.new) == 2
    known = {f.ids[0]: n for n, f in enumerate(first.new, start=1)}
    window = [line(n, *f.ids, amount=-450) for n, f in enumerate(first.new, start=1)]
    again = plan(_fingerprinted([_idless(), _idless()]), known, window)
    assert again.new == []
    assert again.duplicates == 2
    assert again.aliases == []


def test_fingerprint_depends_on_date_amount_text_and_occurrence() -> None:
    base = fingerprint(_idless(), -450, 1)
    assert base != fingerprint(_idless(), -450, 2)
    assert base != fingerprint(_idless(), -451, 1)
    assert base != fingerprint(_idless("OTHER TEXT"), -450, 1)
    assert base == fingerprint(_idless(), -450, 1)
    assert base.strip() != ""


# -- a property over random answers --------------------------------------------------

_ids = st.sampled_from([f"t{i}" for i in range(8)])
_fetched = st.lists(
    st.builds(
        lambda i, day, amount: Fetched((i,), D + dt.timedelta(days=day), amount, i),
        _ids,
        st.integers(-10, 10),
        st.sampled_from([-100, 100, 250]),
    ),
    max_size=10,
    unique_by=lambda f: f.ids,
)
_lines = st.lists(
    st.builds(
        lambda n, i, day, amount: KnownLine(n, D + dt.timedelta(days=day), amount, frozenset({i})),
        st.integers(1, 50),
        st.sampled_from([f"old{i}" for i in range(4)] + [f"t{i}" for i in range(8)]),
        st.integers(-10, 10),
        st.sampled_from([-100, 100, 250]),
    ),
    max_size=8,
    unique_by=(lambda ln: ln.id, lambda ln: ln.ids),
)


@settings(deadline=None)
@given(_fetched, _lines)
def test_every_fetched_transaction_is_exactly_one_of_new_duplicate_or_claim(
    fetched: list[Fetched[str]], lines: list[KnownLine]
) -> None:
    known = {i: ln.id for ln in lines for i in ln.ids}
    result = plan(fetched, known, lines)
    fetched_ids = {f.ids[0] for f in fetched}
    claims = [(line_id, tid) for line_id, tid in result.aliases]
    claimed_lines = [line_id for line_id, _ in claims]
    assert len(claimed_lines) == len(set(claimed_lines)), "a line claimed twice"
    assert len(result.new) + result.duplicates + len(claims) == len(fetched)
    by_id = {ln.id: ln for ln in lines}
    tx_by_id = {f.ids[0]: f for f in fetched}
    for line_id, tid in claims:
        orphan, claimer = by_id[line_id], tx_by_id[tid]
        assert not orphan.ids & fetched_ids, "claimed a line whose id is still fetched"
        assert orphan.amount == claimer.amount
        assert abs((orphan.date - claimer.date).days) <= 7
        assert tid not in known
    for f in result.new:
        assert f.ids[0] not in known


def test_a_changed_same_day_same_amount_pair_keeps_each_line_by_label() -> None:
    """Both ids of a same-day same-amount pair change: equal distance, so the label decides."""
    lines = [
        KnownLine(1, D, -1250, frozenset({"old-rent"}), "Rent March"),
        KnownLine(2, D, -1250, frozenset({"old-fee"}), "Licence fee"),
    ]
    fetched = [
        Fetched(("new-fee",), D, -1250, "fee", "Licence fee"),
        Fetched(("new-rent",), D, -1250, "rent", "Rent March"),
    ]
    result = plan(fetched, {}, lines)
    assert result.new == [] and result.updated == 2
    assert sorted(result.aliases) == [(1, "new-rent"), (2, "new-fee")]
