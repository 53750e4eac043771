"""What a processed file gives back in the agency's OUTPUT folder, written from the database.

- ``<name>_errors.<ext>``: one consolidated error file in a form the agency can act on: its own
  rows with an ``Errors`` column (pipe-delimited or XLSX, as sent), or its records with their
  errors (XML, JSON);
- ``<name>_response.txt``: the response report that real clients parse (NOTES §2): file-level
  fatal errors, then ``Record Level Fatal Errors:`` and ``Record Level Errors:`` with
  ``CODE::message`` items;
- ``<name>_log.txt``: the processor log record of Table 10, exactly 145 bytes.

Every text cell is neutralised against formula injection; every file is written atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import orjson
import xlsxwriter
from lxml import etree

from jdx.codecs.flat import neutralize_cell
from jdx.codecs.xmlform import value_to_element
from jdx.exchanges.stops.batch_file_rows import Counts, FileRow
from jdx.exchanges.stops.file_folders import Folders, atomic_target, write_atomic

ERRORS_COLUMN = "Errors"
ITEM_SEPARATOR = " ; "
LOG_WIDTHS = (9, 30, 10, 3, 75, 10, 8)  # Table 10: 145 bytes
LOG_LENGTH = sum(LOG_WIDTHS)


class ErrorRows(Protocol):
    """A file's error rows in file order, read from the database a few hundred at a time:
    ``fatal`` True or False for those rows only, ``source`` False without the rows' cells."""

    def __call__(self, *, fatal: bool | None = None, source: bool = True) -> Iterable[Any]: ...


def write_outputs(
    folders: Folders,
    f: FileRow,
    counts: Counts,
    errors: ErrorRows,
    stamp: dt.datetime,
) -> list[Path]:
    """``errors`` are read as a stream, for the error file and again for the report: a
    million-record file has tens of thousands of error rows (``counts`` counts them all).
    Held at once, their cells took more memory than the rest of the processing, and without
    their cells, with the report built as one text, 40 MB more at the end of a 1,000,000-stop
    file (docs/benchmarks.md)."""
    out = folders.output_dir(f.ori, f.realm)
    stem = f.file_name.rsplit(".", 1)[0]
    written: list[Path] = []
    if counts.with_errors + counts.rejected:
        if f.format in ("xlsx", "xls", "delimited"):
            ext = "csv" if f.format == "delimited" else "xlsx"
            written.append(out / f"{stem}_errors.{ext}")
            _stream_flat_errors(written[-1], ext, errors())
        else:
            ext, data = error_file(f, list(errors()))
            written.append(out / f"{stem}_errors.{ext}")
            write_atomic(written[-1], data)
    written.append(out / f"{stem}_response.txt")
    _write_lines(written[-1], response_report(f, errors, stamp))
    written.append(out / f"{stem}_log.txt")
    write_atomic(written[-1], (processor_log_record(f, counts, stamp) + "\n").encode("ascii"))
    return written


# --- error file ---------------------------------------------------------------------------------


def _issue_text(issues: list[dict[str, Any]]) -> str:
    parts = []
    for i in issues:
        person = f" (person {i['person']})" if i.get("person") else ""
        where = f" [{i['field']}]" if i.get("field") else ""
        parts.append(f"{i['code']}::{i['message']}{where}{person}")
    return ITEM_SEPARATOR.join(parts)


def error_file(f: FileRow, errors: Sequence[Any]) -> tuple[str, bytes]:
    if f.format in ("xlsx", "xls", "delimited"):
        header: list[str] = next((e.source["columns"] for e in errors if e.source), [])
        table = [[*header, ERRORS_COLUMN]]
        for e in errors:
            text = _issue_text(e.issues)
            for cells in (e.source or {}).get("rows") or [[]]:
                table.append([*(cells + [""] * len(header))[: len(header)], text])
        if f.format == "delimited":
            return "csv", _delimited(table)
        return "xlsx", _xlsx(table)
    if f.format == "xml":
        root = etree.Element("StopErrors", File=f.file_name)
        for e in errors:
            record = etree.SubElement(
                root, "Record", Sequence=str(e.seq), LEARecordID=e.lea_record_id
            )
            record.set("Stored", "N" if e.fatal else "Y")
            issues = etree.SubElement(record, "Errors")
            for i in e.issues:
                err = etree.SubElement(issues, "Error", Code=i["code"], Severity=i["severity"])
                err.set("Field", i.get("field") or "")
                if i.get("person"):
                    err.set("PersonNumber", str(i["person"]))
                err.text = i["message"]
            if isinstance(e.source, dict):
                record.append(value_to_element("Stop", e.source))
        return "xml", etree.tostring(
            root, xml_declaration=True, encoding="UTF-8", pretty_print=True
        )
    body = [
        {
            "Sequence": e.seq,
            "LEARecordID": e.lea_record_id,
            "Stored": not e.fatal,
            "Errors": e.issues,
            "Record": e.source,
        }
        for e in errors
    ]
    return "json", orjson.dumps(body, option=orjson.OPT_INDENT_2)


def _stream_flat_errors(path: Path, ext: str, errors: Iterable[Any]) -> None:
    """The agency's rows with an Errors column, as :func:`error_file` makes them, written row by
    row (``atomic_target``)."""
    with atomic_target(path) as temp:
        _write_flat_errors(temp, ext, errors)


def _write_flat_errors(temp: Path, ext: str, errors: Iterable[Any]) -> None:
    book: Any = None
    put: Callable[[list[str]], object]
    if ext == "csv":
        handle = temp.open("w", encoding="utf-8", newline="")
        put = csv.writer(handle, delimiter="|", lineterminator="\r\n").writerow
    else:
        book = xlsxwriter.Workbook(
            str(temp), {"constant_memory": True, "strings_to_formulas": False}
        )
        sheet = book.add_worksheet("Errors")
        count = itertools.count()

        def put_cells(row: list[str]) -> None:
            r = next(count)
            for c, value in enumerate(row):
                sheet.write_string(r, c, value)

        put = put_cells

    header: list[str] | None = None

    def write(e: Any) -> None:
        assert header is not None
        text = _issue_text(e.issues)
        for cells in (e.source or {}).get("rows") or [[]]:
            row = [*(cells + [""] * len(header))[: len(header)], text]
            put([neutralize_cell(c) for c in row])

    try:
        pending: list[Any] = []  # rows before the first that names the columns (normally none)
        for e in errors:
            if header is None and not e.source:
                pending.append(e)
                continue
            if header is None:
                header = list(e.source["columns"])
                put([neutralize_cell(c) for c in [*header, ERRORS_COLUMN]])
                for waiting in pending:
                    write(waiting)
                pending = []
            write(e)
        if header is None:
            header = []
            put([ERRORS_COLUMN])
            for waiting in pending:
                write(waiting)
    finally:
        if book is not None:
            book.close()
        else:
            handle.close()


def _delimited(table: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="|", lineterminator="\r\n")
    for row in table:
        writer.writerow([neutralize_cell(c) for c in row])
    return buffer.getvalue().encode()


def _xlsx(table: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("Errors")
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            sheet.write_string(r, c, neutralize_cell(value))
    book.close()
    return buffer.getvalue()


# --- response report ----------------------------------------------------------------------------


def _field(text: str) -> str:
    """A report field: no delimiter or line break can shift the columns."""
    return neutralize_cell(" ".join(text.replace("|", "/").split()))


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    """Each line ended by CRLF, UTF-8, written as it comes (``atomic_target``)."""
    with atomic_target(path) as temp, temp.open("w", encoding="utf-8", newline="") as out:
        for line in lines:
            out.write(line + "\r\n")


def response_report(f: FileRow, errors: ErrorRows, stamp: dt.datetime) -> Iterator[str]:
    """The report's lines (without their CRLF): the fatal errors, then the others, each in file
    order."""
    local = stamp.astimezone(dt.UTC)
    yield "Agency ORI|File name|Date Submitted|Time Submitted|Error message"
    if f.file_error:
        yield (
            "|".join(
                (
                    f.ori,
                    _field(f.file_name),
                    local.strftime("%m/%d/%Y"),
                    local.strftime("%H:%M:%S"),
                    _field(f.file_error),
                )
            )
        )
    for title, wanted in (("Record Level Fatal Errors:", True), ("Record Level Errors:", False)):
        yield from ("", title, "Agency ORI|File name|LEA record ID|Error List")
        for e in errors(fatal=wanted, source=False):
            yield "|".join(
                (f.ori, _field(f.file_name), _field(e.lea_record_id), _field(_issue_text(e.issues)))
            )


# --- processor log (Table 10) -------------------------------------------------------------------


def processor_log_record(f: FileRow, counts: Counts, stamp: dt.datetime) -> str:
    """ORI(9) File Name(30) File Date(10) Access Channel(3) Processing Status(75)
    Processing date(10) Processing time(8): 145 bytes, fixed width, ASCII."""
    file_date = f.file_name[:8]
    file_date = f"{file_date[4:6]}/{file_date[6:8]}/{file_date[:4]}" if file_date.isdigit() else ""
    if f.file_error:
        status = "FILE ERROR: " + f.file_error
    else:
        status = (
            f"TOTAL {counts.total} SUCCESSFUL {counts.successful} "
            f"ERRORS {counts.with_errors + counts.rejected}"
        )
    channel = "FTP" if f.channel in ("sftp", "folder") else "WEB"
    fields = (
        f.ori,
        f.file_name,
        file_date,
        channel,
        status,
        stamp.strftime("%m/%d/%Y"),
        stamp.strftime("%H:%M:%S"),
    )
    record = "".join(
        _ascii(value)[:width].ljust(width) for value, width in zip(fields, LOG_WIDTHS, strict=True)
    )
    assert len(record) == LOG_LENGTH
    return record


def _ascii(text: str) -> str:
    return "".join(c if " " <= c <= "~" else "?" for c in text)
