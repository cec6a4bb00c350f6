"""Reading a bank's CSV export with its profile, and previewing it before anything is written.

The profile (:mod:`booksync.bankfiles.csv_profile`) says how the file reads;
this module holds it to that strictly: an amount, a date or a row that does not
read as the profile says is an error naming the row (the file's line it starts
on) and the column, never a guess.  A CSV names no account, so its one statement
has none (docs/banking.md, "Statement files").
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import itertools
import re
import unicodedata
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from booksync.bankfiles import fields
from booksync.bankfiles.csv_profile import CsvProfile
from booksync.bankfiles.records import FileError, FileStatement, StatementBalance
from booksync.ledger.limits import shown
from booksync.providers.base import Transaction, TransactionStatus

__all__ = ["PreviewRow", "preview", "read"]

_SIGNS = re.escape("+-\u2212")  # a minus sign (U+2212) is a minus too
# Thousands separators as written: a space may be a no-break one, an apostrophe curly.
_GROUPS = {" ": " \u00a0\u202f", "'": "'\u2019"}
_UTF8 = ("utf-8", "utf-8-sig")
_CSV_ERRORS = {
    "new-line character seen in unquoted field": "a line break (CR) stands in an unquoted cell",
    "unexpected end of data": "a quoted cell is not closed before the end of the file",
}


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """One row as read (``cells``) and as it would be booked (``transaction``), or the
    sentence saying why it cannot be (``error``); ``row`` is the file's line it starts on."""

    row: int
    cells: tuple[str, ...]
    transaction: Transaction | None
    error: str | None = None


def read(source: BinaryIO, name: str, profile: CsvProfile) -> Iterator[FileStatement]:
    """The file's one statement (account None): its rows in the file's order and, with a
    balance column, the closing balance: the last row's with one, or the first's when the
    file lists the newest rows first (its first date is later than its last, or on one
    day its running balance reads backwards); and the
    opening balance: the oldest row's balance less its amount, at the day before."""
    table = _Table(source, name, profile)
    transactions: list[Transaction] = []
    balances: list[tuple[Decimal, StatementBalance]] = []  # a row's amount, the balance after
    first = 0
    for row, cells, last in table.rows():
        first = first or row
        transaction, balance = table.transaction(row, cells, last)
        transactions.append(transaction)
        if balance is not None:
            assert transaction.booking_date is not None  # a booked one's
            balances.append((transaction.amount,
                             StatementBalance(balance, transaction.booking_date)))
    currency = profile.currency_default or (transactions[0].currency if transactions else None)
    if currency is None:
        raise FileError(name, "", "the file holds no rows, and the profile names no currency")
    opening = closing = None
    if balances:  # a file listed newest first closes with its first row, opens with its last
        newest_first = _newest_first(balances)
        closing = balances[0][1] if newest_first else balances[-1][1]
        moved, oldest = balances[-1] if newest_first else balances[0]
        # Before the oldest row: its balance less its amount, at the end of the day before.
        opening = StatementBalance(oldest.amount - moved, oldest.date - dt.timedelta(days=1))
    yield FileStatement(
        account=None,
        currency=currency,
        transactions=tuple(transactions),
        opening=opening,
        closing=closing,
        place=f"row {first}" if first else "",
    )


def _newest_first(balances: list[tuple[Decimal, StatementBalance]]) -> bool:
    """Whether the rows run from the newest to the oldest: the first date is later than the
    last; or, all on one day (a day's export), each row's balance is the next one's plus
    its own amount, and not the previous one's plus it."""
    first, last = balances[0][1], balances[-1][1]
    if first.date != last.date:
        return first.date > last.date
    pairs = list(itertools.pairwise(balances))
    onwards = all(after.amount - before.amount == amount
                  for (_, before), (amount, after) in pairs)
    backwards = all(newer.amount - older.amount == amount
                    for (amount, newer), (_, older) in pairs)
    return backwards and not onwards


def preview(source: BinaryIO, name: str, profile: CsvProfile, rows: int = 10) -> list[PreviewRow]:
    """The first ``rows`` rows, each as read and as it would become a transaction (or its
    error), for a look before anything is written.  A row that stops the reading (bytes
    the encoding cannot read, broken quoting) ends the list with its error; a file whose
    header does not name the profile's columns raises :class:`FileError`."""
    table = _Table(source, name, profile)
    shown_rows: list[PreviewRow] = []
    read_rows = table.rows()
    while len(shown_rows) < rows:
        try:
            row, cells, last = next(read_rows)
        except StopIteration:
            break
        except FileError as exc:
            if table.resolved is None:
                raise
            shown_rows.append(PreviewRow(table.line, (), None, str(exc)))
            break
        try:
            transaction = table.transaction(row, cells, last)[0]
        except FileError as exc:
            shown_rows.append(PreviewRow(row, tuple(cells), None, str(exc)))
        else:
            shown_rows.append(PreviewRow(row, tuple(cells), transaction))
    return shown_rows


class _Table:
    """One file's rows under one profile: the lines decoded one by one, the header's
    columns resolved, each row turned into a transaction."""

    def __init__(self, source: BinaryIO, name: str, profile: CsvProfile) -> None:
        self.source, self.name, self.profile = source, name, profile
        self.line = profile.skip_rows  # the last line handed to the CSV reader
        self.resolved: dict[str, int] | None = None  # field -> 0-based column
        self.titles: dict[int, str] = {}  # 0-based column -> how errors name it
        self.amounts = _amount_pattern(profile.decimal, profile.thousands)

    def rows(self) -> Iterator[tuple[int, list[str], bool]]:
        """(line, cells, last) of each row with a value, the footer left out."""
        records = self._records()
        if self.profile.header:
            first = next(records, None)
            if first is None:
                raise FileError(self.name, "", "the file has no header row")
            self._resolve(*first)
        else:
            self._resolve(0, [])
        waiting: deque[tuple[int, list[str]]] = deque()  # rows that may be the footer
        try:
            for record in records:
                waiting.append(record)
                if len(waiting) > self.profile.skip_footer + 1:
                    yield (*waiting.popleft(), False)
        except FileError:  # the rows before a line that cannot be read come first
            while waiting:
                yield (*waiting.popleft(), False)
            raise
        if len(waiting) > self.profile.skip_footer:
            yield (*waiting.popleft(), True)

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        profile = self.profile
        reader = csv.reader(
            self._lines(), delimiter=profile.delimiter, quotechar=profile.quotechar, strict=True
        )
        while True:
            start = self.line + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                said = str(exc).partition(" - ")[0]  # not the advice to Python programmers
                problem = _CSV_ERRORS.get(said, f"the CSV cannot be read: {said}")
                raise FileError(self.name, f"row {start}", problem) from None
            if any(cell.strip() for cell in cells):
                yield start, cells

    def _lines(self) -> Iterator[str]:
        encoding = self.profile.encoding
        utf8 = codecs.lookup(encoding).name in _UTF8
        for number, raw in enumerate(self.source, 1):
            if number <= self.profile.skip_rows:
                continue  # title lines: not even decoded
            self.line = number
            data = raw.removeprefix(b"\xef\xbb\xbf") if number == 1 and utf8 else raw
            try:
                yield data.decode(encoding)
            except UnicodeDecodeError as exc:
                place = f"row {number}, byte {exc.start + 1}"
                problem = f"0x{data[exc.start]:02X} cannot be read as {encoding}"
                raise FileError(self.name, place, problem) from None

    def _resolve(self, row: int, header: list[str]) -> None:
        """Each field's column, from the header's names or the profile's numbers."""
        names = [cell.strip() for cell in header]
        resolved: dict[str, int] = {}
        for field, column in self.profile.columns().items():
            if isinstance(column, int):
                if header and column > len(header):
                    problem = f"the header has {len(header)} columns; {field} is column {column}"
                    raise FileError(self.name, f"row {row}", problem)
                resolved[field] = column - 1
                continue
            found = [index for index, title in enumerate(names) if title == column]
            if len(found) != 1:
                given = ", ".join(shown(title) for title in names[:12])
                problem = (
                    f"no column is named {shown(column)} ({field}); the header names {given}"
                    if not found
                    else f"{len(found)} columns are named {shown(column)} ({field})"
                )
                raise FileError(self.name, f"row {row}", problem)
            resolved[field] = found[0]
        self.titles = {
            index: title if title and names.count(title) == 1 else str(index + 1)
            for index, title in enumerate(names)
        }
        self.resolved = resolved

    def transaction(
        self, row: int, cells: list[str], last: bool
    ) -> tuple[Transaction, Decimal | None]:
        """The row as a transaction, and the balance after it when the profile reads one."""
        profile = self.profile
        text = self._cells(row, cells)
        currency = self._currency(row, text.get("currency"))
        if profile.amount is not None:
            amount = self._amount(row, "amount", text.get("amount"), currency)
            if amount is None:
                raise FileError(self.name, self._place(row, "amount"), "the amount is empty")
        else:
            amount = self._debit_credit(row, text, currency)
        balance = text.get("balance")
        return (
            Transaction(
                provider_transaction_id=text.get("transaction_id"),
                status=TransactionStatus.BOOKED,
                amount=-amount if profile.negate else amount,
                currency=currency,
                booking_date=self._date(row, "date", text.get("date"), last),
                value_date=self._date(row, "value_date", text.get("value_date"), last=False),
                description=fields.one_line(
                    text.get(f"label {n}") for n in range(1, len(profile.label) + 1)
                ),
                counterparty_name=fields.one_line([text.get("partner")]) or None,
                counterparty_iban=fields.iban(text.get("iban")),
                reference=fields.one_line([text.get("reference")]) or None,
                raw=fields.canonical(
                    {self.titles.get(at, str(at + 1)): cell for at, cell in enumerate(cells)}
                ),
            ),
            None if balance is None else self._amount(row, "balance", balance, currency),
        )

    def _cells(self, row: int, cells: list[str]) -> dict[str, str]:
        """Each read field's text, stripped; fields whose cell is empty are left out."""
        assert self.resolved is not None  # rows() resolves before the first row
        text: dict[str, str] = {}
        for field, index in self.resolved.items():
            if index >= len(cells):
                problem = f"the row has {len(cells)} columns, the profile reads this one"
                raise FileError(self.name, self._place(row, field), problem)
            if cells[index].strip():
                text[field] = cells[index].strip()
        return text

    def _place(self, row: int, field: str) -> str:
        assert self.resolved is not None
        index = self.resolved[field]
        return f"row {row}, column {self.titles.get(index, str(index + 1))}"

    def _date(self, row: int, field: str, text: str | None, last: bool) -> dt.date | None:
        if text is None and field != "date":
            return None
        try:
            return dt.datetime.strptime(text or "", self.profile.date_format).date()
        except (ValueError, OverflowError):
            problem = (
                f"{shown(text)} is not a date written as {self.profile.date_format}"
                if text
                else "the date is empty"
            )
            if last:
                problem += " (the last row: a total line? skip_footer leaves such lines out)"
            raise FileError(self.name, self._place(row, field), problem) from None

    def _currency(self, row: int, text: str | None) -> str:
        if text is None:
            if self.profile.currency_default is None:
                problem = "the currency is empty, and the profile names no default currency"
                raise FileError(self.name, self._place(row, "currency"), problem)
            return self.profile.currency_default
        try:
            return fields.currency(text.upper())
        except fields.Bad as exc:
            raise FileError(self.name, self._place(row, "currency"), str(exc)) from None

    def _debit_credit(self, row: int, text: dict[str, str], currency: str) -> Decimal:
        """The filled one of the debit (money out) and credit (money in) columns, signed; a
        zero counts as empty beside an amount."""
        debit, credit = (
            self._amount(row, field, text.get(field), currency) for field in ("debit", "credit")
        )
        if debit and credit:
            problem = f"both debit ({debit}) and credit ({credit}) are filled"
            raise FileError(self.name, self._place(row, "credit"), problem)
        if debit is None and credit is None:
            problem = "neither debit nor credit is filled"
            raise FileError(self.name, self._place(row, "debit"), problem)
        if credit is not None and credit < 0:
            problem = f"a credit is money in: {credit} is negative"
            raise FileError(self.name, self._place(row, "credit"), problem)
        if debit:
            return -abs(debit)
        if credit is not None:
            return credit
        assert debit is not None  # a zero: neither being filled was refused above
        return abs(debit)

    def _amount(self, row: int, field: str, text: str | None, currency: str) -> Decimal | None:
        """The amount a cell writes; None for an empty cell."""
        if text is None:
            return None
        try:
            return _amount(self.amounts, text, self.profile, currency)
        except fields.Bad as exc:
            raise FileError(self.name, self._place(row, field), str(exc)) from None


def _amount_pattern(decimal: str, thousands: str) -> re.Pattern[str]:
    """An amount as the profile writes it: the number, a sign before or after it or
    parentheses around it, and a currency code or sign before or after it."""
    mark = re.escape(decimal)
    if thousands:
        group = f"[{re.escape(_GROUPS.get(thousands, thousands))}]"
        digits = rf"(?:\d{{1,3}}(?:{group}\d{{3}})+|\d+)"
    else:
        digits = r"\d+"
    money = r"[A-Z]{3}|[^\w\s.,'()+\-\u2212]"
    return re.compile(
        rf"(?P<open>\()?\s*(?P<s1>[{_SIGNS}])?\s*(?:(?P<c1>{money})\s*)?(?P<s2>[{_SIGNS}])?\s*"
        rf"(?P<number>{digits}(?:{mark}\d+)?|{mark}\d+)"
        rf"\s*(?P<s3>[{_SIGNS}])?\s*(?:(?P<c2>{money})\s*)?(?P<s4>[{_SIGNS}])?\s*(?P<close>\))?"
    )


def _amount(pattern: re.Pattern[str], text: str, profile: CsvProfile, currency: str) -> Decimal:
    """``text`` read strictly as ``pattern`` says; a currency code in it must be the row's."""
    written = text.strip()
    found = pattern.fullmatch(written) if len(written) <= 60 else None
    signs = [] if found is None else [s for s in found.group("s1", "s2", "s3", "s4") if s]
    codes = [] if found is None else [c for c in found.group("c1", "c2") if c]
    if (
        found is None
        or len(signs) + bool(found["open"]) > 1
        or bool(found["open"]) != bool(found["close"])
        or len(codes) > 1
        or any(len(code) == 1 and unicodedata.category(code) != "Sc" for code in codes)
    ):
        thousands = f"{profile.thousands!r} thousands" if profile.thousands else "no thousands"
        raise fields.Bad(
            f"{shown(written)} is not an amount written with {profile.decimal!r} decimals and "
            f"{thousands} separator (e.g. -1234{profile.decimal}50)"
        )
    if codes and len(codes[0]) == 3 and codes[0] != currency:
        raise fields.Bad(f"{shown(written)} is in {codes[0]}, the row in {currency}")
    number = found["number"]
    for char in _GROUPS.get(profile.thousands, profile.thousands):
        number = number.replace(char, "")
    number = number.replace(profile.decimal, ".")
    value = fields.amount("0" + number if number.startswith(".") else number, ".", currency)
    return fields.sign(value, money_in=not (found["open"] or (signs and signs[0] != "+")))
