"""The demo's statement files: one of each format, imported before the first syncs.

A company usually has months of bank history before it connects a bank
online, downloaded as statement files.  The demo asks the sandbox bank for
the files of its first weeks (``booksync.sandbox.statement_files``), one
format per account: CAMT.053 and MT940 for the accounts reached through
SimpleFIN, OFX and a CSV export (read with a saved profile) for those reached
through GoCardless.  Each file ends a few days into the period the first
online sync fetches, so the sync finds those days' lines already booked and
books them once (docs/banking.md, "Exactly once across sources").
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from booksync.app.context import open_books
from booksync.app.statement_files import import_statement_file, save_csv_profile
from booksync.bankfiles.csv_profile import CsvProfile
from booksync.sandbox import World
from booksync.sandbox.statement_files import CSV_PROFILE, EXPORTS

__all__ = ["FILE_FORMATS", "Imported", "import_files"]

OVERLAP_DAYS = 5  # days of each file the first online sync fetches again
FILE_FORMATS = ("camt053", "mt940", "ofx", "csv")
CSV_PROFILE_NAME = "Sandbox bank CSV"


@dataclass(frozen=True, slots=True)
class Imported:
    """One file the demo imported and what the import said."""

    file: str
    fmt: str
    journal: str
    account: str
    done: dict[str, Any]


def import_files(engine: Engine, company: str, world: World, journals: dict[str, str],
                 history_days: int) -> list[Imported]:
    """One file per format, in the order of :data:`FILE_FORMATS`, of the first accounts of
    ``journals`` (sandbox account id -> journal code, in order); each covers the world's
    first days up to :data:`OVERLAP_DAYS` into the first sync's window."""
    last = world.today - dt.timedelta(days=history_days - OVERLAP_DAYS)
    chosen = list(journals)[: len(FILE_FORMATS)]
    done: list[Imported] = []
    with tempfile.TemporaryDirectory(prefix="booksync-demo-files-") as folder:
        for fmt, account_id in zip(FILE_FORMATS, chosen, strict=False):
            account = world.account(account_id)
            extension, write = EXPORTS[fmt]
            path = Path(folder) / f"{account.name.replace(' ', '-').lower()}.{extension}"
            path.write_bytes(write(account, world.first_day, last))
            profile = None
            with open_books(engine, company) as books:
                if fmt == "csv":
                    saved = CsvProfile.from_json({"name": CSV_PROFILE_NAME, **CSV_PROFILE,
                                                  "currency_default": account.currency})
                    profile = save_csv_profile(books, saved, replace=True).name
                result = import_statement_file(books, path, journals[account_id], fmt=fmt,
                                               profile=profile)
            done.append(Imported(path.name, fmt, journals[account_id], account.name, result))
    return done
