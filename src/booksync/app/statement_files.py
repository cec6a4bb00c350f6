"""Use cases of statement files: import one into a bank journal, keep CSV profiles.

A file is read and booked in the caller's one transaction, all of it or
nothing: a statement that cannot be read, or that is not the journal's,
refuses the whole file (docs/banking.md, "Statement files").  A dry run does
everything inside a savepoint it then rolls back, so it reports exactly what
would be written, balances compared included.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy import select

from booksync.app.context import Books
from booksync.bankfiles.csv_profile import CsvProfile
from booksync.bankfiles.formats import FORMATS, HEAD, Format, detect, read_statements
from booksync.bankfiles.records import FileError
from booksync.banking.models import CsvProfileRow
from booksync.errors import BooksyncError
from booksync.ledger.errors import NotFound
from booksync.statements.file_import import FileImporter, StatementOutcome
from booksync.statements.sources import bank_journal

__all__ = [
    "FORMAT_CHOICES",
    "csv_profile",
    "csv_profiles",
    "import_statement_file",
    "preview_csv",
    "remove_csv_profile",
    "save_csv_profile",
]

FORMAT_CHOICES = ("auto", *FORMATS, "csv")


def _text(profile: CsvProfile) -> str:
    return orjson.dumps(profile.to_json(), option=orjson.OPT_SORT_KEYS).decode()


def csv_profile(books: Books, name: str) -> CsvProfile:
    """The company's saved CSV profile ``name``."""
    row = books.session.scalar(select(CsvProfileRow).where(
        CsvProfileRow.company_id == books.company.id, CsvProfileRow.name == name.strip()))
    if row is None:
        raise NotFound(f"no CSV profile named {name.strip()[:80]!r}: `booksync csv-profile "
                       "list` shows them")
    return CsvProfile.from_json(orjson.loads(row.settings))


def csv_profiles(books: Books) -> list[CsvProfile]:
    rows = books.session.scalars(select(CsvProfileRow).where(
        CsvProfileRow.company_id == books.company.id).order_by(CsvProfileRow.name))
    return [CsvProfile.from_json(orjson.loads(row.settings)) for row in rows]


def save_csv_profile(books: Books, profile: CsvProfile, *, replace: bool = False) -> CsvProfile:
    """Keep ``profile`` under its name; an existing one is replaced only when asked."""
    row = books.session.scalar(select(CsvProfileRow).where(
        CsvProfileRow.company_id == books.company.id, CsvProfileRow.name == profile.name))
    if row is not None and not replace:
        raise BooksyncError(f"a CSV profile named {profile.name!r} exists: give --replace to "
                            "change it", code="conflict")
    if row is None:
        books.session.add(CsvProfileRow(company_id=books.company.id, name=profile.name,
                                        settings=_text(profile)))
    else:
        row.settings = _text(profile)
    books.session.flush()
    return profile


def remove_csv_profile(books: Books, name: str) -> None:
    row = books.session.scalar(select(CsvProfileRow).where(
        CsvProfileRow.company_id == books.company.id, CsvProfileRow.name == name.strip()))
    if row is None:
        raise NotFound(f"no CSV profile named {name.strip()[:80]!r}")
    books.session.delete(row)
    books.session.flush()


def preview_csv(path: Path, profile: CsvProfile, rows: int = 10) -> list[dict[str, Any]]:
    """The first ``rows`` rows of a CSV file as ``profile`` reads them: the cells, and the
    transaction each becomes or the error it gives; nothing is written."""
    from booksync.bankfiles.csv_read import preview

    try:
        source = path.open("rb")
    except OSError as exc:
        raise FileError(path.name, "", f"cannot be read ({exc.strerror or exc})") from None
    with source:
        shown = preview(source, path.name, profile, rows)
    return [
        {"row": row.row, "cells": list(row.cells), "error": row.error,
         "date": None if row.transaction is None or row.transaction.booking_date is None
         else row.transaction.booking_date.isoformat(),
         "amount": None if row.transaction is None else str(row.transaction.amount),
         "label": None if row.transaction is None else row.transaction.description}
        for row in shown
    ]


def _outcome(outcome: StatementOutcome) -> dict[str, Any]:
    shown = asdict(outcome)
    for key in ("first", "last"):
        shown[key] = None if shown[key] is None else shown[key].isoformat()
    for key, value in shown.items():
        if key not in ("first", "last", "problems") and value is not None and not isinstance(
                value, (int, str, bool)):
            shown[key] = str(value)
    return shown


def import_statement_file(books: Books, path: Path, journal: str, *, fmt: str = "auto",
                          profile: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Book the statements of the file at ``path`` in bank journal ``journal``; what each
    did (or, with ``dry_run``, would do) in the ``statement import --json`` shape."""
    name = path.name
    if fmt not in FORMAT_CHOICES:
        raise BooksyncError(f"format: one of {', '.join(FORMAT_CHOICES)}, not {fmt[:20]!r}")
    target = bank_journal(books.session, books.company, journal)
    chosen = csv_profile(books, profile) if profile is not None else None
    try:
        source = path.open("rb")
    except OSError as exc:
        raise FileError(name, "", f"cannot be read ({exc.strerror or exc})") from None
    with source:
        if fmt != "auto":
            kind = cast(Format, fmt)
        elif chosen is not None:
            kind = "csv"
        else:
            kind = detect(source.read(HEAD), name)
            source.seek(0)
        savepoint = books.session.begin_nested() if dry_run else None
        importer = FileImporter(books.session, books.company, target, name)
        outcomes: list[StatementOutcome] = []
        skipped: list[str] = []
        accounts: set[str] = set()
        others: set[str] = set()  # the accounts of the statements skipped
        for statement in read_statements(source, name, kind, chosen):
            if importer.owns(statement):
                accounts.add(statement.account or "")
                outcomes.append(importer.apply(statement))
            else:
                others.add((statement.account or "")[:40])
                skipped.append(f"{statement.place or 'a statement'} (account "
                               f"{(statement.account or '')[:40]}) is not journal "
                               f"{target.code}'s: skipped")
        importer.compare_again()
        if savepoint is not None:
            savepoint.rollback()
    if not outcomes and skipped:
        raise FileError(name, "", f"holds no statement of journal {target.code}'s account "
                        f"({', '.join(importer.own_accounts)}): the file's are of "
                        f"{', '.join(sorted(others)[:3])}{' and more' if len(others) > 3 else ''}")
    if not outcomes:
        raise FileError(name, "", "holds no statement")
    if len(accounts - {""}) > 1:
        raise FileError(name, "", f"holds statements of {len(accounts - {''})} accounts; "
                        f"record journal {target.code}'s (booksync bank-account create "
                        f"--journal {target.code}) so that its own are chosen")
    return {
        "file": name,
        "format": kind,
        "journal": target.code,
        "dry_run": dry_run,
        "statements": [_outcome(o) for o in outcomes],
        "transactions": sum(o.transactions for o in outcomes),
        "new": sum(o.new for o in outcomes),
        "duplicates": sum(o.duplicates for o in outcomes),
        "matched": sum(o.matched for o in outcomes),
        "skipped": skipped,
        "problems": [p for o in outcomes for p in o.problems],
    }
