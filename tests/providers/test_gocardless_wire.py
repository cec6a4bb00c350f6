"""GoCardless answers parsed into booksync's records: each rule of the module's doc, and refusals.

No network here: bodies are written out as the API would send them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import orjson
import pytest

from booksync.providers.base import TransactionStatus, Window
from booksync.providers.errors import ProviderError, ProviderProtocolError
from booksync.providers.gocardless_balances import parse_balances, parse_details
from booksync.providers.gocardless_http import error_text
from booksync.providers.gocardless_records import (
    parse_agreement,
    parse_institutions,
    parse_requisition,
)
from booksync.providers.gocardless_secret import GoCardlessSecret, PendingLink
from booksync.providers.gocardless_wire import parse_transactions
from booksync.providers.redaction import Redactor

WINDOW = Window(dt.date(2026, 3, 1), dt.date(2026, 3, 11))


def _body(booked: list[Any], pending: list[Any] | None = None) -> bytes:
    return orjson.dumps({"transactions": {"booked": booked, "pending": pending or []}})


def _tx(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "bookingDate": "2026-03-05",
        "transactionAmount": {"amount": "10.00", "currency": "EUR"},
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def _one(**fields: Any) -> Any:
    booked, _, _ = parse_transactions(_body([_tx(**fields)]), "A1", WINDOW, include_pending=True)
    (tx,) = booked
    return tx


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"transactionId": "T-1", "internalTransactionId": "I-1"}, "T-1"),
        ({"transactionId": "  ", "internalTransactionId": "I-1"}, "I-1"),
        ({"internalTransactionId": "I-2"}, "I-2"),
        ({"transactionId": "", "internalTransactionId": " "}, None),
        ({}, None),
    ],
)
def test_the_id_is_the_transaction_id_else_the_internal_one_else_none(
    fields: dict[str, Any], expected: str | None
) -> None:
    assert _one(**fields).provider_transaction_id == expected


def test_the_counterparty_is_the_debtor_of_money_in_and_the_creditor_of_money_out() -> None:
    parties = {
        "debtorName": "Vega Design BV",
        "debtorAccount": {"iban": "de89 3704 0044 0532 0130 00"},
        "creditorName": "Acme Ltd",
        "creditorAccount": {"iban": "FR7630006000011234567890189"},
    }
    money_in = _one(**parties)
    assert (money_in.counterparty_name, money_in.counterparty_iban) == (
        "Vega Design BV", "DE89370400440532013000")
    money_out = _one(transactionAmount={"amount": "-10.00", "currency": "EUR"}, **parties)
    assert (money_out.counterparty_name, money_out.counterparty_iban) == (
        "Acme Ltd", "FR7630006000011234567890189")
    assert _one(debtorAccount={"iban": "not an iban"}).counterparty_iban is None


def test_description_and_reference_follow_the_remittance_fields() -> None:
    tx = _one(remittanceInformationUnstructured="SEPA credit  INV/2026/0042",
              remittanceInformationStructured="RF18539007547034", endToEndId="E2E-9")
    assert (tx.description, tx.reference) == ("SEPA credit INV/2026/0042", "RF18539007547034")
    joined = _one(remittanceInformationUnstructuredArray=["Invoice", "INV/2026/0043"],
                  remittanceInformationStructuredArray=[{"reference": "RF71"}, "X-2"])
    assert (joined.description, joined.reference) == ("Invoice INV/2026/0043", "RF71 X-2")
    assert _one(endToEndId="E2E-9").reference == "E2E-9"
    assert _one(endToEndId="NOTPROVIDED").reference is None
    assert _one(additionalInformation="Card 4471").description == "Card 4471"
    assert _one(debtorName="Helios Solar SpA").description == "Helios Solar SpA"


def test_bank_dates_are_kept_as_written_never_moved_through_a_time_zone() -> None:
    tx = _one(bookingDate="2026-03-05", bookingDateTime="2026-03-05T00:30:00+01:00",
              valueDate="2026-03-04")
    assert tx.booking_date == dt.date(2026, 3, 5)  # 2026-03-04 in UTC: not the bank's date
    assert tx.value_date == dt.date(2026, 3, 4)
    assert tx.transacted_at == dt.datetime(2026, 3, 4, 23, 30, tzinfo=dt.UTC)
    only_time = _one(bookingDate=None, bookingDateTime="2026-03-06T23:59:00-05:00")
    assert only_time.booking_date == dt.date(2026, 3, 6)


def test_amounts_are_exact_decimals_and_a_json_number_is_refused() -> None:
    tx = _one(transactionAmount={"amount": "0.10", "currency": "eur"})
    assert tx.amount == Decimal("0.10") and str(tx.amount) == "0.10"
    assert tx.currency == "EUR"
    for amount in (12.3, "abc", "1e999999", "NaN", None):
        with pytest.raises(ProviderProtocolError, match="malformed"):
            _one(transactionAmount={"amount": amount, "currency": "EUR"})


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b'{"transactions": []}',
        b'{"transactions": {"booked": {}}}',
        _body([{"transactionAmount": {"amount": "1.00", "currency": "EUR"}}]),
        _body([_tx(transactionAmount={"amount": "1.00"})]),
        _body([_tx(bookingDate="05.03.2026")]),
        _body(["not a transaction"]),
    ],
)
def test_a_broken_answer_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(ProviderProtocolError, match="GoCardless"):
        parse_transactions(body, "A1", WINDOW, include_pending=True)


def test_window_pending_and_an_id_sent_twice() -> None:
    booked = [
        _tx(transactionId="T-1"),
        _tx(transactionId="T-1", transactionAmount={"amount": "99.00", "currency": "EUR"}),
        _tx(transactionId="T-early", bookingDate="2026-02-28"),
        _tx(transactionId="T-end", bookingDate="2026-03-11"),
    ]
    pending = [_tx(transactionId="P-1", bookingDate=None, valueDate="2026-03-10"),
               _tx(bookingDate=None)]
    got, waiting, problems = parse_transactions(
        _body(booked, pending), "A1", WINDOW, include_pending=True
    )
    # Two different transactions under one id: neither keeps it (no internal id here).
    assert [(t.provider_transaction_id, t.amount) for t in got] == [
        (None, Decimal("10.00")), (None, Decimal("99.00"))]
    assert problems == ()
    assert [(p.status, p.booking_date) for p in waiting] == [
        (TransactionStatus.PENDING, dt.date(2026, 3, 10)), (TransactionStatus.PENDING, None)]
    _, none, _ = parse_transactions(_body(booked, pending), "A1", WINDOW, include_pending=False)
    assert none == ()


def _balances(*entries: tuple[str, str, str | None, str]) -> bytes:
    return orjson.dumps({"balances": [
        {"balanceAmount": {"amount": amount, "currency": currency}, "balanceType": kind,
         **({"referenceDate": day} if day else {})}
        for kind, amount, day, currency in entries
    ]})


def test_the_balance_is_the_most_telling_type_with_its_own_date() -> None:
    today = dt.date(2026, 3, 10)
    body = _balances(
        ("interimAvailable", "900.00", "2026-03-10", "EUR"),
        ("expected", "950.00", "2026-03-10", "EUR"),
        ("interimBooked", "1000.00", "2026-03-10", "EUR"),
        ("closingBooked", "980.00", "2026-03-09", "EUR"),
        ("closingBooked", "5.00", "2026-03-09", "USD"),
    )
    balance = parse_balances(body, "EUR", today)
    assert balance is not None
    assert (balance.amount, balance.as_of, balance.available) == (
        Decimal("980.00"), dt.date(2026, 3, 9), Decimal("900.00"))
    fallback = parse_balances(_balances(("interimAvailable", "7.00", None, "EUR")), "EUR", today)
    assert fallback is not None and (fallback.amount, fallback.as_of) == (Decimal("7.00"), today)
    assert parse_balances(_balances(("somethingElse", "1.00", None, "EUR")), "EUR", today) is None
    with pytest.raises(ProviderProtocolError):
        parse_balances(_balances(("closingBooked", "1,00", None, "EUR")), "EUR", today)


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        # One type for several days, oldest first: the latest.
        ((("closingBooked", "5.00", "2026-02-01"), ("closingBooked", "7.00", "2026-03-09")),
         ("7.00", "2026-03-09")),
        # A past statement's closing balance beside a booked one inside the window.
        ((("closingBooked", "5.00", "2026-02-01"), ("interimBooked", "8.00", "2026-03-10")),
         ("8.00", "2026-03-10")),
        # ... but not before an available one: that is not a booked balance.
        ((("closingBooked", "5.00", "2026-02-01"), ("interimAvailable", "9.00", "2026-03-10")),
         ("5.00", "2026-02-01")),
        # Inside the window the type decides, as before.
        ((("interimBooked", "8.00", "2026-03-10"), ("closingBooked", "7.00", "2026-03-09")),
         ("7.00", "2026-03-09")),
    ],
)
def test_of_several_balances_a_booked_one_of_the_window_and_the_latest_of_its_type(
    listed: tuple[tuple[str, str, str], ...], expected: tuple[str, str]
) -> None:
    body = _balances(*((kind, amount, day, "EUR") for kind, amount, day in listed))
    balance = parse_balances(body, "EUR", dt.date(2026, 3, 10), WINDOW.start)
    assert balance is not None
    assert (balance.amount, balance.as_of) == (
        Decimal(expected[0]), dt.date.fromisoformat(expected[1]))


def test_details_institutions_agreements_and_requisitions() -> None:
    details = parse_details(orjson.dumps(
        {"account": {"iban": "DE89 3704 0044 0532 0130 00", "currency": "eur", "product": "Giro"}}
    ))
    assert (details.name, details.currency, details.iban) == ("Giro", "EUR",
                                                               "DE89370400440532013000")
    (info,) = parse_institutions(orjson.dumps([{
        "id": "NORDWERKBANK_NWBKDEFF", "name": "Nordwerk Bank", "bic": "NWBKDEFF",
        "countries": ["AT", "DE"], "transaction_total_days": "540",
        "max_access_valid_for_days": "180",
    }]), "de")
    assert (info.institution.country, info.institution.provider) == ("DE", "gocardless")
    assert (info.history_days, info.access_days) == (540, 180)
    agreement = parse_agreement(orjson.dumps({
        "id": "AG-1", "max_historical_days": 90, "access_valid_for_days": 30,
        "accepted": "2026-03-10T12:00:00Z", "institution_id": "X",
    }))
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert agreement.expires_at(now) == dt.datetime(2026, 4, 9, 12, tzinfo=dt.UTC)
    requisition = parse_requisition(orjson.dumps({
        "id": "R-1", "status": "ln", "link": "https://x.example/start", "accounts": ["A", " "],
    }))
    assert (requisition.status, requisition.accounts) == ("LN", ("A",))
    with pytest.raises(ProviderProtocolError):
        parse_requisition(b'{"id": "R-1"}')


def test_the_sealed_secret_round_trips_and_never_shows_its_secrets() -> None:
    secret = GoCardlessSecret(
        "https://bankaccountdata.gocardless.com", "the-id-4471", "the-key-9q!", "INST",
        requisition="R-1", agreement="AG-1",
        expires=dt.datetime(2026, 6, 8, 12, tzinfo=dt.UTC),
        pending=PendingLink("R-2", "booksync-ref", "AG-2", "https://link.example/R-2"),
    )
    assert GoCardlessSecret.from_text(secret.text()) == secret
    assert secret.waits_for("R-2") and secret.waits_for("booksync-ref")
    assert not secret.waits_for("R-1")
    linked = secret.linked(dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    assert (linked.requisition, linked.agreement, linked.pending) == ("R-2", "AG-2", None)
    credentials = secret.credentials("GoCardless")
    for shown in (repr(secret), repr(credentials), str(credentials)):
        assert "the-id-4471" not in shown and "the-key-9q!" not in shown
    with pytest.raises(ProviderError, match="cannot be read"):
        GoCardlessSecret.from_text("https://user:pass@host/simplefin")


def test_only_the_apis_own_error_fields_are_kept_masked_and_short() -> None:
    redact = Redactor(["s3cret-key"])
    body = orjson.dumps({"summary": "Rate limit exceeded", "detail": "key s3cret-key; try again",
                         "status_code": 429, "echo": "s3cret-key everywhere"})
    assert error_text(body, redact) == "Rate limit exceeded; key ***; try again"
    nested = orjson.dumps({"reference": {"summary": "Client reference must be unique"},
                           "redirect": ["Enter a valid URL."], "status_code": 400})
    assert error_text(nested, redact) == (
        "reference: Client reference must be unique; redirect: Enter a valid URL.")
    assert error_text(b"<html>s3cret-key</html>", redact) == ""
    assert len(error_text(orjson.dumps({"detail": "x" * 5000}), redact)) == 200


def test_an_id_given_twice_is_told_apart_by_the_internal_id_or_listed_once() -> None:
    twins = [
        _tx(transactionId="T-1", internalTransactionId="I-1"),
        _tx(transactionId="T-1", internalTransactionId="I-2",
            transactionAmount={"amount": "99.00", "currency": "EUR"}),
        _tx(transactionId="T-2", internalTransactionId="I-3"),
        _tx(transactionId="T-2", internalTransactionId="I-3"),  # word for word again
    ]
    got, _, problems = parse_transactions(_body(twins), "A1", WINDOW, include_pending=False)
    assert [(t.provider_transaction_id, t.amount) for t in got] == [
        ("I-1", Decimal("10.00")), ("I-2", Decimal("99.00")), ("T-2", Decimal("10.00"))]
    assert [p.code for p in problems] == ["duplicate-id"]
    assert "booked once" in problems[0].message
