"""The fast path of the XLSX sheet reader: the sheet's rows found by regular expressions.

Almost every worksheet a program writes spells its cells one of a few ways::

    <c r="B7" s="3" t="s"><v>12</v></c>          a shared string, a number, a formula's value
    <c r="C7" t="inlineStr"><is><t>text</t></is></c>

``lxml.iterparse`` (``xlsx.py``) builds an element for every cell, row and value and costs
about 5 µs a cell; one ``re.findall`` over a row of such cells costs a fraction of that
(``docs/benchmarks.md``, "XLSX at the pace of the disk"). So the sheet's XML is inflated a
megabyte at a time, cut into whole ``<row>`` elements, and each row's cells are read by one
expression. Whatever the expression does not match *in full* is left to lxml, row by row: a
row whose cells are not all matched (rich text, attributes spelled otherwise, comments, CDATA),
or text between rows. A row whose every cell is an inline string spelled as xlsxwriter spells
it is read before any expression, by string replacements (:func:`inline_row`), in 40 % of the
time. A sheet whose elements carry a namespace prefix (``<x:row>``), or that declares a DTD, is
read by lxml whole. What is read is therefore exactly what lxml reads; the tests
(``tests/codecs/test_xlsx_scan.py``) compare both on sheets written by several programs and on
mangled rows.

What the scanner does not do: check the XML after the sheet's data (page setup, merged cells),
which holds no value.
"""

from __future__ import annotations

import codecs
import operator
import re
from collections.abc import Callable, Iterator
from typing import IO

CHUNK = 1 << 20  # inflated bytes read at a time
# No row of a real sheet comes near this (a stop's row is about 2 KB); past it the sheet is
# refused rather than held in memory, as lxml refuses a text node of over 10 MB.
MAX_ROW_CHARS = 16 << 20

_ROW_NUMBER = re.compile(r"""\br\s*=\s*["'](\d+)["']""")
# A cell in one of the usual spellings: column letters, style, type (in either order), then a
# value, a formula and a value, or an inline string of one plain run.


def _cell_pattern(capture: bool) -> str:
    """A cell in one of the usual spellings: column letters, style and type (in either order),
    then a value, a formula and a value, or an inline string of one plain run. With ``capture``
    the parts are groups (letters, style, type, style, value, ``<is>``, inline text)."""
    g = "(" if capture else "(?:"
    return (
        rf'<c r="{g}[A-Z]{{1,3}})\d+"'
        rf'(?: s="{g}\d+)")?(?: t="{g}\w+)")?(?: s="{g}\d+)")?'
        r"\s*(?:/>|>"
        r"(?:<f(?:\s[^>]*)?(?:/>|>[^<]*</f>))?"
        rf'(?:<v>{g}[^<]*)</v>|{g}<is>)(?:<t(?: xml:space="preserve")?>{g}[^<]*)</t>|<t/>)</is>)?'
        r"</c>)"
    )


_CELL = re.compile(_cell_pattern(capture=True))
# A row's content that is nothing but such cells: the check that no cell was skipped.
_ONLY_CELLS = re.compile(rf"(?:\s*{_cell_pattern(capture=False)})*\s*")
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#(\d+)|#x([0-9a-fA-F]+));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_PREFIXED = re.compile(r"<\w+:sheetData\b")


# The two spellings of a whole row that most writers use for every cell, read by expressions of
# two groups (the general one above has seven, and costs twice as much; docs/benchmarks.md,
# "XLSX: the usual rows read by simpler expressions"): every cell an inline string of one plain
# run (xlsxwriter's and many exporters' way), or every cell a shared string, a number in no
# style (so not a date), or empty. A row with a cell of any other spelling, an entity or a
# carriage return is read by the general expression, which reads these spellings too.
_INLINE_CELL = (  # letters, text
    r'<c r="([A-Z]{1,3})\d+"(?: s="\d+")? t="inlineStr">'
    r'<is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>'
)
# letters, string table index, number: the index "" for a number, both "" for an empty cell
_INDEXED_CELL = (
    r'<c r="([A-Z]{1,3})\d+"(?:(?: s="\d+")?(?: t="s"><v>(\d+)</v></c>|/>)'
    r"|><v>(-?\d{1,15})</v></c>)"
)


def _only(cell: str) -> re.Pattern[str]:
    """A row's content that is nothing but cells of ``cell``'s spelling (its groups
    uncaptured)."""
    return re.compile("(?:" + re.sub(r"\((?!\?)", "(?:", cell) + ")*")


_INLINE, _ONLY_INLINE = re.compile(_INLINE_CELL), _only(_INLINE_CELL)
_INDEXED, _ONLY_INDEXED = re.compile(_INDEXED_CELL), _only(_INDEXED_CELL)


class Simple(list[tuple[str, ...]]):
    """A row's cells in one of the two usual spellings, as their expression's groups give them:
    ``inline``, letters and text; otherwise letters, string table index and number."""

    def __init__(self, inline: bool, cells: list[tuple[str, ...]]) -> None:
        super().__init__(cells)
        self.inline = inline


# A canonical inline cell is ``<c r="{letters}{row}" t="inlineStr"><is><t>{text}</t></is></c>``:
# the markup around its text, as :func:`inline_row` replaces it.
_INLINE_OPEN = '<c r="'
_INLINE_CLOSE = "</t></is></c>"
_INLINE_BETWEEN = _INLINE_CLOSE + _INLINE_OPEN
_INLINE_AFTER_REF = '" t="inlineStr"><is><t>'
_INLINE_AFTER_REF_SPACE = '" t="inlineStr"><is><t xml:space="preserve">'


# The widest stated dimension :func:`inline_row` reads: it copies a blank row of every column
# a row (0.01 µs a column), which for a dimension stated as all of Excel's 16,384 columns would
# cost more than the expressions. The stop layouts are under a hundred columns wide.
MAX_INLINE_WIDTH = 512


class Dimension:
    """The columns of a sheet's stated dimension, in order (their letters), for
    :func:`inline_row`."""

    def __init__(self, letters: list[str]) -> None:
        self.width = len(letters)
        self.blank = dict.fromkeys(letters, "") if self.width <= MAX_INLINE_WIDTH else {}
        # (a getter of one key gives the value, not a tuple: a sheet one column wide is not
        # read by inline_row, nor one wider than MAX_INLINE_WIDTH)
        usable = 1 < self.width <= MAX_INLINE_WIDTH
        self.cells = operator.itemgetter(*letters) if usable else None


def inline_row(content: str, number: str, dimension: Dimension) -> tuple[str, ...] | None:
    """A row whose every cell is a canonical inline string (xlsxwriter's spelling and many
    exporters'), row ``number``, each cell's column within the ``dimension``: the text of each
    of its columns ("" where the row has no cell). String replacements, a split and dict
    operations: 17-18 µs for a row of the bench's 41 cells, where the expressions and placing
    their cells take 43-45 (``docs/benchmarks.md``, "Session 16"). None for any other row, which
    the expressions read.

    Why nothing else can pass: each replaced marker holds a ``<``, which a cell's text cannot
    (it has no ``&`` either: the caller sends rows with a reference to the expressions), so
    every marker replaced was markup; a ``<`` left over is markup of another spelling (a style,
    a formula, a rich run, another row's number in a reference), and a key that is not one of
    the dimension's columns is a reference spelled otherwise (or beyond it). What remains is
    letters and text, taking turns; a column twice keeps its last cell, as lxml's reading
    places it."""
    if (
        dimension.cells is None
        or not content.startswith(_INLINE_OPEN)
        or not content.endswith(_INLINE_CLOSE)
        or "\x00" in content  # (not XML: lxml refuses it) would be taken for a boundary
    ):
        return None
    body = content[len(_INLINE_OPEN) : -len(_INLINE_CLOSE)].replace(_INLINE_BETWEEN, "\x00")
    body = body.replace(number + _INLINE_AFTER_REF, "\x00")
    if "<" in body:
        body = body.replace(number + _INLINE_AFTER_REF_SPACE, "\x00")
        if "<" in body:
            return None
    parts = body.split("\x00")
    if len(parts) % 2:
        return None
    row = dimension.blank.copy()
    pairs = iter(parts)
    row.update(zip(pairs, pairs, strict=True))
    if len(row) != dimension.width:  # a key that is not a column of the dimension
        return None
    cells: tuple[str, ...] = dimension.cells(row)
    return cells


class NotScannable(Exception):
    """The sheet is not one the scanner reads (a prefix, a DTD): lxml reads it whole."""


# A cell as the expression's groups give it: column letters ("" when the cell states none),
# style, type, style again (a writer that puts it after the type), the <v> text, "<is>" when
# the cell holds an inline string, and that string's text; "" for each part it does not have.
Cell = tuple[str, str, str, str, str, str, str]
# A row: its ``r`` (None when it states none), its cells, and whether their text still holds
# character references or carriage returns (see :func:`unescape`). Its cells are a tuple of
# text, a column of the dimension each, where :func:`inline_row` read them.
Row = tuple[int | None, list[Cell] | Simple | tuple[str, ...], bool]
# lxml's reading of a piece of the sheet's XML that the expressions leave: the rows in it.
ParseRows = Callable[[str], list[Row]]


def rows(
    source: IO[bytes], parse_rows: ParseRows, dimension: Dimension | None = None
) -> Iterator[Row]:
    """Each row of the sheet data, in file order; cells without a value included. With the
    sheet's stated ``dimension``, rows of inline strings by :func:`inline_row`."""
    for text, whole in blocks(source):
        yield from rows_of(text, parse_rows, dimension) if whole else parse_rows(text)


def blocks(source: IO[bytes]) -> Iterator[tuple[str, bool]]:
    """The sheet data's XML, a megabyte or so at a time: whole ``<row>`` elements (``True``),
    or, where the sheet ends inside its data, what is left, for lxml to say what is wrong with
    it (``False``)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    text = ""
    started = False
    while True:
        data = source.read(CHUNK)
        text += decoder.decode(data, final=not data)
        if not started:
            at = text.find("<sheetData")
            if at < 0 or ">" not in text[at:]:
                if _PREFIXED.search(text) or "<!DOCTYPE" in text:
                    raise NotScannable("a sheet with prefixed elements or a DTD")
                if not data:
                    return  # no sheet data: no row
                continue
            if "<!DOCTYPE" in text[:at]:
                raise NotScannable("a sheet with a DTD")
            started = True
            opened = text.index(">", at)
            if text[opened - 1] == "/":
                return  # <sheetData/>
            text = text[opened + 1 :]
        closed = text.find("</sheetData>")
        if closed >= 0:
            yield text[:closed], True
            return
        end = text.rfind("</row>")
        if end >= 0:
            cut = end + len("</row>")
            yield text[:cut], True
            text = text[cut:]
        if len(text) > MAX_ROW_CHARS:
            raise ValueError(f"a row of the sheet is longer than {MAX_ROW_CHARS:,} characters")
        if not data:
            yield text, False  # the sheet ended inside its data
            return


def rows_of(text: str, parse_rows: ParseRows, dimension: Dimension | None = None) -> Iterator[Row]:
    """The rows of whole ``<row>`` elements (``text`` ends with ``</row>`` or holds none)."""
    pieces = text.split("</row>")
    for piece in pieces[:-1]:
        at = piece.find("<row")
        opened = piece.find(">", at)
        if at < 0 or opened < 0 or piece[opened - 1] == "/" or piece[:at].strip():
            yield from parse_rows(piece + "</row>")  # an empty row before, or not a row at all
            continue
        content = piece[opened + 1 :]
        number = _ROW_NUMBER.search(piece, at, opened)
        n = int(number.group(1)) if number else None
        if "&" not in content and "\r" not in content:
            if number and dimension is not None:
                placed = inline_row(content, number.group(1), dimension)
                if placed is not None:
                    yield n, placed, False
                    continue
            if _ONLY_INLINE.fullmatch(content):
                yield n, Simple(True, _INLINE.findall(content)), False
                continue
            if _ONLY_INDEXED.fullmatch(content):
                yield n, Simple(False, _INDEXED.findall(content)), False
                continue
        if not _ONLY_CELLS.fullmatch(content) or ("&" in content and has_undefined_entity(content)):
            yield from parse_rows(piece + "</row>")  # a spelling the expressions do not know
            continue
        yield n, _CELL.findall(content), "&" in content or "\r" in content
    if pieces[-1].strip():
        yield from parse_rows(pieces[-1])


def unescape(text: str) -> str:
    """Text as an XML parser gives it: line ends normalised, the predefined and numeric
    character references replaced (a row with an undefined entity went to lxml)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" not in text:
        return text
    return _ENTITY.sub(_replacement, text)


def _replacement(m: re.Match[str]) -> str:
    if m.group(1):
        return _NAMED[m.group(1)]
    return chr(int(m.group(2)) if m.group(2) else int(m.group(3), 16))


def has_undefined_entity(text: str) -> bool:
    """An ``&`` that is not one of the references :func:`unescape` replaces, or a reference to
    a character XML does not allow: lxml refuses both."""
    found = _ENTITY.findall(text)
    if text.count("&") != len(found):
        return True
    return any(
        not _xml_char(int(decimal) if decimal else int(hexadecimal, 16))
        for _, decimal, hexadecimal in found
        if decimal or hexadecimal
    )


def _xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
