"""A sheet of text cells (``codecs/text_sheet.py``) is what xlsxwriter's constant-memory mode
writes, byte for byte, for every text but one kind: the text that xlsxwriter takes for its own
rich string, which it writes unescaped and so breaks the file. Every reader we know reads the
cells back as given, our own included (an agency sends its corrected error workbook back)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from jdx.codecs import text_sheet, xlsx
from jdx.codecs.text_sheet import TextSheet

# Text as agencies send it, and what an escape must survive: XML's specials, control
# characters, Excel's own _xHHHH_ escapes written literally, white space at either end,
# characters above U+FFFF, U+FFFE and U+FFFF. (No lone surrogates: UTF-8 cannot hold them.)
PIECES = st.sampled_from(
    ["&", "<", ">", "&amp;", "\x00", "\x07", "\t", "\n", "\r", "\x1f", "_x0041_", "_X00a0_",
     "_x12", " ", "\u00a0", "\u2003", "é", "\U0001f600", "\ufffe", "\uffff", '"', "'", "=1+1"]
)  # fmt: skip
TEXT = st.lists(
    st.one_of(PIECES, st.text(st.characters(exclude_categories=["Cs"]), max_size=6)),
    max_size=6,
).map("".join)
ROWS = st.lists(st.lists(st.one_of(st.just(""), TEXT), max_size=8), max_size=8)
# Text every reader gives back as sent: no control character but tab and line feed, which
# XML keeps (a carriage return is written as Excel's _x000D_, as xlsxwriter writes it), no
# _xHHHH_ (calamine and jdx's reader give Excel's escapes as written), no noncharacter; and the
# markup of a rich string, which xlsxwriter would write raw.
READABLE = st.lists(
    st.one_of(
        st.sampled_from(["&", "<", ">", "&amp;", "\t", "\n", " ", "\u00a0", "é", "<r>", "</r>"]),
        st.text(st.characters(exclude_categories=["Cs", "Cc", "Cn"]), max_size=6),
    ),
    max_size=6,
).map("".join)


def _ours(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    with TextSheet(path, "Errors", header) as sheet:
        for row in rows:
            sheet.add(row)
    return path


def _xlsxwriter(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    book = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False},
    )
    sheet = book.add_worksheet("Errors")
    first = 0
    if header is not None:
        bold = book.add_format({"bold": True})
        for c, name in enumerate(header):
            sheet.write_string(0, c, name, bold)
        sheet.freeze_panes(1, 0)
        first = 1
    for r, row in enumerate(rows, start=first):
        for c, text in enumerate(row):
            if text:
                sheet.write_string(r, c, text)
    book.close()
    return path


def _sheet_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(text_sheet.SHEET)


def _rich_looking(text: str) -> bool:
    return text.startswith("<r>") and text.endswith("</r>")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS, header=st.one_of(st.none(), st.lists(st.sampled_from(["LEARecordID", "SDate", "Errors"]), min_size=1, max_size=3)))  # fmt: skip
def test_the_sheet_is_xlsxwriters_byte_for_byte(
    tmp_path: Path, rows: list[list[str]], header: list[str] | None
) -> None:
    rows = [[c for c in row if not _rich_looking(c)] for row in rows]
    ours = _sheet_xml(_ours(tmp_path / "ours.xlsx", rows, header))
    theirs = _sheet_xml(_xlsxwriter(tmp_path / "theirs.xlsx", rows, header))
    assert ours == theirs


def test_a_cell_xlsxwriter_would_take_for_markup_is_text(tmp_path: Path) -> None:
    rows = [["<r>&</r>", "<r><t>x</t></r>"], ["plain"]]
    ours = _ours(tmp_path / "ours.xlsx", rows)
    assert CalamineWorkbook.from_path(str(ours)).get_sheet_by_index(0).to_python() == [
        ["<r>&</r>", "<r><t>x</t></r>"],
        ["plain", ""],
    ]
    assert [list(r) for r in openpyxl.load_workbook(ours).active.values] == [
        ["<r>&</r>", "<r><t>x</t></r>"],
        ["plain", None],
    ]
    # why the rows are not xlsxwriter's: the same cells make a file no reader opens
    theirs = _xlsxwriter(tmp_path / "theirs.xlsx", rows)
    with pytest.raises(Exception, match=r"not closed|not well-formed"):
        CalamineWorkbook.from_path(str(theirs)).get_sheet_by_index(0).to_python()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(READABLE.filter(str.strip), st.lists(st.one_of(st.just(""), READABLE), max_size=8)), max_size=6))  # fmt: skip
def test_every_reader_reads_the_cells_as_written(
    tmp_path: Path, rows: list[tuple[str, list[str]]]
) -> None:
    """calamine, openpyxl and jdx's own reader (a corrected error workbook comes back) read
    each cell as written, rich-looking text included. (Each row starts with a value: the
    readers give a row from the sheet's first used column.)"""
    table = [[first, *rest] for first, rest in rows]
    path = _ours(tmp_path / "ours.xlsx", table)
    width = max((max(i for i, c in enumerate(r) if c) + 1 for r in table), default=0)
    wanted = [(r + [""] * width)[:width] for r in table]
    assert [[str(c) for c in r] for r in xlsx.rows(path, text=True)] == wanted
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert [[str(c) for c in r] for r in calamine] == wanted
    book = openpyxl.load_workbook(path, read_only=True)
    read = [[c or "" for c in r] for r in book.active.iter_rows(values_only=True)]
    book.close()
    assert read == wanted


def test_a_long_cell_is_cut_as_excel_allows_and_no_character_is_split(tmp_path: Path) -> None:
    emoji = "\U0001f600"  # two UTF-16 units
    long = "a" * (text_sheet.MAX_CELL_UNITS - 1) + emoji + "tail"
    ours = _sheet_xml(_ours(tmp_path / "ours.xlsx", [[long, "b"]]))
    assert ours == _sheet_xml(_xlsxwriter(tmp_path / "theirs.xlsx", [[long, "b"]]))
    assert f"<t>{'a' * (text_sheet.MAX_CELL_UNITS - 1)}</t>".encode() in ours


def test_rows_and_columns_beyond_excels_are_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_sheet, "MAX_ROWS", 3)
    monkeypatch.setattr(text_sheet, "MAX_COLUMNS", 2)
    path = _ours(tmp_path / "ours.xlsx", [["a", "b", "c"], ["", ""], ["d"], ["e"]])
    xml = _sheet_xml(path).decode()
    assert re.findall(r'<c r="(\w+)"', xml) == ["A1", "B1", "A3"]
    assert '<dimension ref="A1:B3"/>' in xml


def test_an_empty_sheet_and_a_header_alone(tmp_path: Path) -> None:
    for header in (None, ["LEARecordID", "Errors"]):
        ours = _sheet_xml(_ours(tmp_path / "ours.xlsx", [], header))
        assert ours == _sheet_xml(_xlsxwriter(tmp_path / "theirs.xlsx", [], header))
