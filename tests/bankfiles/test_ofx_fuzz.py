"""Whatever the bytes, the OFX reader gives statements or a FileError, nothing else.

Random bytes mostly stop at the header; mutations of the samples (bytes
dropped, inserted, replaced, tags torn or repeated) reach the markup and the
values behind it, where ofxtools raises its own errors.
"""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from booksync.bankfiles import ofx
from booksync.bankfiles.records import FileError, FileStatement

SAMPLES = Path(__file__).parent / "samples"
SOURCES = [
    (SAMPLES / name).read_bytes()
    for name in (
        "checking_v102.ofx",
        "savings_v220.ofx",
        "card.qfx",
        "two_accounts.ofx",
        "corrections.qfx",
    )
]
FUZZ = settings(deadline=None, derandomize=True)
PIECES = [
    b"<",
    b">",
    b"</",
    b"<STMTTRN>",
    b"</STMTTRN>",
    b"<TRNAMT>",
    b"<DTPOSTED>",
    b"<![CDATA[",
    b"]]>",
    b"&amp;",
    b"&#0;",
    b"\x00",
    b"\xff\xfe",
    b"\r",
    b"-",
    b".",
    b",",
    b"[-5:EST]",
    b"99999999999999999999",
    b"<CORRECTFITID>X",
    b"<CORRECTACTION>REPLACE",
    b"<CURRENCY><CURSYM>XXX</CURSYM></CURRENCY>",
]


def _reads_or_refuses(data: bytes) -> None:
    try:
        statements = list(ofx.read(io.BytesIO(data), "fuzz.ofx"))
    except FileError:
        return
    assert all(isinstance(statement, FileStatement) for statement in statements)


@st.composite
def mutations(draw: st.DrawFn, source: bytes, start: int, pieces: list[bytes]) -> bytes:
    """``source`` with a few bytes dropped, inserted (``pieces`` among them), replaced or
    repeated, from ``start`` on: hypothesis favours small positions, which would nearly
    all land in a file's first line, and the other tests reach that."""
    data = bytearray(source)
    for _ in range(draw(st.integers(1, 6))):
        at = start + draw(st.integers(0, len(data) - start))
        kind = draw(st.sampled_from(["drop", "insert", "replace", "repeat"]))
        if kind == "drop":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[at:at] = draw(st.one_of(st.sampled_from(pieces), st.binary(max_size=8)))
        elif kind == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 80))]
    return bytes(data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    source = draw(st.sampled_from(SOURCES))
    return draw(mutations(source, source.index(b"<OFX>"), PIECES))


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    _reads_or_refuses(data)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_after_a_valid_header(data: bytes) -> None:
    _reads_or_refuses(SOURCES[0][:170] + data)
    _reads_or_refuses(SOURCES[1][:150] + data)


@FUZZ
@given(mutated())
def test_mutated_samples(data: bytes) -> None:
    _reads_or_refuses(data)
