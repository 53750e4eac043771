"""The first sheet of an XLSX workbook, read as a stream of rows with bounded memory.

python-calamine reads a whole sheet before it returns the first row (its maintainer: the Rust
library has no lazy reader, and PyO3 cannot hand out a borrowing iterator), which cost about
450 MB for a 100,000-row file. This reader inflates the sheet's XML from the zip a megabyte at a
time and reads its rows with regular expressions (``xlsx_scan.py``; lxml for any row they do not
read in full, and lxml's ``iterparse`` for a sheet they do not read at all), dropping each row
once it is read, so memory is that of a megabyte of XML plus the workbook's shared strings and
styles, whatever the number of rows.

It gives what calamine gave (``tests/codecs/test_xlsx.py`` holds calamine as the oracle): cell
values of the same types (text, float, bool, date, time, datetime, timedelta by the cell's
number format), a row for every sheet row from row 1 on (blank ones inside), and rows that
start at the sheet's first used column and are as wide as its used columns. Calamine finds those
columns from the cells, once it has them all; a stream takes them from the sheet's stated
dimension (``<dimension ref="A1:BM100001">``, which Excel and every library write), or starts
at column A when a sheet states none.

The zip has been checked against zip bombs before (``batch._check_zip``); the XML parser
resolves no entities, loads no DTD and refuses huge text nodes.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import zipfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree
from xlsxwriter.utility import xl_col_to_name

from jdx.codecs import xlsx_scan
from jdx.codecs.xmlform import HARDENED, safe_iterparse

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# Built-in number formats that show a date or time (ECMA-376 18.8.30), and the elapsed one.
DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47})
DURATION_FORMATS = frozenset({46})
EPOCH = dt.datetime(1899, 12, 30)
MAX_COLUMNS = 16384  # Excel's limit: a cell reference beyond it is not a real sheet


class XlsxError(ValueError):
    """The workbook cannot be read; the message says why."""


def _parse(source: IO[bytes], tag: str | tuple[str, ...]) -> Iterator[Any]:
    return safe_iterparse(source, ("end",), tag)


def _elements(z: zipfile.ZipFile, name: str, tag: str) -> Iterator[Any]:
    """The ``tag`` elements of one part, each cleared once the caller has it."""
    with z.open(name) as f:
        for _, element in _parse(f, tag):
            yield element
            element.clear(keep_tail=False)


def _first_sheet(z: zipfile.ZipFile) -> str:
    sheet = next(_elements(z, "xl/workbook.xml", f"{MAIN}sheet"), None)
    if sheet is None:
        raise XlsxError("the workbook has no sheet")
    rel_id = sheet.get(f"{DOC_RELS}id")
    for rel in _elements(z, "xl/_rels/workbook.xml.rels", f"{RELS}Relationship"):
        if rel.get("Id") == rel_id:
            target = str(rel.get("Target", ""))
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            return posixpath.normpath(path)
    raise XlsxError("the workbook's first sheet is missing from the archive")


def _is_1904(z: zipfile.ZipFile) -> bool:
    pr = next(_elements(z, "xl/workbook.xml", f"{MAIN}workbookPr"), None)
    return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")


def _shared_strings(z: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in z.namelist():
        return []
    return [_text_of(si) for si in _elements(z, "xl/sharedStrings.xml", f"{MAIN}si")]


def _text_of(element: Any) -> str:
    """A string item: its text, or the runs of rich text joined (phonetic hints left out)."""
    return "".join(
        t.text or "" for t in element.iter(f"{MAIN}t") if t.getparent().tag != f"{MAIN}rPh"
    )


def _styles(z: zipfile.ZipFile) -> list[str]:
    """Per cell style (``s`` attribute): "date", "duration" or "" for every other format."""
    if "xl/styles.xml" not in z.namelist():
        return []
    with z.open("xl/styles.xml") as f:
        root = etree.parse(f, etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    custom = {
        int(n.get("numFmtId", "0")): _custom_kind(n.get("formatCode", ""))
        for n in root.iter(f"{MAIN}numFmt")
    }
    kinds = []
    xfs = root.find(f"{MAIN}cellXfs")
    for xf in xfs if xfs is not None else ():
        fmt = int(xf.get("numFmtId", "0"))
        if fmt in custom:
            kinds.append(custom[fmt])
        else:
            kinds.append(
                "date" if fmt in DATE_FORMATS else "duration" if fmt in DURATION_FORMATS else ""
            )
    return kinds


def _custom_kind(code: str) -> str:
    """Whether a custom number format shows a date or time, as calamine decides it: a d, m, y,
    h or s (or an AM/PM marker) outside quotes, escapes and brackets; ``[h]`` is elapsed time."""
    escaped = quoted = am_pm = False
    brackets = 0
    prev = " "
    elapsed = False
    for ch in code:
        if escaped:
            escaped = False
        elif ch in "_\\":
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return ""  # only the first section counts
        elif ch == "[":
            brackets += 1
        elif ch == "]" and brackets == 1 and elapsed:
            return "duration"
        elif ch == "]":
            brackets = max(brackets - 1, 0)
        elif brackets == 0 and not am_pm and ch in "aA":
            am_pm = True
        elif (brackets == 0 and am_pm and ch in "pPmM/") or (
            brackets == 0 and not am_pm and ch in "dmhysDMHYS"
        ):
            return "date"
        elif not (elapsed and ch.lower() == prev.lower()):
            elapsed = prev == "[" and ch in "mhsMHS"
        prev = ch
    return ""


def _column(ref: str) -> int:
    """0-based column of a cell reference ("BM12" -> 64)."""
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            n = n * 26 + ord(ch) - 96
        else:
            break
    return n - 1


def _dimension(z: zipfile.ZipFile, sheet: str) -> tuple[int, int]:
    """The first used column and the number of used columns of the sheet's stated dimension
    (``B4:BM100001`` -> (1, 64)); (0, 0) when it states none."""
    with z.open(sheet) as f:
        for _, element in _parse(f, (f"{MAIN}dimension", f"{MAIN}sheetData")):
            if element.tag != f"{MAIN}dimension":
                return 0, 0
            first, _, last = element.get("ref", "").partition(":")
            start = max(_column(first), 0) if first else 0
            end = _column(last or first) if first else -1
            return start, min(max(end - start + 1, 0), MAX_COLUMNS)
    return 0, 0


def _date_value(serial: float, is_1904: bool, kind: str) -> Any:
    """A serial number shown as a date or time: the Python value calamine gives (the number
    itself when it is past the year 9999)."""
    try:
        if kind == "duration":
            return dt.timedelta(milliseconds=round(serial * 86_400_000))
        days = serial + 1462 if is_1904 else serial
        if days < 60:  # Excel counts 1900-02-29, which never was: days before it shift by one
            days += 1
        moment = EPOCH + dt.timedelta(milliseconds=round(days * 86_400_000))
    except OverflowError:
        return serial
    if serial < 1 and not is_1904:
        return moment.time()
    if moment.time() == dt.time(0):
        return moment.date()
    return moment


def rows(path: Path, *, text: bool = False) -> Generator[list[Any], None, None]:
    """The rows of the first sheet, from row 1 to the last that holds a value, as calamine
    gives them; with ``text``, each value as the text the agency typed (:func:`cell_text`)."""
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise XlsxError(str(exc)) from None
    with z:
        try:
            sheet = _first_sheet(z)
            shared, styles, is_1904 = _shared_strings(z), _styles(z), _is_1904(z)
            start, width = _dimension(z, sheet)
            found = _sheet_rows(z, sheet, xlsx_scan.Dimension(_letters(start, width)))
            yield from _values(found, shared, styles, is_1904, start, width, text)
        except (KeyError, etree.XMLSyntaxError, ValueError, IndexError) as exc:
            raise XlsxError(str(exc)) from None


def _letters(start: int, width: int) -> list[str]:
    """The letters of ``width`` columns from the 0-based ``start`` (a stated dimension's)."""
    return [xl_col_to_name(start + i) for i in range(width)]


def _sheet_rows(
    z: zipfile.ZipFile, sheet: str, dimension: xlsx_scan.Dimension
) -> Iterator[xlsx_scan.Row]:
    """The sheet's rows as the scanner (``xlsx_scan.py``) reads them, or lxml for a sheet it
    does not read."""
    try:
        with z.open(sheet) as f:
            yield from xlsx_scan.rows(f, _parse_rows, dimension)
            return
    except xlsx_scan.NotScannable:
        pass  # raised before the sheet's first row, never after: nothing was given twice
    yield from _lxml_rows(z, sheet)


def _values(
    found: Iterator[xlsx_scan.Row],
    shared: list[str],
    styles: list[str],
    is_1904: bool,
    start: int,
    width: int,
    text: bool = False,
) -> Iterator[list[Any]]:
    """The rows with a value; rows without a value between them are filled in, as calamine
    gives them."""
    columns: dict[str, int] = {}  # "BM" -> 64: a reference's letters, parsed once
    last = 0  # the last row given
    for stated, found_cells, escaped in found:
        number = stated or last + 1
        if isinstance(found_cells, tuple):  # inline_row's: as wide as the dimension
            cells = list(found_cells)
        elif isinstance(found_cells, xlsx_scan.Simple):
            cells = _simple_values(found_cells, shared, start, columns, text)
        else:
            cells = row_values(found_cells, escaped, shared, styles, is_1904, start, columns)
            if text:
                cells = [cell_text(v) for v in cells]
        if not cells:
            continue  # a row of formatting only: rows between values are filled in below
        for _ in range(last + 1, number):
            yield [""] * width  # a row with no value, as calamine gives it
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        last = number
        yield cells


def row_values(
    found_cells: list[xlsx_scan.Cell],
    escaped: bool,
    shared: list[str],
    styles: list[str],
    is_1904: bool,
    start: int,
    columns: dict[str, int],
) -> list[Any]:
    """A row's values by position from the sheet's first used column (``start``), up to its
    last value; [] for a row without one. ``columns`` caches the letters' positions."""
    unescape = xlsx_scan.unescape
    cells: list[Any] = []
    for letters, style, kind, style_after, text, inline, inline_text in found_cells:
        if escaped:
            text, inline_text = unescape(text), unescape(inline_text)
        value: Any
        if not kind or kind == "s" or kind == "n":
            if not text:
                continue
            if kind == "s":
                value = shared[int(text)]
            else:
                value = _number(text, style or style_after, styles, is_1904)
        elif kind == "inlineStr":
            if not inline:
                continue
            value = inline_text
        else:
            value = _value(kind, text)
            if value is None:
                continue
        at = _position(letters, columns, start) if letters else len(cells)
        _place(cells, at, value, letters or str(at))
    return cells


def _position(letters: str, columns: dict[str, int], start: int) -> int:
    """A reference's column from the sheet's first used one, its letters parsed once."""
    at = columns.get(letters)
    if at is None:
        at = columns[letters] = _column(letters) - start
    return at


def _place(cells: list[Any], at: int, value: Any, cell: str) -> None:
    """``value`` at position ``at`` of a row being read, blank cells filling the gap; ``cell``
    names it in the error."""
    if not 0 <= at < MAX_COLUMNS:
        raise XlsxError(f"cell {cell} is outside the sheet's stated dimension")
    if at == len(cells):
        cells.append(value)
    else:
        cells.extend([""] * (at - len(cells) + 1))
        cells[at] = value


def _simple_values(
    found_cells: xlsx_scan.Simple,
    shared: list[str],
    start: int,
    columns: dict[str, int],
    text: bool,
) -> list[Any]:
    """:func:`row_values` of a row in one of the scanner's usual spellings: the same values,
    with less to decide per cell (no style: a number there is never a date)."""
    cells: list[Any] = []
    for cell in found_cells:
        value: Any
        if found_cells.inline:
            letters, value = cell
        else:
            letters, index, number = cell
            if index:
                value = shared[int(index)]
            elif number:  # at most 15 digits: the float holds it exactly
                value = str(int(number)) if text else float(number)
            else:
                continue  # an empty cell
        _place(cells, _position(letters, columns, start), value, letters)
    return cells


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text the agency typed (codes stay codes, dates MM/DD/YYYY)."""
    if value.__class__ is str:
        return str(value)  # most cells: text, or blank
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%m/%d/%Y")
        return value.strftime("%m/%d/%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%m/%d/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)


def _lxml_rows(z: zipfile.ZipFile, sheet: str) -> Iterator[xlsx_scan.Row]:
    """The sheet's rows read by lxml: a sheet the scanner does not read."""
    for row in _elements(z, sheet, f"{MAIN}row"):
        yield _row_of(row)
        parent = row.getparent()
        while row.getprevious() is not None:  # what iterparse kept of the rows before
            del parent[0]


def _parse_rows(xml: str) -> list[xlsx_scan.Row]:
    """lxml's reading of a piece of sheet data the scanner leaves (a rich-text cell, a comment,
    broken XML: which raises here, as it would for the whole sheet)."""
    wrapped = f'<sheetData xmlns="{MAIN[1:-1]}">{xml}</sheetData>'.encode()
    root = etree.fromstring(wrapped, etree.XMLParser(**HARDENED))
    return [_row_of(row) for row in root.iterchildren(f"{MAIN}row")]


def _row_of(row: Any) -> xlsx_scan.Row:
    """A row element as the scanner gives a row (its text already unescaped by lxml)."""
    stated = row.get("r")
    cells: list[xlsx_scan.Cell] = []
    for c in row.iterchildren(f"{MAIN}c"):
        kind = c.get("t") or ""
        inline = c.find(f"{MAIN}is") if kind == "inlineStr" else None
        cells.append(
            (
                (c.get("r") or "").rstrip("0123456789"),
                c.get("s") or "",
                kind,
                "",
                "" if inline is not None else c.findtext(f"{MAIN}v") or "",
                "<is>" if inline is not None else "",
                _inline_text(inline) if inline is not None else "",
            )
        )
    return (int(stated) if stated else None), cells, False


def _inline_text(inline: Any) -> str:
    if len(inline) == 1 and not len(inline[0]):  # one plain <t>: most inline text
        return str(inline[0].text or "")
    return _text_of(inline)


def _number(text: str, style: str, styles: list[str], is_1904: bool) -> Any:
    number = float(text)
    if not style:
        return number
    at = int(style)
    date_kind = styles[at] if at < len(styles) else ""
    return _date_value(number, is_1904, date_kind) if date_kind else number


def _value(kind: str, text: str) -> Any:
    """A cell other than a number, a shared or an inline string; None when it holds no value."""
    if not text:
        return None
    if kind == "b":
        return text.strip() in ("1", "true")
    if kind == "e":
        return ""  # a formula's error (#DIV/0!): calamine gives an empty cell
    return text  # "str" (a formula's text) and "d" (an ISO date as text)
