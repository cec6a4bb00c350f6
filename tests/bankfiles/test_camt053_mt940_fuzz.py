"""Whatever the bytes, the CAMT.053 and MT940 readers give statements or a FileError.

Random bytes mostly stop at the first element or line; the samples cut short,
doubled, and with bytes dropped, inserted, replaced or repeated (the OFX fuzz
tests' mutations, with each format's own pieces) reach the entries, the
amounts and the ``:86:`` forms behind them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from hypothesis import given, settings
from hypothesis import strategies as st

from booksync.bankfiles import camt053, mt940
from booksync.bankfiles.records import FileError, FileStatement
from booksync.providers.base import Transaction
from tests.bankfiles.test_ofx_fuzz import mutations

SAMPLES = Path(__file__).parent / "samples"
FUZZ = settings(deadline=None, derandomize=True)
Reader = Callable[[BinaryIO, str], Iterator[FileStatement]]

CAMT = [(SAMPLES / name).read_bytes() for name in ("camt053_v02.xml", "camt053_v08.xml")]
CAMT_PIECES = [
    b"<", b">", b"</", b"<Ntry>", b"</Ntry>", b"<Stmt>", b"</Stmt>", b"<TxDtls>", b"</TxDtls>",
    b'<Amt Ccy="EUR">', b"</Amt>", b"<CdtDbtInd>DBIT</CdtDbtInd>", b"<Sts>PDNG</Sts>",
    b"<![CDATA[", b"]]>", b"&amp;", b"&#0;", b"&x;", b"<!DOCTYPE d>", b"<?pi?>", b"<!-- -->",
    b"\x00", b"\xff\xfe", b"\xc3", b"-", b".", b"T23:59:59+14:00", b"9" * 40, b'xmlns="x"',
]
MT940 = [(SAMPLES / name).read_bytes()
         for name in ("mt940_two_statements_cp1252.sta", "mt940_swift_blocks.sta")]
MT940_PIECES = [
    b"\n", b"\r\n", b"\r", b":20:X\n", b":25:", b":28C:", b":60F:", b":61:", b":86:", b":62F:",
    b":62M:", b":64:", b"-\n", b"-}", b"{1:F01}{4:\n", b"{5:{CHK:1}}", b"?20", b"?32", b"?",
    b"EREF+", b"SVWZ+", b"/NAME/", b"/BENM//", b"/REMI/STRD/", b"//", b"RC", b"RD", b",",
    b"NONREF", b"\x00", b"\xfc", b"\xc3\xbc", b"\x1a", b"9" * 40,
]


def _reads_or_refuses(read: Reader, data: bytes) -> None:
    try:
        statements = list(read(io.BytesIO(data), "fuzz"))
    except FileError:
        return
    for statement in statements:
        assert all(isinstance(t, Transaction) for t in statement.transactions)


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    _reads_or_refuses(camt053.read, data)
    _reads_or_refuses(mt940.read, data)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_after_a_valid_start(data: bytes) -> None:
    _reads_or_refuses(camt053.read, CAMT[1][:CAMT[1].index(b"<Ntry>")] + data)
    _reads_or_refuses(mt940.read, MT940[0][:MT940[0].index(b":61:")] + data)


@FUZZ
@given(st.sampled_from(CAMT + MT940), st.floats(0, 1), st.booleans())
def test_samples_cut_short_or_doubled(sample: bytes, where: float, doubled: bool) -> None:
    data = sample[: int(len(sample) * where)]
    if doubled:
        data = sample + data
    _reads_or_refuses(camt053.read if sample in CAMT else mt940.read, data)


@st.composite
def _mutated(draw: st.DrawFn, samples: list[bytes], start: bytes, pieces: list[bytes]) -> bytes:
    sample = draw(st.sampled_from(samples))
    return draw(mutations(sample, sample.index(start), pieces))


@FUZZ
@given(_mutated(CAMT, b"<Stmt>", CAMT_PIECES))
def test_mutated_camt053(data: bytes) -> None:
    _reads_or_refuses(camt053.read, data)


@FUZZ
@given(_mutated(MT940, b":60F:", MT940_PIECES))
def test_mutated_mt940(data: bytes) -> None:
    _reads_or_refuses(mt940.read, data)


@FUZZ
@given(st.text(st.characters(codec="utf-8"), max_size=400), st.sampled_from(["C", "D", "RC"]))
def test_any_86_text(text: str, mark: str) -> None:
    lines = text.replace("\r", "\n").split("\n")
    field = "\n".join([":86:" + lines[0], *(line for line in lines[1:] if line[:1] != ":")])
    data = (":20:A\n:25:B\n:60F:C260101EUR0,00\n"
            f":61:260101{mark}1,00NTRFNONREF//X\n{field}\n:62F:C260101EUR0,00\n")
    _reads_or_refuses(mt940.read, data.encode())
