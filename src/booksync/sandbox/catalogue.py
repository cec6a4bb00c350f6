"""The sandbox's banks and accounts: fictional, but shaped like real ones.

Three institutions in three calendars and currencies: a German bank (EUR), a
French bank that reports yesterday's balance (EUR and USD accounts) and a
Japanese bank (JPY, a currency without minor units).  IBANs carry correct
ISO 13616 check digits (and the French RIB key), so booksync's IBAN
validation accepts them; the Japanese accounts have none, like real ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from booksync.sandbox.model import Institution

__all__ = ["INSTITUTIONS", "AccountPlan", "account_plans", "iban", "new_id"]

INSTITUTIONS: tuple[Institution, ...] = (
    Institution("nordwerk", "Nordwerk Bank", "NWBKDEFF", "DE", "nordwerk-bank.example"),
    Institution(
        "banque-du-lac",
        "Banque du Lac",
        "BDLCFRPP",
        "FR",
        "banque-du-lac.example",
        balance_lag_days=1,
    ),
    Institution("sakura", "Sakura Shinyo Bank", "SKSYJPJT", "JP", "sakura-shinyo.example"),
)


@dataclass(frozen=True)
class AccountPlan:
    """What an account is before the world fills it: name, currency, habits."""

    institution: Institution
    name: str
    currency: str
    profile: str
    opening_major: int


_PLANS: tuple[tuple[int, str, str, str, int], ...] = (
    (0, "Geschäftskonto", "EUR", "business", 48_250),
    (0, "Tagesgeld", "EUR", "savings", 120_000),
    (1, "Compte courant", "EUR", "business", 15_730),
    (1, "Compte en dollars", "USD", "usd", 22_400),
    (2, "Futsu yokin", "JPY", "jpy", 3_450_000),
    (2, "Teiki yokin", "JPY", "savings", 10_000_000),
)


def account_plans() -> list[AccountPlan]:
    return [
        AccountPlan(INSTITUTIONS[i], name, currency, profile, opening)
        for i, name, currency, profile, opening in _PLANS
    ]


def new_id(prefix: str, rng: random.Random) -> str:
    """A bridge-style id (``ACT-<uuid>``, ``TRN-<uuid>``) drawn from ``rng``."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{prefix}-{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _mod97(text: str) -> int:
    return int("".join(str(int(c, 36)) for c in text)) % 97


def _with_check_digits(country: str, bban: str) -> str:
    return f"{country}{98 - _mod97(bban + country + '00'):02d}{bban}"


def iban(country: str, rng: random.Random) -> str | None:
    """A valid IBAN for ``country`` (None where IBANs do not exist, e.g. JP)."""
    if country == "DE":
        blz = "50010517"
        return _with_check_digits("DE", blz + f"{rng.randrange(10**10):010d}")
    if country == "FR":
        bank, branch, number = 30004, rng.randrange(10**5), rng.randrange(10**11)
        key = 97 - (89 * bank + 15 * branch + 3 * number) % 97
        return _with_check_digits("FR", f"{bank:05d}{branch:05d}{number:011d}{key:02d}")
    return None
