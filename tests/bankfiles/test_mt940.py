"""MT940 statement files read into file statements (tests/bankfiles/samples/mt940_*.sta).

The samples were written for these tests: two German statements in Windows-1252
with CRLF and ``-`` separators (``?`` subfields over several lines, an entry
date across the year end, a reversal of a debit), and two messages in the
SWIFT block wrapper in UTF-8 (slash keywords, a reversal of a credit, an
empty statement).  Every malformed case gives one exact line and sentence.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from booksync.bankfiles import camt053, mt940
from booksync.bankfiles.records import FileError, FileStatement, StatementBalance
from booksync.providers.base import Transaction

SAMPLES = Path(__file__).parent / "samples"
D = dt.date


def _read(data: bytes, name: str = "bank.sta") -> list[FileStatement]:
    return list(mt940.read(io.BytesIO(data), name))


def _sample(name: str) -> list[FileStatement]:
    return _read((SAMPLES / name).read_bytes(), name)


def _seen(t: Transaction) -> tuple[object, ...]:
    return (t.provider_transaction_id, t.amount, t.currency, t.booking_date, t.value_date,
            t.description, t.counterparty_name, t.counterparty_iban, t.reference)


def test_two_german_statements_with_subfields() -> None:
    first, second = _sample("mt940_two_statements_cp1252.sta")
    assert (first.account, first.currency, first.statement_id, first.place) == (
        "37040044/0532013000", "EUR", "00001/001", "line 1")
    assert first.opening == StatementBalance(Decimal("1000.00"), D(2025, 12, 30))
    assert first.closing == StatementBalance(Decimal("1170.10"), D(2026, 1, 2))
    assert [_seen(t) for t in first.transactions] == [
        # booked on 2 January for a value date of 30 December: next year's; a full 27-character
        # subfield was cut mid-word, a shorter one ended where its text did
        ("BR-0001", Decimal("250.00"), "EUR", D(2026, 1, 2), D(2025, 12, 30),
         "Rechnung 2025-0099 Kundennummer 4711", "Müller & Söhne Maschinenbau GmbH",
         "DE44500105175407324931", "INV-2025-0099"),
        # EREF+NOTPROVIDED is none: the KREF is the reference
        ("BR-0002", Decimal("-89.90"), "EUR", D(2025, 12, 31), D(2025, 12, 31),
         "Strom Dezember", "Stadtwerke Beispiel", "DE02120300000000202051", "K-0042"),
        # RD, a reversed debit: money in; no bank reference, no id
        (None, Decimal("15.00"), "EUR", D(2026, 1, 2), D(2026, 1, 2),
         "Rueckgabe Lastschrift vom 30.12.", None, None, None),
        # free text over two lines, with the euro sign of Windows-1252
        ("BR-0004", Decimal("-5.00"), "EUR", D(2025, 12, 31), D(2025, 12, 31),
         "Kontoführung Dezember: 5,00 €", None, None, None),
    ]
    assert sum(t.amount for t in first.transactions) == first.closing.amount - first.opening.amount
    assert (second.account, second.statement_id, second.place) == (
        "DE44500105175407324931", "00002/001", "line 19")
    assert second.opening == StatementBalance(Decimal("-20.00"), D(2026, 1, 2))
    assert second.closing == StatementBalance(Decimal("0.00"), D(2026, 1, 5))
    assert [_seen(t) for t in second.transactions] == [
        ("X1", Decimal("20.00"), "EUR", D(2026, 1, 5), D(2026, 1, 5), "NTRF", None, None, None)]


def test_swift_blocks_with_slash_keywords() -> None:
    first, second = _sample("mt940_swift_blocks.sta")
    assert (first.account, first.currency, first.statement_id, first.place) == (
        "NL20INGB0001234567", "EUR", "00059/1", "line 2")
    assert first.opening == StatementBalance(Decimal("5000.00"), D(2026, 2, 27))
    assert first.closing == StatementBalance(Decimal("6210.00"), D(2026, 2, 28))
    assert [_seen(t) for t in first.transactions] == [
        ("P-26-001", Decimal("1500.00"), "EUR", D(2026, 2, 28), D(2026, 2, 28),
         "Factuur 2026-013 en 2026-014", "Jansen Bouw B.V.", "NL91ABNA0417164300", "EREF-77"),
        # a name cut over two lines; EREF NOTPROVIDED and NONREF are no reference
        ("P-26-002", Decimal("-250.00"), "EUR", D(2026, 2, 28), D(2026, 2, 28), "Order 88",
         "Fromagerie Légère SPRL", "BE68539007547034", None),
        # RC, a reversed credit: money out, to the beneficiary; a structured reference
        ("P-26-003", Decimal("-40.00"), "EUR", D(2026, 3, 1), D(2026, 2, 28),
         "Pieter de Vries", "Pieter de Vries", "NL02ABNA0123456789", "1234567890123456"),
    ]
    assert json.loads(first.transactions[0].raw) == {
        "61": "2602280228C1500,00NTRFEREF-77//P-26-001\n/TRCD/00100/",
        "86": "/EREF/EREF-77//CNTP/NL91ABNA0417164300/ABNANL2A/Jansen Bouw B.V./AMSTERDAM/\n"
              "/REMI/USTD//Factuur 2026-013 en 2026-014/",
    }
    assert (second.statement_id, second.place, second.transactions) == ("00060/1", "line 21", ())
    assert second.opening == StatementBalance(Decimal("6210.00"), D(2026, 2, 28))
    assert second.closing == StatementBalance(Decimal("6210.00"), D(2026, 3, 1))


def _statement(*lines: str) -> bytes:
    return (":20:REF\n:25:DE44500105175407324931\n:28C:1/1\n:60F:C260101EUR0,00\n"
            + "".join(line + "\n" for line in lines) + ":62F:C260131EUR0,00\n").encode()


def _one(*lines: str) -> Transaction:
    (statement,) = _read(_statement(*lines))
    (transaction,) = statement.transactions
    return transaction


@pytest.mark.parametrize(("lines", "seen"), [
    # the ?-form: a payer named after ABWA when ?32 is missing; an RF creditor reference
    (["260105C1,00NTRFNONREF", ":86:166?20SVWZ+RF18539007547034?21 Rechnung?22ABWA+Erika",
      "?23 Beispiel"], ("RF18539007547034 Rechnung", "Erika Beispiel", None,
                       "RF18539007547034")),
    # the ?-form without SEPA keywords, with the posting text alone
    (["260105D1,00NMSCNONREF", ":86:805?00ENTGELT"], ("ENTGELT", None, None, None)),
    # the slash form: the ordering party of money in, its IBAN; STRD without text
    (["260105C1,00NTRFNONREF", ":86:/ORDP//NAME/Acme Ltd/IBAN/GB29NWBK60161331926819/BENM//"
      "NAME/Us/REMI/Invoice 7/"], ("Invoice 7", "Acme Ltd", "GB29NWBK60161331926819", None)),
    # free text; the customer reference stands in for a reference
    (["260105C1,00NTRFORDER-5//B1", ":86:Thank you", " for order 5"],
     ("Thank you for order 5", None, None, "ORDER-5")),
    # free text cut at the SWIFT line's 65 characters, mid-word: joined without a space
    (["260105C1,00NTRFNONREF", ":86:Payment from Kessler Logistik GmbH for invoice number "
      "INV/2026/00", "05 thank you"],
     ("Payment from Kessler Logistik GmbH for invoice number INV/2026/0005 thank you",
      None, None, None)),
    # a bank's own :NS: between a line and its :86:
    (["260105C1,00NTRFNONREF", ":NS:22Own data", ":86:Thank you"],
     ("Thank you", None, None, None)),
    # no :86:: the supplementary details, else the customer reference, else the type
    (["260105C1,00NTRFNONREF//B1", "extra words"], ("extra words", None, None, None)),
    (["260105C1,00S202ORDER-6"], ("ORDER-6", None, None, "ORDER-6")),
])
def test_details(lines: list[str], seen: tuple[object, ...]) -> None:
    lines[0] = ":61:" + lines[0]
    t = _one(*lines)
    assert (t.description, t.counterparty_name, t.counterparty_iban, t.reference) == seen


def test_entry_dates_across_the_year_end_both_ways() -> None:
    assert _one(":61:2512300102C1,00NTRF").booking_date == D(2026, 1, 2)
    assert _one(":61:2601021230D1,00NTRF").booking_date == D(2025, 12, 30)
    assert _one(":61:2402290229C1,00NTRF").booking_date == D(2024, 2, 29)
    assert _one(":61:7912310101C1,00NTRF").booking_date == D(2080, 1, 1)
    assert _one(":61:8001010101C1,00NTRF").value_date == D(1980, 1, 1)


def test_sniff() -> None:
    for name in ("mt940_two_statements_cp1252.sta", "mt940_swift_blocks.sta"):
        assert mt940.sniff((SAMPLES / name).read_bytes()[:4096])
    assert mt940.sniff(b"\xef\xbb\xbf:20:STARTUMSE\r\n:25:1/2\r\n")
    for name in ("camt053_v02.xml", "checking_v102.ofx", "plain_utf8.csv"):
        assert not mt940.sniff((SAMPLES / name).read_bytes()[:4096]), name
    assert not camt053.sniff((SAMPLES / "mt940_swift_blocks.sta").read_bytes()[:4096])


def test_reading_leaves_the_cycle_collector_as_it_was() -> None:
    _sample("mt940_swift_blocks.sta")
    assert gc.isenabled()
    with pytest.raises(FileError):
        _read(b":20:X\n:25:Y\n:60F:C260101EUR1,00\n:61:bad\n:62F:C260101EUR1,00\n")
    assert gc.isenabled()
    gc.disable()
    try:
        _sample("mt940_swift_blocks.sta")
        assert not gc.isenabled()
    finally:
        gc.enable()


HEAD = ":20:REF\n:25:DE44500105175407324931\n:60F:C260101EUR0,00\n"
NOT_A_LINE = ("is not a statement line (value date YYMMDD, entry date MMDD, C/D/RC/RD, amount, "
              "type, references)")
MALFORMED: list[tuple[str, bytes, str, str]] = [
    ("empty", b"", "line 1", "the file holds no statement (:20: to :62F:)"),
    ("blank", b"\r\n\r\n-\r\n", "line 3", "the file holds no statement (:20: to :62F:)"),
    ("text", b"hello", "line 1", "'hello' stands outside any field; a statement starts with :20:"),
    ("no :20:", b":25:X\n", "line 1",
     "the :25: field stands outside a statement; a statement starts with :20:"),
    ("a line after the close", _statement() + b":61:260101C1,00NTRF\n", "line 6",
     "the :61: field stands outside a statement after the closing balance on line 5; a "
     "statement starts with :20:"),
    ("an unknown block", b"{9:x}\n", "line 1",
     "'{9:x}' is no SWIFT block this reader knows ({1:...}{2:...}{4:)"),
    ("two :20:", b":20:A\n:20:B\n", "line 2",
     "a new statement (:20:) starts before the one from line 1 closed (:62F:)"),
    ("a message cut", (HEAD + "-\n").encode(), "line 4",
     "the message ends before the closing balance (:62F:) of the statement from line 1"),
    ("a file cut", (HEAD + ":61:260101C1,00NTRF\n").encode(), "line 4",
     "the file ends inside the statement from line 1, before its closing balance (:62F:)"),
    ("an empty account", b":20:A\n:25: \n", "line 2", "the account (:25:) is empty"),
    ("an account on two lines", b":20:A\n:25:12\n34\n", "line 3",
     "the :25: field takes one line, but '34' continues it"),
    ("a long :86:", (HEAD + ":61:260101C1,00NTRF\n:86:x\n" + "y\n" * 100).encode(), "line 105",
     "the :86: field from line 5 runs over 100 lines"),
    ("a long line", b":20:" + b"x" * 5000, "line 1", "the line is longer than 4096 characters"),
    ("a 2 GB number, shortened", b":20:A\n:25:B\n:60F:C260101EUR" + b"9" * 4000 + b",00\n",
     "line 3", "'99999999999999999999999999999999999999… is not an amount (digits with a "
     "decimal comma, e.g. 1234,50)"),
    ("a bad balance", b":20:A\n:25:B\n:60F:C260101EUR1.00\n", "line 3",
     "'C260101EUR1.00' is not a balance (C or D, YYMMDD, currency, amount, e.g. "
     "C260302EUR1234,56)"),
    ("a balance's date", b":20:A\n:25:B\n:60F:C261332EUR1,00\n", "line 3",
     "261332 is not a date (YYMMDD)"),
    ("a balance's decimals", b":20:A\n:25:B\n:60F:C260101EUR1,234\n", "line 3",
     "amount 1.234 has more than 2 decimal places (EUR)"),
    ("two commas", b":20:A\n:25:B\n:60F:C260101EUR1,2,3\n", "line 3",
     "'1,2,3' is not an amount (digits with a decimal comma, e.g. 1234,50)"),
    ("two openings", (HEAD + ":60M:C260101EUR0,00\n").encode(), "line 4",
     "a second opening balance in one statement"),
    ("a line before the opening", b":20:A\n:25:B\n:61:260101C1,00NTRF\n", "line 3",
     "a statement line (:61:) before the opening balance (:60F:)"),
    ("a bad line", (HEAD + ":61:yesterday\n:62F:C260101EUR0,00\n").encode(), "line 4",
     f"'yesterday' {NOT_A_LINE}"),
    ("a bad mark", (HEAD + ":61:260101X1,00NTRF\n:62F:C260101EUR0,00\n").encode(), "line 4",
     f"'260101X1,00NTRF' {NOT_A_LINE}"),
    ("a bad value date", (HEAD + ":61:261301C1,00NTRF\n:62F:C260101EUR0,00\n").encode(),
     "line 4", "261301 is not a date (YYMMDD)"),
    ("a bad entry date", (HEAD + ":61:2601011340C1,00NTRF\n:62F:C260101EUR0,00\n").encode(),
     "line 4", "the entry date 1340 is not a date (MMDD)"),
    ("no comma", (HEAD + ":61:260101C100NTRF\n:62F:C260101EUR0,00\n").encode(), "line 4",
     "'100' is not an amount (digits with a decimal comma, e.g. 1234,50)"),
    ("two :86:", (HEAD + ":61:260101C1,00NTRF\n:86:a\n:86:b\n").encode(), "line 6",
     "a second :86: for the statement line on line 4"),
    ("no account", b":20:A\n:60F:C260101EUR0,00\n:62F:C260101EUR0,00\n", "line 1",
     "the statement has no account (:25:)"),
    ("no opening", b":20:A\n:25:B\n:62F:C260101EUR0,00\n", "line 3",
     "the statement from line 1 closes without an opening balance (:60F:)"),
    ("dollars at the close", (HEAD + ":62F:C260101USD0,00\n").encode(), "line 4",
     "the closing balance is in USD, but the opening balance in EUR"),
]


@pytest.mark.parametrize(("data", "place", "problem"),
                         [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
def test_malformed_files_give_one_sentence(data: bytes, place: str, problem: str) -> None:
    with pytest.raises(FileError) as caught:
        _read(data, "bank.sta")
    assert (caught.value.file, caught.value.place, caught.value.problem) == (
        "bank.sta", place, problem)


def test_a_file_that_cannot_be_read_is_a_file_error() -> None:
    class Broken(io.BytesIO):
        def readline(self, size: int | None = -1) -> bytes:
            raise OSError(5, "Input/output error")

    with pytest.raises(FileError) as caught:
        list(mt940.read(Broken(), "bank.sta"))
    assert str(caught.value) == "bank.sta: the file could not be read (Input/output error)"
