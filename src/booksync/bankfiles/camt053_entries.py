"""A CAMT.053 statement's elements read as values, and its entries read into transactions.

The streaming reader (:mod:`booksync.bankfiles.camt053`) hands over each
``Ntry`` once it ends, as plain values; here a booked one becomes one
transaction, or one per detail of a collective entry whose details' amounts
add up to it.  The readers of amounts, indicators and dates name the element
that is wrong in their error, for the statement's balances as for its
entries (docs/banking.md, "CAMT.053").
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from booksync.bankfiles import fields
from booksync.bankfiles.fields import all_of, node_at, text_at
from booksync.bankfiles.records import FileError
from booksync.ledger.limits import shown
from booksync.providers.base import Transaction, TransactionStatus

__all__ = ["EntryReader", "Node"]

_MAX_DEPTH = 40  # elements below an entry, which nests about 10 deep
_STATUSES = {"BOOK", "PDNG", "INFO", "FUTR"}
_SIGNS = {"CRDT": True, "DBIT": False}

Node = Any  # what fields.xml_values makes of an element: its text, or a dict of such


def _bank_code(ntry: dict[str, Any]) -> str | None:
    """``BkTxCd`` as ``PMNT/RCDT/ESCT``, or its proprietary code."""
    domain = node_at(ntry, "BkTxCd", "Domn")
    codes = [text_at(domain, "Cd"), text_at(domain, "Fmly", "Cd"),
             text_at(domain, "Fmly", "SubFmlyCd")]
    if all(codes):
        return "/".join(code for code in codes if code)
    return text_at(ntry, "BkTxCd", "Prtry", "Cd")


@dataclass(frozen=True, slots=True)
class _Entry:
    """What a booked ``Ntry`` gives every transaction made of it."""

    node: dict[str, Any]
    currency: str
    booked: dt.date
    value: dt.date | None


class EntryReader:
    """One ``Stmt``'s entries, read into its transactions as each ``Ntry`` ends.

    ``entries`` keeps each currency the entries use with the first entry
    using it, so that the statement, once its currency is known, can name
    the entry that differs.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.transactions: list[Transaction] = []
        self.entries: dict[str, int] = {}

    def fail(self, place: str, problem: str) -> FileError:
        return FileError(self.name, place, problem)

    # -- fields ----------------------------------------------------------------------
    def one(self, node: Node, key: str, place: str) -> str | None:
        """The text of the one ``key`` below ``node``; None when absent."""
        value = node.get(key) if type(node) is dict else None
        if type(value) is list:
            raise self.fail(f"{place} / {key}", f"{key} appears {len(value)} times; one belongs")
        if type(value) is dict:
            if "#text" not in value:
                raise self.fail(f"{place} / {key}", f"{key} holds elements where a text belongs")
            value = value["#text"]
        return value

    def amount(self, node: Node, place: str) -> tuple[Decimal, str]:
        """An unsigned amount and its currency, from ``Amt`` and its ``Ccy``."""
        amt = node.get("Amt") if type(node) is dict else None
        if amt is None:
            raise self.fail(place, "the amount (Amt) is missing")
        if type(amt) is not dict or "#text" not in amt or "@Ccy" not in amt:
            raise self.fail(f"{place} / Amt", "the amount appears more than once" if type(amt)
                            is list else "the amount holds elements where a number belongs"
                            if type(amt) is dict and "#text" not in amt
                            else "the amount names no currency (Ccy)")
        try:
            code = fields.currency(amt["@Ccy"])
            return fields.amount(amt["#text"], ".", code), code
        except fields.Bad as exc:
            raise self.fail(f"{place} / Amt", str(exc)) from None

    def money_in(self, node: Node, place: str, default: bool | None = None) -> bool:
        """``CdtDbtInd``: CRDT is money in, DBIT money out."""
        indicator = self.one(node, "CdtDbtInd", place)
        if indicator is None and default is not None:
            return default
        if indicator not in _SIGNS:
            said = "is missing" if indicator is None else f"{shown(indicator)} is not one"
            raise self.fail(f"{place} / CdtDbtInd", f"the credit or debit indicator (CRDT or "
                            f"DBIT) {said}")
        return _SIGNS[indicator]

    def date(self, node: Node, key: str, place: str) -> dt.date | None:
        """``key``'s ``Dt``, or the date of its ``DtTm``; None when there is no ``key``."""
        holder = node.get(key) if type(node) is dict else None
        if holder is None:
            return None
        at = f"{place} / {key}"
        try:
            return fields.iso_date(self.one(holder, "Dt", at) or self.one(holder, "DtTm", at))
        except fields.Bad as exc:
            raise self.fail(at, str(exc)) from None

    def tree(self, el: ET.Element, names: dict[str, str], place: str) -> Node:
        try:
            return fields.xml_values(el, names, _MAX_DEPTH)
        except fields.Bad as exc:
            raise self.fail(place, str(exc)) from None

    # -- entries ---------------------------------------------------------------------
    def entry(self, el: ET.Element, names: dict[str, str], place: str, entry_no: int) -> None:
        """The transactions of the ``Ntry`` that ended (none unless it is booked)."""
        ntry = self.tree(el, names, place)
        if type(ntry) is not dict:
            raise self.fail(place, "the entry is empty")
        if self.status(ntry, place) == "BOOK":  # not pending, information or future
            self.booked(ntry, place, entry_no)

    def status(self, ntry: dict[str, Any], place: str) -> str:
        """``Sts`` as a code (newer versions write it as ``Sts/Cd``)."""
        sts = ntry.get("Sts")
        code = self.one(sts, "Cd", f"{place} / Sts") if type(sts) is dict and "Cd" in sts else (
            self.one(ntry, "Sts", place))
        if code in _STATUSES:
            return code
        if sts is None:
            raise self.fail(place, "the entry has no status (Sts)")
        raise self.fail(f"{place} / Sts", f"the entry's status {shown(code or '')} is none of "
                        "BOOK, PDNG, INFO or FUTR")

    def booked(self, ntry: dict[str, Any], place: str, entry_no: int) -> None:
        unsigned, ccy = self.amount(ntry, place)
        self.entries.setdefault(ccy, entry_no)
        money_in = self.money_in(ntry, place)
        booked, value = self.date(ntry, "BookgDt", place), self.date(ntry, "ValDt", place)
        if booked is None and value is None:
            raise self.fail(place, "the booked entry has neither a booking date (BookgDt) nor a "
                            "value date (ValDt)")
        details = []  # each TxDtls, with its place
        outer = all_of(ntry, "NtryDtls")
        for i, dtls in enumerate(outer, 1):
            inner = all_of(dtls, "TxDtls")
            for j, tx in enumerate(inner, 1):
                at = f"{place} / NtryDtls{f' {i}' if len(outer) > 1 else ''} / TxDtls"
                details.append((f"{at} {j}" if len(inner) > 1 else at, tx))
        entry = _Entry(ntry, ccy, booked or value, value)  # type: ignore[arg-type]
        # Not NtryRef: banks number a statement's entries with it, or repeat one
        # (a Swiss QR participant number) on many; as an id it would drop another day's
        # entry as a duplicate.  Without AcctSvcrRef the import fingerprints the entry.
        ref = text_at(ntry, "AcctSvcrRef")
        amount = fields.sign(unsigned, money_in)
        parts = self.split(details, money_in, amount, ccy) if len(details) > 1 else None
        if parts is None:
            self.add(entry, ref, amount, details[0][1] if details else None, ntry, len(details) > 1)
            return
        seen = {ref}
        for index, ((_, tx), part) in enumerate(zip(details, parts, strict=True), 1):
            own = text_at(tx, "Refs", "AcctSvcrRef")
            if own is None or own in seen:  # banks repeat the entry's reference in its details
                own = None if ref is None else f"{ref}/{index}"
            seen.add(own)
            self.add(entry, own, part, tx, dict(ntry, NtryDtls={"TxDtls": tx}), False)

    def split(self, details: list[tuple[str, Node]], money_in: bool, total: Decimal,
              ccy: str) -> list[Decimal] | None:
        """Each detail's signed amount, when every one has its own in ``ccy`` and they add
        up to the entry's ``total``; else None (the entry stays one transaction)."""
        parts = []
        for place, tx in details:
            holder, at = tx, place
            if type(tx) is not dict or "Amt" not in tx:
                holder, at = node_at(tx, "AmtDtls", "TxAmt"), f"{place} / AmtDtls / TxAmt"
                if holder is None or "Amt" not in holder:
                    return None
            unsigned, code = self.amount(holder, at)
            if code != ccy:
                return None
            parts.append(fields.sign(unsigned, self.money_in(tx, place, money_in)))
        return parts if sum(parts) == total else None

    def add(self, entry: _Entry, tid: str | None, amount: Decimal, tx: Node, raw: Node,
            batch: bool) -> None:
        """The transaction for ``tx`` (one detail, or a whole ``batch`` entry's first)."""
        side = "Dbtr" if amount >= 0 else "Cdtr"
        parties = node_at(tx, "RltdPties")
        name = text_at(parties, side, "Nm") or text_at(parties, side, "Pty", "Nm")
        rmt = node_at(tx, "RmtInf")
        remittance = fields.one_line(u for u in all_of(rmt, "Ustrd") if type(u) is str)
        info = text_at(entry.node, "AddtlNtryInf")
        reference = None
        if batch:  # several payments booked as one: no one reference is the whole amount's
            texts = [info, remittance]
        else:
            texts = [remittance, text_at(tx, "AddtlTxInf"), info]
            quoted = (text_at(strd, "CdtrRefInf", "Ref") for strd in all_of(rmt, "Strd"))
            e2e = text_at(tx, "Refs", "EndToEndId")
            reference = next((ref for ref in quoted if ref), None) or (
                e2e if e2e != "NOTPROVIDED" else None)
        description = next((text for text in texts if text), None) or name or _bank_code(
            entry.node)
        self.transactions.append(Transaction(
            provider_transaction_id=tid, status=TransactionStatus.BOOKED, amount=amount,
            currency=entry.currency, booking_date=entry.booked,
            description=fields.clean(description) or "", raw=fields.canonical(raw),
            value_date=entry.value, counterparty_name=fields.clean(name),
            counterparty_iban=fields.iban(text_at(parties, side + "Acct", "Id", "IBAN")),
            reference=fields.clean(reference),
        ))
