"""One line's values as the books keep them: amounts in minor units, text that fits.

Split from :mod:`booksync.ledger.entries`, which checks whole entries; the
limits themselves live in :mod:`booksync.ledger.limits`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from booksync.ledger.errors import InvalidEntry
from booksync.ledger.limits import MAX_TEXT, check_text
from booksync.money import CURRENCIES, MAX_DIGITS, MoneyError, check_size, to_minor

if TYPE_CHECKING:
    from booksync.ledger.entries import LineInput, PreparedLine

# 10**exp by exponent, and the first amount in minor units that no longer fits (money.MAX_DIGITS)
_POW10: tuple[int, ...] = tuple(10**n for n in range(MAX_DIGITS + 1))
_MINOR_LIMIT: int = 10**MAX_DIGITS


def line_minor(value: Decimal, exp: int, what: str) -> int:
    """A debit or credit in minor units: non-negative, exact, and small enough for a line."""
    if not value:  # half of all amounts are the empty side of a line
        return 0
    # The common case in integer arithmetic: exact, non-negative and small enough.
    # Anything else takes the full path below, which names what is wrong.  The
    # size check comes first: a tiny power of ten would make the ratio huge.
    if type(value) is Decimal and value.is_finite() and 0 <= value.adjusted() + exp < MAX_DIGITS:
        try:
            check_size(value)
        except MoneyError as exc:
            raise InvalidEntry(f"{what}: {exc}") from None
        num, den = value.as_integer_ratio()
        minor, rest = divmod(num * _POW10[exp], den)
        if not rest and 0 < minor < _MINOR_LIMIT:
            return minor
    try:
        minor = to_minor(value, exp)
    except MoneyError as exc:
        raise InvalidEntry(f"{what}: {exc}") from None
    if minor < 0:
        raise InvalidEntry(f"{what} must not be negative ({value})")
    return minor


def attach_foreign(prepared: PreparedLine, line: LineInput) -> None:
    """Attach a line's amount in a foreign currency, signed like its side."""
    code = (line.currency or "").upper()
    if code not in CURRENCIES or line.amount_currency is None:
        raise InvalidEntry(
            f"a line on {line.account} needs both a known currency and an amount in it"
        )
    amount = line.amount_currency
    try:
        minor = to_minor(amount, CURRENCIES[code][0])
    except MoneyError as exc:
        raise InvalidEntry(f"amount in {code}: {exc}") from None
    if (minor < 0 and prepared.debit) or (minor > 0 and prepared.credit):
        raise InvalidEntry(
            f"the {code} amount of a line on {line.account} must have the sign of its side "
            "(positive for a debit, negative for a credit)"
        )
    prepared.currency_code = code
    prepared.amount_currency = minor


def line_label(label: str | None) -> str | None:
    """A line's label as stored (``None`` when empty), or a clear error if it does not fit."""
    return check_text(label or None, "label", MAX_TEXT)


def entry_ref(ref: str | None) -> str | None:
    """An entry's reference as stored: stripped, ``None`` when empty; checked like a label."""
    ref = ref.strip() if ref else None
    return check_text(ref, "ref", MAX_TEXT) or None
