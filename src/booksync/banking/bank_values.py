"""A bank's values as the books store them: made to fit, never refused.

What a bank sends is not the user's mistake, so nothing here refuses it
(docs/ledger.md, "Limits"): text gets its control characters replaced and
is cut to its column, an IBAN that cannot be one is dropped, and an id too
long for its column, or holding control characters, is stored as a digest of
itself. The digest is the same on every fetch, so such an id still books
its transaction exactly once.
"""

from __future__ import annotations

import hashlib

from booksync.ledger.limits import MAX_NAME, MAX_TEXT, fit_text, text_ok
from booksync.providers.base import Transaction

DEFAULT_LABEL = "Bank transaction"
MAX_ID = 200  # the transaction id columns' size
MAX_IBAN = 34  # ISO 13616


def line_label(tx: Transaction) -> str:
    """The statement line's label for a transaction, as stored."""
    return fit_text(tx.description or DEFAULT_LABEL)


def partner_name(tx: Transaction) -> str | None:
    return fit_text(tx.counterparty_name, MAX_NAME) if tx.counterparty_name else None


def reference(tx: Transaction) -> str | None:
    """The bank's structured or remittance reference, as stored (a line label's size)."""
    return fit_text(tx.reference, MAX_TEXT) if tx.reference else None


def counterparty_iban(tx: Transaction) -> str | None:
    iban = tx.counterparty_iban
    return iban if iban and text_ok(iban, MAX_IBAN) else None


def stored_id(value: str, limit: int = MAX_ID) -> str:
    """An id as stored: as sent, or a digest when it cannot be stored as sent."""
    if text_ok(value, limit):
        return value
    return "#sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(tx: Transaction, amount: int, occurrence: int) -> str:
    """A stand-in id for a transaction the bank gave no id (blank ids are not ids).

    Date, amount and text, plus the occurrence number among identical ones in
    the same answer, so two genuine identical payments stay two.
    """
    text = hashlib.sha256(tx.description.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"~{tx.booking_date}:{amount}:{text}#{occurrence}"
