"""The bank booking path's column-wise rows book exactly what the entry-by-entry path books.

``JournalBooking.rows`` (with ``RowBuilder.pairs``) and ``StatementWriter.write``
build a batch's rows column by column, take the statement lines' ids before
inserting them, and number runs of entries at once (docs/ledger.md, "Bank
lines in bulk").  Each test books through the real writer on SQLite and
PostgreSQL and reads the rows back; the comparison is with the prepared
entries ``JournalBooking.entries`` makes, written by ``EntryWriter.write``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.banking.models import StatementLine, TransactionAlias
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Company, Entry, Journal, Line, Partner, Sequence
from booksync.ledger.rates import set_rate
from booksync.ledger.writer import EntryWriter
from booksync.statements.booking import JournalBooking, NewLine
from booksync.statements.sources import manual_source
from booksync.statements.writing import StatementWriter


def _lines(partner: int | None) -> list[NewLine]:
    day = dt.date(2025, 12, 30)
    return [
        NewLine(day, 12_345, "Customer payment INV/2025/0042", partner_id=partner,
                ids=("TRN-1",), value_date=day + dt.timedelta(days=1),
                transacted_at=dt.datetime(2025, 12, 29, 23, 59, 1, 5, tzinfo=dt.UTC)),
        NewLine(day + dt.timedelta(days=1), -980, "CARD 07 SUPPLIES", ids=("TRN-2", "ALT-2")),
        NewLine(day + dt.timedelta(days=3), 0, "Zero fee line", ids=("TRN-3",)),
        NewLine(day + dt.timedelta(days=3), -1, "x" * 500, partner_id=partner),
        NewLine(day, 7, "Back in the old year", ids=("TRN-5",), is_opening=True),
    ]


def _booked(session: Session, journal: Journal, entry_ids: list[int]) -> list[tuple[object, ...]]:
    """Each entry (date, ref, state, number's year and place) with its lines, accounts
    named by the part they play in the journal."""
    role = {journal.default_account_id: "bank", journal.suspense_account_id: "suspense"}
    entries = {e.id: e for e in session.scalars(select(Entry).where(Entry.id.in_(entry_ids)))}
    out: list[tuple[object, ...]] = []
    for entry_id in entry_ids:
        entry = entries[entry_id]
        assert entry.number is not None
        lines = session.scalars(select(Line).where(Line.entry_id == entry_id).order_by(Line.id))
        out.append((
            entry.date, entry.ref, entry.state, entry.number.split("/", 1)[1], entry.version,
            [(role[ln.account_id], ln.debit, ln.credit, ln.partner_id, ln.label,
              ln.currency_code, ln.amount_currency, ln.date, ln.posted, ln.company_id)
             for ln in lines],
        ))
    return out


def _both_ways(session: Session, company: Company, currency: str | None) -> None:
    partner = Partner(company_id=company.id, name="Vega Design BV")
    session.add(partner)
    session.flush()
    old = create_bank_journal(session, company, "Entry by entry", currency)
    new = create_bank_journal(session, company, "Column by column", currency)
    if currency is not None:
        for day, rate in ((dt.date(2025, 12, 1), "1.25"), (dt.date(2026, 1, 1), "0.8")):
            set_rate(session, company, currency, day, Decimal(rate))
    session.flush()
    lines = _lines(partner.id)
    writer = EntryWriter(session, company)
    old_ids = writer.write(JournalBooking(session, company, old).entries(lines), post=True)
    new_rows = JournalBooking(session, company, new).rows(lines, writer.rows)
    new_ids = writer.write_rows(new_rows)
    writer.finish()
    session.commit()
    assert _booked(session, new, new_ids) == _booked(session, old, old_ids)
    assert new_ids == sorted(new_ids) and len(set(new_ids)) == len(lines)


def test_the_rows_book_what_the_prepared_entries_book(session: Session, company: Company) -> None:
    _both_ways(session, company, None)


def test_in_a_foreign_currency_too(session: Session, company: Company) -> None:
    _both_ways(session, company, "USD")


def test_runs_of_a_journal_and_year_are_numbered_in_order(
    session: Session, company: Company
) -> None:
    """Entries of two years mixed in one batch: each year's numbers follow the lines'
    order without a gap, and the counters are written back."""
    journal = create_bank_journal(session, company, "Mixed years")
    session.flush()
    days = [dt.date(2025, 12, 31), dt.date(2026, 1, 2), dt.date(2026, 1, 2),
            dt.date(2025, 12, 30), dt.date(2026, 1, 5)]
    lines = [NewLine(day, 100 + i, f"line {i}") for i, day in enumerate(days)]
    writer = EntryWriter(session, company)
    booking = JournalBooking(session, company, journal)
    ids = writer.write_rows(booking.rows(lines[:3], writer.rows))
    ids += writer.write_rows(booking.rows(lines[3:], writer.rows))
    writer.finish()
    session.commit()
    numbers = dict(session.execute(select(Entry.id, Entry.number).where(Entry.id.in_(ids))).all())
    code = journal.code
    assert [numbers[i] for i in ids] == [
        f"{code}/2025/00001", f"{code}/2026/00001", f"{code}/2026/00002",
        f"{code}/2025/00002", f"{code}/2026/00003",
    ]
    counters = dict(session.execute(
        select(Sequence.year, Sequence.last_number).where(Sequence.journal_id == journal.id)
    ).all())
    assert counters == {2025: 2, 2026: 3}


def test_statement_lines_get_their_ids_in_order_with_their_entries_and_aliases(
    session: Session, company: Company
) -> None:
    """Ids taken before the insert: increasing in the lines' order, after every line
    already there, each line with its own entry, amount and ids."""
    journal = create_bank_journal(session, company, "Ids ahead")
    session.flush()
    source = manual_source(session, journal)
    writer = EntryWriter(session, company)
    lines = StatementWriter(session, company, source, journal, writer)
    first = lines.write(_lines(None)[:2])
    second = lines.write(_lines(None)[2:])
    writer.finish()
    session.commit()
    ids = first + second
    assert ids == sorted(ids) and len(set(ids)) == 5 and min(second) > max(first)
    rows = {
        line.id: line
        for line in session.scalars(select(StatementLine).where(StatementLine.id.in_(ids)))
    }
    given = _lines(None)
    assert [rows[i].amount for i in ids] == [line.amount for line in given]
    assert [rows[i].label for i in ids] == [line.label for line in given]
    assert [rows[i].is_opening for i in ids] == [line.is_opening for line in given]
    assert [(rows[i].date, rows[i].value_date, rows[i].transacted_at) for i in ids] == [
        (line.date, line.value_date, line.transacted_at) for line in given
    ]
    assert [rows[i].provider_transaction_id for i in ids] == [
        line.ids[0] if line.ids else None for line in given
    ]
    debit_of = dict(session.execute(
        select(Line.entry_id, Line.debit).where(Line.account_id == journal.default_account_id)
    ).all())
    assert [debit_of[rows[i].entry_id] for i in ids] == [max(line.amount, 0) for line in given]
    aliases = session.execute(
        select(TransactionAlias.statement_line_id, TransactionAlias.transaction_id)
        .where(TransactionAlias.source_id == source.id).order_by(TransactionAlias.id)
    ).all()
    assert [tuple(a) for a in aliases] == [
        (line_id, tid) for line_id, line in zip(ids, given, strict=True) for tid in line.ids
    ]
    assert session.scalar(select(func.count()).select_from(Entry).where(
        Entry.journal_id == journal.id, Entry.state == "posted")) == 5
