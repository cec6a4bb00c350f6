"""CSV statement files read with their profiles (tests/bankfiles/samples/*.csv).

The samples were written for these tests: a UTF-8 export with one signed amount
column, a Windows-1252 one with two title lines, ``;``, comma decimals, ``.``
thousands and debit/credit columns, listed newest first, and a headerless
tab-separated one writing money out with a trailing minus and ending on a total.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from booksync.bankfiles import csv_read
from booksync.bankfiles.csv_profile import CsvProfile
from booksync.bankfiles.csv_read import PreviewRow
from booksync.bankfiles.records import FileError, FileStatement, StatementBalance
from booksync.providers.base import Transaction
from tests.bankfiles.test_ofx import expected, without_raw

SAMPLES = Path(__file__).parent / "samples"
D = dt.date

PLAIN = CsvProfile(
    name="Plain bank",
    date="Date",
    amount="Amount",
    label=("Description",),
    partner="Counterparty",
    iban="IBAN",
    reference="Reference",
    transaction_id="Transaction ID",
    currency="Currency",
    balance="Balance",
    currency_default="EUR",
)
SOLL_HABEN = CsvProfile(
    name="Soll und Haben",
    delimiter=";",
    encoding="cp1252",
    skip_rows=2,
    date="Buchungstag",
    value_date="Valuta",
    label=("Buchungstext", "Verwendungszweck"),
    partner="Auftraggeber/Empfänger",
    debit="Soll",
    credit="Haben",
    currency="Währung",
    balance="Saldo",
    date_format="%d.%m.%Y",
    decimal=",",
    thousands=".",
)
TRAILING = CsvProfile(
    name="Trailing minus",
    delimiter="\t",
    encoding="latin-1",
    header=False,
    date=1,
    label=(2, 3),
    amount=4,
    date_format="%d/%m/%y",
    decimal=",",
    thousands=".",
    skip_footer=1,
    currency_default="EUR",
)


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _read(data: bytes, profile: CsvProfile, name: str = "bank.csv") -> FileStatement:
    (statement,) = csv_read.read(io.BytesIO(data), name, profile)
    return statement


def _error(data: bytes, profile: CsvProfile) -> str:
    with pytest.raises(FileError) as caught:
        _read(data, profile)
    return str(caught.value)


def _tx(amount: str, booked: dt.date, description: str, **more: Any) -> Transaction:
    """The expected transaction (``id``: its id, ``currency`` EUR unless given), raw aside."""
    currency = more.pop("currency", "EUR")
    return expected(more.pop("id", None), amount, booked, description, currency, **more)


def test_utf8_with_one_amount_column() -> None:
    statement = _read(_sample("plain_utf8.csv"), PLAIN)
    assert (statement.account, statement.currency, statement.place) == (None, "EUR", "row 2")
    # Before the oldest row: its balance less its amount, at the end of the day before.
    assert statement.opening == StatementBalance(Decimal("2000.00"), D(2024, 2, 29))
    # The last row with a balance; the USD row after it has none.
    assert statement.closing == StatementBalance(Decimal("3201.51"), D(2024, 3, 4))
    assert without_raw(statement.transactions) == [
        _tx(
            "1250.00",
            D(2024, 3, 1),
            "Invoice payment",
            id="TX-1001",
            counterparty_name="Vega Design Müller & Søn BV",
            counterparty_iban="NL91ABNA0417164300",
            reference="INV/2024/0042",
        ),
        _tx(
            "-45.99",
            D(2024, 3, 4),
            "Mobile plan, March",
            id="TX-1002",
            counterparty_name="Nordlicht Telecom GmbH",
            counterparty_iban="DE89370400440532013000",
        ),
        _tx("-2.50", D(2024, 3, 4), "Card fee", id="TX-1003"),
        _tx(
            "19.80",
            D(2024, 3, 6),
            'Refund "express" shipping',
            currency="USD",
            counterparty_name="Maple Freight Inc",
            reference="RF-77",
        ),
    ]
    assert json.loads(statement.transactions[3].raw) == {
        "Amount": "$19.80",
        "Balance": "",
        "Counterparty": "Maple Freight Inc",
        "Currency": "USD",
        "Date": "2024-03-06",
        "Description": 'Refund "express" shipping',
        "IBAN": "",
        "Reference": "RF-77",
        "Transaction ID": "",
    }
    assert statement.transactions[0].raw.startswith('{"Amount":"1250.00","Balance":"3250.00",')


def test_windows_1252_debit_credit_newest_first() -> None:
    statement = _read(_sample("soll_haben_cp1252.csv"), SOLL_HABEN)
    assert (statement.currency, statement.place) == ("EUR", "row 4")
    # Listed newest first: the closing balance is the first row's, the opening one the
    # last row's less its amount (0.00 after a fee of 4.50).
    assert statement.closing == StatementBalance(Decimal("2317.45"), D(2024, 2, 28))
    assert statement.opening == StatementBalance(Decimal("4.50"), D(2024, 2, 1))
    assert without_raw(statement.transactions) == [
        _tx(
            "-1450.00",
            D(2024, 2, 28),
            "Lastschrift Miete Büro März",
            value_date=D(2024, 2, 29),
            counterparty_name="Immobilien Süd GmbH",
        ),
        _tx(
            "3767.45",
            D(2024, 2, 15),
            "Gutschrift Rechnung 2024-017 Café Lumière",
            value_date=D(2024, 2, 15),
            counterparty_name="Café Lumière SARL",
        ),
        # Haben holds 0,00 beside the debit: a zero is no amount.
        _tx("-4.50", D(2024, 2, 2), "Entgelt Kontoführung 4,50 €", value_date=D(2024, 2, 1)),
    ]
    assert json.loads(statement.transactions[2].raw)["Verwendungszweck"] == "Kontoführung 4,50 €"


def test_headerless_trailing_minus_with_a_total_line() -> None:
    statement = _read(_sample("trailing_minus.csv"), TRAILING)
    assert (statement.currency, statement.closing, statement.place) == ("EUR", None, "row 1")
    assert without_raw(statement.transactions) == [
        _tx("4210.00", D(2024, 1, 5), "PAYROLL JANUARY"),
        _tx("-96.31", D(2024, 1, 8), "ELECTRIC CO DD 88120"),
        _tx("-1000.00", D(2024, 1, 9), "TRANSFER OWN ACCOUNT"),
    ]
    assert json.loads(statement.transactions[1].raw) == {
        "1": "08/01/24",
        "2": "ELECTRIC CO",
        "3": "DD 88120",
        "4": "96,31-",
    }


def test_negate_flips_the_amounts() -> None:
    statement = _read(_sample("trailing_minus.csv"), dataclasses.replace(TRAILING, negate=True))
    assert [t.amount for t in statement.transactions] == [
        Decimal("-4210.00"),
        Decimal("96.31"),
        Decimal("1000.00"),
    ]


def test_a_utf8_mark_and_an_empty_file() -> None:
    marked = _read(b"\xef\xbb\xbf" + _sample("plain_utf8.csv"), PLAIN)
    assert len(marked.transactions) == 4
    header_only = _read(_sample("plain_utf8.csv").split(b"\r\n")[0] + b"\r\n", PLAIN)
    assert (header_only.transactions, header_only.currency, header_only.place) == ((), "EUR", "")
    assert _error(b"", PLAIN) == "bank.csv: the file has no header row"
    no_currency = dataclasses.replace(PLAIN, currency_default=None)
    assert _error(b"Date,Transaction ID,Counterparty,IBAN,Description,Reference,Amount,"
                  b"Currency,Balance\n", no_currency) == (
        "bank.csv: the file holds no rows, and the profile names no currency"
    )


ONE_ROW = CsvProfile(
    name="One row",
    header=False,
    delimiter=";",
    date=1,
    label=(2,),
    amount=3,
    date_format="%d.%m.%Y",
    decimal=",",
    thousands=".",
    currency_default="EUR",
)


@pytest.mark.parametrize(
    ("written", "amount", "thousands"),
    [
        ("1.234,56", "1234.56", "."),
        ("1234,56", "1234.56", "."),
        ("-12,50", "-12.50", "."),
        ("+12,50", "12.50", "."),
        ("12,50-", "-12.50", "."),
        ("1.000,00 -", "-1000.00", "."),
        ("(12,50)", "-12.50", "."),
        ("( 1.234,50 )", "-1234.50", "."),
        ("\u221212,50", "-12.50", "."),
        ("€ 12,50", "12.50", "."),
        ("12,50 €", "12.50", "."),
        ("-12,50 EUR", "-12.50", "."),
        ("EUR -12,50", "-12.50", "."),
        ("-€12,50", "-12.50", "."),
        ("12,50- EUR", "-12.50", "."),
        (",50", "0.50", "."),
        ("7", "7", "."),
        ("1 234,50", "1234.50", " "),
        ("1\u00a0234,50", "1234.50", " "),
        ("1\u202f234\u202f567,00", "1234567.00", " "),
        ("1234,50", "1234.50", ""),
    ],
)
def test_amounts_as_banks_write_them(written: str, amount: str, thousands: str) -> None:
    profile = dataclasses.replace(ONE_ROW, thousands=thousands)
    statement = _read(f"02.01.2024;Coffee;{written}\n".encode(), profile)
    assert [t.amount for t in statement.transactions] == [Decimal(amount)]


def test_a_zero_beside_an_amount_counts_as_empty() -> None:
    profile = dataclasses.replace(ONE_ROW, amount=None, debit=3, credit=4)
    data = "02.01.2024;In;0,00;12,00\n03.01.2024;Out;-7,00;\n04.01.2024;None;0,00;0,00\n"
    statement = _read(data.encode(), profile)
    # A minus written in the debit column is still money out.
    assert [t.amount for t in statement.transactions] == [
        Decimal("12.00"),
        Decimal("-7.00"),
        Decimal("0.00"),
    ]


def test_swiss_apostrophes_and_points() -> None:
    profile = dataclasses.replace(ONE_ROW, decimal=".", thousands="'")
    statement = _read("02.01.2024;Rent;-1'250.00\n03.01.2024;Fee;1\u2019000.5\n".encode(), profile)
    assert [t.amount for t in statement.transactions] == [Decimal("-1250.00"), Decimal("1000.5")]


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("1.2345,00", "'1.2345,00' is not an amount written with ',' decimals and '.' thousands "
         "separator (e.g. -1234,50)"),
        ("12,5,0", "'12,5,0' is not an amount written with ',' decimals and '.' thousands "
         "separator (e.g. -1234,50)"),
        ("12.50", "'12.50' is not an amount written with ',' decimals and '.' thousands "
         "separator (e.g. -1234,50)"),
        ("-12,50-", "'-12,50-' is not an amount written with ',' decimals and '.' thousands "
         "separator (e.g. -1234,50)"),
        ("-(12,50)", "'-(12,50)' is not an amount written with ',' decimals and '.' thousands "
         "separator (e.g. -1234,50)"),
        ("(12,50", "'(12,50' is not an amount written with ',' decimals and '.' thousands "
         "separator (e.g. -1234,50)"),
        ("EUR 12,50 EUR", "'EUR 12,50 EUR' is not an amount written with ',' decimals and '.' "
         "thousands separator (e.g. -1234,50)"),
        ("#12,50", "'#12,50' is not an amount written with ',' decimals and '.' thousands "
         "separator (e.g. -1234,50)"),
        ("12,50 USD", "'12,50 USD' is in USD, the row in EUR"),
        ("12,505", "amount 12.505 has more than 2 decimal places (EUR)"),
        ("1e5", "'1e5' is not an amount written with ',' decimals and '.' thousands "
         "separator (e.g. -1234,50)"),
    ],
)
def test_amounts_that_do_not_read(written: str, problem: str) -> None:
    data = f"02.01.2024;Coffee;{written}\n".encode()
    assert _error(data, ONE_ROW) == f"bank.csv: row 1, column 3: {problem}"


PLAIN_DATA = _sample("plain_utf8.csv")
SOLL_DATA = _sample("soll_haben_cp1252.csv")
TRAILING_DATA = _sample("trailing_minus.csv")


@pytest.mark.parametrize(
    ("data", "profile", "sentence"),
    [
        (
            PLAIN_DATA.replace(b"2024-03-04,TX-1002", b"2024-13-04,TX-1002"),
            PLAIN,
            "bank.csv: row 3, column Date: '2024-13-04' is not a date written as %Y-%m-%d",
        ),
        (
            PLAIN_DATA.replace(b"2024-03-04,TX-1002", b",TX-1002"),
            PLAIN,
            "bank.csv: row 3, column Date: the date is empty",
        ),
        (
            PLAIN_DATA.replace(b"-45.99", b""),
            PLAIN,
            "bank.csv: row 3, column Amount: the amount is empty",
        ),
        (
            PLAIN_DATA.replace(b"-45.99,EUR", b"-45.99,eu"),
            PLAIN,
            "bank.csv: row 3, column Currency: 'EU' is not a currency code "
            "(three capital letters, e.g. EUR)",
        ),
        (
            PLAIN_DATA.replace(b"M\xc3\xbcller", b"M\xfcller"),
            PLAIN,
            "bank.csv: row 2, byte 33: 0xFC cannot be read as utf-8",
        ),
        (
            PLAIN_DATA.replace(b"Transaction ID", b"Txn"),
            PLAIN,
            "bank.csv: row 1: no column is named 'Transaction ID' (transaction_id); the header "
            "names 'Date', 'Txn', 'Counterparty', 'IBAN', 'Description', 'Reference', 'Amount', "
            "'Currency', 'Balance'",
        ),
        (
            PLAIN_DATA.replace(b"Counterparty", b"Amount"),
            dataclasses.replace(PLAIN, partner=None),
            "bank.csv: row 1: 2 columns are named 'Amount' (amount)",
        ),
        (
            PLAIN_DATA.replace(b",Card fee,,-2.50,EUR,3201.51", b",Card fee"),
            PLAIN,
            "bank.csv: row 4, column Amount: the row has 5 columns, the profile reads this one",
        ),
        (
            PLAIN_DATA.replace(b'"Mobile plan, March"', b'"Mobile plan" March'),
            PLAIN,
            "bank.csv: row 3: the CSV cannot be read: ',' expected after '\"'",
        ),
        (
            b"02.01.2024;Coffee\rshop;1,00\n",
            ONE_ROW,
            "bank.csv: row 1: a line break (CR) stands in an unquoted cell",
        ),
        (
            b'02.01.2024;"Coffee;1,00\n03.01.2024;Tea;2,00\n',
            ONE_ROW,
            "bank.csv: row 1: a quoted cell is not closed before the end of the file",
        ),
        (
            b"02.01.2024;" + b"x" * 200_000 + b";1,00\n",
            ONE_ROW,
            "bank.csv: row 1: the CSV cannot be read: field larger than field limit (131072)",
        ),
        (
            SOLL_DATA.replace(b";;3.767,45", b";1,00;3.767,45"),
            SOLL_HABEN,
            "bank.csv: row 5, column Haben: both debit (1.00) and credit (3767.45) are filled",
        ),
        (
            SOLL_DATA.replace(b";;3.767,45", b";;"),
            SOLL_HABEN,
            "bank.csv: row 5, column Soll: neither debit nor credit is filled",
        ),
        (
            SOLL_DATA.replace(b";;3.767,45", b";;-3.767,45"),
            SOLL_HABEN,
            "bank.csv: row 5, column Haben: a credit is money in: -3767.45 is negative",
        ),
        (
            SOLL_DATA.replace(b"1.450,00", b"14.50,00"),
            SOLL_HABEN,
            "bank.csv: row 4, column Soll: '14.50,00' is not an amount written with ',' decimals "
            "and '.' thousands separator (e.g. -1234,50)",
        ),
        (
            SOLL_DATA.replace(b"2.317,45", b"2.317,45 EUR x"),
            SOLL_HABEN,
            "bank.csv: row 4, column Saldo: '2.317,45 EUR x' is not an amount written with ',' "
            "decimals and '.' thousands separator (e.g. -1234,50)",
        ),
        (
            SOLL_DATA,
            dataclasses.replace(SOLL_HABEN, skip_rows=1),
            "bank.csv: row 2: no column is named 'Buchungstag' (date); the header names "
            "'Zeitraum: 01.02.2024 - 29.02.2024'",
        ),
        (
            SOLL_DATA,
            dataclasses.replace(SOLL_HABEN, encoding="utf-8"),
            "bank.csv: row 3, byte 67: 0xE4 cannot be read as utf-8",
        ),
        (
            TRAILING_DATA,
            dataclasses.replace(TRAILING, skip_footer=0),
            "bank.csv: row 4, column 1: the date is empty (the last row: a total line? "
            "skip_footer leaves such lines out)",
        ),
        (
            TRAILING_DATA.replace(b"\tTOTAL", b"Total\tTOTAL"),
            dataclasses.replace(TRAILING, skip_footer=0),
            "bank.csv: row 4, column 1: 'Total' is not a date written as %d/%m/%y (the last "
            "row: a total line? skip_footer leaves such lines out)",
        ),
        (
            TRAILING_DATA + b"10/01/24\tLATE ROW\t\t5,00\n",
            dataclasses.replace(TRAILING, skip_footer=0),
            "bank.csv: row 4, column 1: the date is empty",
        ),
        (
            TRAILING_DATA,
            dataclasses.replace(TRAILING, amount=5),
            "bank.csv: row 1, column 5: the row has 4 columns, the profile reads this one",
        ),
    ],
)
def test_malformed_rows_give_one_sentence(data: bytes, profile: CsvProfile, sentence: str) -> None:
    assert _error(data, profile) == sentence


def test_preview_shows_rows_as_read_and_as_booked() -> None:
    data = PLAIN_DATA.replace(b"2024-03-04,TX-1002", b"2024-13-04,TX-1002").replace(
        b"Card fee", b"Card\xff fee"
    )
    rows = csv_read.preview(io.BytesIO(data), "bank.csv", PLAIN)
    first, second, third = rows
    assert (first.row, first.error) == (2, None)
    assert first.cells[:2] == ("2024-03-01", "TX-1001")
    assert first.transaction is not None
    assert (first.transaction.amount, first.transaction.description) == (
        Decimal("1250.00"),
        "Invoice payment",
    )
    assert second == PreviewRow(
        3,
        ("2024-13-04", "TX-1002", "Nordlicht Telecom GmbH", "DE89370400440532013000",
         "Mobile plan, March", "", "-45.99", "EUR", "3204.01"),
        None,
        "bank.csv: row 3, column Date: '2024-13-04' is not a date written as %Y-%m-%d",
    )
    # Bytes the encoding cannot read stop the reading: the last row says where.
    stop = "bank.csv: row 4, byte 26: 0xFF cannot be read as utf-8"
    assert third == PreviewRow(4, (), None, stop)


def test_preview_stops_at_the_rows_asked_for() -> None:
    rows = csv_read.preview(io.BytesIO(SOLL_DATA), "bank.csv", SOLL_HABEN, rows=2)
    assert [(row.row, row.error) for row in rows] == [(4, None), (5, None)]
    assert [row.transaction.amount for row in rows if row.transaction] == [
        Decimal("-1450.00"),
        Decimal("3767.45"),
    ]


def test_preview_of_a_file_whose_header_does_not_fit_raises() -> None:
    with pytest.raises(FileError, match="no column is named 'Buchungstag'"):
        csv_read.preview(io.BytesIO(SOLL_DATA), "bank.csv", dataclasses.replace(SOLL_HABEN,
                                                                                 skip_rows=0))
