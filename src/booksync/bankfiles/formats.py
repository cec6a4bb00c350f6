"""Which statement file formats booksync reads, and which one a file is.

``--format auto`` asks each format's ``sniff`` about the start of the file, in
the order of :data:`FORMATS`; CSV is never guessed, since any text is a CSV of
some kind: a CSV file is read with a saved profile (docs/banking.md,
"Statement files").  Format modules are imported when a file of theirs is
read, so that a command that reads none does not pay for their libraries.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import BinaryIO, Literal, cast

from booksync.bankfiles.csv_profile import CsvProfile
from booksync.bankfiles.records import FileError, FileStatement

__all__ = ["FORMATS", "Format", "detect", "read_statements"]

Format = Literal["camt053", "mt940", "ofx", "csv"]
FORMATS: dict[str, str] = {
    "camt053": "booksync.bankfiles.camt053",
    "mt940": "booksync.bankfiles.mt940",
    "ofx": "booksync.bankfiles.ofx",
}
"""The formats ``auto`` recognises, by name, with their modules; ``csv`` besides."""
HEAD = 4096  # bytes a sniffer sees


def detect(head: bytes, name: str) -> Format:
    """The format whose sniffer recognises ``head``, the file's first bytes."""
    for fmt, module in FORMATS.items():
        sniff = cast(Callable[[bytes], bool], importlib.import_module(module).sniff)
        if sniff(head):
            return cast(Format, fmt)
    raise FileError(name, "", "not a CAMT.053, MT940 or OFX file; for a CSV file give "
                              "--format csv and --profile NAME")


def read_statements(source: BinaryIO, name: str, fmt: Format,
                    profile: CsvProfile | None = None) -> Iterator[FileStatement]:
    """The file's statements, read by the module of ``fmt`` (a CSV file by ``profile``)."""
    if fmt == "csv":
        if profile is None:
            raise FileError(name, "", "a CSV file is read with a profile: give --profile NAME")
        from booksync.bankfiles import csv_read

        return csv_read.read(source, name, profile)
    reader = cast(Callable[[BinaryIO, str], Iterator[FileStatement]],
                  importlib.import_module(FORMATS[fmt]).read)
    return reader(source, name)
