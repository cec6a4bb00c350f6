"""CAMT.053 (ISO 20022 BankToCustomerStatement) files, read as they stream in.

A file may hold a 100,000-entry statement, so it is never held whole: the
XML is parsed in 64 KB pieces, each ``Ntry`` becomes transactions when it
ends and is then dropped.  Elements are matched by their local name, so every
version (001.02 to 001.13) reads alike.  What becomes what, and why no file
can do harm or fill the memory: (docs/banking.md, "CAMT.053").  This module
reads the file within those limits, and each statement's own elements
(account, balances); an entry's elements become transactions in
:mod:`booksync.bankfiles.camt053_entries`.

Whatever the bytes, :func:`read` raises :class:`FileError` and nothing else.
"""

from __future__ import annotations

import codecs
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import BinaryIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from booksync.bankfiles import fields
from booksync.bankfiles.camt053_entries import EntryReader, Node
from booksync.bankfiles.fields import node_at, text_at
from booksync.bankfiles.records import FileError, FileStatement, StatementBalance

__all__ = ["read", "sniff"]

_CHUNK = 1 << 16
# How much of the file may pass without an entry or a statement ending: an
# entry takes a few kilobytes, so more is a giant text or a pile of elements,
# refused before it fills the memory.
_MAX_UNFINISHED = 32 << 20  # bytes
_MAX_TAGS = 500_000  # which the memory holds as elements until their entry ends
_BALANCES = {"OPBD", "PRCD", "CLBD"}  # opening, previously closed (an opening too), closing


def sniff(head: bytes) -> bool:
    """Whether a file starting with ``head`` looks like a CAMT.053 statement."""
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    text = head.decode("utf-16", "ignore") if utf16 else head.decode("latin-1")
    return text.lstrip("\ufeff\xef\xbb\xbf \t\r\n").startswith("<") and (
        "BkToCstmrStmt" in text or "camt.053." in text)


def read(source: BinaryIO, name: str) -> Iterator[FileStatement]:
    """The statements of the CAMT.053 file ``source`` (``name`` for messages), in order."""
    return _Statements(name).run(source)


class _Stop(Exception):
    """The guard has seen enough."""


class _PrologGuard:
    """The start of the file, read by defusedxml's parser until the root's first child.

    Only the prolog, before the root element, can declare a document type, and
    with it entities and external references: the guard refuses one.  Past the
    prolog none can appear, so the faster C parser reads the file.  The guard
    also names the root and its first child.
    """

    def __init__(self) -> None:
        self.parser = DefusedXMLParser(target=self, forbid_dtd=True)
        self.tags: list[str] = []
        self.done = False

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.tags.append(tag)
        if len(self.tags) == 2:
            raise _Stop

    def feed(self, chunk: bytes) -> None:
        """Read ``chunk`` (``b""``: the end); ``done`` once it has seen enough."""
        try:
            self.parser.feed(chunk) if chunk else self.parser.close()
        except DefusedXmlException:
            raise
        except Exception:  # _Stop; or what the C parser, given the same bytes, explains
            self.done = True
        self.done = self.done or not chunk


class _Statements:
    """One file's reading: how far the parser got, and the statement being read.

    The parser reports elements' ends only: an entry is read when its ``Ntry``
    ends, the statement's own elements (account, balances) when its ``Stmt``
    does.  An entry's place is known then; a broken XML's is its line and column.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.names: dict[str, str] = {}
        self.stmt_no, self.entry_no = 1, 0
        self.builder = _Builder(self)

    def where(self, *inner: str) -> str:
        """``Stmt 2``, then ``inner``'s elements (``Stmt 2 / Ntry 17``)."""
        return " / ".join((f"Stmt {self.stmt_no}", *inner))

    def fail(self, place: str, problem: str) -> FileError:
        return FileError(self.name, place, problem)

    def run(self, source: BinaryIO) -> Iterator[FileStatement]:
        parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("end",))
        guard = _PrologGuard()
        sizes = [0, 0, 0]  # bytes read; bytes and tags since an entry or statement ended
        while True:
            with fields.collector_paused():  # reading makes no reference cycles
                chunk, done = self.step(source, parser, guard, sizes)
            yield from done
            if not chunk:
                break
        if self.builder.entries:
            raise self.fail(self.where(), "entries (Ntry) stand outside any statement (Stmt)")
        if self.stmt_no == 1:
            raise self.fail("BkToCstmrStmt", "the file holds no statement (Stmt)")

    def step(self, source: BinaryIO, parser: ET.XMLPullParser[ET.Element],
             guard: _PrologGuard, sizes: list[int]) -> tuple[bytes, list[FileStatement]]:
        """Read and parse one piece of the file: the piece, and the statements it ended."""
        try:
            chunk = source.read(_CHUNK)
        except OSError as exc:
            raise self.fail("", f"the file could not be read ({exc.strerror or exc})") from None
        sizes[0] += len(chunk)
        if not guard.done:
            self.guarded(guard, chunk)
        try:
            parser.feed(chunk) if chunk else parser.close()
        except ET.ParseError as exc:
            raise self.syntax(exc, sizes[0]) from None
        except Exception as exc:  # whatever else the XML library refuses the bytes with
            raise self.fail("", f"the XML cannot be read ({exc})") from None
        try:
            done, progress = self.ended(parser)
        except ET.ParseError as exc:  # the parser hands its error over after the events before
            raise self.syntax(exc, sizes[0]) from None
        sizes[1] = 0 if progress else sizes[1] + len(chunk)
        sizes[2] = 0 if progress else sizes[2] + chunk.count(b"<")
        if sizes[1] > _MAX_UNFINISHED or sizes[2] > _MAX_TAGS:
            raise self.fail(self.where(), f"no entry ends within {_MAX_UNFINISHED >> 20} MB or "
                            f"{_MAX_TAGS:,} tags; an entry takes a few kilobytes")
        return chunk, done

    def guarded(self, guard: _PrologGuard, chunk: bytes) -> None:
        """Feed ``chunk`` to the guard; once it is done, check the root it saw."""
        try:
            guard.feed(chunk)
        except DefusedXmlException:
            raise self.fail("DOCTYPE", "the file declares a document type; a statement has none, "
                            "and its entities or references could make reading unsafe") from None
        if not guard.done or not guard.tags:
            return  # not yet; or no element at all, which the C parser explains
        root = guard.tags[0].rpartition("}")[2]
        first = guard.tags[1].rpartition("}")[2] if len(guard.tags) > 1 else "nothing"
        if root != "Document":
            raise self.fail(root, f"the file is not a CAMT.053 statement: its root is {root}, "
                            "not Document")
        if first != "BkToCstmrStmt":
            raise self.fail(f"Document / {first}", "the document holds no bank-to-customer "
                            f"statement (BkToCstmrStmt) but {first}")

    def ended(self, parser: ET.XMLPullParser[ET.Element]) -> tuple[list[FileStatement], bool]:
        """The statements the elements ``parser`` finished make, and whether an entry or
        statement ended."""
        done: list[FileStatement] = []
        progress = False
        names = self.names
        # Only end events were asked for: each carries an element.
        events: Iterator[tuple[str, ET.Element]] = parser.read_events()  # type: ignore[assignment]
        for _, el in events:
            tag = names.get(el.tag) or fields.local_name(el.tag, names)
            if tag == "Ntry":
                self.entry_no += 1
                self.builder.entry(el, names, self.where(f"Ntry {self.entry_no}"), self.entry_no)
                el.clear()
                progress = True
            elif tag == "Stmt":
                done.append(self.builder.statement(el, names))
                el.clear()
                self.stmt_no, self.entry_no = self.stmt_no + 1, 0
                self.builder = _Builder(self)
                progress = True
        return done, progress

    def syntax(self, exc: ET.ParseError, total: int) -> FileError:
        line, column = exc.position
        reason = str(exc).rsplit(": line ", 1)[0]
        if total == 0:
            return self.fail("", "the file is empty")
        if reason == "no element found":
            return self.fail(f"line {line}", "the file ends before its XML is complete")
        return self.fail(f"line {line}, column {column + 1}", f"the XML is broken ({reason})")


class _Builder(EntryReader):
    """One ``Stmt``: its account, currency and balances, and its entries' transactions."""

    def __init__(self, file: _Statements) -> None:
        super().__init__(file.name)
        self.file = file
        self.account: str | None = None
        self.currency: str | None = None
        self.stmt_id: str | None = None
        self.balances: dict[str, StatementBalance] = {}
        self.bal_no = 0

    def same_currency(self, code: str, place: str) -> None:
        if self.currency is None:
            self.currency = code
        elif code != self.currency:
            raise self.fail(place, f"the amount is in {code}, but the statement's currency is "
                            f"{self.currency}")

    # -- the statement's own elements ------------------------------------------------
    def statement(self, stmt: ET.Element, names: dict[str, str]) -> FileStatement:
        """The statement, once its ``Stmt`` ended: its own elements are read now."""
        place = self.file.where()
        for child in stmt:
            local = fields.local_name(child.tag, names)
            if local != "Ntry":
                self.header(local, self.tree(child, names, f"{place} / {local}"))
        for code, entry_no in self.entries.items():
            self.same_currency(code, f"{place} / Ntry {entry_no} / Amt")
        if self.account is None:
            raise self.fail(place, "the statement names no account (Acct)")
        if self.currency is None:
            raise self.fail(f"{place} / Acct", "the statement names no currency: no Acct/Ccy, "
                            "balance or entry")
        opening = self.balances.get("OPBD") or self.balances.get("PRCD")
        return FileStatement(self.account, self.currency, tuple(self.transactions), opening,
                             self.balances.get("CLBD"), self.stmt_id, place=place)

    def header(self, local: str, node: Node) -> None:
        place = self.file.where(local)
        if local == "Id":
            self.stmt_id = node if type(node) is str and node else None
        elif local == "Acct":
            account = node_at(node, "Id")
            self.account = fields.iban(text_at(account, "IBAN")) or text_at(account, "Othr", "Id")
            if self.account is None:
                raise self.fail(f"{place} / Id", "the account has neither an IBAN nor another id")
            try:
                code = self.one(node, "Ccy", place)
                if code is not None:
                    self.same_currency(fields.currency(code), f"{place} / Ccy")
            except fields.Bad as exc:
                raise self.fail(f"{place} / Ccy", str(exc)) from None
        elif local == "Bal":
            self.bal_no += 1
            self.balance(node, self.file.where(f"Bal {self.bal_no}"))

    def balance(self, node: Node, place: str) -> None:
        kind = text_at(node, "Tp", "CdOrPrtry", "Cd")
        if kind not in _BALANCES:
            return  # interim, available, forward or proprietary: not what a statement states
        unsigned, code = self.amount(node, place)
        self.same_currency(code, f"{place} / Amt")
        amount = fields.sign(unsigned, self.money_in(node, place))
        day = self.date(node, "Dt", place)
        if day is None:
            raise self.fail(place, "the balance has no date (Dt)")
        if kind in self.balances:
            raise self.fail(place, f"a second {kind} balance; a statement states one")
        self.balances[kind] = StatementBalance(amount, day)
