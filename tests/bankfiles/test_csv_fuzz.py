"""Whatever the bytes, reading or previewing a CSV file gives statements or a FileError.

Random bytes, mutations of the samples, and rows of random cells meet each
sample's profile; nothing but :class:`FileError` may escape, and a preview
never shows more rows than asked for.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from booksync.bankfiles import csv_read
from booksync.bankfiles.csv_profile import CsvProfile
from booksync.bankfiles.records import FileError
from tests.bankfiles.test_csv_read import ONE_ROW, PLAIN, SOLL_HABEN, TRAILING
from tests.bankfiles.test_ofx_fuzz import mutations

SAMPLES = Path(__file__).parent / "samples"
CASES = [
    ((SAMPLES / "plain_utf8.csv").read_bytes(), PLAIN),
    ((SAMPLES / "soll_haben_cp1252.csv").read_bytes(), SOLL_HABEN),
    ((SAMPLES / "trailing_minus.csv").read_bytes(), TRAILING),
]
PROFILES = [profile for _, profile in CASES] + [ONE_ROW]
FUZZ = settings(deadline=None, derandomize=True)
PIECES = [b",", b";", b"\t", b'"', b"\r", b"\n", b"\r\n", b"\x00", b"\xff", b"\xe9", b"-",
          b"(", b")", b".", b"'", b"\xe2\x82\xac", b"EUR", b"31.02.2024", b"9" * 40, b" "]


def _reads_or_refuses(data: bytes, profile: CsvProfile) -> None:
    with contextlib.suppress(FileError):
        list(csv_read.read(io.BytesIO(data), "fuzz.csv", profile))
    try:
        rows = csv_read.preview(io.BytesIO(data), "fuzz.csv", profile, rows=3)
    except FileError:
        return
    assert len(rows) <= 3
    assert all((row.transaction is None) != (row.error is None) for row in rows)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, CsvProfile]:
    source, profile = draw(st.sampled_from(CASES))
    start = 0  # the start of the file, or of the rows after the title and header lines
    for _ in range(profile.skip_rows + profile.header if draw(st.booleans()) else 0):
        start = source.index(b"\n", start) + 1
    return draw(mutations(source, start, PIECES)), profile


@FUZZ
@given(st.binary(max_size=400), st.sampled_from(PROFILES))
def test_random_bytes(data: bytes, profile: CsvProfile) -> None:
    _reads_or_refuses(data, profile)


@FUZZ
@given(mutated())
def test_mutated_samples(case: tuple[bytes, CsvProfile]) -> None:
    _reads_or_refuses(*case)


cells = st.one_of(
    st.text(max_size=12),
    st.from_regex(
        r"[-+(]?\s?(EUR|€)?\s?\d{0,4}([.,' ]\d{1,3})*([.,]\d{0,3})?\s?[-)]?", fullmatch=True
    ),
    st.sampled_from(["", "02.01.2024", "31.13.2024", "1.234,56", "12,50-", "(1,00)", "NaN"]),
)


@FUZZ
@given(st.lists(st.lists(cells, min_size=0, max_size=5), max_size=6))
def test_rows_of_random_cells(rows: list[list[str]]) -> None:
    text = "\n".join(";".join(row) for row in rows)
    _reads_or_refuses(text.encode("utf-8", "surrogatepass"), ONE_ROW)
