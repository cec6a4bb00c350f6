"""An MT940 statement line's ``:86:`` read: its label, counterparty and reference.

Banks write the field in one of three forms: German and Austrian ``?``
subfields, SWIFT and Dutch slash keywords, or free text; the tag reader
(:mod:`booksync.bankfiles.mt940`) hands over its lines as written
(docs/banking.md, "MT940").
"""

from __future__ import annotations

import re

from booksync.bankfiles import fields

__all__ = ["NO_REFERENCE", "Details"]

NO_REFERENCE = frozenset({"", "NONREF", "NOTPROVIDED"})
"""What banks write where a reference has none to give."""

# German and Austrian banks' "?" subfields, and the SEPA keywords inside the remittance.
_SUBFIELD = re.compile(r"\?(\d\d)")
_QUESTION_FORM = re.compile(r"(?:\d{3})?\?\d\d")
_SEPA = re.compile(r"(?:^|(?<= ))(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT)\+")
_FULL_SUBFIELD = 27  # a remittance subfield this long was cut mid-text
# The slash keywords of the SWIFT and Dutch forms (/EREF/.../NAME/.../REMI/...).
_SLASH = re.compile(
    r"/(EREF|CNTP|REMI|NAME|IBAN|BIC|BENM|ORDP|TRTP|CSID|MARF|SVCL|PURP|RTRN|ULTB|ULTD|ISDT|"
    r"ADDR|IREF|PREF|CDTRREFTP|CDTRREF)/"
)
_CREDITOR_REFERENCE = re.compile(r"RF\d\d[A-Z0-9]{1,21}")
_FULL_LINE = 65  # a SWIFT line: free text this long was cut mid-text, wherever it was


class Details:
    """What a ``:86:`` says: description, counterparty, reference."""

    __slots__ = ("description", "iban", "money_in", "name", "reference")

    def __init__(self, money_in: bool) -> None:
        self.money_in = money_in
        self.description = self.name = self.iban = self.reference = None  # type: str | None

    def read(self, lines: list[str]) -> None:
        joined = "".join(lines)
        if _QUESTION_FORM.match(joined):
            self.question(joined)
        elif _SLASH.match(joined):
            self.slash(joined)
        else:
            self.description = fields.one_line(_unwrapped(lines)) or None
        if self.reference is None and self.description:
            rf = _CREDITOR_REFERENCE.match(self.description)
            self.reference = rf.group() if rf else None

    def question(self, text: str) -> None:
        """``166?00GUTSCHRIFT?20EREF+...?21SVWZ+...?32Name?31IBAN``."""
        parts = _SUBFIELD.split(text)
        subfields: dict[str, str] = {}
        remittance = previous = ""
        for code, value in zip(parts[1::2], parts[2::2], strict=True):
            if "20" <= code <= "29" or "60" <= code <= "63":
                if remittance and (len(previous) < _FULL_SUBFIELD or _SEPA.match(value)):
                    remittance += " "  # a short subfield ended where its text did
                remittance += value
                previous = value
            else:
                subfields.setdefault(code, value)
        name = subfields.get("32", "")
        name += ("" if len(name) >= _FULL_SUBFIELD else " ") + subfields.get("33", "")
        self.name = fields.clean(fields.one_line([name]))
        self.iban = _iban(subfields.get("31"))
        keywords = _keywords(_SEPA, remittance)
        own = keywords.get("")
        self.description = fields.one_line([keywords.get("SVWZ") or own or subfields.get("00")
                                            or self.name]) or None
        self.reference = _given(keywords.get("EREF")) or _given(keywords.get("KREF"))
        if self.name is None:
            self.name = fields.clean(fields.one_line([keywords.get("ABWA" if self.money_in
                                                                   else "ABWE")]))

    def slash(self, text: str) -> None:
        """``/EREF/...//CNTP/IBAN/BIC/Name/City//REMI/USTD//text/`` and its kin."""
        party: str | None = None
        names: dict[str | None, str] = {}
        ibans: dict[str | None, str] = {}
        said: dict[str, str] = {}
        pieces = _SLASH.split(text)
        for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
            value = value.strip("/ ")
            if key in ("BENM", "ORDP"):
                party = key
            elif key == "NAME" and value:
                names.setdefault(party, value)
            elif key == "IBAN" and value:
                ibans.setdefault(party, value)
            elif key == "CNTP":
                held = value.split("/")
                if len(held) > 2 and held[2].strip():
                    names.setdefault("CNTP", held[2])
                ibans.setdefault("CNTP", held[0])
            said.setdefault(key, value)
        order = ("ORDP" if self.money_in else "BENM", "CNTP", None)
        self.name = fields.clean(fields.one_line([next((names[p] for p in order if p in names),
                                                       None)]))
        self.iban = _iban(next((ibans[p] for p in order if p in ibans), None))
        remi = said.get("REMI", "")
        structured = remi.startswith("STRD/")
        if remi.startswith(("USTD/", "STRD/")):
            remi = remi[5:].lstrip("/")
        self.description = fields.one_line([remi if not structured else None]) or (
            fields.one_line([self.name or said.get("TRTP")]) or None)
        self.reference = _given(said.get("EREF")) or (
            _given(remi.rpartition("/")[2]) if structured else None) or _given(
            said.get("CDTRREF"))


def _unwrapped(lines: list[str]) -> list[str]:
    """Free text's lines, a full line (65 characters) joined to the next without a space:
    banks cut the text at the line's end, mid-word or mid-number (``INV/2026/00``,
    ``05``), as a full ``?2x`` subfield is cut."""
    out: list[str] = []
    full = False
    for line in lines:
        if full:
            out[-1] += line
        else:
            out.append(line)
        full = len(line) >= _FULL_LINE
    return out


def _keywords(pattern: re.Pattern[str], text: str) -> dict[str, str]:
    """``text`` cut at ``pattern``'s keywords: each one's text (the first time it comes),
    and under ``""`` what stands before the first."""
    pieces = pattern.split(text)
    found = {"": pieces[0].strip()}
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        found.setdefault(key, value.strip())
    return found


def _given(text: str | None) -> str | None:
    """A reference, unless it says there is none."""
    value = fields.clean(fields.one_line([text]))
    return None if value is None or value.upper() in NO_REFERENCE else value


def _iban(text: str | None) -> str | None:
    """An IBAN as :func:`fields.iban` writes it, if ``text`` is one (not an old account number)."""
    value = fields.iban(text)
    return value if value and _IBAN.fullmatch(value) else None


_IBAN = re.compile(r"[A-Z]{2}\d\d[A-Z0-9]{10,30}")
