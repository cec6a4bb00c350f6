"""How one bank's CSV export reads: a profile, checked when it is made and kept as plain JSON.

Banks' CSV exports agree on nothing: the separator, the encoding, title lines
above the header, the column names, the date format, a comma or a point for
decimals, one signed amount or a debit and a credit column, money out written
positive.  A profile says all of it once per bank, so that reading a file never
guesses (docs/banking.md, "Statement files").  Every check names the field it
refuses, so a form or the command line can point at it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from booksync.errors import BooksyncError
from booksync.ledger.limits import MAX_NAME, shown, text_ok

__all__ = ["COLUMN_FIELDS", "Column", "CsvProfile", "ProfileError"]

Column = str | int  # a header's name, or a 1-based column number

# The fields naming one column each; ``label`` names one or several.
COLUMN_FIELDS: Final = (
    "date",
    "amount",
    "debit",
    "credit",
    "value_date",
    "partner",
    "iban",
    "reference",
    "transaction_id",
    "currency",
    "balance",
)
DECIMALS: Final = (".", ",")
THOUSANDS: Final = ("", ",", ".", " ", "'")
MAX_COLUMN = 1000  # columns of a row a profile may name
MAX_SKIPPED = 1000  # title or total lines a profile may skip
MAX_LABELS = 10
# The characters a CSV's structure is written in: an encoding must read them as ASCII.
_PROBE = bytes(range(32, 127)) + b"\t\r\n"
_CURRENCY = re.compile(r"[A-Z]{3}")
_DAY, _MONTH, _YEAR = re.compile(r"%d"), re.compile(r"%[mbB]"), re.compile(r"%[Yy]")
_SAMPLE_DAY = dt.date(2031, 12, 28)  # day, month and year all tell apart


class ProfileError(BooksyncError):
    """A profile that cannot be used: one sentence naming the field (``field``)."""

    code = "invalid"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"CSV profile: {field}: {problem}" if field else f"CSV profile: {problem}")
        self.field = field


@dataclass(frozen=True, slots=True)
class CsvProfile:
    """One bank's CSV export.

    Columns are header names (when ``header`` is True) or 1-based numbers.  The
    amount is either one signed column (``amount``) or two (``debit``, money out,
    and ``credit``, money in); ``negate`` flips it for banks that write money out
    as positive.  ``balance`` is the running balance after each line, read as
    written.  ``skip_rows`` lines come before the header (a bank's title lines),
    ``skip_footer`` non-empty lines at the end are not transactions (a total).
    ``currency_default`` is the currency of rows without a currency column or cell.
    """

    name: str
    date: Column
    label: tuple[Column, ...]
    amount: Column | None = None
    debit: Column | None = None
    credit: Column | None = None
    value_date: Column | None = None
    partner: Column | None = None
    iban: Column | None = None
    reference: Column | None = None
    transaction_id: Column | None = None
    currency: Column | None = None
    balance: Column | None = None
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    skip_rows: int = 0
    skip_footer: int = 0
    header: bool = True
    date_format: str = "%Y-%m-%d"
    decimal: str = "."
    thousands: str = ""
    negate: bool = False
    currency_default: str | None = None

    REQUIRED: ClassVar[tuple[str, ...]] = ("name", "date", "label")

    def __post_init__(self) -> None:
        _check(self)

    def columns(self) -> dict[str, Column]:
        """Every column the profile reads, by field (label columns as ``label 1``, ...)."""
        named = {field: getattr(self, field) for field in COLUMN_FIELDS}
        named.update({f"label {n}": column for n, column in enumerate(self.label, 1)})
        return {field: column for field, column in named.items() if column is not None}

    def to_json(self) -> dict[str, Any]:
        """The profile as plain JSON values, every field's key always present."""
        data = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        data["label"] = list(self.label)
        return data

    @classmethod
    def from_json(cls, data: object) -> CsvProfile:
        """A profile from :meth:`to_json`'s shape (optional fields may be left out; ``label``
        may be one column); :class:`ProfileError` names the field that is wrong."""
        if not isinstance(data, Mapping):
            raise ProfileError("", "must be a JSON object of fields")
        known = {field.name for field in dataclasses.fields(cls)}
        for key in data:
            if key not in known:
                raise ProfileError(str(key)[:40], "is not a field of a CSV profile")
        for key in cls.REQUIRED:
            if data.get(key) is None:
                raise ProfileError(key, "is missing")
        given = dict(data)
        label = given["label"]
        given["label"] = tuple(label) if isinstance(label, list) else (label,)
        return cls(**given)


def _check(profile: CsvProfile) -> None:
    """Refuse, naming the field, anything a file could not be read with."""
    name = profile.name
    if not isinstance(name, str) or not name.strip() or not text_ok(name, MAX_NAME):
        raise ProfileError("name", f"must be a one-line text of 1 to {MAX_NAME} characters")
    _check_syntax(profile)
    _check_columns(profile)
    _check_numbers(profile)
    _check_date_format(profile.date_format)
    default = profile.currency_default
    if default is not None and not (isinstance(default, str) and _CURRENCY.fullmatch(default)):
        raise ProfileError("currency_default", f"{shown(default)} is not a currency code")
    if default is None and profile.currency is None:
        raise ProfileError("currency_default", "is needed when no column gives the currency")


def _check_syntax(profile: CsvProfile) -> None:
    for field in ("delimiter", "quotechar"):
        char = getattr(profile, field)
        if not isinstance(char, str) or len(char) != 1 or char.isalnum() or char in "\r\n":
            problem = "must be one character other than a letter, a digit or a line break"
            raise ProfileError(field, f"{shown(char)}: {problem}")
    if profile.delimiter == profile.quotechar:
        raise ProfileError("quotechar", "must differ from the delimiter")
    encoding = profile.encoding
    try:
        readable = isinstance(encoding, str) and _PROBE.decode(encoding) == _PROBE.decode("ascii")
    except (LookupError, UnicodeError):
        readable = False
    if not readable:
        raise ProfileError(
            "encoding",
            f"{shown(encoding)} is not a known encoding that writes the CSV's punctuation as "
            "ASCII (e.g. utf-8, utf-8-sig, cp1252, latin-1)",
        )
    for field in ("skip_rows", "skip_footer"):
        count = getattr(profile, field)
        if type(count) is not int or not 0 <= count <= MAX_SKIPPED:
            raise ProfileError(field, f"must be a whole number from 0 to {MAX_SKIPPED}")
    for field in ("header", "negate"):
        if not isinstance(getattr(profile, field), bool):
            raise ProfileError(field, "must be true or false")


def _check_columns(profile: CsvProfile) -> None:
    if profile.date is None:
        raise ProfileError("date", "is missing")
    label = profile.label
    if not isinstance(label, tuple) or not 1 <= len(label) <= MAX_LABELS:
        raise ProfileError("label", f"must name 1 to {MAX_LABELS} columns")
    for field, column in profile.columns().items():
        _check_column(field.partition(" ")[0], column, profile.header)
    if profile.amount is not None and (profile.debit is not None or profile.credit is not None):
        raise ProfileError("amount", "give an amount column or debit and credit columns, not both")
    if profile.amount is None:
        for field in ("debit", "credit"):
            if getattr(profile, field) is None:
                raise ProfileError(field, "is needed when there is no amount column")
        if profile.debit == profile.credit:
            raise ProfileError("credit", "must be another column than debit")


def _check_column(field: str, column: object, header: bool) -> None:
    if type(column) is int:
        if not 1 <= column <= MAX_COLUMN:
            raise ProfileError(field, f"column {column} is not a number from 1 to {MAX_COLUMN}")
    elif isinstance(column, str):
        if not header:
            raise ProfileError(field, "columns are numbers when the file has no header row")
        if not column.strip() or not text_ok(column, MAX_NAME):
            raise ProfileError(field, f"{shown(column)} is not a column's name")
    else:
        raise ProfileError(field, "must be a column's name or its number")


def _check_numbers(profile: CsvProfile) -> None:
    if profile.decimal not in DECIMALS:
        raise ProfileError("decimal", f"{shown(profile.decimal)} is not '.' or ','")
    if profile.thousands not in THOUSANDS:
        raise ProfileError(
            "thousands", f"{shown(profile.thousands)} is not one of ',', '.', ' ', \"'\" or ''"
        )
    if profile.thousands == profile.decimal:
        raise ProfileError("thousands", "must differ from the decimal separator")


def _check_date_format(form: object) -> None:
    if not isinstance(form, str) or not form.strip() or len(form) > 40:
        raise ProfileError("date_format", "must be a strptime format such as %d.%m.%Y")
    for part, what in ((_DAY, "day (%d)"), (_MONTH, "month (%m, %b)"), (_YEAR, "year (%Y, %y)")):
        if not part.search(form.replace("%%", "")):
            raise ProfileError("date_format", f"{shown(form)} has no {what}")
    try:
        read_back = dt.datetime.strptime(_SAMPLE_DAY.strftime(form), form).date()
    except (ValueError, re.error):  # re.error: a directive given twice
        read_back = None
    if read_back != _SAMPLE_DAY:
        raise ProfileError("date_format", f"{shown(form)} does not read back the dates it writes")
