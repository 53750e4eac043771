"""A workbook of one sheet of text cells, written a row at a time: the error workbooks an agency
gets back and every list's XLSX export.

xlsxwriter makes the package (content types, relationships, styles, the sheet's view; a styled
header row when one is asked for); the rows are written here, as inline strings, into the
sheet's ``<sheetData>``, and the package is then zipped again with them. Why not xlsxwriter's
``write_string`` for the rows:

- **It can break the file.** xlsxwriter takes a string that starts with ``<r>`` and ends with
  ``</r>`` for one of its own rich strings and writes it into the sheet unescaped (in both its
  modes). A cell that an agency sent as ``<r>&</r>`` made an error workbook that neither Excel's
  parser nor openpyxl nor calamine can open (``tests/codecs/test_text_sheet.py``). Here every
  cell is text, escaped.
- **It costs 5.1 µs a cell** (its per-cell checks, a table of cells per row, a method call per
  XML fragment), about 0.8 s for the error workbook of the 100,000-row bench sheet: most of
  the last second of such a file, when the hub's process works alone. A row here is one
  expression and one formatted string a cell: 0.8 µs a cell, deflating included
  (docs/benchmarks.md, "Session 17").

Every cell is written as xlsxwriter's constant-memory mode writes an inline string (asserted
byte for byte against it): the same escapes (``&``, ``<``, ``>``; a control character as
``_xHHHH_``; a literal ``_xHHHH_`` kept by escaping its underscore; U+FFFE and U+FFFF), the
same ``xml:space="preserve"`` for text that starts or ends with white space, and the same
limits (32,767 UTF-16 units a cell, cut before a character it would split; Excel's 1,048,576
rows and 16,384 columns, beyond which nothing is written). A blank cell is left out, as the
agency's own sheet has it.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELL_UNITS = 32_767  # UTF-16 code units
SHEET = "xl/worksheets/sheet1.xml"
COPY_BLOCK = 1 << 20
# zlib's fastest level for the rows: a third of level 6's time (0.03 s against 0.10 for the
# bench's 11 MB of error rows), for 26 % more bytes (1.2 MB against 0.98)
SHEET_DEFLATE_LEVEL = 1

# What a cell's text needs escaped beyond white space at its ends: a row whose text holds none
# of these is written as it is. (Searched in the row's cells joined: a match across two cells
# is a false alarm, which costs the row the careful path and nothing else.)
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_ESCAPED_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def cell_xml(text: str) -> str:
    """The ``<is>`` of a cell of ``text`` (not blank), as xlsxwriter's constant-memory mode
    writes an inline string."""
    if len(text) > MAX_CELL_UNITS // 2:
        text = _truncated(text)
    if _SPECIAL.search(text) is not None:
        text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        preserve = text[:1].isspace() or text[-1:].isspace()
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    else:
        preserve = text[0].isspace() or text[-1].isspace()
    if preserve:
        return f'<is><t xml:space="preserve">{text}</t></is>'
    return f"<is><t>{text}</t></is>"


def _truncated(text: str) -> str:
    """At most :data:`MAX_CELL_UNITS` UTF-16 units, never half of a character above U+FFFF."""
    units = 0
    for at, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > MAX_CELL_UNITS:
            return text[:at]
    return text


class TextSheet:
    """A workbook of one sheet named ``name``, written to ``path`` when closed: ``header`` (if
    any) as its first row, in bold and frozen (xlsxwriter writes it: it must be the caller's
    own text, column names), then each :meth:`add` row of text cells."""

    def __init__(self, path: Path, name: str, header: Sequence[str] | None = None) -> None:
        self.path = path
        self.name = name
        self.header = list(header) if header is not None else None
        # closed by close() or on leaving the with block (the rows as XML, until then)
        self._rows: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
        self._next = 1 if header is None else 2  # the next row's number
        self._letters: list[str] = []
        # the used range of the rows written here: first and last row, first and last column
        self._used: list[int] | None = None

    def __enter__(self) -> TextSheet:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()

    def add(self, cells: Sequence[str]) -> None:
        """The next row: its cells' text, in column order ("" for a blank cell)."""
        row = self._next
        self._next += 1
        if row > MAX_ROWS:
            return  # Excel's last row: xlsxwriter too writes nothing beyond it
        cells = cells[:MAX_COLUMNS]
        letters = self._letters
        while len(letters) < len(cells):
            letters.append(xl_col_to_name(len(letters)))
        n = str(row)
        parts = [f'<row r="{n}">']
        first = last = -1
        joined = "".join(cells)
        # a row with nothing to escape and no cell to cut: its cells as they are, but for white
        # space at a cell's ends (cell_xml's part)
        plain = len(joined) <= MAX_CELL_UNITS // 2 and _SPECIAL.search(joined) is None
        for column, (letter, text) in enumerate(zip(letters, cells, strict=False)):
            if text:
                if plain and not (text[0].isspace() or text[-1].isspace()):
                    parts.append(f'<c r="{letter}{n}" t="inlineStr"><is><t>{text}</t></is></c>')
                else:
                    parts.append(f'<c r="{letter}{n}" t="inlineStr">{cell_xml(text)}</c>')
                last = column
                if first < 0:
                    first = column
        if first < 0:
            return  # a row of blank cells is not written (xlsxwriter writes none either)
        parts.append("</row>")
        self._rows.write("".join(parts))
        used = self._used
        if used is None:
            self._used = [row, row, first, last]
        else:
            used[1] = row
            used[2] = min(used[2], first)
            used[3] = max(used[3], last)

    def close(self) -> None:
        """Write the workbook to ``path``."""
        try:
            with tempfile.TemporaryDirectory(prefix="jdx-sheet-") as folder:
                package = Path(folder) / "package.xlsx"
                self._package(package)
                self._assemble(package)
        finally:
            self._rows.close()

    def discard(self) -> None:
        """Write nothing (the rows' source failed): the rows written so far are dropped."""
        self._rows.close()

    def _package(self, package: Path) -> None:
        book = xlsxwriter.Workbook(
            str(package),
            {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False},
        )
        sheet = book.add_worksheet(self.name)
        if self.header is not None:
            bold = book.add_format({"bold": True})
            for column, name in enumerate(self.header):
                sheet.write_string(0, column, name, bold)
            sheet.freeze_panes(1, 0)
        book.close()

    def _assemble(self, package: Path) -> None:
        """The package, its sheet's data followed by the rows written here."""
        self._rows.flush()
        size = self._rows.seek(0, 2)
        self._rows.seek(0)
        with (
            zipfile.ZipFile(package) as source,
            zipfile.ZipFile(
                self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=SHEET_DEFLATE_LEVEL
            ) as target,
        ):
            for info in source.infolist():
                if info.filename != SHEET:
                    target.writestr(info, source.read(info))
                    continue
                head, tail = self._split(source.read(info))
                # by name: deflated at the archive's level (the other parts keep theirs)
                with target.open(SHEET, "w", force_zip64=size > (1 << 30)) as out:
                    out.write(head)
                    while block := self._rows.read(COPY_BLOCK):
                        out.write(block.encode("utf-8"))
                    out.write(tail)

    def _split(self, sheet: bytes) -> tuple[bytes, bytes]:
        """The package's sheet cut where the rows go (before ``</sheetData>``), its dimension
        made the range of every cell written."""
        used = self._used
        if used is None:
            return sheet, b""  # no row written here (and the rows' file is empty)
        if b"<sheetData/>" in sheet:
            sheet = sheet.replace(b"<sheetData/>", b"<sheetData></sheetData>", 1)
        at = sheet.index(b"</sheetData>")
        head, tail = sheet[:at], sheet[at:]
        if self.header:  # the header's row, in the range's first row
            used = [1, used[1], min(used[2], 0), max(used[3], len(self.header) - 1)]
        first = f"{xl_col_to_name(used[2])}{used[0]}"
        last = f"{xl_col_to_name(used[3])}{used[1]}"
        ref = first if first == last else f"{first}:{last}"
        head = _DIMENSION.sub(f'<dimension ref="{ref}"/>'.encode(), head, count=1)
        return head, tail
