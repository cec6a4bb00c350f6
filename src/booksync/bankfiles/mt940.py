"""MT940 (SWIFT customer statement) files, read line by line.

A file holds one or more statements, each from ``:20:`` to its closing
balance, bare or inside the SWIFT block wrapper; a statement line (``:61:``)
becomes a transaction, with the counterparty and the remittance text its
``:86:`` gives in one of the structured forms banks use, or as free text
(read by :mod:`booksync.bankfiles.mt940_details`).  What becomes what:
(docs/banking.md, "MT940").  The ``mt-940`` package
was measured against these rules and left aside: it merges a file's
statements into one and reads slower than the import needs.

Whatever the bytes, :func:`read` raises :class:`FileError` and nothing else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import BinaryIO

from booksync.bankfiles import fields
from booksync.bankfiles.mt940_details import NO_REFERENCE, Details
from booksync.bankfiles.records import FileError, FileStatement, StatementBalance
from booksync.ledger.limits import shown
from booksync.providers.base import Transaction, TransactionStatus

__all__ = ["read", "sniff"]

# SWIFT lines hold 65 characters; banks write longer ones, but not this long.
_MAX_LINE = 4096
_MAX_FIELD_LINES = 100  # a :86: holds at most 6 lines by the standard, 20 in practice
_TAG = re.compile(r":(\d\d[A-Z]?|NS):")
_WRAPPER = re.compile(r"(?:\{[1-3]:(?:[^{}]|\{[^{}]*\})*\})*\{4:")
_END = re.compile(r"-\}?\s*(?:\{5:.*)?")  # the end of a message, and its trailer
_BALANCE = re.compile(r"([CD])(\d{6})([A-Z]{3})([\d,]+)")
_LINE = re.compile(
    r"(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d[\d,]*)(?P<type>[NFS][A-Z0-9]{3})(?P<ours>.*?)(?://(?P<bank>.*))?"
)
# (money in?) for each mark: RC reverses a credit (money out), RD a debit (money in).
_MARKS = {"C": True, "D": False, "RC": False, "RD": True}
_ONE_LINE_TAGS = {"20", "25", "28C", "60F", "60M", "62F", "62M"}
# What some banks write before a statement's :20:: ABN AMRO its BIC, 940 and its BIC
# again; Rabobank a :940: line.
_HEADER = re.compile(r":?940:?|[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")


def sniff(head: bytes) -> bool:
    """Whether a file starting with ``head`` looks like an MT940 statement."""
    text = head.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf \t\r\n")
    if text.startswith("{1:"):
        return "{4:" in text or "940" in text[:80]
    for _ in range(3):  # a bank's header lines
        first, _, rest = text.partition("\n")
        if not _HEADER.fullmatch(first.strip()):
            break
        text = rest.lstrip("\r\n")
    return text.startswith(":20:") or text.startswith("-\r\n:20:") or text.startswith("-\n:20:")


def read(source: BinaryIO, name: str) -> Iterator[FileStatement]:
    """The statements of the MT940 file ``source`` (``name`` for messages), in order."""
    return _Reader(source, name).run()


@dataclass(slots=True)
class _Field:
    """One tag and its lines as written: the first after the tag, then continuations."""

    tag: str
    line_no: int
    lines: list[str]


@dataclass(slots=True)
class _Statement:
    """The statement being read since its ``:20:``."""

    line_no: int
    reference: str
    account: str | None = None
    number: str | None = None
    opening: StatementBalance | None = None
    currency: str | None = None
    transactions: list[Transaction] = field(default_factory=list)
    pending: _Field | None = None  # the last :61:, until its :86: or the next field
    details: _Field | None = None


class _Reader:
    """One file's reading: lines into fields, fields into statements."""

    def __init__(self, source: BinaryIO, name: str) -> None:
        self.source, self.name = source, name
        self.line_no = 0
        self.statement: _Statement | None = None
        self.closed_at = 0  # the line of the last closing balance, while after it

    def fail(self, line_no: int, problem: str) -> FileError:
        return FileError(self.name, f"line {line_no}", problem)

    def run(self) -> Iterator[FileStatement]:
        fields_ = self.fields()
        found = False
        while True:
            with fields.collector_paused():  # reading makes no reference cycles
                done = self.next_statement(fields_)
            if done is None:
                break
            found = True
            yield done
        if self.statement is not None:
            raise self.fail(self.line_no, f"the file ends inside the statement from line "
                            f"{self.statement.line_no}, before its closing balance (:62F:)")
        if not found:
            raise self.fail(max(self.line_no, 1), "the file holds no statement (:20: to :62F:)")

    # -- lines and fields ------------------------------------------------------------
    def lines(self) -> Iterator[str]:
        """The file's lines, each read as UTF-8 or, when it is not UTF-8, as Windows-1252
        (Latin-1 where that has no character); ends of lines dropped."""
        readline = self.source.readline
        while True:
            try:
                raw = readline(_MAX_LINE + 2)
            except OSError as exc:
                raise FileError(self.name, "", f"the file could not be read "
                                f"({exc.strerror or exc})") from None
            if not raw:
                return
            self.line_no += 1
            if len(raw) > _MAX_LINE and not raw.endswith(b"\n"):
                raise self.fail(self.line_no, f"the line is longer than {_MAX_LINE} characters")
            try:
                line = raw.decode()
            except UnicodeDecodeError:
                try:
                    line = raw.decode("cp1252")
                except UnicodeDecodeError:
                    line = raw.decode("latin-1")
            if self.line_no == 1:
                line = line.lstrip("\ufeff")
            yield line.rstrip("\r\n\x1a")

    def fields(self) -> Iterator[_Field | None]:
        """Each field once its last line is read; None for a line that ends a message."""
        current: _Field | None = None
        for line in self.lines():
            if line.startswith("{"):
                match = _WRAPPER.match(line)
                if match is None:
                    if line.startswith("{5:") or line.startswith("{S:"):
                        continue  # a trailer block
                    raise self.fail(self.line_no, f"{shown(line)} is no SWIFT block "
                                    "this reader knows ({1:...}{2:...}{4:)")
                line = line[match.end():]
                if not line.strip():
                    continue
            tag = _TAG.match(line)
            if tag is not None:
                if current is not None:
                    yield current
                current = _Field(tag.group(1), self.line_no, [line[tag.end():]])
            elif _END.fullmatch(line):
                if current is not None:
                    yield current
                current = None
                yield None
            elif not line.strip():
                continue
            elif current is None and _HEADER.fullmatch(line.strip()):
                continue  # a bank's header line before a statement
            elif current is None:
                raise self.fail(self.line_no, f"{shown(line)} stands outside any field; "
                                "a statement starts with :20:")
            elif current.tag in _ONE_LINE_TAGS:
                raise self.fail(self.line_no, f"the :{current.tag}: field takes one line, but "
                                f"{shown(line)} continues it")
            elif len(current.lines) >= _MAX_FIELD_LINES:
                raise self.fail(self.line_no, f"the :{current.tag}: field from line "
                                f"{current.line_no} runs over {_MAX_FIELD_LINES} lines")
            else:
                current.lines.append(line)
        if current is not None:
            yield current

    # -- statements ------------------------------------------------------------------
    def next_statement(self, fields_: Iterator[_Field | None]) -> FileStatement | None:
        for item in fields_:
            if item is None:  # the end of a message: "-" or "-}"
                if self.statement is not None:
                    raise self.fail(self.line_no, "the message ends before the closing "
                                    f"balance (:62F:) of the statement from line "
                                    f"{self.statement.line_no}")
                self.closed_at = 0
                continue
            done = self.field(item)
            if done is not None:
                return done
        return None

    def field(self, item: _Field) -> FileStatement | None:
        tag, at, text = item.tag, item.line_no, item.lines[0].strip()
        stmt = self.statement
        if tag == "20":
            if stmt is not None:
                raise self.fail(at, "a new statement (:20:) starts before the one from line "
                                f"{stmt.line_no} closed (:62F:)")
            self.statement, self.closed_at = _Statement(at, text), 0
            return None
        if stmt is None:
            if self.closed_at and tag in ("64", "65", "86", "NS"):
                return None  # after the closing balance: available balances, information
            after = f" after the closing balance on line {self.closed_at}" if self.closed_at else ""
            raise self.fail(at, f"the :{tag}: field stands outside a statement{after}; a "
                            "statement starts with :20:")
        if tag == "NS":
            return None  # a bank's own data, which may stand between a :61: and its :86:
        if tag == "86":
            if stmt.pending is None:
                return None  # information on the statement, not on a line
            if stmt.details is not None:
                raise self.fail(at, "a second :86: for the statement line on line "
                                f"{stmt.pending.line_no}")
            stmt.details = item
            return None
        self.flush(stmt)
        if tag == "25":
            if not text:
                raise self.fail(at, "the account (:25:) is empty")
            stmt.account = text
        elif tag == "28C":
            stmt.number = text or None
        elif tag in ("60F", "60M"):
            if stmt.opening is not None:
                raise self.fail(at, "a second opening balance in one statement")
            stmt.currency, stmt.opening = self.balance(text, at)
        elif tag == "61":
            if stmt.currency is None:
                raise self.fail(at, "a statement line (:61:) before the opening balance (:60F:)")
            stmt.pending = item
        elif tag in ("62F", "62M"):
            return self.close(stmt, text, at)
        return None  # :21:, :13D:, :34F:, :64:, :65:, :90D:, :90C: say nothing booked

    def balance(self, text: str, at: int) -> tuple[str, StatementBalance]:
        match = _BALANCE.fullmatch(text.replace(" ", ""))
        if match is None:
            raise self.fail(at, f"{shown(text)} is not a balance (C or D, YYMMDD, currency, "
                            "amount, e.g. C260302EUR1234,56)")
        mark, day, code, written = match.groups()
        try:
            amount = fields.amount(written, ",", code)
            return code, StatementBalance(fields.sign(amount, mark == "C"), _date(day))
        except fields.Bad as exc:
            raise self.fail(at, str(exc)) from None

    def close(self, stmt: _Statement, text: str, at: int) -> FileStatement:
        code, closing = self.balance(text, at)
        if stmt.account is None:
            raise self.fail(stmt.line_no, "the statement has no account (:25:)")
        if stmt.opening is None or stmt.currency is None:
            raise self.fail(at, f"the statement from line {stmt.line_no} closes without an "
                            "opening balance (:60F:)")
        if code != stmt.currency:
            raise self.fail(at, f"the closing balance is in {code}, but the opening balance "
                            f"in {stmt.currency}")
        self.statement, self.closed_at = None, at
        return FileStatement(stmt.account, stmt.currency, tuple(stmt.transactions),
                             stmt.opening, closing, stmt.number or stmt.reference or None,
                             place=f"line {stmt.line_no}")

    # -- statement lines -------------------------------------------------------------
    def flush(self, stmt: _Statement) -> None:
        """Make the pending ``:61:`` (with its ``:86:``) a transaction."""
        line, details = stmt.pending, stmt.details
        if line is None or stmt.currency is None:
            return
        stmt.pending = stmt.details = None
        text = line.lines[0].strip()
        match = _LINE.fullmatch(text)
        if match is None:
            raise self.fail(line.line_no, f"{shown(text)} is not a statement line (value date "
                            "YYMMDD, entry date MMDD, C/D/RC/RD, amount, type, references)")
        try:
            value = _date(match["value"])
            booked = value if match["entry"] is None else _entry_date(match["entry"], value)
            amount = fields.amount(match["amount"], ",", stmt.currency)
        except fields.Bad as exc:
            raise self.fail(line.line_no, str(exc)) from None
        money_in = _MARKS[match["mark"]]
        ours = match["ours"].strip()
        bank = (match["bank"] or "").strip()
        extra = fields.one_line(line.lines[1:])
        said = Details(money_in)
        raw = {"61": "\n".join(line.lines)}
        if details is not None:
            raw["86"] = "\n".join(details.lines)
            said.read(details.lines)
        stmt.transactions.append(Transaction(
            provider_transaction_id=None if bank.upper() in NO_REFERENCE else bank,
            status=TransactionStatus.BOOKED,
            amount=fields.sign(amount, money_in),
            currency=stmt.currency,
            booking_date=booked,
            description=said.description or extra or (
                ours if ours.upper() not in NO_REFERENCE else "") or match["type"],
            raw=fields.canonical(raw),
            value_date=value,
            counterparty_name=said.name,
            counterparty_iban=said.iban,
            reference=said.reference or (None if ours.upper() in NO_REFERENCE else ours),
        ))


@lru_cache(maxsize=1024)
def _date(text: str) -> dt.date:
    """A YYMMDD date; years 80 to 99 are 1980 to 1999, the others this century."""
    year = int(text[:2])
    try:
        return dt.date(year + (1900 if year >= 80 else 2000), int(text[2:4]), int(text[4:]))
    except ValueError:
        raise fields.Bad(f"{text} is not a date (YYMMDD)") from None


@lru_cache(maxsize=4096)
def _entry_date(text: str, value: dt.date) -> dt.date:
    """An MMDD entry date in the year that puts it nearest the value date: an entry
    booked on 2 January for a value date of 30 December is next year's."""
    found = []
    for year in (value.year - 1, value.year, value.year + 1):
        try:
            found.append(dt.date(year, int(text[:2]), int(text[2:])))
        except ValueError:
            continue
    if not found:
        raise fields.Bad(f"the entry date {text} is not a date (MMDD)")
    return min(found, key=lambda day: abs(day - value))
