"""OFX and QFX statement files (OFX 1.x SGML and 2.x XML) read into file statements.

ofxtools reads the header and builds the element tree for both syntaxes; the
values are read here from the elements' text rather than through ofxtools'
typed models, because those turn a date with a time zone (``[-5:EST]``) into a
UTC datetime, which moves a bank date by a day, and refuse whole files for
omissions that cost the books nothing (a PAYEE without the address lines the
spec requires).  A bank date is the first eight digits, as the bank wrote them
(docs/banking.md, "Statement files").

Every problem, whatever the bytes, is one :class:`FileError` naming the
element path (``STMTRS 2 / STMTTRN 14 / TRNAMT``) or the line.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import BinaryIO, Final

from ofxtools.header import OFXHeaderError
from ofxtools.Parser import OFXTree, ParseError, TreeBuilder

from booksync.bankfiles import fields
from booksync.bankfiles.records import (
    Correction,
    CorrectionAction,
    FileError,
    FileStatement,
    StatementBalance,
)
from booksync.ledger.limits import shown
from booksync.providers.base import Transaction, TransactionStatus

__all__ = ["read", "sniff"]

# A statement element and the element naming its account.
_ACCOUNT_OF: Final = {"STMTRS": "BANKACCTFROM", "CCSTMTRS": "CCACCTFROM"}
# YYYYMMDD, then optionally HHMM[SS[.XXX]] and a zone such as [-5:EST].
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\d{4}(?:\d{2}(?:\.\d{1,6})?)?)?(?:\[[^\]]{0,24}\])?")
# The spec allows a comma as the decimal mark; thousands separators never appear.
_AMOUNT = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
_POSITION = re.compile(r" - position=\[(\d+):\d+\]$")
_TAIL = re.compile(r"Tail text '(.{0,80})", re.DOTALL)
_MAX_DEPTH = 12  # elements nested inside one transaction: real ones nest two deep


def sniff(head: bytes) -> bool:
    """Whether a file starting with ``head`` looks like OFX or QFX (both versions' headers
    name ``OFXHEADER`` in their first lines)."""
    return b"OFXHEADER" in head[:2048].upper()


def read(source: BinaryIO, name: str) -> Iterator[FileStatement]:
    """The file's statements, one per ``STMTRS`` (bank) and ``CCSTMTRS`` (credit card), in
    the file's order; :class:`FileError` for anything that cannot be read."""
    root = _tree(source.read(), name)
    seen: Counter[str] = Counter()
    for element in root.iter():
        if element.tag in _ACCOUNT_OF:
            seen[element.tag] += 1
            yield _Reader(name).statement(element, f"{element.tag} {seen[element.tag]}")
    if not seen:
        raise FileError(
            name, "", "the file holds no bank or credit card statement (no STMTRS or CCSTMTRS)"
        )


class _CheckedBuilder(TreeBuilder):
    """ofxtools' tree builder, refusing an end tag that does not close the open element
    (the plain builder silently closes whatever is open) and keeping the markup it was
    fed, so that a position can be told as a line."""

    def __init__(self) -> None:
        super().__init__()
        self.markup = ""
        self.open: list[str] = []

    def feed(self, data: str) -> None:
        self.markup = data
        super().feed(data)

    def start(self, tag: str, attrs: dict[str, str], /) -> ET.Element:
        self.open.append(tag)
        return super().start(tag, attrs)

    def end(self, tag: str, /) -> ET.Element:
        if not self.open:
            raise ParseError(f"</{_cut(tag)}> closes no element")
        if self.open[-1] != tag:
            raise ParseError(f"</{_cut(tag)}> comes while <{_cut(self.open[-1])}> is open")
        self.open.pop()
        return super().end(tag)


def _tree(data: bytes, name: str) -> ET.Element:
    """The ``OFX`` element of the file, through ofxtools, or the one error saying why not."""
    data = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 mark before <?xml hides the header
    tree, builder = OFXTree(), _CheckedBuilder()
    try:
        root = tree.parse(io.BytesIO(data), parser=builder)
    except UnicodeDecodeError as exc:
        base = len(data) - len(exc.object) if data.endswith(exc.object) else data.find(exc.object)
        offset = max(base, 0) + exc.start
        byte = data[offset : offset + 1].hex().upper()
        line = data.count(b"\n", 0, offset) + 1
        charset = "cp1252" if exc.encoding == "charmap" else exc.encoding  # CHARSET:1252
        problem = f"byte 0x{byte} is not a character in {charset}"
        raise FileError(name, f"line {line}", problem) from None
    except OFXHeaderError as exc:
        detail = str(exc).partition(" - ")[2] if str(exc).startswith("Invalid") else ""
        raise FileError(name, "line 1", _header_problem(detail)) from None
    except (ParseError, ET.ParseError) as exc:
        raise _markup_error(name, str(exc), data, tree, builder.markup) from None
    except Exception:  # ofxtools raises ValueError, KeyError, IndexError on odd input
        raise FileError(name, "", "the OFX markup cannot be read") from None
    if root is None:
        raise FileError(name, "", "the file holds no OFX element after its header")
    if builder.open:
        place = " / ".join(_cut(tag) for tag in builder.open[-6:])
        raise FileError(name, place, f"<{_cut(builder.open[-1])}> is never closed")
    if root.tag != "OFX":
        raise FileError(name, "", f"the file's first element is <{_cut(root.tag)}>, not <OFX>")
    return root


def _cut(tag: str) -> str:
    """A tag as an error names it: a made-up one may be long."""
    return tag if len(tag) <= 40 else tag[:39] + "…"


def _header_problem(detail: str) -> str:
    if detail and not detail.startswith("<"):  # ofxtools: "'X' is not OneOf (...)"
        return f"the OFX header holds a value that cannot be read: {detail[:120]}".replace(
            " OneOf ", " one of "
        )
    return (
        "the file does not start with an OFX header "
        '(OFXHEADER:100 ... or <?OFX OFXHEADER="200" ...?>)'
    )


def _markup_error(name: str, said: str, data: bytes, tree: OFXTree, markup: str) -> FileError:
    """An error of the markup, placed at its line of the file."""
    place = ""
    found = _POSITION.search(said)
    if found and markup:
        codec = getattr(getattr(tree, "header", None), "codec", "utf-8")
        text = data.decode(codec, "replace")
        # The markup is the text after the header, stripped of its ends in OFX 1.
        end = len(text) if text.endswith(markup) else len(text.rstrip())
        offset = max(end - len(markup), 0) + int(found.group(1))
        place = f"line {text.count(chr(10), 0, offset) + 1}"
        said = said[: found.start()]
    tail = _TAIL.match(said)
    if tail:
        problem = f"text {shown(tail.group(1).partition(chr(39))[0])} stands outside any element"
    elif said.startswith("Mismatched tags"):
        problem = "a closing tag does not match its opening tag"
    elif said.startswith("</"):
        problem = said
    elif "multiple elements" in said:
        problem = "more than one element stands at the top level (a second <OFX>?)"
    else:
        problem = "the OFX markup cannot be read"
    return FileError(name, place, problem)


class _Reader:
    """Reads one file's elements; knows the file's name for its errors."""

    def __init__(self, name: str) -> None:
        self.name = name

    def statement(self, element: ET.Element, place: str) -> FileStatement:
        currency = self.currency(element, place, "CURDEF", required=True)
        account_tag = _ACCOUNT_OF[element.tag]
        account = self.child(element, account_tag, place, required=True)
        assert account is not None and currency is not None  # required
        number = self.leaf(account, "ACCTID", f"{place} / {account_tag}", required=True)
        context = {account_tag: self.as_dict(account, f"{place} / {account_tag}")}
        transactions: list[Transaction] = []
        corrections: list[Correction] = []
        listing = self.child(element, "BANKTRANLIST", place, required=False)
        entries = [] if listing is None else listing.findall("STMTTRN")
        for index, entry in enumerate(entries, 1):
            where = f"{place} / STMTTRN {index}"
            correction = self.correction(entry, where, currency, context)
            if correction is not None:
                corrections.append(correction)
            else:
                transactions.append(self.transaction(entry, where, currency, context))
        return FileStatement(
            account=number,
            currency=currency,
            transactions=tuple(transactions),
            closing=self.balance(element, place, currency),
            corrections=tuple(corrections),
            place=place,
        )

    def correction(
        self, entry: ET.Element, place: str, currency: str, context: Mapping[str, object]
    ) -> Correction | None:
        """A ``CORRECTFITID`` entry as the correction it is; None for an ordinary one."""
        fitid = self.leaf(entry, "CORRECTFITID", place)
        action = self.leaf(entry, "CORRECTACTION", place)
        if fitid is None and action is None:
            return None
        if fitid is None:
            raise FileError(self.name, place, "CORRECTACTION is given without CORRECTFITID")
        if action is None:
            raise FileError(self.name, place, "CORRECTFITID is given without CORRECTACTION")
        if action == "DELETE":
            return Correction(fitid, CorrectionAction.DELETE, None)
        if action == "REPLACE":
            replacement = self.transaction(entry, place, currency, context)
            return Correction(fitid, CorrectionAction.REPLACE, replacement)
        raise FileError(
            self.name, f"{place} / CORRECTACTION", f"{shown(action)} is neither REPLACE nor DELETE"
        )

    def transaction(
        self, entry: ET.Element, place: str, currency: str, context: Mapping[str, object]
    ) -> Transaction:
        posted = self.leaf(entry, "DTPOSTED", place, required=True)
        amount = self.leaf(entry, "TRNAMT", place, required=True)
        assert posted is not None and amount is not None  # required
        user = self.leaf(entry, "DTUSER", place)
        payee = self.child(entry, "PAYEE", place, required=False)
        name = self.leaf(entry, "NAME", place) or (
            None if payee is None else self.leaf(payee, "NAME", f"{place} / PAYEE")
        )
        name = fields.one_line([name]) or None
        memo = fields.one_line([self.leaf(entry, "MEMO", place)])
        # A CURRENCY aggregate says the amounts are in that currency (ORIGCURRENCY: that
        # they were converted into CURDEF already): its CURSYM is the transaction's.
        foreign = self.child(entry, "CURRENCY", place, required=False)
        if foreign is not None:
            currency = self.currency(foreign, f"{place} / CURRENCY", "CURSYM", True) or currency
        return Transaction(
            provider_transaction_id=self.leaf(entry, "FITID", place),
            status=TransactionStatus.BOOKED,
            amount=self.amount(amount, f"{place} / TRNAMT", currency),
            currency=currency,
            booking_date=self.date(posted, f"{place} / DTPOSTED"),
            value_date=None if user is None else self.date(user, f"{place} / DTUSER"),
            description=memo or name or self.leaf(entry, "TRNTYPE", place) or "",
            counterparty_name=name,
            reference=fields.one_line(
                [self.leaf(entry, "CHECKNUM", place) or self.leaf(entry, "REFNUM", place)]
            )
            or None,
            raw=fields.canonical({**context, "STMTTRN": self.as_dict(entry, place)}),
        )

    def balance(self, element: ET.Element, place: str, currency: str) -> StatementBalance | None:
        ledger = self.child(element, "LEDGERBAL", place, required=False)
        if ledger is None:
            return None
        where = f"{place} / LEDGERBAL"
        amount = self.leaf(ledger, "BALAMT", where, required=True)
        day = self.leaf(ledger, "DTASOF", where, required=True)
        assert amount is not None and day is not None  # required
        return StatementBalance(
            self.amount(amount, f"{where} / BALAMT", currency), self.date(day, f"{where} / DTASOF")
        )

    def currency(self, element: ET.Element, place: str, tag: str, required: bool) -> str | None:
        code = self.leaf(element, tag, place, required=required)
        try:
            return None if code is None else fields.currency(code)
        except fields.Bad as exc:
            raise FileError(self.name, f"{place} / {tag}", str(exc)) from None

    def amount(self, text: str, place: str, currency: str) -> Decimal:
        """A signed amount, with a point or (as the spec allows) a comma for decimals."""
        if not _AMOUNT.fullmatch(text):
            raise FileError(self.name, place, f"{shown(text)} is not an amount (e.g. -1234.50)")
        digits = text.lstrip("+-")
        mark = "," if "," in digits else "."
        try:
            value = fields.amount("0" + digits if digits[0] == mark else digits, mark, currency)
        except fields.Bad as exc:
            raise FileError(self.name, place, str(exc)) from None
        return fields.sign(value, money_in=not text.startswith("-"))

    def date(self, text: str, place: str) -> dt.date:
        """The bank's date: the first eight digits, whatever time and zone follow."""
        found = _DATE.fullmatch(text)
        if not found:
            raise FileError(
                self.name, place, f"{shown(text)} is not an OFX date (YYYYMMDD, then any time)"
            )
        try:
            return dt.date(*(int(part) for part in found.groups()))
        except ValueError:
            problem = f"{shown(text)} names no day of the calendar"
            raise FileError(self.name, place, problem) from None

    def child(
        self, parent: ET.Element, tag: str, place: str, *, required: bool
    ) -> ET.Element | None:
        found = parent.findall(tag)
        if len(found) > 1:
            raise FileError(self.name, place, f"{tag} is given {len(found)} times")
        if not found and required:
            raise FileError(self.name, place, f"{tag} is missing")
        return found[0] if found else None

    def leaf(self, parent: ET.Element, tag: str, place: str, required: bool = False) -> str | None:
        """The text of ``parent``'s one ``tag`` element, entities read; None when it is
        absent or empty."""
        element = self.child(parent, tag, place, required=required)
        if element is None:
            return None
        if len(element):
            raise FileError(
                self.name, f"{place} / {tag}", f"<{tag}> holds <{element[0].tag}>, not a value"
            )
        text = html.unescape(element.text or "").strip()
        if not text and required:
            raise FileError(self.name, place, f"{tag} is empty")
        return text or None

    def as_dict(self, element: ET.Element, place: str, depth: int = 0) -> dict[str, object]:
        """What the file said in ``element``, as plain values (a tag given twice: a list)."""
        if depth > _MAX_DEPTH:
            raise FileError(self.name, place, f"elements nest more than {_MAX_DEPTH} deep")
        said: dict[str, object] = {}
        for child in element:
            value: object = (
                self.as_dict(child, place, depth + 1)
                if len(child)
                else html.unescape(child.text or "").strip()
            )
            if child.tag in said:
                before = said[child.tag]
                said[child.tag] = [*before, value] if isinstance(before, list) else [before, value]
            else:
                said[child.tag] = value
        return said
