"""The scanner reads every sheet as lxml reads it (lxml is the oracle; calamine is the oracle of
lxml's reading in ``test_xlsx.py``): sheets written by xlsxwriter (shared and inline strings)
and openpyxl, every spelling of a cell the expressions take or leave, rows cut by the chunk
size, and broken XML, which is an error either way."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from jdx.codecs import xlsx, xlsx_scan

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _lxml(path: Path) -> list[list[Any]]:
    """The rows as lxml alone reads them (the reader before the scanner)."""
    with zipfile.ZipFile(path) as z:
        sheet = xlsx._first_sheet(z)
        shared, styles, is_1904 = xlsx._shared_strings(z), xlsx._styles(z), xlsx._is_1904(z)
        start, width = xlsx._dimension(z, sheet)
        return list(xlsx._values(xlsx._lxml_rows(z, sheet), shared, styles, is_1904, start, width))


def _same(path: Path) -> list[list[Any]]:
    """The scanner's values are lxml's, and its text (the record path's) lxml's values'."""
    scanned = list(xlsx.rows(path))
    by_lxml = _lxml(path)
    assert scanned == by_lxml
    text = [[xlsx.cell_text(v) for v in r] for r in by_lxml]
    assert list(xlsx.rows(path, text=True)) == text
    return scanned


VALUES: list[Any] = [
    "text",
    "",
    " padded ",
    "a & b < c > d \"q\" 'a'",
    "line\nbreak",
    "crlf\r\nend",
    "émigré ☃ 日本",
    "=1+1 as text",
    12,
    -0.5,
    1.25,
    True,
    False,
    dt.date(2024, 3, 15),
    dt.datetime(2024, 3, 15, 14, 33),
]


@pytest.mark.parametrize("inline", [False, True], ids=["shared strings", "inline strings"])
def test_sheets_written_by_xlsxwriter(tmp_path: Path, inline: bool) -> None:
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": inline})
    sheet = book.add_worksheet()
    dates = book.add_format({"num_format": "mm/dd/yyyy"})
    for r in range(40):
        for c, value in enumerate(VALUES):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, dates)
            elif r % 7 != 3:  # some blank cells and rows
                sheet.write(r, c, value)
    sheet.write_formula(41, 0, "=1+2", None, 3)
    book.close()
    rows = _same(path)
    assert rows[0][0] == "text" and rows[0][3] == "a & b < c > d \"q\" 'a'"
    # and the usual spellings are read by the expressions alone: lxml is never asked
    with zipfile.ZipFile(path) as z, z.open("xl/worksheets/sheet1.xml") as f:
        assert len(list(xlsx_scan.rows(f, _never))) == 41  # rows 1-40 and the formula


def _never(xml: str) -> list[xlsx_scan.Row]:
    raise AssertionError(f"left to lxml: {xml[:200]}")


def test_sheets_written_by_openpyxl(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for _ in range(1, 30):
        sheet.append([v for v in VALUES if not isinstance(v, str) or "\r" not in v])
    sheet["B40"] = "=SUM(1,2)"
    book.save(path)
    _same(path)


def _workbook(path: Path, sheet_data: str, *, prefix: str = "", head: str = "") -> Path:
    """A workbook whose first sheet holds ``sheet_data`` as it is (no shared strings)."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN_NS}"' if prefix else f'xmlns="{MAIN_NS}"'
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}<{p}worksheet {xmlns}>'
        f'<{p}dimension ref="A1:E9"/><{p}sheetData>{sheet_data}</{p}sheetData>'
        f"<{p}pageMargins/></{p}worksheet>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


# Spellings of a row: the first ones the expressions read, the rest they leave to lxml.
ROWS = [
    '<row r="1"><c r="A1" t="inlineStr"><is><t>plain</t></is></c><c r="B1"><v>7</v></c></row>',
    '<row r="2" spans="1:3"><c r="A2" s="0" t="inlineStr"><is><t xml:space="preserve"> sp </t>'
    '</is></c><c r="C2" t="b"><v>1</v></c></row>',
    '<row r="3"><c r="A3" t="str"><f>A1&amp;"x"</f><v>plainx</v></c><c r="B3" t="e">'
    "<v>#DIV/0!</v></c></row>",
    '<row r="4"><c r="A4" t="inlineStr"><is><t>&lt;&amp;&gt;&quot;&apos;&#233;&#x2603;</t></is>'
    '</c><c r="B4" s="0"/></row>',
    '<row r="5"><c r="A5" t="inlineStr"><is><t/></is></c><c r="B5" t="inlineStr"/></row>',
    '<row r="6"/>',
    '<row r="7"><c t="inlineStr" r="A7"><is><t>type first</t></is></c></row>',
    '<row r="8"><c r="A8" t="inlineStr"><is><r><t>rich</t></r><r><rPr><b/></rPr><t> text</t>'
    "</r><rPh><t>hint</t></rPh></is></c></row>",
    '<row r="9"><!-- a comment --><c r="A9"><v>9</v></c></row>',
    '<row><c><v>3</v></c><c t="inlineStr"><is><t>no refs</t></is></c></row>',
    '<row r="11"><c r="A11" t="inlineStr"><is><t><![CDATA[<cdata>]]></t></is></c></row>',
    '<row r="12">\n  <c r="A12"\n     t="inlineStr"><is><t>new\r\nlines</t></is></c>\n</row>',
    '<row r="13"><c r="A13"><v/></c><c r="B13"><v></v></c><c r="C13" t="n"><v>1.5</v></c></row>',
    "<row r='14'><c r='A14' t='inlineStr'><is><t>single quotes</t></is></c></row>",
    '<row r="15"><c r="A15" t="inlineStr" cm="1"><is><t>other attribute</t></is></c></row>',
    # the usual spellings (xlsx_scan.Simple): every cell an inline string, or every cell a
    # number in no style or empty; then the numbers they leave (16 digits, a style: a date?)
    '<row r="16"><c r="A16" t="inlineStr"><is><t>a</t></is></c><c r="C16" s="0" '
    't="inlineStr"><is><t xml:space="preserve"> b </t></is></c><c r="B16" t="inlineStr">'
    "<is><t></t></is></c></row>",
    '<row r="17"><c r="A17"><v>-0</v></c><c r="B17"><v>007</v></c><c r="C17" s="0"/>'
    '<c r="D17"/><c r="E17"><v>-123456789012345</v></c></row>',
    '<row r="18"><c r="A18"><v>1234567890123456</v></c><c r="B18" s="0"><v>45000</v></c></row>',
    '<row r="19"><c r="E19" t="inlineStr"><is><t>last first</t></is></c><c r="A19" '
    't="inlineStr"><is><t>x</t></is></c><c r="A19" t="inlineStr"><is><t>y</t></is></c></row>',
    # rows xlsx_scan.inline_row must leave, though its markers are in them: a style whose
    # number ends as the row's does, a cell of another row, a cell beyond the dimension
    '<row r="1"><c r="B1" s="1" t="inlineStr"><is><t>styled</t></is></c></row>',
    '<row r="21"><c r="A2" t="inlineStr"><is><t>other row</t></is></c></row>',
    '<row r="22"><c r="A22" t="inlineStr"><is><t>a</t></is></c><c r="F22" t="inlineStr"><is>'
    "<t>beyond</t></is></c></row>",
    # and rows it reads: quotes and brackets in the text, a space kept, an empty text
    '<row r="23"><c r="B23" t="inlineStr"><is><t>a"b>c\'d</t></is></c><c r="A23" '
    't="inlineStr"><is><t xml:space="preserve"> e </t></is></c><c r="C23" t="inlineStr"><is>'
    "<t></t></is></c></row>",
]


@pytest.mark.parametrize("row", ROWS, ids=range(1, len(ROWS) + 1))
def test_each_spelling_of_a_row_reads_as_lxml_reads_it(tmp_path: Path, row: str) -> None:
    filler = '<row r="20"><c r="A20"><v>20</v></c></row>'
    _same(_workbook(tmp_path / "one.xlsx", filler.replace("20", "19") + row + filler))


def test_every_spelling_together_and_cut_by_any_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _workbook(tmp_path / "all.xlsx", "".join(ROWS))
    whole = _same(path)
    assert whole[0][:2] == ["plain", 7.0]
    assert whole[3][0] == "<&>\"'é☃"
    for size in (1, 7, 64, 333):
        monkeypatch.setattr(xlsx_scan, "CHUNK", size)
        assert list(xlsx.rows(path)) == whole


def test_a_prefixed_sheet_is_read_by_lxml(tmp_path: Path) -> None:
    data = '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
    path = _workbook(tmp_path / "prefixed.xlsx", data, prefix="x")
    with (
        zipfile.ZipFile(path) as z,
        z.open("xl/worksheets/sheet1.xml") as f,
        pytest.raises(xlsx_scan.NotScannable),
    ):
        list(xlsx_scan.rows(f, xlsx._parse_rows))
    assert _same(path) == [[1.0, "", "", "", ""]]


@pytest.mark.parametrize(
    "row",
    [
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c></row>',  # undefined
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&#0;</t></is></c></row>',  # not a character
        '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</c></row>',  # unclosed element
        '<row r="1"><c r="A1"><v>1</v></c>',  # the sheet ends inside a row
        '<row r="1"><c r="A1"><v>1</v></c></row><bogus',
    ],
    ids=["undefined entity", "NUL reference", "unclosed", "truncated", "garbage"],
)
def test_broken_xml_is_an_error_as_with_lxml(tmp_path: Path, row: str) -> None:
    path = _workbook(tmp_path / "broken.xlsx", row)
    with pytest.raises(xlsx.XlsxError):
        list(xlsx.rows(path))


_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12
).filter(lambda t: all(c in "\t\n\r" or ord(c) >= 0x20 for c in t))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(_text, st.integers(-(10**6), 10**6)), max_size=6), max_size=8))
def test_any_values_read_alike(tmp_path_factory: pytest.TempPathFactory, rows: list[Any]) -> None:
    path = tmp_path_factory.mktemp("h") / "h.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet()
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            sheet.write(r, c, value)
    book.close()
    _same(path)


def test_a_row_of_canonical_inline_strings_is_read_by_replacement() -> None:
    """``inline_row``: each column's text ("" where the row has none), the last cell of a
    column given twice (as lxml's reading places it); None where a marker is spelled otherwise
    or a column is not the dimension's."""
    dimension = xlsx_scan.Dimension(["A", "B", "C"])

    def cell(ref: str, text: str, space: str = "") -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'

    row = cell("B7", 'x">y') + cell("A7", "") + cell("B7", "z", ' xml:space="preserve"')
    assert xlsx_scan.inline_row(row, "7", dimension) == ("", "z", "")
    assert xlsx_scan.inline_row(cell("C7", "x>"), "7", dimension) == ("", "", "x>")
    assert xlsx_scan.inline_row(cell("A7", "x"), "17", dimension) is None  # another row
    assert xlsx_scan.inline_row(cell("D7", "x"), "7", dimension) is None  # beyond the dimension
    assert xlsx_scan.inline_row(cell("A7", "x\x00B\x00y"), "7", dimension) is None
    assert xlsx_scan.inline_row(" " + cell("A7", "x"), "7", dimension) is None
    styled = cell("A7", "x").replace('" t=', '" s="7" t=')
    assert xlsx_scan.inline_row(styled, "7", dimension) is None
    assert xlsx_scan.inline_row(cell("A7", "x"), "7", xlsx_scan.Dimension(["A"])) is None
    widest = xlsx._letters(0, xlsx_scan.MAX_INLINE_WIDTH)
    assert xlsx_scan.inline_row(cell("A7", "x"), "7", xlsx_scan.Dimension(widest)) is not None
    wider = xlsx_scan.Dimension(xlsx._letters(0, xlsx_scan.MAX_INLINE_WIDTH + 1))
    assert xlsx_scan.inline_row(cell("A7", "x"), "7", wider) is None  # the expressions read it


def test_a_row_too_long_to_hold_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_scan, "MAX_ROW_CHARS", 1000)
    monkeypatch.setattr(xlsx_scan, "CHUNK", 100)
    long_row = '<row r="1"><c r="A1" t="inlineStr"><is><t>' + "x" * 5000 + "</t></is></c></row>"
    path = _workbook(tmp_path / "long.xlsx", long_row)
    with pytest.raises(xlsx.XlsxError, match="longer than 1,000 characters"):
        list(xlsx.rows(path))
