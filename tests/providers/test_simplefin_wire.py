"""SimpleFIN wire parsing against golden samples (tests/providers/samples/)."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest

from booksync.providers.base import TransactionStatus
from booksync.providers.errors import ProviderProtocolError
from booksync.providers.simplefin_wire import (
    WireError,
    bank_date_to_epoch,
    epoch_to_bank_date,
    parse_account_set,
    parse_normalized_account_set,
    sanitize_message,
)

SAMPLES = Path(__file__).parent / "samples"
D = dt.date


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_v1_account_set() -> None:
    answer = parse_account_set(_sample("v1_account_set.json"))
    assert answer.errors == (
        WireError("gen.", "Connection to Harbor Savings Bank may need attention."),
    )
    (account,) = answer.accounts
    assert (account.id, account.name, account.currency) == (
        "ACT-7c1e-checking",
        "Business Checking",
        "USD",
    )
    assert account.institution == "Harbor Savings Bank"
    assert account.institution_id == "harborsavings.example"
    balance = account.normalized_balance()
    assert balance.amount == Decimal("12450.75") and balance.available == Decimal("12210.75")
    assert balance.as_of == D(2026, 3, 6)

    txs = [t.normalized(account.currency) for t in account.transactions]
    assert [t.provider_transaction_id for t in txs] == [
        "TRN-1001",
        "TRN-1002",
        "TRN-1003",
        "TRN-1004",
        None,  # " " is not an identity
        "TRN-P-77",
    ]
    assert [t.booking_date for t in txs] == [
        D(2026, 3, 1),  # midnight UTC stays on its date
        D(2026, 3, 2),
        D(2026, 3, 3),  # 23:30 UTC is still the 3rd
        D(2026, 3, 3),
        D(2026, 3, 4),
        D(2026, 3, 5),  # pending, posted 0: dated by transacted_at
    ]
    assert [t.amount for t in txs] == [
        Decimal("4200.00"),
        Decimal("-89.99"),
        Decimal("-25.00"),
        Decimal("-25.00"),
        Decimal("1500.10"),
        Decimal("-12.50"),
    ]
    assert all(type(t.amount) is Decimal for t in txs)
    assert [t.status for t in txs] == [TransactionStatus.BOOKED] * 5 + [TransactionStatus.PENDING]
    assert txs[1].transacted_at == dt.datetime(2026, 3, 1, 21, 36, 40, tzinfo=dt.UTC)
    assert txs[0].currency == "USD" and txs[0].description == "ACME CORP PAYROLL"
    assert json.loads(txs[4].raw)["id"] == " "


def test_v2_account_set_errlist_connections_and_numbers() -> None:
    answer = parse_account_set(_sample("v2_account_set.json"))
    # errlist wins over the deprecated copy in "errors"
    assert [e.code for e in answer.errors] == ["act.missingdata", "con.timeout"]
    assert answer.errors[0].account_id == "ACC-2"
    unknown = answer.errors[1]
    assert unknown.kind == "con." and unknown.conn_id == "CON-B"
    assert unknown.message == "Harbor Credit Union took too long to answer."
    acc1, acc2, acc3 = answer.accounts
    assert acc1.institution == "Harbor Savings Bank" and acc1.institution_id == "ORG-HARBOR"
    assert acc1.iban == "DE89370400440532013000" and acc2.iban is None
    assert acc3.institution == "Harbor Credit Union" and acc3.conn_id == "CON-B"
    assert acc2.normalized_balance().amount == Decimal("-310.40")
    first, second = (t.normalized("EUR") for t in acc1.transactions)
    assert first.counterparty_name == "Harbor Savings Bank"
    assert json.loads(first.raw)["extra"] == {"category": "fees"}
    # a bare JSON number is read as Decimal, never through float
    assert second.amount == Decimal("19.9") and type(second.amount) is Decimal


def test_error_kinds_fall_back_to_prefix() -> None:
    assert WireError("act.failed", "x").kind == "act.failed"
    assert WireError("act.exploded", "x").kind == "act."
    assert WireError("gen.auth", "x").kind == "gen.auth"
    assert WireError("weird", "x").kind == "gen."


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "not an object"),
        (b"{}", "no 'accounts'"),
        (b'{"accounts": {}}', "not a list"),
        (b'{"accounts": [{"id": " ", "currency": "USD"}]}', "has no id"),
        (b'{"accounts": [{"id": "A", "balance": "1", "balance-date": 1}]}', "no 'currency'"),
        (b'{"accounts": [{"id": "A", "currency": "USD", "balance-date": 1}]}', "no 'balance'"),
        (
            b'{"accounts": [{"id": "A", "currency": "USD", "balance": "1,000.00",'
            b' "balance-date": 1}]}',
            "not a number",
        ),
        (
            b'{"accounts": [{"id": "A", "currency": "USD", "balance": NaN, "balance-date": 1}]}',
            "non-number",
        ),
        (
            b'{"accounts": [{"id": "A", "currency": "USD", "balance": "1",'
            b' "balance-date": "yesterday"}]}',
            "not an epoch",
        ),
        (
            b'{"accounts": [{"id": "A", "currency": "USD", "balance": "1", "balance-date": 1,'
            b' "transactions": [{"id": "T", "amount": "1"}]}]}',
            "no 'posted'",
        ),
        (
            b'{"accounts": [{"id": "A", "currency": "USD", "balance": "1", "balance-date": 1,'
            b' "transactions": [{"id": "T", "posted": 5, "amount": true}]}]}',
            "not a numeric string",
        ),
        (b'{"errlist": [{"msg": "x"}], "accounts": []}', "no 'code'"),
        (b'{"errors": [1], "accounts": []}', "not a list of strings"),
    ],
)
def test_malformed_answers(body: bytes, fragment: str) -> None:
    with pytest.raises(ProviderProtocolError, match="malformed answer") as caught:
        parse_account_set(body)
    assert fragment in str(caught.value)


def test_pending_without_posted_is_accepted() -> None:
    body = (
        b'{"accounts": [{"id": "A", "currency": "USD", "balance": "1", "balance-date": 1,'
        b' "transactions": [{"id": "T", "amount": "-1", "pending": true}]}]}'
    )
    (tx,) = parse_account_set(body).accounts[0].transactions
    normalized = tx.normalized("USD")
    assert normalized.status is TransactionStatus.PENDING and normalized.booking_date is None


def test_epoch_date_rule_is_utc_and_inverse() -> None:
    day = D(2026, 3, 29)  # a European DST change: still one date per UTC day
    start = bank_date_to_epoch(day)
    assert epoch_to_bank_date(start) == day
    assert epoch_to_bank_date(start + 86399) == day
    assert epoch_to_bank_date(start + 86400) == day + dt.timedelta(days=1)
    assert bank_date_to_epoch(D(1970, 1, 2)) == 86400


def test_sanitize_message() -> None:
    assert sanitize_message("a\x1b[31mb\r\nc\u200b") == "a [31mb c"
    assert len(sanitize_message("x" * 1000)) == 300


def _json_only(body: bytes, monkeypatch: pytest.MonkeyPatch) -> object:
    """What ``parse_account_set`` gives, or the error it raises, through ``json`` alone."""
    import booksync.providers.simplefin_json as answer_json

    def refuse(_: bytes) -> object:
        raise answer_json.orjson.JSONDecodeError("forced", "", 0)

    with monkeypatch.context() as patch:
        patch.setattr(answer_json.orjson, "loads", refuse)
        try:
            return parse_account_set(body)
        except ProviderProtocolError as exc:
            return str(exc)


def _random_transaction(rng: random.Random, n: int) -> object:
    texts = [
        "Rent",
        "  two  words ",
        "café ☕ \U0001f600",
        'q"uo\\te',
        "tab\tnl\n\x1b",
        "\u2028",
        "",
    ]
    values: list[object] = [
        f"T-{n}",
        " ",
        0,
        7,
        -1,
        True,
        None,
        "12.50",
        " -3.1 ",
        "1,5",
        "NaN",
        "1e3",
        "x",
        1.5,
        2,
        10**20,
        [1, {"a": "b"}],
        {"k": 1.25},
        {"z": [1, 2], "a": "é"},
    ]
    tx: dict[str, object] = {
        "id": rng.choice([f"T-{n}", " ", n, None, True]),
        "posted": rng.choice([1772668800 + n, 0, None, "1", -5, 1.0, 10**20]),
        "amount": rng.choice(["-12.50", "7", " 3.10 ", "1_000", "abc", "Infinity", 19.9, 5, None]),
        "description": rng.choice([*texts, None, 3]),
        "pending": rng.choice([False, True, None, 1]),
    }
    for key in ("transacted_at", "payee", "extra", "memo"):
        if rng.random() < 0.4:
            tx[key] = rng.choice([*values, *texts])
    for key in list(tx):
        if rng.random() < 0.1:
            del tx[key]
    return tx


def test_orjson_and_json_read_every_answer_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path (orjson, a test of types) gives the records or error of the full one."""
    rng = random.Random(7)
    for case in range(400):
        txs = [_random_transaction(rng, n) for n in range(rng.randint(1, 3))]
        account = {"id": "A", "currency": "USD", "balance": "1", "balance-date": 1}
        answer = {"accounts": [{**account, "transactions": txs}]}
        body = json.dumps(answer, ensure_ascii=case % 2 == 0).encode()
        expected = _json_only(body, monkeypatch)
        try:
            got: object = parse_account_set(body)
        except ProviderProtocolError as exc:
            got = str(exc)
        assert got == expected, (case, body)
        if isinstance(got, str):
            continue
        (wire_account,) = got.accounts  # type: ignore[attr-defined]
        try:
            wanted: object = tuple(t.normalized("USD") for t in wire_account.transactions)
        except ProviderProtocolError as exc:  # an epoch out of range
            wanted = str(exc)
        (normalized,) = parse_normalized_account_set(body).transactions
        if isinstance(normalized, ProviderProtocolError):  # returned, for fetch to raise
            normalized = str(normalized)
        assert normalized == wanted, (case, body)


def test_bare_fractions_and_huge_numbers_never_become_floats() -> None:
    body = (
        b'{"accounts": [{"id": "A", "currency": "USD", "balance": 0.10000000000000001,'
        b' "balance-date": 1, "transactions": [{"id": "T", "posted": 5, "amount": "1",'
        b' "extra": {"n": 123456789012345678901234567890, "f": 2.50}}]}]}'
    )
    (account,) = parse_account_set(body).accounts
    assert account.balance == Decimal("0.10000000000000001")
    extra = json.loads(account.transactions[0].raw)["extra"]
    assert extra == {"n": 123456789012345678901234567890, "f": "2.50"}


def test_an_epoch_out_of_range_is_raised_only_for_a_wanted_account() -> None:
    """As when ``fetch`` normalized only the accounts it wanted, after the auth errors."""
    body = (
        b'{"accounts": [{"id": "A", "currency": "USD", "balance": "1", "balance-date": 1,'
        b' "transactions": [{"id": "T", "posted": 99999999999999, "amount": "1"},'
        b' {"id": "U", "posted": 5, "amount": "x"}]}]}'
    )
    with pytest.raises(ProviderProtocolError, match="not a number"):  # still checked
        parse_normalized_account_set(body)
    body = body.replace(b'"x"', b'"2"')
    (failed,) = parse_normalized_account_set(body).transactions
    assert isinstance(failed, ProviderProtocolError) and "out of range" in str(failed)


@pytest.mark.parametrize(
    ("memo", "reference"),
    [("INV/2026/0042", "INV/2026/0042"), ("  RF18\t5390  ", "RF18 5390"), (4711, "4711"),
     (" ", None), (None, None), ({"ref": "x"}, None), (True, None), ([1], None)],
)
def test_payee_and_memo_become_the_counterparty_and_the_reference(
    memo: object, reference: str | None
) -> None:
    """A memo that is not text is dropped, not a reason to refuse the bank's answer."""
    tx: dict[str, object] = {"id": "T", "posted": 1772668800, "amount": "150.00",
                             "description": "SEPA credit", "payee": "Vega Design BV"}
    if memo is not None:
        tx["memo"] = memo
    answer = {"accounts": [{"id": "A", "currency": "EUR", "balance": "1", "balance-date": 1,
                            "transactions": [tx]}]}
    body = json.dumps(answer).encode()
    (account,) = parse_account_set(body).accounts
    (wire,) = account.transactions
    (normalized,) = parse_normalized_account_set(body).transactions
    assert isinstance(normalized, tuple)
    for got in (wire.normalized("EUR"), normalized[0]):
        assert got.counterparty_name == "Vega Design BV"
        assert got.reference == reference
