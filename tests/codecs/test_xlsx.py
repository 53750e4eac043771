"""The streaming XLSX reader gives the rows python-calamine gives (calamine is the oracle)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from jdx.codecs import xlsx
from jdx.codecs.xlsx import cell_text as _cell_text


def _calamine(path: Path) -> list[list[Any]]:
    return list(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows())


def _both(path: Path) -> None:
    ours, theirs = list(xlsx.rows(path)), _calamine(path)
    assert ours == theirs
    # and what the batch reader makes of them, cell by cell
    assert [[_cell_text(v) for v in r] for r in ours] == [
        [_cell_text(v) for v in r] for r in theirs
    ]


FORMATS = [
    "mm/dd/yyyy",
    "hh:mm:ss",
    "[h]:mm:ss",
    "0.00",
    "@",
    "m/d/yy h:mm",
    "yyyy-mm-dd hh:mm",
    "h:mm AM/PM",
    '"Day" 0',
    "mmm",
    "[Red]0.0",
    "0;[Red]-0",
    "\\d0",
    14,
    20,
    22,
    46,
]


def test_values_of_every_kind_read_as_calamine_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "kinds.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    numbers = [45000, 45000.25, 0.75, 1.5, 10, 59, 61, 0.1, 3, 2958466, -0.5, 12345.678, 0]
    for r, fmt in enumerate(FORMATS):
        style = book.add_format({"num_format": fmt})
        for c, value in enumerate(numbers):
            sheet.write_number(r, c, value, style)
    row = len(FORMATS)
    sheet.write_number(row - 1, len(numbers), 1e20)
    sheet.write_boolean(row, 0, True)
    sheet.write_boolean(row, 1, False)
    sheet.write_formula(row, 2, '="ab"', None, "ab")
    sheet.write_string(row, 3, "shared text")
    sheet.write_rich_string(row, 4, "a", book.add_format({"bold": True}), "b", "c")
    sheet.write_datetime(
        row, 5, dt.datetime(2024, 3, 1, 10, 30, 15), book.add_format({"num_format": 22})
    )
    sheet.write_string(row + 3, 7, "after a gap, far right")  # blank rows inside the range
    sheet.write_number(row + 4, 0, 7)
    book.close()
    _both(path)


def test_inline_strings_and_a_sheet_that_starts_lower(tmp_path: Path) -> None:
    path = tmp_path / "inline.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})  # inline strings
    sheet = book.add_worksheet()
    for r in range(3, 40):
        sheet.write_row(r, 0, [f"R{r}", "", "x;y", " padded ", str(r)])
    book.close()
    _both(path)


def test_error_and_date_cells_written_by_other_tools(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet().write_string(0, 0, "placeholder")
    book.close()
    sheet_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:D2"/><sheetData>'
        '<row r="1"><c r="A1" t="e"><v>#DIV/0!</v></c><c r="B1" t="str"><v>text</v></c>'
        '<c r="C1"><v>42</v></c><c r="D1" t="n"/></row>'
        '<row r="2"><c r="B2" t="b"><v>0</v></c></row>'
        "</sheetData></worksheet>"
    )
    _replace(path, "xl/worksheets/sheet1.xml", sheet_xml.encode())
    ours, theirs = list(xlsx.rows(path)), _calamine(path)
    # The stated dimension (A1:D2) is one column wider than the cells with values, which is
    # what calamine goes by: a trailing blank cell more, the same records.
    assert [r[:3] for r in ours] == theirs
    assert ours[0][3] == ours[1][3] == ""


def _replace(path: Path, name: str, data: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w") as out:
        for info in src.infolist():
            out.writestr(info, data if info.filename == name else src.read(info.filename))
    path.write_bytes(buffer.getvalue())


def test_entities_are_not_expanded(tmp_path: Path) -> None:
    path = tmp_path / "entities.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet().write_string(0, 0, "placeholder")
    book.close()
    sheet_xml = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    _replace(path, "xl/worksheets/sheet1.xml", sheet_xml.encode())
    rows = list(xlsx.rows(path))
    assert "aaaaaaaaaa" not in str(rows)


@pytest.mark.parametrize("data", [b"PK\x03\x04 not a zip", b""])
def test_a_broken_workbook_is_an_xlsx_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(data)
    with pytest.raises(xlsx.XlsxError):
        list(xlsx.rows(path))


def test_the_batch_reader_streams_large_sheets_and_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.records import Generator, dictionaries

    from jdx.codecs import batch
    from jdx.codecs.flat import FlatLayout

    layout = FlatLayout(dictionaries()["2024"])
    gen = Generator(5)
    path = tmp_path / "stops.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, layout.names)
    r = 1
    for i in range(60):
        record = gen.invalid_record(i, "2024")[0] if i % 5 == 0 else gen.valid_record(i, "2024")
        for row in layout.to_rows(record):
            sheet.write_row(r, 0, row)
            r += 1
    book.close()
    whole = list(batch.sheet_rows(path, batch.Format.XLSX))
    monkeypatch.setattr(batch, "CALAMINE_MAX_SHEET_BYTES", 0)
    streamed = list(batch.sheet_rows(path, batch.Format.XLSX))
    assert streamed == whole
    assert len(whole) == r
