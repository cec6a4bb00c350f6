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


# The currencies of ISO 4217 in use (and three of its funds codes), code: (minor-unit
# exponent, English name).  Books made before a code was added get it from migration
# 0017 or `booksync init` (`booksync.ledger.companies.ensure_currencies`).
CURRENCIES: dict[str, tuple[int, str]] = {
    "AED": (2, "UAE Dirham"),
    "AFN": (2, "Afghani"),
    "ALL": (2, "Lek"),
    "AMD": (2, "Armenian Dram"),
    "AOA": (2, "Kwanza"),
    "ARS": (2, "Argentine Peso"),
    "AUD": (2, "Australian Dollar"),
    "AWG": (2, "Aruban Florin"),
    "AZN": (2, "Azerbaijan Manat"),
    "BAM": (2, "Convertible Mark"),
    "BBD": (2, "Barbados Dollar"),
    "BDT": (2, "Taka"),
    "BGN": (2, "Bulgarian Lev"),
    "BHD": (3, "Bahraini Dinar"),
    "BIF": (0, "Burundi Franc"),
    "BMD": (2, "Bermudian Dollar"),
    "BND": (2, "Brunei Dollar"),
    "BOB": (2, "Boliviano"),
    "BRL": (2, "Brazilian Real"),
    "BSD": (2, "Bahamian Dollar"),
    "BTN": (2, "Ngultrum"),
    "BWP": (2, "Pula"),
    "BYN": (2, "Belarusian Ruble"),
    "BZD": (2, "Belize Dollar"),
    "CAD": (2, "Canadian Dollar"),
    "CDF": (2, "Congolese Franc"),
    "CHF": (2, "Swiss Franc"),
    "CLF": (4, "Unidad de Fomento"),
    "CLP": (0, "Chilean Peso"),
    "CNY": (2, "Yuan Renminbi"),
    "COP": (2, "Colombian Peso"),
    "CRC": (2, "Costa Rican Colon"),
    "CUP": (2, "Cuban Peso"),
    "CVE": (2, "Cabo Verde Escudo"),
    "CZK": (2, "Czech Koruna"),
    "DJF": (0, "Djibouti Franc"),
    "DKK": (2, "Danish Krone"),
    "DOP": (2, "Dominican Peso"),
    "DZD": (2, "Algerian Dinar"),
    "EGP": (2, "Egyptian Pound"),
    "ERN": (2, "Nakfa"),
    "ETB": (2, "Ethiopian Birr"),
    "EUR": (2, "Euro"),
    "FJD": (2, "Fiji Dollar"),
    "FKP": (2, "Falkland Islands Pound"),
    "GBP": (2, "Pound Sterling"),
    "GEL": (2, "Lari"),
    "GHS": (2, "Ghana Cedi"),
    "GIP": (2, "Gibraltar Pound"),
    "GMD": (2, "Dalasi"),
    "GNF": (0, "Guinean Franc"),
    "GTQ": (2, "Quetzal"),
    "GYD": (2, "Guyana Dollar"),
    "HKD": (2, "Hong Kong Dollar"),
    "HNL": (2, "Lempira"),
    "HTG": (2, "Gourde"),
    "HUF": (2, "Forint"),
    "IDR": (2, "Rupiah"),
    "ILS": (2, "New Israeli Sheqel"),
    "INR": (2, "Indian Rupee"),
    "IQD": (3, "Iraqi Dinar"),
    "IRR": (2, "Iranian Rial"),
    "ISK": (0, "Iceland Krona"),
    "JMD": (2, "Jamaican Dollar"),
    "JOD": (3, "Jordanian Dinar"),
    "JPY": (0, "Yen"),
    "KES": (2, "Kenyan Shilling"),
    "KGS": (2, "Som"),
    "KHR": (2, "Riel"),
    "KMF": (0, "Comorian Franc"),
    "KPW": (2, "North Korean Won"),
    "KRW": (0, "Won"),
    "KWD": (3, "Kuwaiti Dinar"),
    "KYD": (2, "Cayman Islands Dollar"),
    "KZT": (2, "Tenge"),
    "LAK": (2, "Lao Kip"),
    "LBP": (2, "Lebanese Pound"),
    "LKR": (2, "Sri Lanka Rupee"),
    "LRD": (2, "Liberian Dollar"),
    "LSL": (2, "Loti"),
    "LYD": (3, "Libyan Dinar"),
    "MAD": (2, "Moroccan Dirham"),
    "MDL": (2, "Moldovan Leu"),
    "MGA": (2, "Malagasy Ariary"),
    "MKD": (2, "Denar"),
    "MMK": (2, "Kyat"),
    "MNT": (2, "Tugrik"),
    "MOP": (2, "Pataca"),
    "MRU": (2, "Ouguiya"),
    "MUR": (2, "Mauritius Rupee"),
    "MVR": (2, "Rufiyaa"),
    "MWK": (2, "Malawi Kwacha"),
    "MXN": (2, "Mexican Peso"),
    "MYR": (2, "Malaysian Ringgit"),
    "MZN": (2, "Mozambique Metical"),
    "NAD": (2, "Namibia Dollar"),
    "NGN": (2, "Naira"),
    "NIO": (2, "Cordoba Oro"),
    "NOK": (2, "Norwegian Krone"),
    "NPR": (2, "Nepalese Rupee"),
    "NZD": (2, "New Zealand Dollar"),
    "OMR": (3, "Rial Omani"),
    "PAB": (2, "Balboa"),
    "PEN": (2, "Sol"),
    "PGK": (2, "Kina"),
    "PHP": (2, "Philippine Peso"),
    "PKR": (2, "Pakistan Rupee"),
    "PLN": (2, "Zloty"),
    "PYG": (0, "Guarani"),
    "QAR": (2, "Qatari Rial"),
    "RON": (2, "Romanian Leu"),
    "RSD": (2, "Serbian Dinar"),
    "RUB": (2, "Russian Ruble"),
    "RWF": (0, "Rwanda Franc"),
    "SAR": (2, "Saudi Riyal"),
    "SBD": (2, "Solomon Islands Dollar"),
    "SCR": (2, "Seychelles Rupee"),
    "SDG": (2, "Sudanese Pound"),
    "SEK": (2, "Swedish Krona"),
    "SGD": (2, "Singapore Dollar"),
    "SHP": (2, "Saint Helena Pound"),
    "SLE": (2, "Leone"),
    "SOS": (2, "Somali Shilling"),
    "SRD": (2, "Surinam Dollar"),
    "SSP": (2, "South Sudanese Pound"),
    "STN": (2, "Dobra"),
    "SVC": (2, "El Salvador Colon"),
    "SYP": (2, "Syrian Pound"),
    "SZL": (2, "Lilangeni"),
    "THB": (2, "Baht"),
    "TJS": (2, "Somoni"),
    "TMT": (2, "Turkmenistan New Manat"),
    "TND": (3, "Tunisian Dinar"),
    "TOP": (2, "Pa'anga"),
    "TRY": (2, "Turkish Lira"),
    "TTD": (2, "Trinidad and Tobago Dollar"),
    "TWD": (2, "New Taiwan Dollar"),
    "TZS": (2, "Tanzanian Shilling"),
    "UAH": (2, "Hryvnia"),
    "UGX": (0, "Uganda Shilling"),
    "USD": (2, "US Dollar"),
    "UYI": (0, "Uruguay Peso en Unidades Indexadas"),
    "UYU": (2, "Peso Uruguayo"),
    "UYW": (4, "Unidad Previsional"),
    "UZS": (2, "Uzbekistan Sum"),
    "VES": (2, "Bolivar Soberano"),
    "VND": (0, "Dong"),
    "VUV": (0, "Vatu"),
    "WST": (2, "Tala"),
    "XAF": (0, "CFA Franc BEAC"),
    "XCD": (2, "East Caribbean Dollar"),
    "XOF": (0, "CFA Franc BCEAO"),
    "XPF": (0, "CFP Franc"),
    "YER": (2, "Yemeni Rial"),
    "ZAR": (2, "Rand"),
    "ZMW": (2, "Zambian Kwacha"),
    "ZWG": (2, "Zimbabwe Gold"),
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
