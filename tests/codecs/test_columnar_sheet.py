"""The sheet's columnar reader groups what the record path groups: the same records, rows, cells.

The oracle is the record path (``batch.read_raw`` for a real workbook; ``batch._raw_items``,
``FlatLayout.groups`` under it, for rows made by hypothesis, which a sheet reader might give:
blank, short, wide, ids spaced or blank, line breaks in cells), read in blocks small enough that
records are carried from one block to the next.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter
from bench.records import Generator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jdx.codecs.batch import Format, _raw_items, read_raw
from jdx.codecs.columnar_read import Fallback
from jdx.codecs.columnar_sheet import SheetFile, open_sheet
from tests.codecs.test_columnar_read import NASTY, layout, raw_view, reads, row_cells
from tests.samples import workbook

Rows = list[tuple[int, list[str]]]


def by_columns(sheet: SheetFile, block: int) -> list[tuple[object, ...]]:
    """Each record as the chunks give it: rows, wide, cells, and the raw item of the rows the
    chunk kept (what the record path takes when the record is not clean)."""
    out: list[tuple[object, ...]] = []
    for chunk in sheet.chunks(block):
        assert not isinstance(chunk, Fallback)
        got = reads(chunk, sheet.width, before=len(out))
        raw = sheet.raw_items(chunk, range(len(out) + 1, len(out) + len(got) + 1))
        for (numbers, wide, cells), item in zip(got, raw, strict=True):
            assert wide or sheet.rows_of(chunk, numbers[0], numbers[-1]) == item.source["rows"]
            out.append((numbers, wide, cells, raw_view(item)))
    return out


def by_records(header: list[str], rows: Rows) -> list[tuple[object, ...]]:
    width = len(header)
    out: list[tuple[object, ...]] = []
    for item in _raw_items(layout(), header, iter(rows)):
        group = item.group
        if hasattr(group, "message"):
            numbers = tuple(group.rows)
            out.append((numbers, True, (), raw_view(item)))
        else:
            cells = tuple(tuple(c[:width]) for _, c in group.rows)
            out.append((tuple(group.numbers), False, cells, raw_view(item)))
    return out


@st.composite
def sheets(draw: st.DrawFn) -> Rows:
    width = len(layout().names)
    rows: Rows = []
    number = 1
    for _ in range(draw(st.integers(0, 14))):
        number += draw(st.sampled_from([1, 1, 1, 2, 5]))  # rows left out: empty in the sheet
        if draw(st.integers(0, 9)) == 0:
            rows.append((number, [draw(st.sampled_from(["", " ", "\t"]))] * width))
            continue
        rows.append((number, row_cells(draw, width, NASTY.replace("\x00", ""))))
    return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=sheets(), block=st.sampled_from([1, 2, 3, 6500]))
def test_rows_a_sheet_reader_gives_are_grouped_as_the_record_path_groups_them(
    rows: Rows, block: int
) -> None:
    header = list(layout().names)
    sheet = SheetFile(layout(), header, iter(rows))
    assert by_columns(sheet, block) == by_records(header, rows)


def test_a_workbook_reads_as_the_record_path_reads_it(tmp_path: Path) -> None:
    gen = Generator(7)
    records = [gen.valid_record(i, "2024") for i in range(40)]
    records += [gen.invalid_record(i, "2024")[0] for i in range(40, 50)]
    path = tmp_path / "stops.xlsx"
    path.write_bytes(workbook(layout(), records))
    want = []
    header, raw = read_raw(path, Format.XLSX, layout().dictionary)
    for item in raw:
        want.append(raw_view(item))
    for block in (7, 6500):
        opened = open_sheet(path, Format.XLSX, layout())
        assert isinstance(opened, SheetFile) and opened.header == header
        assert [r[3] for r in by_columns(opened, block)] == want


def test_a_sheet_whose_header_the_record_path_refuses_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "header.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for c, text in enumerate(["ORI", "BatchID"]):  # no record id
        sheet.write_string(0, c, text)
        sheet.write_string(1, c, "x")
    book.close()
    opened = open_sheet(path, Format.XLSX, layout())
    assert isinstance(opened, Fallback) and opened.after == 0
