"""OFX and QFX statement files read into file statements (tests/bankfiles/samples/*.ofx, *.qfx).

The samples were written for these tests: OFX 1.02 SGML in Windows-1252, OFX
2.2 XML, a QFX credit card statement with Quicken's extra tags, two accounts in
one file, and corrections.  Every malformed case gives one exact sentence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from ofxtools.Parser import OFXTree

from booksync.bankfiles import ofx
from booksync.bankfiles.records import (
    Correction,
    CorrectionAction,
    FileError,
    FileStatement,
    StatementBalance,
)
from booksync.providers.base import Transaction, TransactionStatus

SAMPLES = Path(__file__).parent / "samples"
D = dt.date


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _read(data: bytes, name: str = "bank.ofx") -> list[FileStatement]:
    return list(ofx.read(io.BytesIO(data), name))


def _error(data: bytes) -> str:
    with pytest.raises(FileError) as caught:
        _read(data)
    return str(caught.value)


def expected(
    fitid: str | None,
    amount: str,
    booked: dt.date,
    description: str,
    currency: str = "USD",
    **more: object,
) -> Transaction:
    """The expected transaction; ``raw`` is compared apart (see :func:`without_raw`)."""
    return Transaction(
        provider_transaction_id=fitid,
        status=TransactionStatus.BOOKED,
        amount=Decimal(amount),
        currency=currency,
        booking_date=booked,
        description=description,
        raw="",
        **more,  # type: ignore[arg-type]
    )


def without_raw(transactions: tuple[Transaction, ...]) -> list[Transaction]:
    return [dataclasses.replace(t, raw="") for t in transactions]


def test_sniff_knows_both_headers_and_nothing_else() -> None:
    assert ofx.sniff(_sample("checking_v102.ofx")[:4096])
    assert ofx.sniff(_sample("savings_v220.ofx")[:4096])
    assert ofx.sniff(_sample("card.qfx")[:4096])
    assert not ofx.sniff(b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022">')
    assert not ofx.sniff(b":20:STARTUMS\r\n:25:10020030/1234567\r\n")
    assert not ofx.sniff(b"Date,Amount,Label\n2024-01-02,12.50,Coffee\n")


def test_ofx_1_sgml_bank_statement() -> None:
    (statement,) = _read(_sample("checking_v102.ofx"))
    assert (statement.account, statement.currency, statement.place) == (
        "00049812230",
        "USD",
        "STMTRS 1",
    )
    assert statement.opening is None
    assert statement.closing == StatementBalance(Decimal("4127.05"), D(2024, 2, 29))
    assert statement.corrections == ()
    assert without_raw(statement.transactions) == [
        expected(
            "2024020201",
            "1250.00",
            D(2024, 2, 2),
            "Invoice INV/2024/0042 café résumé",  # CHARSET:1252 read as such
            value_date=D(2024, 2, 1),
            counterparty_name="Vega Design & Co",  # &amp; read
        ),
        expected(
            "2024020902",
            "-310.45",
            D(2024, 2, 9),
            "Harbor Office Supply",
            counterparty_name="Harbor Office Supply",
            reference="1044",
        ),
        expected("2024022903", "-12.5", D(2024, 2, 29), "SRVCHG"),
    ]
    first = statement.transactions[0]
    assert first.raw == (
        '{"BANKACCTFROM":{"ACCTID":"00049812230","ACCTTYPE":"CHECKING","BANKID":"121000358"},'
        '"STMTTRN":{"DTPOSTED":"20240202","DTUSER":"20240201","FITID":"2024020201",'
        '"MEMO":"Invoice INV/2024/0042 café résumé","NAME":"Vega Design & Co",'
        '"TRNAMT":"1250.00","TRNTYPE":"CREDIT"}}'
    )


def test_ofx_2_xml_keeps_the_bank_date_whatever_the_zone() -> None:
    (statement,) = _read(_sample("savings_v220.ofx"))
    assert (statement.account, statement.currency) == ("DE02300209000106531065", "EUR")
    # 20:00 EST on the 31st is the 1st in UTC; the bank's date is the 31st.
    assert statement.closing == StatementBalance(Decimal("8140.18"), D(2024, 1, 31))
    assert without_raw(statement.transactions) == [
        expected(
            "E-0131-1",
            "-45.99",
            D(2024, 1, 31),
            "Mobile plan January",
            "EUR",
            counterparty_name="Nordlicht Telecom GmbH",  # PAYEE/NAME
            reference="RF18539007547034",  # REFNUM
        ),
        expected("E-0201-2", "3.17", D(2024, 2, 1), "INT", "EUR", value_date=D(2024, 1, 31)),
        expected(
            "E-0115-3",
            "-27.00",
            D(2024, 1, 15),
            "Card 4421 <contactless>",  # CDATA
            "EUR",
            counterparty_name="Corner Books",
        ),
        # A CURRENCY aggregate: the amount is in USD.
        expected("E-0120-4", "100.00", D(2024, 1, 20), "Maple Freight Inc", "USD",
            counterparty_name="Maple Freight Inc"),
    ]
    raws = [json.loads(t.raw)["STMTTRN"] for t in statement.transactions]
    assert raws[2]["ORIGCURRENCY"] == {"CURRATE": "0.8571", "CURSYM": "GBP"}
    assert raws[3]["CURRENCY"] == {"CURRATE": "0.92", "CURSYM": "USD"}
    assert json.loads(statement.transactions[0].raw)["BANKACCTFROM"]["BANKID"] == "30020900"


def test_ofxtools_own_conversion_would_move_those_dates() -> None:
    """Why the dates are read from the text: ofxtools' models shift them to UTC."""
    data = _sample("checking_v102.ofx").replace(
        b"<DTPOSTED>20240202", b"<DTPOSTED>20240202200000.000[-5:EST]"
    )
    tree = OFXTree()
    tree.parse(io.BytesIO(data))
    assert tree.convert().statements[0].transactions[0].dtposted.date() == D(2024, 2, 3)
    assert _read(data)[0].transactions[0].booking_date == D(2024, 2, 2)


def test_qfx_credit_card_statement() -> None:
    (statement,) = _read(_sample("card.qfx"), "card.qfx")
    assert (statement.account, statement.currency, statement.place) == (
        "4111111111111111",
        "USD",
        "CCSTMTRS 1",
    )
    assert statement.closing == StatementBalance(Decimal("-1311.87"), D(2024, 3, 9))
    assert without_raw(statement.transactions) == [
        expected(
            "320240420120001",
            "-64.20",
            D(2024, 2, 12),
            "GROCERY",
            value_date=D(2024, 2, 11),
            counterparty_name="GREEN LEAF MARKET #0417 SPRINGFIELD OR",
        ),
        expected(
            "320240610010002",
            "500.00",
            D(2024, 3, 1),
            "PAYMENT - THANK YOU",
            counterparty_name="PAYMENT - THANK YOU",
        ),
    ]
    assert json.loads(statement.transactions[1].raw)["CCACCTFROM"] == {
        "ACCTID": "4111111111111111"
    }


def test_two_statements_in_one_file() -> None:
    first, second = _read(_sample("two_accounts.ofx"))
    assert (first.account, first.currency, first.place) == ("5550001", "CAD", "STMTRS 1")
    assert (second.account, second.currency, second.place) == ("5550002", "USD", "STMTRS 2")
    assert first.closing == StatementBalance(Decimal("2900.00"), D(2024, 4, 30))
    assert second.closing is None  # no LEDGERBAL
    assert without_raw(first.transactions) == [
        expected("A1", "900.00", D(2024, 4, 2), "Client deposit", "CAD",
            counterparty_name="Client deposit"),
    ]
    assert without_raw(second.transactions) == [
        expected("B1", "-4.00", D(2024, 4, 30), "Monthly fee"),  # written -4,00
        expected("B2", "-60.00", D(2024, 4, 15), "ATM"),
    ]


def test_corrections_replace_and_delete() -> None:
    (statement,) = _read(_sample("corrections.qfx"))
    assert without_raw(statement.transactions) == [
        expected(
            "C-77", "-18.40", D(2024, 5, 3), "Lakeside Cafe", counterparty_name="Lakeside Cafe"
        ),
    ]
    replace, delete = statement.corrections
    assert delete == Correction("C-71", CorrectionAction.DELETE, None)
    assert (replace.replaces, replace.action) == ("C-70", CorrectionAction.REPLACE)
    assert replace.transaction is not None
    assert without_raw((replace.transaction,)) == [
        expected("C-78", "-14.80", D(2024, 5, 3), "Amount corrected",
            counterparty_name="Lakeside Cafe"),
    ]


def test_a_utf8_mark_before_the_xml_declaration_is_read_past() -> None:
    data = b"\xef\xbb\xbf" + _sample("two_accounts.ofx")
    assert [s.account for s in _read(data)] == ["5550001", "5550002"]


V1 = _sample("checking_v102.ofx")
V2 = _sample("savings_v220.ofx")
CORRECTIONS = _sample("corrections.qfx")


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        (
            V1.replace(b"<TRNAMT>-310.45", b"<TRNAMT>-310,45.0"),
            "bank.ofx: STMTRS 1 / STMTTRN 2 / TRNAMT: '-310,45.0' is not an amount (e.g. -1234.50)",
        ),
        (
            V1.replace(b"<TRNAMT>-310.45", b"<TRNAMT>-310.455"),
            "bank.ofx: STMTRS 1 / STMTTRN 2 / TRNAMT: amount 310.455 has more than 2 decimal "
            "places (USD)",
        ),
        (
            V1.replace(b"<DTPOSTED>20240209", b"<DTPOSTED>20240230"),
            "bank.ofx: STMTRS 1 / STMTTRN 2 / DTPOSTED: '20240230' names no day of the calendar",
        ),
        (
            V1.replace(b"<DTPOSTED>20240209", b"<DTPOSTED>2024-02-09"),
            "bank.ofx: STMTRS 1 / STMTTRN 2 / DTPOSTED: '2024-02-09' is not an OFX date "
            "(YYYYMMDD, then any time)",
        ),
        (
            V1.replace(b"<DTUSER>20240201", b"<DTUSER>yesterday"),
            "bank.ofx: STMTRS 1 / STMTTRN 1 / DTUSER: 'yesterday' is not an OFX date "
            "(YYYYMMDD, then any time)",
        ),
        (
            V1.replace(b"<DTPOSTED>20240209\r\n", b""),
            "bank.ofx: STMTRS 1 / STMTTRN 2: DTPOSTED is missing",
        ),
        (
            V1.replace(b"<TRNAMT>-12.5", b"<TRNAMT>-12.5\r\n<TRNAMT>1"),
            "bank.ofx: STMTRS 1 / STMTTRN 3: TRNAMT is given 2 times",
        ),
        (
            V1.replace(b"<CURDEF>USD", b"<CURDEF>usd"),
            "bank.ofx: STMTRS 1 / CURDEF: 'usd' is not a currency code "
            "(three capital letters, e.g. EUR)",
        ),
        (V1.replace(b"<CURDEF>USD\r\n", b""), "bank.ofx: STMTRS 1: CURDEF is missing"),
        (
            V1.replace(b"<ACCTID>00049812230\r\n", b""),
            "bank.ofx: STMTRS 1 / BANKACCTFROM: ACCTID is missing",
        ),
        (
            V1.replace(b"<BALAMT>4127.05", b"<BALAMT>4,127.05"),
            "bank.ofx: STMTRS 1 / LEDGERBAL / BALAMT: '4,127.05' is not an amount (e.g. -1234.50)",
        ),
        (
            V1.replace(b"</STMTTRN>\r\n<STMTTRN>\r\n<TRNTYPE>CHECK", b"<STMTTRN>\r\n<TRNTYPE>X"),
            "bank.ofx: line 61: </BANKTRANLIST> comes while <STMTTRN> is open",
        ),
        (
            V1.replace(b"</BANKTRANLIST>", b"</BANKTRANLST>"),
            "bank.ofx: line 62: </BANKTRANLST> comes while <BANKTRANLIST> is open",
        ),
        (V1.replace(b"</OFX>", b""), "bank.ofx: OFX: <OFX> is never closed"),
        (
            V1 + b"<OFX></OFX>",
            "bank.ofx: more than one element stands at the top level (a second <OFX>?)",
        ),
        (
            V1.replace(b"CHARSET:1252", b"CHARSET:8859"),
            "bank.ofx: line 1: the OFX header holds a value that cannot be read: "
            "'8859' is not one of ('ISO-8859-1', '1252', 'NONE')",
        ),
        (
            V1.replace(b"OFXHEADER:100", b"OFXHEADR:100"),
            "bank.ofx: line 1: the file does not start with an OFX header "
            '(OFXHEADER:100 ... or <?OFX OFXHEADER="200" ...?>)',
        ),
        (
            b"",
            "bank.ofx: line 1: the file does not start with an OFX header "
            '(OFXHEADER:100 ... or <?OFX OFXHEADER="200" ...?>)',
        ),
        (
            V1.replace(b"caf\xe9", b"caf\x81"),
            "bank.ofx: line 46: byte 0x81 is not a character in cp1252",
        ),
        (
            V1.replace(b"CHARSET:1252", b"CHARSET:NONE"),
            "bank.ofx: line 46: byte 0xE9 is not a character in utf-8",
        ),
        (
            V2.replace(b"Hafenstrasse", b"Hafen\xffstrasse"),
            "bank.ofx: line 34: byte 0xFF is not a character in utf-8",
        ),
        (
            V2.replace(b"<MEMO>Mobile plan January</MEMO>", b"<MEMO>Mobile</MEMO>x"),
            "bank.ofx: line 39: text 'x' stands outside any element",
        ),
        (
            V2.replace(b"<TRNAMT>-45.99</TRNAMT>", b"<TRNAMT>-45.99</TRNAM>"),
            "bank.ofx: line 29: </TRNAM> comes while <STMTTRN> is open",
        ),
        (
            V2.replace(b"<OFX>", b"<OFZ>", 1),
            "bank.ofx: line 73: </OFX> comes while <OFZ> is open",
        ),
        (
            V2.replace(b"<STMTRS>", b"<INVSTMTRS>").replace(b"</STMTRS>", b"</INVSTMTRS>"),
            "bank.ofx: the file holds no bank or credit card statement (no STMTRS or CCSTMTRS)",
        ),
        (
            V2.replace(b"<CURSYM>USD", b"<CURSYM>$"),
            "bank.ofx: STMTRS 1 / STMTTRN 4 / CURRENCY / CURSYM: '$' is not a currency code "
            "(three capital letters, e.g. EUR)",
        ),
        (
            V2.replace(b"<NAME>Corner Books</NAME>", b"<NAME><FIRST>Corner</FIRST></NAME>"),
            "bank.ofx: STMTRS 1 / STMTTRN 3 / NAME: <NAME> holds <FIRST>, not a value",
        ),
        (
            CORRECTIONS.replace(b"<CORRECTACTION>REPLACE\n", b""),
            "bank.ofx: STMTRS 1 / STMTTRN 2: CORRECTFITID is given without CORRECTACTION",
        ),
        (
            CORRECTIONS.replace(b"<CORRECTFITID>C-71\n", b""),
            "bank.ofx: STMTRS 1 / STMTTRN 3: CORRECTACTION is given without CORRECTFITID",
        ),
        (
            CORRECTIONS.replace(b"<CORRECTACTION>DELETE", b"<CORRECTACTION>UNDO"),
            "bank.ofx: STMTRS 1 / STMTTRN 3 / CORRECTACTION: 'UNDO' is neither REPLACE nor DELETE",
        ),
    ],
)
def test_malformed_files_give_one_sentence(data: bytes, sentence: str) -> None:
    assert _error(data) == sentence

