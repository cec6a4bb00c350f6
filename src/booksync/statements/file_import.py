"""Books a statement file's statements in a bank journal, each transaction exactly once.

Within the caller's transaction (docs/banking.md, "Statement files"):

1. each statement must be the journal's: its currency, and its account when
   both the file and the journal's bank account name one;
2. its transactions meet the same exactly-once rules as a sync's, through the
   journal's ``file`` source (:func:`booksync.statements.sources.file_source`):
   the source's own ids and orphans first (:mod:`booksync.statements.dedupe`),
   then the lines other sources booked (:mod:`booksync.statements.across`);
3. its opening balance is compared with what the journal's mirror sources
   hold at its date less the statement's own transactions up to that date,
   and its closing balance with what they hold at its date, once the
   statement is booked, and again once the whole file is, leaving out what
   the file's later statements list; a difference is reported with its
   amount (a gap: a period not imported yet; an overlap that does not add
   up: lines booked twice or missing).  In a journal that mirrors nothing yet
   the opening balance becomes its opening line, as a first sync's bank
   balance does.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.bankfiles.records import FileError, FileStatement, StatementBalance
from booksync.banking.bank_values import (
    counterparty_iban,
    partner_name,
    reference,
    stored_id,
)
from booksync.banking.models import BankAccount, StatementLine
from booksync.ledger.models import Company, Journal
from booksync.ledger.pipeline import gc_relaxed
from booksync.ledger.writer import EntryWriter
from booksync.money import CURRENCIES, MoneyError, to_decimal
from booksync.providers.base import Transaction, Window
from booksync.statements.across import claim_across, mirrored_balance, mirrors_anything
from booksync.statements.booking import NewLine
from booksync.statements.corrections import apply_corrections
from booksync.statements.dedupe import Fetched, KnownLine, plan
from booksync.statements.fetched import Minor, fetched_of, moving
from booksync.statements.importer import OPENING_LABEL, WRITE_BATCH
from booksync.statements.known import KnownLines, chunks
from booksync.statements.sources import file_source
from booksync.statements.withdrawn import MARK
from booksync.statements.writing import StatementWriter

__all__ = ["FileImporter", "StatementOutcome"]



@dataclass(slots=True)
class StatementOutcome:
    """What one statement of a file did (or, in a dry run, would do)."""

    account: str | None
    statement_id: str | None
    first: dt.date | None = None
    last: dt.date | None = None
    transactions: int = 0
    new: int = 0
    duplicates: int = 0
    matched: int = 0  # booked already by another source (online, or the other way round)
    corrected: int = 0  # earlier lines reversed by the file's corrections (OFX CORRECTFITID)
    opening: Decimal | None = None
    opening_in_books: Decimal | None = None
    opening_difference: Decimal | None = None
    opening_line: bool = False
    closing: Decimal | None = None
    closing_in_books: Decimal | None = None
    closing_difference: Decimal | None = None
    problems: list[str] = field(default_factory=list)


def _same_account(given: str, own: str) -> bool:
    def plain(text: str) -> str:
        try:
            return str(IBAN(text, allow_invalid=True).compact)
        except SchwiftyException:
            return "".join(text.split()).upper()

    written, kept = plain(given), plain(own)
    return (written == kept or _national(given, own) or _national(own, given)
            # an IBAN followed by the account's currency, as Dutch banks write :25:
            or (written[:-3] == kept and written[-3:] in CURRENCIES))


def _national(written: str, iban: str) -> bool:
    """Whether ``written``, an account as a national statement names it, is the account of
    the IBAN ``iban``: a bank code and account number, as German and Austrian MT940 files
    write ``:25:`` (``37040044/0532013000``), or the account number alone (ABN AMRO's)."""
    try:
        own = IBAN(iban)
    except SchwiftyException:
        return False
    bank, slash, number = written.partition("/")
    if not slash:
        digits = written.strip()
        return digits.isdigit() and digits.lstrip("0") == own.account_code.lstrip("0") != ""
    try:
        return IBAN.generate(own.country_code, bank.strip(), number.strip()) == own
    except SchwiftyException:
        return False


@dataclass(slots=True)
class _Booked:
    """A statement this importer booked, kept to compare its balances once the file is:
    its outcome, balances, its transactions' amounts (minor units) by date, and how many
    problems it had before the balances' own."""

    outcome: StatementOutcome
    opening: StatementBalance | None
    closing: StatementBalance | None
    moves: Counter[dt.date]
    notes: int


class FileImporter:
    """Books statements of files in one bank journal, within the caller's transaction."""

    def __init__(self, session: Session, company: Company, journal: Journal, name: str,
                 writer: EntryWriter | None = None) -> None:
        self.session, self.company, self.journal, self.name = session, company, journal, name
        self.currency = journal.currency_code or company.currency_code
        self.exp = CURRENCIES[self.currency][0]
        self._minor = Minor(self.exp, self._refuse)
        self.source = file_source(session, journal)
        self.known = KnownLines(session, self.source.id)
        self.writer = writer if writer is not None else EntryWriter(session, company)
        self.lines = StatementWriter(session, company, self.source, journal, self.writer,
                                     currency=self.currency)
        self.booked: list[_Booked] = []
        self.listed: set[str] = set()  # the ids of the transactions this file's statements list
        self.own_accounts = list(session.scalars(
            select(BankAccount.account_number).where(BankAccount.journal_id == journal.id)))

    def owns(self, statement: FileStatement) -> bool:
        """Whether the statement is of the journal's bank account: always, when the file
        or the journal names none."""
        return not (statement.account and self.own_accounts) or any(
            _same_account(statement.account, own) for own in self.own_accounts)

    def _check(self, statement: FileStatement) -> None:
        where = statement.place or "a statement"
        if statement.currency != self.currency:
            raise FileError(self.name, where, f"the statement is in {statement.currency}, "
                            f"journal {self.journal.code} in {self.currency}")
        if not self.owns(statement):
            raise FileError(self.name, where, f"the statement is of account "
                            f"{(statement.account or '')[:40]}, journal {self.journal.code} "
                            f"books {', '.join(self.own_accounts)}")

    def _refuse(self, exc: MoneyError, where: str) -> FileError:
        return FileError(self.name, where, f"{exc}")

    def _fetched(self, statement: FileStatement) -> list[Fetched[Transaction]]:
        """The statement's transactions as dedupe takes them (statements.fetched)."""
        place = statement.place or "statement"
        for n, tx in enumerate(statement.transactions, 1):
            if tx.currency != self.currency:  # an OFX CURRENCY, a CSV row's own currency
                raise FileError(self.name, f"{place}, transaction {n}", (
                    f"the transaction of {tx.booking_date} is {tx.amount} {tx.currency}, "
                    f"but journal {self.journal.code} is in {self.currency} and the file "
                    f"does not say what the account moved in {self.currency}"))
        return fetched_of(self._not_reused(_told_apart(statement.transactions)), self._minor,
                          lambda n: f"{place}, transaction {n}")

    def _not_reused(self, transactions: tuple[Transaction, ...]) -> tuple[Transaction, ...]:
        """The transactions, those whose id names a line of another amount without it.  A
        bank that numbers each download's transactions from 1 gives the next download's
        payment an id the source knows: taken as that line's, the payment would be dropped
        as its duplicate; the amount a bank booked under its id never changes."""
        given = {stored_id(tx.provider_transaction_id): tx for tx in transactions
                 if tx.provider_transaction_id}
        found = self.known.known(list(given))
        amounts: dict[int, int] = {}
        for chunk in chunks(sorted(set(found.values()))):
            amounts.update(self.session.execute(
                select(StatementLine.id, StatementLine.amount).where(StatementLine.id.in_(chunk))
            ).tuples().all())
        reused = {tid for tid, line in found.items()
                  if to_decimal(amounts[line], self.exp) != given[tid].amount}
        if not reused:
            return transactions
        return tuple(replace(tx, provider_transaction_id=None) if tx.provider_transaction_id
                     and stored_id(tx.provider_transaction_id) in reused else tx
                     for tx in transactions)

    def _orphans_possible(self, window: Window) -> list[KnownLine]:
        """The source's lines of ``window`` that a transaction under an id never seen may
        take as its own (dedupe's orphans).  Not a line an earlier statement of this file
        listed: a file lists each transaction once, and a long day's second MT940 page
        (``:60M:``) is not its first page under new ids.  Nor a correction's counter-line
        or the line it reversed: the bank's word on them is final."""
        lines = self.known.window_lines(window)
        undone = {i.removeprefix(MARK) for line in lines for i in line.ids if i.startswith(MARK)}
        return [line for line in lines
                if not (line.ids & self.listed or line.ids & undone
                        or any(i.startswith(MARK) for i in line.ids))]

    def _opening_before(self, statement: FileStatement, fetched: list[Fetched[Transaction]]
                        ) -> StatementBalance | None:
        """For a journal that mirrors nothing yet, the balance before a statement that
        states only its closing one (OFX): the closing balance less the transactions up to
        its date, at the day before the first.  Otherwise none: a later statement's
        closing balance is compared, never taken as an opening."""
        closing = statement.closing
        if closing is None or not fetched or mirrors_anything(self.session, self.journal.id):
            return None
        moved = sum(f.amount for f in fetched if f.date <= closing.date)
        day = min(f.date for f in fetched) - dt.timedelta(days=1)
        return StatementBalance(closing.amount - to_decimal(moved, self.exp), day)

    def apply(self, statement: FileStatement) -> StatementOutcome:
        """Book ``statement``; what it did.  A statement may hold a hundred thousand
        transactions, alive while it is booked: the cycle collector is relaxed and
        leaves them out (docs/ledger.md, "Bank lines in bulk")."""
        with gc_relaxed():
            return self._apply(statement)

    def _apply(self, statement: FileStatement) -> StatementOutcome:
        self._check(statement)
        outcome = StatementOutcome(statement.account, statement.statement_id)
        if statement.corrections:  # reversed first, the replacements booked as the rest
            corrected = apply_corrections(self.session, self.known, self.lines,
                                          statement.corrections, self.journal.code,
                                          statement.transactions)
            outcome.corrected, outcome.problems = corrected.reversed, corrected.notes
            statement = replace(statement, transactions=tuple(corrected.transactions))
        fetched = self._fetched(statement)
        outcome.transactions = len(fetched)
        fetched, zero = moving(fetched)
        if zero:
            outcome.problems.append(f"{zero} transaction{'s' if zero > 1 else ''} of zero not "
                                    f"booked: {'they move' if zero > 1 else 'it moves'} no money")
        opening: list[NewLine] = []
        stated = statement.opening or self._opening_before(statement, fetched)
        if stated is not None and stated.amount and not mirrors_anything(self.session,
                                                                          self.journal.id):
            opening.append(NewLine(stated.date, self._minor(stated.amount, "opening"),
                                   OPENING_LABEL, is_opening=True))
            outcome.opening_line = True
        if fetched:
            outcome.first = min(f.date for f in fetched)
            outcome.last = max(f.date for f in fetched)
            window = Window(outcome.first, outcome.last + dt.timedelta(days=1))
            decided = plan(fetched, self.known.known([i for f in fetched for i in f.ids]),
                           self._orphans_possible(window))
            across = claim_across(self.session, self.journal.id, self.source.id, decided.new)
            outcome.duplicates = decided.duplicates
            outcome.matched = len(decided.new) - len(across.new)
            outcome.new = len(across.new)
            new_lines = opening + [_new_line(f) for f in across.new]
            aliases = decided.aliases + across.aliases
        else:
            new_lines, aliases = opening, []
        self.listed.update(i for f in fetched for i in f.ids)
        for part in chunks(new_lines, WRITE_BATCH):
            self.lines.write(part)
        self.writer.finish()
        self.lines.add_aliases(aliases)
        booked = _Booked(outcome, stated, statement.closing, Counter(), len(outcome.problems))
        for f in fetched:
            booked.moves[f.date] += f.amount
        self.booked.append(booked)
        self._compare(booked, Counter())
        return outcome

    def compare_again(self) -> None:
        """Once every statement of the file is booked, compare each one's balances again,
        leaving out what the file's later statements list: a long day's first MT940 page
        closes (``:62M:``) in the middle of its day, before the next pages' lines, which
        the journal holds already when the file is imported again."""
        later: Counter[dt.date] = Counter()
        for booked in reversed(self.booked):
            self._compare(booked, later)
            later.update(booked.moves)

    def _compare(self, booked: _Booked, later: Counter[dt.date]) -> None:
        """The statement's balances against what the journal's mirror sources hold at their
        dates, less the moves of the statements after it (``later``) and, for the opening
        balance, its own: banks date an opening balance on the day before the statement's
        first or on that first day (its start), and both compare alike; a file imported
        again, or after the same days came online, does not count its own lines."""
        def held(day: dt.date, *moves: Counter[dt.date]) -> Decimal:
            moved = sum(amount for each in moves for d, amount in each.items() if d <= day)
            return to_decimal(mirrored_balance(self.session, self.journal.id, day) - moved,
                              self.exp)

        outcome = booked.outcome
        del outcome.problems[booked.notes:]
        if booked.opening is not None:
            outcome.opening = booked.opening.amount
            outcome.opening_in_books = held(booked.opening.date, later, booked.moves)
            outcome.opening_difference = outcome.opening - outcome.opening_in_books
        if booked.closing is not None:
            outcome.closing = booked.closing.amount
            outcome.closing_in_books = held(booked.closing.date, later)
            outcome.closing_difference = outcome.closing - outcome.closing_in_books
        _explain(outcome, self.currency)


def _told_apart(transactions: tuple[Transaction, ...]) -> tuple[Transaction, ...]:
    """The transactions, those whose id the statement also gives to another of a different
    date or amount without it.  Such an id names neither (a bank's FITID given twice):
    taken as one, the second payment would be dropped as the first's duplicate; without
    it, each is fingerprinted by its date, amount and text, as a CSV row is."""
    first: dict[str, tuple[dt.date | None, Decimal]] = {}
    shared: set[str] = set()
    for tx in transactions:
        if tx.provider_transaction_id:
            said = (tx.booking_date, tx.amount)
            if first.setdefault(tx.provider_transaction_id, said) != said:
                shared.add(tx.provider_transaction_id)
    if not shared:
        return transactions
    return tuple(replace(tx, provider_transaction_id=None)
                 if tx.provider_transaction_id in shared else tx for tx in transactions)


def _new_line(fetched: Fetched[Transaction]) -> NewLine:
    tx = fetched.item
    return NewLine(fetched.date, fetched.amount, fetched.label, tx.value_date,
                   tx.transacted_at, None, partner_name(tx), counterparty_iban(tx),
                   reference(tx), fetched.ids, False, tx.raw)


def _explain(outcome: StatementOutcome, currency: str) -> None:
    if outcome.opening_difference:
        outcome.problems.append(
            f"the opening balance {outcome.opening} {currency} differs from the journal's "
            f"{outcome.opening_in_books} by {outcome.opening_difference}: a period before "
            "this statement is missing, or lines are booked twice")
    if outcome.closing_difference:
        outcome.problems.append(
            f"the closing balance {outcome.closing} {currency} differs from the journal's "
            f"{outcome.closing_in_books} by {outcome.closing_difference}")
