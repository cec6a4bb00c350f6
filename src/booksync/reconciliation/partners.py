"""Which partner a bank line is from, and how sure that is.

In order (docs/reconciliation.md, "Partners"): the partner the line names
(given by hand), the counterparty's IBAN among the partners' bank accounts,
a rule's partner mapping (a regex on the label), the counterparty's name
equal to a partner's once case, punctuation and spacing are set aside, and
last a close name (``rapidfuzz``).  Only the last is a guess: a match built
on it is suggested, never applied on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.ledger.models import Company, Partner
from booksync.reconciliation.facts import LineFacts

__all__ = ["Directory", "Recognized"]

CLOSE_NAME = 88  # rapidfuzz's token_sort_ratio, out of 100, for "a close name"
_SPACES = re.compile(r"[\W_]+")


def _plain(name: str) -> str:
    return _SPACES.sub(" ", name.casefold()).strip()


def _sorted_words(plain: str) -> str:
    return " ".join(sorted(plain.split()))


@dataclass(frozen=True, slots=True)
class Recognized:
    partner_id: int
    name: str
    certain: bool
    reason: str


def _claim(index: dict[str, int | None], key: str, partner_id: int) -> None:
    """``key`` is ``partner_id``'s, or no one's for sure once another partner has it."""
    index[key] = partner_id if index.get(key, partner_id) == partner_id else None


class Directory:
    """The company's partners by IBAN and by plain name, loaded once per run."""

    def __init__(self, session: Session, company: Company) -> None:
        self.names: dict[int, str] = {}
        # None: an IBAN or plain name two partners share, which says neither is the payer.
        self.by_iban: dict[str, int | None] = {}
        self.by_plain: dict[str, int | None] = {}
        for partner_id, name, iban in session.execute(
            select(Partner.id, Partner.name, Partner.iban).where(Partner.company_id == company.id)
        ):
            self.names[partner_id] = name
            if iban:
                _claim(self.by_iban, iban.replace(" ", "").upper(), partner_id)
            _claim(self.by_plain, _plain(name), partner_id)
        # Token sort ratio is the ratio of the names with their words sorted: sorted
        # once here, the lookups compare plain strings (docs/reconciliation.md, "Partners").
        self._choices = {pid: _sorted_words(_plain(name)) for pid, name in self.names.items()}
        self._guesses: dict[str, Recognized | None] = {}

    def recognize(
        self, facts: LineFacts, mapped: int | None = None, *, guess: bool = True
    ) -> Recognized | None:
        """The line's partner, or None; ``mapped``: a rule's partner mapping's answer;
        ``guess``: whether a close name may answer when nothing sure does."""
        if facts.partner_id is not None and facts.partner_id in self.names:
            return self._found(facts.partner_id, True, "partner given on the line")
        iban = (facts.counterparty_iban or "").replace(" ", "").upper()
        payer = self.by_iban.get(iban) if iban else None
        if payer is not None:
            return self._found(payer, True, "counterparty IBAN")
        if mapped is not None and mapped in self.names:
            return self._found(mapped, True, "partner mapping rule")
        name = facts.partner_name
        if not name:
            return None
        plain = _plain(name)
        named = self.by_plain.get(plain)
        if named is not None:
            return self._found(named, True, "counterparty name")
        if not guess:
            return None
        if plain not in self._guesses:  # a bank's counterparties come back line after line
            self._guesses[plain] = self._close(plain)
        return self._guesses[plain]

    def _close(self, plain: str) -> Recognized | None:
        if not self._choices or not plain:
            return None
        from rapidfuzz import fuzz, process

        best = process.extractOne(
            _sorted_words(plain), self._choices, scorer=fuzz.ratio, processor=None,
            score_cutoff=CLOSE_NAME,
        )
        if best is None:
            return None
        _, score, partner_id = best
        return self._found(partner_id, False, f"name close to {self.names[partner_id]!r} "
                                               f"({int(score)} %)")

    def _found(self, partner_id: int, certain: bool, reason: str) -> Recognized:
        return Recognized(partner_id, self.names[partner_id], certain, reason)
