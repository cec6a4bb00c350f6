"""The matching engine: what a bank line pays, with a score and a reason a person can read.

For each rule that applies to the line, in the rules' order
(docs/reconciliation.md, "Matching"):

- an *invoice-matching* rule looks for the documents the line pays:
  first by the document numbers (and vendors' references) written in its
  label or reference, then among the open items of the line's partner — one
  of that amount, or a set of two to four adding up to it, or one within
  the rule's payment tolerance — and last by amount alone;
- a *suggestion* rule proposes its counterparts (a write-off);
- a *button* is offered for the user to press.

A proposal is *certain* only when nothing in the line contradicts it and
nothing else fits as well: the documents it names owe exactly the amount
(or within the rule's tolerance, the difference written off), and no
partner the line is known to come from is another one's; or the line's
partner is known for sure and exactly one of its open items owes the
amount.  A rule marked automatic applies a certain proposal on its own;
everything else is a suggestion.  A wrong automatic match is worse than
none, so anything ambiguous stays a suggestion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Protocol

from booksync.reconciliation.bank import WriteOff
from booksync.reconciliation.facts import LineFacts
from booksync.reconciliation.open_book import Candidate, OpenBook
from booksync.reconciliation.partners import Directory, Recognized
from booksync.reconciliation.references import free_keys, number_keys

__all__ = ["Proposal", "Rule", "choose", "propose"]

MAX_SET = 4  # documents in one transfer found without a reference
MAX_PARTNER_ITEMS = 24  # a partner with more open items is not searched for sets
MAX_AMOUNT_ONLY = 3  # more open items of the same amount tell nothing


class Tolerance(Protocol):
    @property
    def account_id(self) -> int | None: ...


class Rule(Protocol):
    """What the engine needs of a reconciliation rule (booksync.reconciliation.rules)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...  # button | suggestion | invoice_matching

    @property
    def auto(self) -> bool: ...

    @property
    def tolerance(self) -> Tolerance: ...

    def applies(self, facts: LineFacts) -> bool: ...

    def write_offs(self, facts: LineFacts, amount: int | None = None) -> list[WriteOff]: ...

    def within_tolerance(
        self, difference: int, expected: int, facts: LineFacts | None = None
    ) -> bool: ...

    def map_partner(self, text: str | None) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Proposal:
    """One way to reconcile a line: ``items`` settled, ``write_offs`` booked, and
    what is left on ``on_account``'s account (a partner id) when set."""

    rule_id: int | None
    rule: str
    kind: str
    score: int
    reason: str
    items: tuple[Candidate, ...] = ()
    write_offs: tuple[WriteOff, ...] = ()
    partner_id: int | None = None
    certain: bool = False
    auto: bool = False
    on_account: int | None = None
    key: tuple[object, ...] = field(default=(), compare=False)

    @property
    def documents(self) -> list[str]:
        return [item.label for item in self.items]


def _owing(
    items: Sequence[Candidate], facts: LineFacts, book: OpenBook, limit: int | None = None
) -> list[Candidate]:
    """The open ones of ``items`` this line's money settles (a debit for money in), each
    once, at most ``limit`` of them."""
    sign = 1 if facts.money_in else -1
    found: list[Candidate] = []
    seen: set[int] = set()
    open_items, currency, company = book.items, facts.currency, book.company_currency
    for item in items:
        if item.line_id not in open_items or item.line_id in seen:
            continue
        owed = item.owed(currency, company)
        if owed is not None and owed * sign > 0:
            seen.add(item.line_id)
            found.append(item)
            if limit is not None and len(found) >= limit:
                break
    return found


def _total(items: Sequence[Candidate], facts: LineFacts, book: OpenBook) -> int:
    return sum(abs(item.owed(facts.currency, book.company_currency) or 0) for item in items)


def _money(amount: int, facts: LineFacts) -> str:
    from booksync.money import exponent, format_minor

    return f"{format_minor(amount, exponent(facts.currency))} {facts.currency}"


def propose(
    facts: LineFacts, book: OpenBook, directory: Directory, rules: Sequence[Rule]
) -> list[Proposal]:
    """Every proposal for ``facts``, best first."""
    applying = [rule for rule in rules if rule.applies(facts)]
    mapped = next(
        (p for p in (rule.map_partner(facts.text) for rule in applying) if p is not None), None
    )
    sure = directory.recognize(facts, mapped, guess=False)
    search = _Search(facts, book, sure, directory)
    proposals: list[Proposal] = []
    for rule in applying:
        if rule.kind == "invoice_matching":
            proposals += _invoice_matches(search, rule)
        elif rule.kind == "suggestion":
            proposals.append(Proposal(
                rule.id, rule.name, rule.kind, 50, f"rule {rule.name!r}: its conditions are met",
                write_offs=tuple(rule.write_offs(facts)), certain=True, auto=rule.auto,
                partner_id=sure.partner_id if sure else None,
            ))
        else:
            proposals.append(Proposal(
                rule.id, rule.name, rule.kind, 10, f"button {rule.name!r}",
                write_offs=tuple(rule.write_offs(facts)),
            ))
    best: dict[tuple[object, ...], Proposal] = {}
    for proposal in proposals:
        key = (tuple(i.line_id for i in proposal.items), proposal.write_offs, proposal.kind)
        if key not in best or best[key].score < proposal.score:
            best[key] = proposal
    return sorted(best.values(), key=lambda p: -p.score)


def choose(proposals: Sequence[Proposal]) -> Proposal | None:
    """The proposal to apply on its own: certain, automatic, the only certain one, and
    with no rival: nothing else scoring as high, and for a rule's write-off no document
    the line may pay (a partial payment is not a bank fee)."""
    offered = [p for p in proposals if p.kind != "button"]
    certain = [p for p in offered if p.certain]
    if len(certain) != 1 or not certain[0].auto:
        return None
    chosen = certain[0]
    if any(p is not chosen and (p.score >= chosen.score or (p.items and not chosen.items))
           for p in offered):
        return None
    return chosen


class _Search:
    """What one line finds in the open book, looked up once for all the rules that
    match invoices (the defaults are two: certain and applied, or suggested)."""

    def __init__(
        self, facts: LineFacts, book: OpenBook, sure: Recognized | None, directory: Directory
    ) -> None:
        self.facts, self.book, self.sure, self.directory = facts, book, sure, directory

    @cached_property
    def who(self) -> Recognized | None:
        """The sure partner, or else a guess from a close name: looked for only when a
        rule gets that far (a line whose text names its documents never needs it)."""
        if self.sure is not None:
            return self.sure
        return self.directory.recognize(self.facts, guess=True)

    @cached_property
    def named(self) -> list[Candidate]:
        """The open items of the documents the line's text names."""
        return _by_reference(self.facts, self.book)

    @cached_property
    def partner_owing(self) -> list[tuple[int, Candidate]]:
        """The open items of the line's partner its money settles, each with what it
        owes in the line's currency (read once for every rule, and only when no single
        item owes the amount: that one is found by OpenBook.of_partner_owing)."""
        if self.who is None:
            return []
        currency, company = self.facts.currency, self.book.company_currency
        return [
            (abs(item.owed(currency, company) or 0), item)
            for item in _owing(self.book.of_partner(self.who.partner_id), self.facts, self.book)
        ]


def _invoice_matches(search: _Search, rule: Rule) -> list[Proposal]:
    facts, book, named, sure = search.facts, search.book, search.named, search.sure
    if named:
        proposal = _named(facts, book, sure, rule, named)
        if proposal.certain or sure is None:
            return [proposal]
        # The number written may be mistyped into another document's: the partner's
        # own open items are offered too, never applied alone against the text.
        return [proposal] + [
            replace(p, certain=False, score=min(p.score, 70))
            for p in _by_partner(search, sure, rule)
        ]
    found: list[Proposal] = []
    who = search.who
    if who is not None:
        found += _by_partner(search, who, rule)
    if not found:
        found += _by_amount(facts, book, rule)
    return found


def _by_reference(facts: LineFacts, book: OpenBook) -> list[Candidate]:
    text = facts.text
    found: list[Candidate] = []
    for key in number_keys(text):
        found += book.by_key.get(key, ())
    if book.by_free:
        for key in free_keys(text):
            found += book.by_free.get(key, ())
    return _owing(found, facts, book)


def _proposal(rule: Rule, score: int, reason: str, items: Sequence[Candidate], **more: object
              ) -> Proposal:
    return Proposal(rule.id, rule.name, rule.kind, score, reason, tuple(items), **more)  # type: ignore[arg-type]


def _named(
    facts: LineFacts, book: OpenBook, who: Recognized | None, rule: Rule, items: list[Candidate]
) -> Proposal:
    amount, total = abs(facts.amount), _total(items, facts, book)
    names = ", ".join(item.label for item in items) + " named in the label"
    partners = {item.partner_id for item in items}
    clash = who is not None and who.certain and partners != {who.partner_id}
    partner = next(iter(partners)) if len(partners) == 1 else None
    trust = not clash
    note = f"; but the line comes from {who.name}" if clash and who else ""
    if amount == total:
        return _proposal(rule, 100 if trust else 60, f"{names}; amount equal{note}",
                         items, certain=trust, auto=rule.auto, partner_id=partner)
    difference = amount - total
    if rule.tolerance.account_id is not None and rule.within_tolerance(
        difference, total, facts
    ):
        write_off = WriteOff(
            rule.tolerance.account_id, difference, f"Payment difference ({rule.name})"
        )
        return _proposal(
            rule, 95 if trust else 55,
            f"{names}; {_money(abs(difference), facts)} difference within the tolerance"
            f"{note}",
            items, write_offs=(write_off,), certain=trust, auto=rule.auto, partner_id=partner,
        )
    if difference < 0:
        return _proposal(
            rule, 75 if trust else 50,
            f"{names}; pays {_money(amount, facts)} of {_money(total, facts)}{note}",
            items, partner_id=partner,
        )
    return _proposal(
        rule, 60 if trust else 45,
        f"{names}; {_money(difference, facts)} more than owed stays on account{note}",
        items, partner_id=partner, on_account=partner,
    )


def _by_partner(search: _Search, who: Recognized, rule: Rule) -> list[Proposal]:
    facts, book = search.facts, search.book
    amount = abs(facts.amount)
    exact = _owing(book.of_partner_owing(who.partner_id, facts.currency, amount), facts, book)
    if len(exact) == 1:
        return [_proposal(
            rule, 90 if who.certain else 70,
            f"{exact[0].label} of {who.name} ({who.reason}); amount equal",
            exact, certain=who.certain, auto=rule.auto, partner_id=who.partner_id,
        )]
    if exact:
        return [
            _proposal(rule, 50, f"{item.label} of {who.name}: one of {len(exact)} open items "
                                f"of this amount", [item], partner_id=who.partner_id)
            for item in sorted(exact, key=lambda i: (i.due_date, i.line_id))
        ]
    owed = search.partner_owing
    found: list[Proposal] = [
        _proposal(rule, 65, f"{', '.join(i.label for i in subset)} of {who.name} add up to "
                            "the amount", subset, partner_id=who.partner_id)
        for subset in _sets(owed, amount)
    ]
    account = rule.tolerance.account_id
    if not found and account is not None:
        close = [
            (value, item) for value, item in owed
            if rule.within_tolerance(amount - value, value, facts)
        ]
        if len(close) == 1:
            (value, item), = close
            difference = amount - value
            write_off = WriteOff(account, difference, f"Payment difference ({rule.name})")
            found.append(_proposal(
                rule, 85 if who.certain else 60,
                f"{item.label} of {who.name} ({who.reason}); "
                f"{_money(abs(difference), facts)} difference within the tolerance",
                [item], write_offs=(write_off,), certain=who.certain, auto=rule.auto,
                partner_id=who.partner_id,
            ))
    return found


def _sets(
    owed: Sequence[tuple[int, Candidate]], amount: int, limit: int = 3
) -> list[tuple[Candidate, ...]]:
    """Up to ``limit`` sets of two to :data:`MAX_SET` of the ``(owed, item)`` pairs whose
    totals are ``amount``, oldest due first within each; a walk over the owed amounts
    in ascending order that stops a branch as soon as its sum passes the amount."""
    if not 1 < len(owed) <= MAX_PARTNER_ITEMS:
        return []
    values = sorted(
        ((value, item) for value, item in owed if 0 < value < amount),
        key=lambda pair: (pair[0], pair[1].due_date, pair[1].line_id),
    )
    found: list[tuple[Candidate, ...]] = []
    chosen: list[Candidate] = []

    def walk(start: int, total: int) -> None:
        for index in range(start, len(values)):
            if len(found) >= limit:
                return
            value, item = values[index]
            if total + value > amount:
                return
            chosen.append(item)
            if total + value == amount and len(chosen) >= 2:
                found.append(tuple(sorted(chosen, key=lambda i: (i.due_date, i.line_id))))
            elif len(chosen) < MAX_SET:
                walk(index + 1, total + value)
            chosen.pop()

    walk(0, 0)
    return found


def _by_amount(facts: LineFacts, book: OpenBook, rule: Rule) -> list[Proposal]:
    """A payment batch of that total, or a few open items of that amount (suggestions)."""
    amount = abs(facts.amount)
    found: list[Proposal] = []
    in_batches: set[int] = set()
    for batch_id in book.batches_of_total(facts.currency, amount):
        members = book.batches[batch_id]
        owing = _owing(members, facts, book)
        if len(owing) == len(members) and _total(owing, facts, book) == amount:
            in_batches.update(item.line_id for item in owing)
            found.append(_proposal(rule, 80, f"payment batch {batch_id}: its total is the amount",
                                   owing))
    # More than a few open items of the amount tell nothing: stop counting there.
    same = [
        item
        for item in _owing(book.by_amount.get((facts.currency, amount), ()), facts, book,
                           limit=MAX_AMOUNT_ONLY + 1)
        if item.line_id not in in_batches and _total([item], facts, book) == amount
    ]
    if 0 < len(same) <= MAX_AMOUNT_ONLY:
        found += [
            _proposal(rule, 30, f"{item.label}: same amount (no reference, partner unknown)",
                      [item], partner_id=item.partner_id)
            for item in sorted(same, key=lambda i: (i.due_date, i.line_id))
        ]
    return found
