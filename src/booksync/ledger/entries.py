"""Journal entries: what goes in, how it is checked, and how it is posted.

Every path that books (one entry from the CLI, a JSONL file of a million
lines, a Beancount import, later the bank importer) goes through
:func:`prepare` and :class:`EntryWriter`, so the rules of docs/ledger.md
are checked in one place:

- each line names an active account of the company, a known partner, and a
  non-negative debit or credit that fits the currency's exponent;
- posting requires debits = credits exactly (the error names the
  difference) and a date after the lock date;
- a posted entry is never changed: a reversal is a new entry with the sides
  swapped, linked to the original.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.ledger.errors import InvalidEntry, LockedPeriod, NotFound, UnbalancedEntry
from booksync.ledger.limits import shown
from booksync.ledger.line_values import attach_foreign, entry_ref, line_label
from booksync.ledger.line_values import line_minor as _minor
from booksync.ledger.models import Account, Company, Entry, Journal, Partner
from booksync.ledger.pipeline import gc_relaxed, produced_in_process
from booksync.ledger.writer import BatchRows, EntryWriter, RowBuilder
from booksync.money import format_minor

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LineInput:
    """One line as a user or a file states it: codes and names, decimal amounts."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    partner: str | None = None
    label: str | None = None
    currency: str | None = None  # a foreign currency the line also states its amount in
    amount_currency: Decimal | None = None  # signed: positive on the debit side


@dataclass(frozen=True, slots=True)
class EntryInput:
    journal: str
    date: dt.date
    lines: tuple[LineInput, ...]
    ref: str | None = None


@dataclass(slots=True)
class PreparedLine:
    account_id: int
    debit: int
    credit: int
    partner_id: int | None = None
    label: str | None = None
    currency_code: str | None = None
    amount_currency: int | None = None  # signed: positive on the debit side


@dataclass(slots=True)
class PreparedEntry:
    """An entry resolved to ids and minor units, ready for :class:`EntryWriter`."""

    journal_id: int
    date: dt.date
    ref: str | None
    lines: list[PreparedLine] = field(default_factory=list)
    reversal_of_id: int | None = None

    def difference(self) -> int:
        return sum(line.debit for line in self.lines) - sum(line.credit for line in self.lines)


class Resolver:
    """Codes and names of one company resolved to ids, loaded once.

    The tables are small (hundreds of rows) while a bulk import resolves
    millions of lines, so one query each up front beats one per line.
    """

    def __init__(self, session: Session, company: Company) -> None:
        self.exponent = company.currency.exponent
        # Plain data only, read now: a producer process checks entries with it, far from the ORM.
        self.currency_code = company.currency_code
        self.lock_date = company.lock_date
        cid = company.id
        self.accounts: dict[str, tuple[int, bool]] = {
            code: (id_, active)
            for id_, code, active in session.execute(
                select(Account.id, Account.code, Account.active).where(Account.company_id == cid)
            )
        }
        self.account_codes = {id_: code for code, (id_, _) in self.accounts.items()}
        self.journals: dict[str, int] = {
            code: id_
            for code, id_ in session.execute(
                select(Journal.code, Journal.id).where(Journal.company_id == cid)
            )
        }
        self.partners: dict[str, int] = {
            name: id_
            for name, id_ in session.execute(
                select(Partner.name, Partner.id).where(Partner.company_id == cid)
            )
        }

    def account(self, code: str) -> int:
        found = self.accounts.get(code)
        if found is None:
            raise InvalidEntry(f"unknown account {shown(code)}")
        if not found[1]:
            raise InvalidEntry(f"account {code} is inactive")
        return found[0]

    def journal(self, code: str) -> int:
        found = self.journals.get(code)
        if found is None:
            raise InvalidEntry(f"unknown journal {shown(code)}")
        return found

    def partner(self, name: str | None) -> int | None:
        if not name:
            return None
        found = self.partners.get(name)
        if found is None:
            raise InvalidEntry(f"unknown partner {shown(name)}")
        return found

    def check_postable(self, entry: PreparedEntry) -> None:
        """:func:`check_postable` with the company's rules as they were when loaded.

        Touches neither the session nor the ORM, so an import's producer
        process may call it.
        """
        _check_postable(entry, self.exponent, self.currency_code, self.lock_date)


def prepare(resolver: Resolver, data: EntryInput) -> PreparedEntry:
    """Resolve and check one entry's content (balance is checked on posting)."""
    if not data.lines:
        raise InvalidEntry("an entry needs at least one line")
    exp = resolver.exponent
    accounts, account, partner = resolver.accounts, resolver.account, resolver.partner
    lines = []
    for line in data.lines:
        debit = _minor(line.debit, exp, "debit")
        credit = _minor(line.credit, exp, "credit")
        if debit and credit:
            raise InvalidEntry(f"a line on {line.account} has both a debit and a credit")
        found = accounts.get(line.account)  # an active account, without a call per line
        prepared = PreparedLine(
            found[0] if found is not None and found[1] else account(line.account),
            debit,
            credit,
            partner(line.partner) if line.partner else None,
            line_label(line.label),
        )
        if line.currency is not None or line.amount_currency is not None:
            attach_foreign(prepared, line)
        lines.append(prepared)
    return PreparedEntry(resolver.journal(data.journal), data.date, entry_ref(data.ref), lines)


def check_postable(company: Company, entry: PreparedEntry) -> None:
    """Balance to the minor unit, a date the lock date leaves open, and an amount."""
    _check_postable(entry, company.currency.exponent, company.currency_code, company.lock_date)


def _check_postable(
    entry: PreparedEntry, exp: int, currency_code: str, lock_date: dt.date | None
) -> None:
    debits = sum(line.debit for line in entry.lines)
    diff = debits - sum(line.credit for line in entry.lines)
    if diff:
        raise UnbalancedEntry(
            f"entry is not balanced: debits {format_minor(debits, exp)}, credits "
            f"{format_minor(debits - diff, exp)}, difference {format_minor(abs(diff), exp)} "
            f"{currency_code}"
        )
    if lock_date is not None and entry.date <= lock_date:
        raise LockedPeriod(
            f"entry date {entry.date.isoformat()} is on or before the lock date "
            f"{lock_date.isoformat()}"
        )
    if not debits:
        # Zero lines inside an entry are allowed (ERPs keep them too); an entry
        # that moves nothing would only take a number of the gap-free sequence.
        raise InvalidEntry("entry has no amount: every line is zero, so there is nothing to post")


class EntryImporter:
    """Books a stream of entries in the caller's transaction, in batches.

    Each entry is checked as it arrives, so an error names the entry it came
    from (``where``) and the caller can roll back the whole import: files are
    all or nothing.  Memory stays flat however long the stream is.

    :meth:`add` takes one entry at a time; :meth:`import_stream` takes a
    whole stream and checks and prepares the next batch in a producer process
    while the database writes the current one.
    """

    def __init__(
        self, session: Session, company: Company, *, post: bool, batch_size: int = 5000
    ) -> None:
        self.company = company
        self.post = post
        self.batch_size = batch_size
        self.resolver = Resolver(session, company)
        self.writer = EntryWriter(session, company)
        self.ids: list[int] = []
        self.count = 0
        self._batch: list[PreparedEntry] = []

    def add(self, data: EntryInput, where: str | None = None) -> None:
        try:
            one = prepare(self.resolver, data)
            if self.post:
                check_postable(self.company, one)
        except InvalidEntry as exc:
            if where is None:
                raise
            raise type(exc)(f"{where}: {exc}") from None
        self._batch.append(one)
        if len(self._batch) >= self.batch_size:
            self.flush()

    def import_stream(
        self, source: EntrySource, on_batch: Callable[[int], None] | None = None
    ) -> int:
        """Book what ``source(resolver)`` yields as ``(line number, entry)``; returns how many.

        ``source`` runs in a producer process (see
        :mod:`booksync.ledger.pipeline`) with this importer's resolver, so a
        lazy source, e.g. :func:`booksync.formats.jsonl.read_prepared_file`,
        parses and resolves there; it must not use the database.  The
        producer checks each entry for posting and builds its batch's row
        parameters while this process writes the batch before.  An error is
        raised here, naming its line (``line N: ...``), after the batches
        before it were written: the caller rolls the transaction back.
        ``on_batch`` is called here with the number of entries written so
        far, after each batch.
        """
        self.flush()
        done = 0
        job = _BatchJob(source, self.resolver, self.writer.rows, self.post, self.batch_size)
        with gc_relaxed(), produced_in_process(job) as batches:
            for rows in batches:
                if rows.count >= self.batch_size:
                    self.writer.tune_for_bulk()
                self.ids.extend(self.writer.write_rows(rows))
                done += rows.count
                self.count += rows.count
                if on_batch is not None:
                    on_batch(done)
        return done

    def flush(self) -> None:
        if len(self._batch) >= self.batch_size:  # a big import, not a handful of entries
            self.writer.tune_for_bulk()
        self.ids.extend(self.writer.write(self._batch, post=self.post))
        self.count += len(self._batch)
        self._batch.clear()

    def finish(self) -> list[int]:
        """Write what is left and the numbering counters; returns every id."""
        self.flush()
        self.writer.finish()
        return self.ids


EntrySource = Callable[[Resolver], Iterable[tuple[int, PreparedEntry]]]


@dataclass(frozen=True, slots=True)
class _BatchJob:
    """What an import's producer process runs: checked entries, as batches of row parameters.

    Everything it holds is plain data, so it pickles to a spawned producer.
    """

    source: EntrySource
    resolver: Resolver
    rows: RowBuilder
    post: bool
    size: int

    def __call__(self) -> Iterator[BatchRows]:
        check = self.resolver.check_postable if self.post else None
        rows, size, post = self.rows, self.size, self.post
        batch: list[PreparedEntry] = []
        for number, one in self.source(self.resolver):
            if check is not None:
                try:
                    check(one)
                except InvalidEntry as exc:
                    raise type(exc)(f"line {number}: {exc}") from None
            batch.append(one)
            if len(batch) >= size:
                yield rows(batch, post=post)
                batch = []
        if batch:
            yield rows(batch, post=post)


def add_entries(
    session: Session, company: Company, entries: Iterable[EntryInput], *, post: bool
) -> list[int]:
    """Book several entries in the caller's transaction; returns their ids."""
    importer = EntryImporter(session, company, post=post)
    for data in entries:
        importer.add(data)
    return importer.finish()


def get_entry(session: Session, company: Company, ref: str | int) -> Entry:
    """An entry by local id, number (``SAL/2026/00001``) or uid."""
    query = select(Entry).where(Entry.company_id == company.id)
    text = str(ref).strip()
    if text.isdigit():
        query = query.where(Entry.id == int(text))
    elif "/" in text:
        query = query.where(Entry.number == text)
    else:
        try:
            query = query.where(Entry.uid == uuid.UUID(text))
        except ValueError:
            raise NotFound(f"no entry {text!r}") from None
    entry = session.scalar(query)
    if entry is None:
        raise NotFound(f"no entry {text!r}")
    return entry


def post_entry(session: Session, company: Company, entry: Entry) -> Entry:
    """Post a draft: check it as if it were new, then number it."""
    if entry.state != "draft":
        raise InvalidEntry(f"entry {entry.number or entry.id} is already posted")
    resolver = Resolver(session, company)
    prepared = PreparedEntry(entry.journal_id, entry.date, entry.ref)
    for line in entry.lines:
        resolver.account(resolver.account_codes[line.account_id])
        prepared.lines.append(PreparedLine(line.account_id, line.debit, line.credit))
    check_postable(company, prepared)
    writer = EntryWriter(session, company)
    writer.post([(entry.id, entry.journal_id, entry.date)])
    writer.finish()
    session.expire(entry)
    for line in entry.lines:
        session.expire(line)
    return entry


def reverse_entry(
    session: Session, company: Company, entry: Entry, date: dt.date | None = None
) -> Entry:
    """Post the mirror of a posted entry, linked to it; the original stays as it is.

    The reversal is dated like the original unless a date is given.
    """
    if entry.state != "posted":
        raise InvalidEntry(f"entry {entry.id} is a draft: only posted entries are reversed")
    if entry.reversed_by is not None:
        raise InvalidEntry(
            f"entry {entry.number} is already reversed by {entry.reversed_by.number}"
        )
    mirror = PreparedEntry(
        journal_id=entry.journal_id,
        date=date or entry.date,
        ref=f"Reversal of {entry.number}",
        reversal_of_id=entry.id,
        lines=[
            PreparedLine(
                line.account_id,
                line.credit,
                line.debit,
                line.partner_id,
                line.label,
                line.currency_code,
                None if line.amount_currency is None else -line.amount_currency,
            )
            for line in entry.lines
        ],
    )
    check_postable(company, mirror)
    writer = EntryWriter(session, company)
    (new_id,) = writer.write([mirror], post=True)
    writer.finish()
    session.expire(entry)
    return get_entry(session, company, new_id)


def list_entries(
    session: Session, company: Company, journal: str | None = None, limit: int | None = None
) -> Sequence[Entry]:
    query = select(Entry).where(Entry.company_id == company.id)
    if journal:
        journal_id = Resolver(session, company).journals.get(journal)
        if journal_id is None:
            raise NotFound(f"unknown journal {journal!r}")
        query = query.where(Entry.journal_id == journal_id)
    query = query.order_by(Entry.date, Entry.id)
    if limit:
        query = query.limit(limit)
    return session.scalars(query).all()
