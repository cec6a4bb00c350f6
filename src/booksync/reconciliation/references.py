"""Document references in a bank line's text, read the way people write them.

Customers type our invoice numbers into their transfers with other case,
spaces or dashes for the slashes, leading zeros dropped or added, and the
letter O for a zero.  Every form of ``INV/2026/00012`` reduces to one key,
``INV/2026/12``, so that a reference is one dictionary lookup
(docs/reconciliation.md, "Matching").  Free-form references (a vendor's bill
number) reduce to their letters and digits in upper case.
"""

from __future__ import annotations

import re

__all__ = ["document_key", "free_key", "free_keys", "number_keys"]

# RINV before INV and RBILL before BILL; a prefix glued to a letter before it is not one.
_NUMBER = re.compile(
    r"(?<![A-Z])(RINV|RBILL|INV|BILL)[\s/._-]*([0-9OI]{4})[\s/._-]*([0-9OI]{1,7})(?![0-9])",
    re.IGNORECASE,
)
_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "i": "1"})
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
MIN_FREE = 5  # a free reference shorter than this matches too much by chance


_PREFIXES = frozenset({"RINV", "RBILL", "INV", "BILL"})


def document_key(number: str) -> str | None:
    """The key of a document number as booksync gives it (``INV/2026/00012``).

    Such a number needs no search: it is read by its slashes, as each open
    document's is when the open book loads (a hundred thousand of them).
    """
    parts = number.split("/")
    if len(parts) == 3 and parts[0] in _PREFIXES:
        year, seq = parts[1], parts[2]
        if (len(year) == 4 and 0 < len(seq) <= 7 and (year + seq).isascii()
                and (year + seq).isdigit()):
            return f"{parts[0]}/{int(year)}/{int(seq)}"
    keys = number_keys(number)
    return keys[0] if keys else None


def number_keys(text: str) -> list[str]:
    """Keys of every document number written in ``text``, in order, each once."""
    found: list[str] = []
    for prefix, year, seq in _NUMBER.findall(text):
        key = f"{prefix.upper()}/{int(year.translate(_DIGITS))}/{int(seq.translate(_DIGITS))}"
        if key not in found:
            found.append(key)
    return found


def free_key(reference: str) -> str | None:
    """A free-form reference as letters and digits, or None when too short to trust."""
    key = _NOT_ALNUM.sub("", reference.upper())
    return key if len(key) >= MIN_FREE else None


def free_keys(text: str, *, span: int = 3) -> set[str]:
    """Every run of up to ``span`` adjacent words of ``text`` as a free key.

    ``F-2026 118`` in a transfer matches a bill whose vendor reference is
    ``F-2026-118`` without comparing the text with every open bill.
    """
    words = [w for w in re.split(r"\s+", text.upper()) if w]
    keys: set[str] = set()
    for start in range(len(words)):
        for end in range(start + 1, min(start + span, len(words)) + 1):
            key = free_key("".join(words[start:end]))
            if key:
                keys.add(key)
    return keys
