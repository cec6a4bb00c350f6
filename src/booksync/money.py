"""Money: ``Decimal`` in code, integer minor units in storage.

Every amount crosses between the two only here, so a rounding or exponent
mistake has one place to live.  Exponents follow ISO 4217 (list one, the
"minor unit" column): 2 for most currencies, 0 for JPY or KRW, 3 for BHD or
KWD, 4 for CLF.  Amounts that do not fit the currency's exponent exactly are
refused rather than rounded: the books never silently lose a fraction.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from booksync.errors import BooksyncError
from booksync.ledger.limits import (
    MAX_AMOUNT_TEXT,
    MAX_EXPONENT,
    MAX_LINE_DIGITS,
    MAX_LINE_MINOR,
    MAX_SIGNIFICANT_DIGITS,
    shown,
)

__all__ = [
    "CURRENCIES",
    "MoneyError",
    "check_size",
    "exponent",
    "format_minor",
    "parse_amount",
    "size_ok",
    "to_decimal",
    "to_minor",
]


# Digits of minor units one amount may have (see booksync.ledger.limits).
MAX_DIGITS = MAX_LINE_DIGITS


class MoneyError(BooksyncError, ValueError):
    """An amount or currency that the books cannot hold exactly."""

    code = "invalid_amount"


# code: (minor-unit exponent, English name)
CURRENCIES: dict[str, tuple[int, str]] = {
    "AED": (2, "UAE Dirham"),
    "ARS": (2, "Argentine Peso"),
    "AUD": (2, "Australian Dollar"),
    "BGN": (2, "Bulgarian Lev"),
    "BHD": (3, "Bahraini Dinar"),
    "BIF": (0, "Burundi Franc"),
    "BRL": (2, "Brazilian Real"),
    "CAD": (2, "Canadian Dollar"),
    "CHF": (2, "Swiss Franc"),
    "CLF": (4, "Unidad de Fomento"),
    "CLP": (0, "Chilean Peso"),
    "CNY": (2, "Yuan Renminbi"),
    "COP": (2, "Colombian Peso"),
    "CZK": (2, "Czech Koruna"),
    "DJF": (0, "Djibouti Franc"),
    "DKK": (2, "Danish Krone"),
    "EGP": (2, "Egyptian Pound"),
    "EUR": (2, "Euro"),
    "GBP": (2, "Pound Sterling"),
    "GNF": (0, "Guinean Franc"),
    "HKD": (2, "Hong Kong Dollar"),
    "HUF": (2, "Forint"),
    "IDR": (2, "Rupiah"),
    "ILS": (2, "New Israeli Sheqel"),
    "INR": (2, "Indian Rupee"),
    "IQD": (3, "Iraqi Dinar"),
    "ISK": (0, "Iceland Krona"),
    "JOD": (3, "Jordanian Dinar"),
    "JPY": (0, "Yen"),
    "KES": (2, "Kenyan Shilling"),
    "KMF": (0, "Comorian Franc"),
    "KRW": (0, "Won"),
    "KWD": (3, "Kuwaiti Dinar"),
    "LYD": (3, "Libyan Dinar"),
    "MAD": (2, "Moroccan Dirham"),
    "MXN": (2, "Mexican Peso"),
    "MYR": (2, "Malaysian Ringgit"),
    "NGN": (2, "Naira"),
    "NOK": (2, "Norwegian Krone"),
    "NZD": (2, "New Zealand Dollar"),
    "OMR": (3, "Rial Omani"),
    "PEN": (2, "Sol"),
    "PHP": (2, "Philippine Peso"),
    "PKR": (2, "Pakistan Rupee"),
    "PLN": (2, "Zloty"),
    "PYG": (0, "Guarani"),
    "QAR": (2, "Qatari Rial"),
    "RON": (2, "Romanian Leu"),
    "RSD": (2, "Serbian Dinar"),
    "RWF": (0, "Rwanda Franc"),
    "SAR": (2, "Saudi Riyal"),
    "SEK": (2, "Swedish Krona"),
    "SGD": (2, "Singapore Dollar"),
    "THB": (2, "Baht"),
    "TND": (3, "Tunisian Dinar"),
    "TRY": (2, "Turkish Lira"),
    "TWD": (2, "New Taiwan Dollar"),
    "UAH": (2, "Hryvnia"),
    "UGX": (0, "Uganda Shilling"),
    "USD": (2, "US Dollar"),
    "UYI": (0, "Uruguay Peso en Unidades Indexadas"),
    "UYU": (2, "Peso Uruguayo"),
    "UYW": (4, "Unidad Previsional"),
    "VND": (0, "Dong"),
    "VUV": (0, "Vatu"),
    "XAF": (0, "CFA Franc BEAC"),
    "XOF": (0, "CFA Franc BCEAO"),
    "XPF": (0, "CFP Franc"),
    "ZAR": (2, "Rand"),
}


def exponent(currency: str) -> int:
    """The number of decimal places of ``currency`` (ISO 4217 minor unit)."""
    try:
        return CURRENCIES[currency.upper()][0]
    except KeyError:
        raise MoneyError(f"unknown currency {currency!r}") from None


def parse_amount(text: str | int | Decimal) -> Decimal:
    """Read a user-supplied amount (``"150"``, ``"150.00"``, ``"-3.5"``) as ``Decimal``.

    Floats are refused: they cannot say which decimal the user meant.  The
    text and its decimal form are bounded (:func:`check_size`) before any
    arithmetic, so no input can make reading it slow.
    """
    if isinstance(text, float | bool):
        raise MoneyError(f"amount {text!r} must be a decimal string, not a float")
    if isinstance(text, Decimal):
        return check_size(text)
    raw = str(text)
    if len(raw) > MAX_AMOUNT_TEXT:
        raise MoneyError(f"amount {shown(raw)} is longer than {MAX_AMOUNT_TEXT} characters")
    try:
        value = Decimal(raw.strip().replace("_", "")) if raw != "" else Decimal(0)
    except InvalidOperation:
        raise MoneyError(f"{shown(raw)} is not an amount") from None
    return check_size(value, raw)


def check_size(value: Decimal, text: str | None = None) -> Decimal:
    """``value`` if it is finite and small enough to compute with; else one clear sentence.

    At most ``MAX_SIGNIFICANT_DIGITS`` digits, the last of them at a power
    of ten within ``-MAX_EXPONENT .. MAX_EXPONENT``: any real amount or rate
    fits, and no arithmetic on it can take long.  ``text`` is what the user
    wrote, for the error.
    """
    if size_ok(value):
        return value
    said = shown(text if text is not None else str(value))
    if not value.is_finite():
        raise MoneyError(f"{said} is not an amount")
    if len(value.as_tuple().digits) > MAX_SIGNIFICANT_DIGITS:
        raise MoneyError(f"amount {said} has more than {MAX_SIGNIFICANT_DIGITS} digits")
    raise MoneyError(
        f"amount {said} is out of range: at most {MAX_EXPONENT} decimal places, "
        f"and no power of ten beyond 1e{MAX_EXPONENT}"
    )


def size_ok(value: Decimal) -> bool:
    """Whether ``value`` is finite and within the bounds :func:`check_size` explains."""
    _, digits, exp = value.as_tuple()
    return (
        isinstance(exp, int)  # not NaN or infinite
        and len(digits) <= MAX_SIGNIFICANT_DIGITS
        and -MAX_EXPONENT <= exp <= MAX_EXPONENT
    )


def to_minor(amount: Decimal | str | int, exp: int) -> int:
    """``Decimal("12.34")`` with exponent 2 -> ``1234``; refuses ``12.345``.

    Computed on the Decimal's exact digits with integer arithmetic, so no
    context precision can round a long fraction away; the size is checked
    first (:func:`check_size`), so the powers of ten stay small.  At most
    ``MAX_DIGITS`` digits of minor units fit a line.
    """
    value = check_size(amount) if isinstance(amount, Decimal) else parse_amount(amount)
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    magnitude = int("".join(map(str, digits)))
    shift = exponent + exp
    if magnitude and len(digits) + shift > MAX_DIGITS:
        raise MoneyError(
            f"amount {value} is too large: a line holds at most "
            f"{to_decimal(MAX_LINE_MINOR, exp)}"
        )
    minor: int
    if shift >= 0:
        minor = magnitude * 10**shift
    else:
        minor, rest = divmod(magnitude, 10 ** (-shift))
        if rest:
            raise MoneyError(f"amount {value} has more than {exp} decimal places")
    return -minor if sign else minor


def to_decimal(minor: int, exp: int) -> Decimal:
    """``1234`` with exponent 2 -> ``Decimal("12.34")`` (always ``exp`` places)."""
    return Decimal(minor).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))


def format_minor(minor: int, exp: int) -> str:
    """Minor units as the decimal string the JSON contract uses (``"150.00"``)."""
    return str(to_decimal(minor, exp))
