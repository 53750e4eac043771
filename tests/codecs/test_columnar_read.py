"""The columnar reader reads what the record path reads: the same records, rows and cells.

The oracle is the record path itself (``batch.read_raw``: the csv module and
``FlatLayout.groups``). The columnar reading of a file is its chunks, and, from a
:class:`Fallback` on, the record path's records after the ones given (what a caller does);
for the files a caller meets (the bench's), no fallback at all.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from bench.records import Generator, dictionaries
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jdx.codecs.batch import FileError, Format, RawItem, read_raw
from jdx.codecs.columnar_read import (
    ITEM,
    ROW,
    WIDE,
    Chunk,
    Fallback,
    cell,
    open_columnar,
)
from jdx.codecs.flat import ConversionError, FlatLayout
from jdx.exchanges.stops.columnar_files import FileLines

# A record as read: its row numbers, whether it is a wide row's error, its cells (to the
# header's width: what the binder reads), and the record path's raw item.
Read = tuple[tuple[int, ...], bool, tuple[tuple[str, ...], ...], tuple[object, ...]]


def raw_view(item: RawItem) -> tuple[object, ...]:
    group = item.group
    if isinstance(group, ConversionError):
        told: tuple[object, ...] = ("error", group.message, group.rows, group.record_id)
    else:
        told = ("rows", group.rows, group.record_id)
    return (item.seq, item.rows, item.source, told)


@functools.cache
def layout(era: str = "2024") -> FlatLayout:
    return FlatLayout(dictionaries()[era])


def record_path(path: Path, era: str = "2024", skip: int = 0) -> list[Read]:
    flat = layout(era)
    header, raw = read_raw(path, Format.DELIMITED, flat.dictionary, skip)
    width = len(header)
    out: list[Read] = []
    for item in raw:
        group = item.group
        if isinstance(group, ConversionError):
            out.append((group.rows, True, (), raw_view(item)))
        else:
            cells = tuple(tuple(c[:width]) for _, c in group.rows)
            out.append((group.numbers, False, cells, raw_view(item)))
    return out


def columnar(path: Path, era: str = "2024", block: int = 1 << 20) -> tuple[list[Read], bool]:
    """The records as the columnar reader reads them, the rest by the record path after a
    fallback; and whether there was one."""
    opened = open_columnar(path, layout(era))
    if isinstance(opened, Fallback):
        return record_path(path, era), True
    out: list[Read] = []
    for chunk in opened.chunks(block):
        if isinstance(chunk, Fallback):
            assert chunk.after == len(out)
            return out + record_path(path, era, chunk.after), True
        got = reads(chunk, opened.width, before=len(out))
        raw = opened.raw_items(chunk, range(len(out) + 1, len(out) + len(got) + 1))
        out += [(*r[:3], raw_view(item)) for r, item in zip(got, raw, strict=True)]
    return out, False


def reads(
    chunk: Chunk, width: int, before: int
) -> list[tuple[tuple[int, ...], bool, tuple[tuple[str, ...], ...]]]:
    cells = [cell(i) for i in range(width)]
    grouped = chunk.frame.group_by(ITEM, maintain_order=True).agg(
        pl.col(ROW),
        pl.col(WIDE).first(),
        pl.concat_list(pl.col(cells).fill_null("")).alias("cells"),
    )
    out: list[tuple[tuple[int, ...], bool, tuple[tuple[str, ...], ...]]] = []
    for item, rows, wide, row_cells in grouped.iter_rows():
        assert item == before + len(out) + 1  # numbered from the file's first record
        out.append((tuple(rows), wide, () if wide else tuple(tuple(c) for c in row_cells)))
    return out


def write_bench_file(
    path: Path, era: str, records: int, seed: int, planted: Counter[str] | None = None
) -> Path:
    """A file of bench records (5 % with a planted error), as ``bench.bulk.pipe_file``;
    ``planted`` counts the planted errors by kind."""
    gen = Generator(seed)
    flat = layout(era)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("|".join(flat.names) + "\r\n")
        for i in range(records):
            if gen.rng.random() < 0.05:
                record, expected = gen.invalid_record(i, era)
                if planted is not None:
                    planted[expected.kind] += 1
            else:
                record = gen.valid_record(i, era)
            for row in flat.to_rows(record):
                out.write("|".join(row) + "\r\n")
    return path


@pytest.mark.parametrize("era", ["2018", "2024"])
def test_bench_files_read_the_same_without_falling_back(tmp_path: Path, era: str) -> None:
    path = write_bench_file(tmp_path / "stops.csv", era, 600, seed=20)
    want = record_path(path, era)
    for block in (1 << 20, 4096):  # one chunk; records carried across many chunks
        got, fell_back = columnar(path, era, block)
        assert not fell_back
        assert got == want


def test_a_quoted_field_falls_back_from_its_chunk_on(tmp_path: Path) -> None:
    names = layout().names
    rows = ["|".join(["A1", *["x"] * (len(names) - 1)])] * 3
    rows += ["|".join(["B1", '"multi', 'line"', *["y"] * (len(names) - 3)])]
    rows += ["|".join(["C1", *["z"] * (len(names) - 1)])]
    path = tmp_path / "quoted.csv"
    path.write_text("|".join(names) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    opened = open_columnar(path, layout())
    assert not isinstance(opened, Fallback)
    chunks = list(opened.chunks(block_bytes=len(rows[0]) * 2))
    assert isinstance(chunks[-1], Fallback)
    assert chunks[-1].reason.endswith("a quoted field")
    got, fell_back = columnar(path, block=len(rows[0]) * 2)
    assert fell_back
    assert got == record_path(path)


def test_a_header_the_record_path_refuses_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("ORI|BatchID\nA|B\n", encoding="utf-8")  # no record id
    opened = open_columnar(path, layout())
    assert isinstance(opened, Fallback)
    assert opened.after == 0


# Characters that the two readings could treat differently: delimiters, quotes, line breaks
# of every kind, whitespace that Python strips and Polars might not, escapes, non-ASCII.
NASTY = 'ab é;, \t"\\\x0b\x0c\x1c\x1f\x85\xa0\u2028\u3000\ufeff|\r\n\x00'
IDS = ["A", "B", " A ", "", " ", "\tB"]


def row_cells(draw: st.DrawFn, width: int, alphabet: str) -> list[str]:
    """A row of a record: as wide as the header, or shorter, or wider; an id of those that
    group records (blank, spaced); a few cells of ``alphabet``."""
    length = draw(st.sampled_from([width, width, width, 1, 5, width + 1, width + 3]))
    cells = [""] * length
    cells[0] = draw(st.sampled_from(IDS))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, length - 1))
        cells[at] = draw(st.text(alphabet=alphabet, max_size=5))
    return cells


@st.composite
def files(draw: st.DrawFn) -> bytes:
    names = layout().names
    width = len(names)
    lines = ["|".join(names)]
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            lines.append(draw(st.sampled_from(["", " ", "|||", " | \t"])))
            continue
        lines.append("|".join(row_cells(draw, width, NASTY)))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(lines) + draw(st.sampled_from(["", end]))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return bom + text.encode("utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=files(), block=st.sampled_from([64, 512, 1 << 20]))
def test_nasty_files_read_the_same(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, block: int
) -> None:
    path = tmp_path_factory.mktemp("nasty") / "stops.csv"
    path.write_bytes(data)
    try:
        want = record_path(path)
    except FileError as exc:
        with pytest.raises(FileError, match=re.escape(str(exc))):
            columnar(path, block=block)
        return
    got, _ = columnar(path, block=block)
    assert got == want


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=files(), block=st.sampled_from([64, 512, 1 << 20]))
def test_a_stops_rows_read_again_by_line_number_are_its_rows_as_read(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, block: int
) -> None:
    """A clean stop that gets an error row after all (a duplicate of a stored one) has its
    rows read again from the file by their line numbers (``columnar_files.FileLines``, in the
    hub's process, while the columns were read in a worker): the rows the reader gave, blank
    lines between them left out."""
    path = tmp_path_factory.mktemp("again") / "stops.csv"
    path.write_bytes(data)
    opened = open_columnar(path, layout())
    if isinstance(opened, Fallback):
        return
    lines = FileLines(path, opened.names)
    for chunk in opened.chunks(block):
        if isinstance(chunk, Fallback):
            return
        for raw in opened.raw_items(chunk, chunk.frame[ITEM].unique().to_list()):
            if isinstance(raw.group, ConversionError):
                continue  # a wide row: never clean, its rows come from the reader
            numbers = raw.group.numbers
            assert lines.rows(numbers[0], numbers[-1]) == raw.source
