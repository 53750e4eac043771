"""Batch files, read as a stream of records: XLSX/XLS, pipe-delimited text, XML and JSON.

The format is identified by content, never by the file name (a ``.csv`` that holds a zip is an
XLSX, or an attack). Every reader yields :class:`Item` objects one at a time, so memory stays flat
whatever the file size; a record that cannot be bound to the record structure is an item whose
``record`` is a :class:`~jdx.codecs.flat.ConversionError`, and the file goes on. A problem with the
file as a whole (not UTF-8, a zip bomb, entities, no header) raises :class:`FileError`.
"""

from __future__ import annotations

import csv
import enum
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from lxml import etree

from jdx.codecs import xlsx
from jdx.codecs.flat import ConversionError, FlatLayout, RowGroup
from jdx.codecs.xlsx import cell_text
from jdx.codecs.xmlform import (
    MAX_DEPTH,
    XmlFormError,
    element_to_value,
    local_name,
    safe_iterparse,
)
from jdx.dictionary.model import Dictionary

SNIFF_BYTES = 64 * 1024
# An XLSX is a zip: refuse archives that inflate beyond this many times their size or beyond
# the absolute limit (a 100,000-row sheet is about 30 MB inflated).
MAX_INFLATE_RATIO = 200
MAX_INFLATED_BYTES = 1 << 30
MAX_JSON_BYTES = 64 << 20  # a JSON document is parsed whole; NDJSON is streamed
MAX_LINE_BYTES = 1 << 20
# Worksheets up to this size (inflated XML; about 28,000 rows of the stop layout) are read by
# calamine, larger ones streamed: calamine's copy of the sheet peaks at about twice this.
CALAMINE_MAX_SHEET_BYTES = 64 << 20


class Format(enum.StrEnum):
    XLSX = "xlsx"
    XLS = "xls"
    DELIMITED = "delimited"
    XML = "xml"
    JSON = "json"


class FileError(ValueError):
    """The file as a whole cannot be processed; the message is for the agency."""


class DeferredSource:
    """An ``Item.source`` read only when it is needed (an error row keeps it): the columnar
    path's clean stops, whose rows as read are wanted only if the store refuses them."""

    def value(self) -> Any:
        raise NotImplementedError


def source_of(item: Item) -> Any:
    """What an error row keeps of a record as sent (``Item.source``, read now if deferred)."""
    return item.source.value() if isinstance(item.source, DeferredSource) else item.source


@dataclass(slots=True)
class Item:
    seq: int  # 1-based position of the record in the file
    rows: str  # the file rows that made it ("2", "3-5"), or "" for XML/JSON
    record: dict[str, Any] | ConversionError
    source: Any  # {"columns", "rows"} of cells (flat formats) or the record as sent
    shaped: bool = False  # the record is in canonical form (read from flat rows)


def sniff(path: Path) -> Format:
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    if not head:
        raise FileError("the file is empty")
    if head.startswith(b"PK\x03\x04"):
        _check_zip(path)
        return Format.XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return Format.XLS
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        return Format.XML
    if text.startswith((b"{", b"[")):
        return Format.JSON
    first_line = text.split(b"\n", 1)[0]
    if b"|" in first_line:
        return Format.DELIMITED
    raise FileError(
        "SFTP record type invalid: the file is not XLSX, XLS, pipe-delimited text, XML or JSON"
    )


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            inflated = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileError(f"the file looks like XLSX but is not a readable zip: {exc}") from None
    if "xl/workbook.xml" not in names:
        raise FileError("SFTP record type invalid: a zip file that is not an XLSX workbook")
    size = max(path.stat().st_size, 1)
    if inflated > MAX_INFLATED_BYTES or inflated > size * MAX_INFLATE_RATIO:
        raise FileError(
            f"the workbook inflates to {inflated:,} bytes from {size:,}: refused as a zip bomb"
        )


def read_items(path: Path, fmt: Format, dictionary: Dictionary, skip: int = 0) -> Iterator[Item]:
    """The records of a file, from record ``skip + 1`` on (a resumed file skips what is stored)."""
    if fmt in (Format.XLSX, Format.XLS):
        items = _flat_items(FlatLayout(dictionary), sheet_rows(path, fmt))
    elif fmt is Format.DELIMITED:
        items = _flat_items(FlatLayout(dictionary), _delimited_rows(path))
    elif fmt is Format.XML:
        items = _xml_items(path, dictionary.xml_root)
    else:
        items = _json_items(path)
    for item in items:
        if item.seq > skip:
            yield item


def read_header(path: Path, fmt: Format) -> list[str]:
    """The header row of a flat file ([] when there is none)."""
    rows = _delimited_rows(path) if fmt is Format.DELIMITED else sheet_rows(path, fmt)
    try:
        return next(rows, (0, []))[1]
    finally:
        rows.close()


# --- flat formats -------------------------------------------------------------------------------


def _flat_items(layout: FlatLayout, rows: Iterator[tuple[int, list[str]]]) -> Iterator[Item]:
    header, raw = _flat_raw(layout, rows)
    bind = layout.binder(header)
    for item in raw:
        yield bound_item(item, bind)


def bound_item(raw: RawItem, bind: Callable[[list[tuple[int, list[str]]]], dict[str, Any]]) -> Item:
    """A raw record bound (``FlatLayout.binder``), or its conversion error."""
    group = raw.group
    built = group if isinstance(group, ConversionError) else group.bind(bind)
    record = built if isinstance(built, ConversionError) else built.record
    return Item(raw.seq, raw.rows, record, raw.source, shaped=True)


@dataclass(slots=True)
class RawItem:
    """A record of a flat file as read, not yet bound: what a worker process binds."""

    seq: int
    rows: str
    group: RowGroup | ConversionError
    source: Any


def read_raw(
    path: Path, fmt: Format, dictionary: Dictionary, skip: int = 0
) -> tuple[list[str], Iterator[RawItem]]:
    """The header and the unbound records of a flat file (XLSX, XLS, delimited), from record
    ``skip + 1`` on: :func:`read_items` without the binding, which the caller does elsewhere."""
    layout = FlatLayout(dictionary)
    rows = _delimited_rows(path) if fmt is Format.DELIMITED else sheet_rows(path, fmt)
    header, raw = _flat_raw(layout, rows)
    return header, (item for item in raw if item.seq > skip)


def _flat_raw(
    layout: FlatLayout, rows: Iterator[tuple[int, list[str]]]
) -> tuple[list[str], Iterator[RawItem]]:
    try:
        _, header = next(rows)
    except StopIteration:
        raise FileError("the file has no header row") from None
    problems = layout.check_header(header)
    if any("missing" in p or "twice" in p for p in problems):
        raise FileError("the header row does not match the template: " + "; ".join(problems))
    return header, _raw_items(layout, header, rows)


def _raw_items(
    layout: FlatLayout, header: list[str], rows: Iterator[tuple[int, list[str]]]
) -> Iterator[RawItem]:
    names = [h.strip() for h in header]
    kept: dict[int, list[str]] = {}

    def remembered() -> Iterator[tuple[int, list[str]]]:
        for number, cells in rows:
            kept[number] = cells
            yield number, cells

    for seq, group in enumerate(layout.groups(header, remembered()), start=1):
        numbers = group.rows if isinstance(group, ConversionError) else group.numbers
        # Lists, not objects: a header may name a column twice, and the cells keep their order.
        source = {"columns": names, "rows": [kept.pop(n, []) for n in numbers]}
        for n in [n for n in kept if numbers and n < numbers[0]]:
            kept.pop(n)  # blank rows before the record
        yield RawItem(seq, row_span(numbers[0], numbers[-1]), group, source)


def row_span(first: int, last: int) -> str:
    """``Item.rows`` of a record whose rows are ``first`` to ``last``: "2", or "3-5"."""
    return f"{first}" if first == last else f"{first}-{last}"


# How the record path reads a pipe-delimited file (the csv module's dialect).
PIPE_DIALECT: dict[str, Any] = {"delimiter": "|", "quotechar": '"', "strict": True}


def delimited_cells(line: str) -> list[str]:
    """One line of a pipe-delimited file read as :func:`_delimited_rows` reads it (the
    columnar path reads a record's lines again for its error row)."""
    return next(csv.reader([line], **PIPE_DIALECT), [])


def _delimited_rows(path: Path) -> Generator[tuple[int, list[str]], None, None]:
    with path.open("r", encoding="utf-8-sig", errors="strict", newline="") as f:
        reader = csv.reader(f, **PIPE_DIALECT)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except UnicodeDecodeError as exc:
            raise FileError(
                f"the file is not UTF-8 text (after line {number}, byte {exc.start}); "
                "save it as UTF-8"
            ) from None
        except csv.Error as exc:
            raise FileError(f"line {number + 1}: {exc}") from None


def sheet_rows(path: Path, fmt: Format) -> Generator[tuple[int, list[str]], None, None]:
    """The rows of the first sheet. A large XLSX sheet is streamed (``xlsx.py``: memory bounded
    whatever the rows); a smaller one, and XLS (65,536 rows at most), are read whole by
    calamine, which reads 4x faster but holds the sheet, about twice its inflated size."""
    if fmt is Format.XLSX and _sheet_bytes(path) > CALAMINE_MAX_SHEET_BYTES:
        try:
            yield from enumerate(xlsx.rows(path, text=True), start=1)
        except xlsx.XlsxError as exc:
            raise FileError(f"the workbook cannot be read: {exc}") from None
        return
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise FileError(f"the workbook cannot be read: {exc}") from None
    for number, row in enumerate(rows, start=1):
        yield number, [cell_text(v) for v in row]


def _sheet_bytes(path: Path) -> int:
    """The largest inflated worksheet of a workbook (the first sheet is one of them)."""
    with zipfile.ZipFile(path) as z:
        sizes = [i.file_size for i in z.infolist() if i.filename.startswith("xl/worksheets/")]
    return max(sizes, default=0)


# --- XML and JSON -------------------------------------------------------------------------------


def _refuse_dtd(path: Path) -> None:
    """No DTD anywhere: entity expansion and external entities are closed before parsing."""
    tail = b""
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            window = tail + chunk
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                raise FileError("DOCTYPE and ENTITY declarations are not allowed in XML files")
            tail = chunk[-16:]


def _xml_items(path: Path, record_tag: str) -> Iterator[Item]:
    """One ``<Stop>`` document, or any root holding ``<Stop>`` elements, streamed."""
    _refuse_dtd(path)
    seq = 0
    try:
        context = safe_iterparse(str(path), ("start", "end"))
        depth = 0
        for event, element in context:
            if event == "start":
                depth += 1
                if depth > MAX_DEPTH:
                    raise FileError(f"the XML is nested deeper than {MAX_DEPTH} levels")
                continue
            depth -= 1
            if local_name(element) != record_tag:
                continue
            seq += 1
            try:
                record = element_to_value(element)
            except XmlFormError as exc:
                record = ConversionError(str(exc), ())
            if not isinstance(record, dict | ConversionError):
                record = ConversionError(f"<{record_tag}> {seq} holds no fields", ())
            yield Item(seq, "", record, record if isinstance(record, dict) else None)
            element.clear(keep_tail=False)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise FileError(f"the XML is not well-formed: {exc.msg}") from None
    if seq == 0:
        raise FileError(f"the XML file holds no <{record_tag}> record")


def _json_items(path: Path) -> Iterator[Item]:
    """One JSON object, an array of objects, or NDJSON (one object per line, streamed)."""
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES).removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"{") and _is_ndjson(path):
        yield from _ndjson_items(path)
        return
    if path.stat().st_size > MAX_JSON_BYTES:
        raise FileError(
            f"a JSON document over {MAX_JSON_BYTES >> 20} MB; send NDJSON (one record per line)"
        )
    try:
        value = orjson.loads(path.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        raise FileError(f"the file is not valid JSON: {exc}") from None
    records = value if isinstance(value, list) else [value]
    if not records:
        raise FileError("the JSON file holds no record")
    for seq, record in enumerate(records, start=1):
        yield _json_item(seq, record)


def _is_ndjson(path: Path) -> bool:
    with path.open("rb") as f:
        first = f.readline(MAX_LINE_BYTES).strip().removeprefix(b"\xef\xbb\xbf")
        second = f.readline(MAX_LINE_BYTES).strip()
    if not second:
        return False
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return True


def _ndjson_items(path: Path) -> Iterator[Item]:
    seq = 0
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            seq += 1
            try:
                yield _json_item(seq, orjson.loads(line), str(number))
            except orjson.JSONDecodeError as exc:
                yield Item(seq, str(number), ConversionError(f"line {number}: {exc}", ()), None)


def _json_item(seq: int, record: Any, rows: str = "") -> Item:
    if not isinstance(record, dict):
        return Item(seq, rows, ConversionError(f"record {seq} is not a JSON object", ()), record)
    return Item(seq, rows, record, record)
