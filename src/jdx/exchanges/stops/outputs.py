"""What a processed file gives back in the agency's OUTPUT folder, written from the database.

- ``<name>_errors.<ext>``: one consolidated error file in a form the agency can act on: its own
  rows with an ``Errors`` column (pipe-delimited or XLSX, as sent), or its records with their
  errors (XML, JSON);
- ``<name>_response.txt``: the response report that real clients parse (NOTES §2): file-level
  fatal errors, then ``Record Level Fatal Errors:`` and ``Record Level Errors:``, one
  ``ORI|file|LEA record id|CODE::message`` line per error. The same file is also named in
  ``responses_from_DOJ`` (DOJ's live layout), which holds nothing else: a client that parses
  every file there as a report never meets an error file or a log;
- ``<name>_log.txt``: the processor log record of Table 10, exactly 145 bytes.

Every text cell is neutralised against formula injection; every file is written atomically
(``FileStore.stage``: written to a local file, then made the file's content at once).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import orjson
from lxml import etree

from jdx.codecs.flat import neutralize_cell
from jdx.codecs.text_sheet import TextSheet
from jdx.codecs.xmlform import value_to_element
from jdx.exchanges.stops.batch_file_rows import Counts, FileRow
from jdx.exchanges.stops.file_folders import REPORT_SUFFIX, Folders
from jdx.exchanges.stops.file_store import FileStore, Key, write_bytes

ERRORS_COLUMN = "Errors"
ITEM_SEPARATOR = " ; "
LOG_WIDTHS = (9, 30, 10, 3, 75, 10, 8)  # Table 10: 145 bytes
LOG_LENGTH = sum(LOG_WIDTHS)
LOG_NAME_WIDTH = LOG_WIDTHS[1]
ELISION = "~"


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
    unchecked: Sequence[str] = (),
) -> list[Key]:
    """``errors`` are read as a stream, for the error file and again for the report: a
    million-record file has tens of thousands of error rows (``counts`` counts them all).
    Held at once, their cells took more memory than the rest of the processing, and without
    their cells, with the report built as one text, 40 MB more at the end of a 1,000,000-stop
    file (docs/benchmarks.md)."""
    store = folders.store
    out = folders.output_dir(f.ori, f.realm)
    stem = f.file_name.rsplit(".", 1)[0]
    written: list[Key] = []
    if counts.with_errors + counts.rejected:
        if f.format in ("xlsx", "xls", "delimited"):
            ext = "csv" if f.format == "delimited" else "xlsx"
            written.append(out / f"{stem}_errors.{ext}")
            with store.stage(written[-1]) as temp:
                _write_flat_errors(temp, ext, errors())
        else:
            ext, data = error_file(f, list(errors()))
            written.append(out / f"{stem}_errors.{ext}")
            write_bytes(store, written[-1], data)
    written.append(out / f"{stem}{REPORT_SUFFIX}")
    tally: dict[str, int] = {}
    twin = folders.responses_dir(f.ori, f.realm) / written[-1].name
    _write_lines(store, written[-1], response_report(f, errors, stamp, tally), also=[twin])
    written.append(out / f"{stem}_log.txt")
    record = processor_log_record(f, counts, stamp, nfia=tally.get("nfia", 0), unchecked=unchecked)
    write_bytes(store, written[-1], (record + "\n").encode("ascii"))
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


def _write_flat_errors(temp: Path, ext: str, errors: Iterable[Any]) -> None:
    """The agency's rows with an Errors column, as :func:`error_file` makes them, written row by
    row into ``temp``."""
    if ext == "csv":
        with temp.open("w", encoding="utf-8", newline="") as handle:
            _put_error_rows(
                csv.writer(handle, delimiter="|", lineterminator="\r\n").writerow, errors
            )
    else:
        with TextSheet(temp, "Errors") as sheet:  # a blank cell left out, as in the agency's sheet
            _put_error_rows(sheet.add, errors)


def _put_error_rows(put: Callable[[list[str]], object], errors: Iterable[Any]) -> None:
    header: list[str] | None = None

    def write(e: Any) -> None:
        assert header is not None
        text = _issue_text(e.issues)
        for cells in (e.source or {}).get("rows") or [[]]:
            row = [*(cells + [""] * len(header))[: len(header)], text]
            put([neutralize_cell(c) for c in row])

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


def _delimited(table: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="|", lineterminator="\r\n")
    for row in table:
        writer.writerow([neutralize_cell(c) for c in row])
    return buffer.getvalue().encode()


def _xlsx(table: list[list[str]]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="jdx-errors-") as folder:
        path = Path(folder) / "errors.xlsx"
        with TextSheet(path, "Errors") as sheet:
            for row in table:
                sheet.add([neutralize_cell(value) for value in row])
        return path.read_bytes()


# --- response report ----------------------------------------------------------------------------


def _field(text: str) -> str:
    """A report field: no delimiter or line break can shift the columns."""
    return neutralize_cell(" ".join(text.replace("|", "/").split()))


def _write_lines(
    store: FileStore, key: Key, lines: Iterable[str], also: Sequence[Key] = ()
) -> None:
    """Each line ended by CRLF, UTF-8, written as it comes (``also``: the file's other names)."""
    with store.stage(key, also) as temp, temp.open("w", encoding="utf-8", newline="") as out:
        for line in lines:
            out.write(line + "\r\n")


def report_item(issue: dict[str, Any]) -> str:
    """One error as the report's last field: ``CODE::message``, one code, nothing a parser
    could take for a second item or field. The person number, when the error is a person's,
    leads the message ("Person 2: ..."): a client shows the message to whoever corrects the
    stop, and a stop has several persons. The field path is left to the error file (OUTPUT):
    the message already names the field in words."""
    message = str(issue.get("message") or "")
    if issue.get("person"):
        message = f"Person {issue['person']}: {message}"
    code = _field(str(issue.get("code") or "")).replace(":", "")
    return f"{code}::{_field(message).replace('::', ':')}"


def response_report(
    f: FileRow, errors: ErrorRows, stamp: dt.datetime, tally: dict[str, int] | None = None
) -> Iterator[str]:
    """The report's lines (without their CRLF): the fatal errors, then the others, each in file
    order, one line per error (a record with three errors has three lines, each with the
    record's ORI, file and LEA record id).

    A record this file (or an earlier one) closed as NFIA keeps its errors, but they are not
    listed: an NFIA update is accepted, and a client that parses the report marks every stop
    it finds under either title as failed. Nothing else is said in the report: every line a
    parser reads between the titles is an error. ``tally["nfia"]`` counts them for the log."""
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
    nfia = 0
    for title, wanted in (("Record Level Fatal Errors:", True), ("Record Level Errors:", False)):
        yield from ("", title, "Agency ORI|File name|LEA record ID|Error List")
        for e in errors(fatal=wanted, source=False):
            if getattr(e, "nfia", False) and not e.fatal:
                nfia += 1
                continue
            prefix = "|".join((f.ori, _field(f.file_name), _field(e.lea_record_id)))
            for issue in e.issues:
                yield f"{prefix}|{report_item(issue)}"
    if tally is not None:
        tally["nfia"] = nfia


# --- processor log (Table 10) -------------------------------------------------------------------


def processor_log_record(
    f: FileRow,
    counts: Counts,
    stamp: dt.datetime,
    nfia: int = 0,
    unchecked: Sequence[str] = (),
) -> str:
    """ORI(9) File Name(30) File Date(10) Access Channel(3) Processing Status(75)
    Processing date(10) Processing time(8): 145 bytes, fixed width, ASCII. ``nfia``: records
    closed as NFIA, counted apart from the errors; ``unchecked``: the domain tables that were
    empty, whose checks were skipped (the status names them after the counts)."""
    file_date = f.file_name[:8]
    file_date = f"{file_date[4:6]}/{file_date[6:8]}/{file_date[:4]}" if file_date.isdigit() else ""
    if f.file_error:
        status = "FILE ERROR: " + f.file_error
    else:
        status = (
            f"TOTAL {counts.total} SUCCESSFUL {counts.successful} "
            f"ERRORS {counts.with_errors + counts.rejected - nfia}"
        )
        if nfia:
            status += f" NFIA {nfia}"
        if unchecked:
            status += " UNCHECKED " + ",".join(t.upper() for t in unchecked)
    channel = "FTP" if f.channel in ("sftp", "folder") else "WEB"
    fields = (
        f.ori,
        log_name(f.file_name),
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


def log_name(name: str, width: int = LOG_NAME_WIDTH) -> str:
    """The file name as Table 10's 30 characters hold it, keeping what identifies the file.

    A name that fits is kept whole. A conforming name is ``<stamp 14>_<ORI 9>_<id>.<ext>``: with
    the ORI, a ``.json`` leaves no room for the id at all, so a longer name drops its ORI (the
    log record's first field is the ORI, and a name's ORI is always the uploader's) and keeps
    the timestamp, the batch or record id and the extension, the id's middle elided (``~``)
    when even that is too long. Any other name keeps its start and its extension."""
    text = _ascii(name)
    if len(text) <= width:
        return text
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    suffix = f".{ext}" if dot else ""
    parts = stem.split("_", 2)
    if len(parts) == 3 and len(parts[0]) == 14 and parts[0].isdigit():
        head = f"{parts[0]}_"
        return head + _elide(parts[2], width - len(head) - len(suffix)) + suffix
    return _elide(stem, width - len(suffix)) + suffix


def _elide(text: str, room: int) -> str:
    """``text`` in ``room`` characters: its start and its end around ``~``."""
    if len(text) <= room:
        return text
    if room <= len(ELISION):
        return text[:room]
    keep = room - len(ELISION)
    tail = keep // 2
    return text[: keep - tail] + ELISION + (text[-tail:] if tail else "")


def _ascii(text: str) -> str:
    return "".join(c if " " <= c <= "~" else "?" for c in text)
