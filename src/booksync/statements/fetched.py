"""Booked transactions as the dedupe rules take them, whichever way they came in.

A sync's batch and a statement file's statement both become
:class:`~booksync.statements.dedupe.Fetched` values the same way: the amount in
minor units of the journal's currency, every id the transaction carries in its
stored form, and for a transaction without any a stand-in made of its date,
amount, text and its occurrence among identical ones, so that two genuine
identical payments stay two (docs/banking.md, "Exactly once: the dedupe
rules").  A hundred thousand of them come in one first sync: the usual
amount is converted by one exact integer division, the usual transaction (one
id) without building lists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal

from booksync.banking.bank_values import fingerprint, line_label, stored_id
from booksync.money import MAX_DIGITS, MoneyError, to_minor
from booksync.providers.base import Transaction
from booksync.statements.dedupe import Fetched

__all__ = ["Minor", "fetched_of", "moving"]


class Minor:
    """``to_minor`` for one currency's exponent, failing with the caller's own error.

    The usual amount (a finite Decimal of at most ``MAX_DIGITS`` digits in minor
    units, ``adjusted() + exp`` being ``to_minor``'s digit count less one) is
    converted with one exact integer division; a remainder or anything else takes
    ``to_minor``, whose sentence ``refuse`` turns into the caller's error.
    """

    def __init__(self, exp: int, refuse: Callable[[MoneyError, str], Exception]) -> None:
        self.exp, self._refuse = exp, refuse
        self._scale: int = 10**exp

    def __call__(self, amount: Decimal, where: str) -> int:
        if amount.is_finite() and 0 <= amount.adjusted() + self.exp < MAX_DIGITS:
            num, den = amount.as_integer_ratio()
            minor, rest = divmod(num * self._scale, den)
            if not rest:
                return int(minor)
        try:
            return to_minor(amount, self.exp)
        except MoneyError as exc:
            raise self._refuse(exc, where) from None


def fetched_of(booked: Iterable[Transaction], minor: Minor,
               where: Callable[[int], str]) -> list[Fetched[Transaction]]:
    """The booked transactions (those with a booking date) as dedupe takes them;
    ``where(n)`` names the ``n``-th (from 1) for an amount's error."""
    occurrences: Counter[tuple[object, ...]] = Counter()
    out: list[Fetched[Transaction]] = []
    for n, tx in enumerate(booked, 1):
        if tx.booking_date is None:  # a booked transaction always has a date
            continue
        amount = minor(tx.amount, where(n))
        tx_id = tx.provider_transaction_id
        if tx_id and not tx.alternative_ids:  # the usual case, without the lists
            out.append(Fetched((stored_id(tx_id),), tx.booking_date, amount, tx, line_label(tx)))
            continue
        ids = [stored_id(tx_id)] if tx_id else []
        ids += [i for i in map(stored_id, tx.alternative_ids) if i not in ids]
        if not ids:
            key = (tx.booking_date, amount, tx.description)
            occurrences[key] += 1
            ids = [fingerprint(tx, amount, occurrences[key])]
        out.append(Fetched(tuple(ids), tx.booking_date, amount, tx, line_label(tx)))
    return out


def moving(fetched: list[Fetched[Transaction]]) -> tuple[list[Fetched[Transaction]], int]:
    """The transactions that move money, and how many of zero were left out: a line of
    zero is not booked, whatever its source, since its entry of two zero lines would only
    take a number of the journal's gap-free sequence (docs/banking.md, "A synchronization
    run")."""
    if all(f.amount for f in fetched):
        return fetched, 0
    kept = [f for f in fetched if f.amount]
    return kept, len(fetched) - len(kept)
