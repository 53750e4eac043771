"""A job's cases from a body or an uploaded file: JSON, XML, XLSX or CSV.

JSON is the job body (``{"cases": [{"type": ..., "record": {...}}]}``) or its list; XML an
``<ImportJob>`` holding the ICD roots; XLSX (first sheet) and CSV (comma-separated, UTF-8) the
flat layout of :mod:`jdx.codecs.pathflat`: one row per case, a ``recordType`` column and one column
per field path (``jdx icd cases`` writes the templates). The format is told by the content, never
by the file name. A file that cannot be read as a whole raises :class:`JobFileError` naming the
problem (the row, the column, the limit); a case that reads but does not validate is the job's
business, reported per case like any other.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import zipfile
from typing import Any

import orjson

from jdx.codecs.batch import MAX_INFLATE_RATIO
from jdx.codecs.pathflat import PathLayout
from jdx.codecs.paths import PathError
from jdx.codecs.xmlform import XmlFormError, element_to_value, local_name, parse_xml
from jdx.dictionary.loader import load_dictionary
from jdx.exchanges.cases.jobs import FAMILIES
from jdx.validation import DICTIONARY_DIR

XML_ROOTS = {
    "MissingPersonCase": "missing",
    "UnidentifiedPersonCase": "unidentified",
    "CancellationRequest": "cancellation",
}
MAX_INFLATED_BYTES = 64 << 20  # a workbook of a few hundred cases inflates to well under 1 MB
MAX_ROWS = 10_000  # far over any job limit: a longer file is refused before it is bound
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class JobFileError(ValueError):
    """The file or body as a whole cannot be read; the message names the problem, and
    ``problems`` each part of the job at fault as (field, message), when there are such parts."""

    def __init__(self, message: str, problems: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


@functools.lru_cache(maxsize=1)
def job_layout() -> PathLayout:
    """The flat layout of a case job: the three record types' fields."""
    return PathLayout(
        {kind: load_dictionary(DICTIONARY_DIR / f"{name}.yaml") for kind, name in FAMILIES.items()}
    )


def read_job_file(
    filename: str, data: bytes, *, max_bytes: int | None = None
) -> list[tuple[str, Any]]:
    """The (record type, record) pairs of an uploaded job file, in file order."""
    items, _ = read_job(data, filename=filename, max_bytes=max_bytes)
    return [(str(i["type"]), i["record"]) for i in items]


def read_job(
    data: bytes, *, filename: str = "", content_type: str = "", max_bytes: int | None = None
) -> tuple[list[Any], str]:
    """(the job's items as ``{"type", "record"}``, its format: json | xml | xlsx | csv)."""
    where = f"{filename}: " if filename else ""
    try:
        items, fmt = _read(data, content_type, max_bytes)
        _check_envelope(items)
    except (JobFileError, XmlFormError, PathError) as exc:
        problems = exc.problems if isinstance(exc, JobFileError) else ()
        raise JobFileError(f"{where}{exc}", problems) from None
    return items, fmt


MAX_ENVELOPE_PROBLEMS = 10  # a job of 100 bare records needs one line, not 100


def _check_envelope(items: list[Any]) -> None:
    """Every item a ``{"type", "record"}`` of a known type, or the job is refused whole, before
    it is counted against any limit: a bare record, or a list of them, would otherwise take a
    slot of the day's jobs and come back as a case of type "None" each."""
    problems: list[tuple[str, str]] = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not ({"type", "record"} & item.keys()):
            problems.append((f"cases[{n}]", 'each case is {"type": ..., "record": {...}}'))
        elif not isinstance(item.get("type"), str) or item["type"] not in FAMILIES:
            got = "is missing" if "type" not in item else f"is {str(item['type'])[:20]!r}"
            problems.append((f"cases[{n}].type", f"{got}: one of {', '.join(FAMILIES)}"))
        elif not isinstance(item.get("record"), dict):
            problems.append((f"cases[{n}].record", "the case's fields, as an object"))
        elif (found := nul_at(item["record"], f"cases[{n}].record")) is not None:
            problems.append((found, NUL_MESSAGE))
    if problems:
        more = len(problems) - MAX_ENVELOPE_PROBLEMS
        lines = [
            f"{field}: {message}" if field.endswith("]") else f"{field} {message}"
            for field, message in problems[:MAX_ENVELOPE_PROBLEMS]
        ]
        shown = lines + ([f"... and {more} more"] if more > 0 else [])
        raise JobFileError("; ".join(shown), tuple(problems[:MAX_ENVELOPE_PROBLEMS]))


def _read(data: bytes, content_type: str, max_bytes: int | None) -> tuple[list[Any], str]:
    if max_bytes is not None and len(data) > max_bytes:
        raise JobFileError(f"the job is larger than {max_bytes:,} bytes")
    if not data.strip():
        raise JobFileError("the file is empty")
    if data.startswith(b"PK\x03\x04"):
        return _flat(_sheet_rows(data)), "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise JobFileError("an Excel 97-2003 (.xls) workbook: save it as .xlsx")
    text = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        return _xml_items(data), "xml"
    if text.startswith((b"{", b"[")) or "json" in content_type:
        return _json_items(data), "json"
    return _flat(_csv_rows(data)), "csv"


NUL_MESSAGE = "holds a NUL character (\\u0000), which no field may hold"


def nul_at(value: Any, where: str) -> str | None:
    """Where a JSON value holds a NUL character (``\\u0000``), in a key or a text, if it does:
    no field of a case may hold one, and PostgreSQL's JSONB, where cases are kept, cannot (a
    job holding one was a 500 there, found by schemathesis)."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = nul_at(key, where) or nul_at(item, f"{where}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found = nul_at(item, f"{where}[{n}]")
            if found:
                return found
    return None


def refuse_nul(value: Any, where: str = "body") -> None:
    """:func:`nul_at`, refused with JobFileError naming where."""
    found = nul_at(value, where)
    if found is not None:
        what = "the body" if found == "body" else f"the field {found}"
        raise JobFileError(f"{what} {NUL_MESSAGE}")


def _json_items(data: bytes) -> list[Any]:
    try:
        value = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        raise JobFileError(f"not JSON: {exc}") from None
    if isinstance(value, dict) and isinstance(value.get("cases"), list):
        return list(value["cases"])
    if isinstance(value, list):
        return value
    raise JobFileError('the body must be {"cases": [{"type": ..., "record": {...}}, ...]}')


def _xml_items(data: bytes) -> list[Any]:
    root = parse_xml(data, max_depth=32)
    if local_name(root) != "ImportJob":
        raise JobFileError("the XML root must be ImportJob")
    return [
        {"type": XML_ROOTS.get(local_name(e), local_name(e)), "record": element_to_value(e)}
        for e in root
        if isinstance(e.tag, str)
    ]


def _flat(rows: list[tuple[int, list[str]]]) -> list[Any]:
    layout = job_layout()
    if not rows:
        raise JobFileError("the file has no header row")
    header = rows[0][1]
    problems = layout.check_header(header)
    if problems:
        raise JobFileError("the header row: " + "; ".join(problems))
    items: list[Any] = []
    for number, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue  # blank rows between cases
        if len(cells) != len(header):
            raise JobFileError(
                f"row {number} has {len(cells)} cells and the header {len(header)}: "
                "every row needs a cell per column (empty ones too)"
            )
        try:
            record_type, record = layout.read_row(header, cells)
        except PathError as exc:
            raise JobFileError(f"row {number}: {exc}") from None
        items.append({"type": record_type, "record": record})
    if not items:
        raise JobFileError("the file holds no case")
    return items


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise JobFileError(
            f"the file is not UTF-8 text (line {line}, byte {exc.start}): save it as CSV UTF-8"
        ) from None
    if "\x00" in text:
        raise JobFileError("the file holds NUL characters: it is not a CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            rows.append((reader.line_num, cells))
            if len(rows) > MAX_ROWS:
                raise JobFileError(f"more than {MAX_ROWS:,} rows")
    except csv.Error as exc:
        raise JobFileError(f"line {reader.line_num}: not CSV: {exc}") from None
    return rows


def _sheet_rows(data: bytes) -> list[tuple[int, list[str]]]:
    from python_calamine import CalamineWorkbook

    _check_zip(data)
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        rows: list[tuple[int, list[str]]] = []
        for number, row in enumerate(sheet.iter_rows(), start=1):
            if number > MAX_ROWS + 1:
                raise JobFileError(f"more than {MAX_ROWS:,} rows")
            rows.append((number, [_cell_text(v) for v in row]))
    except JobFileError:
        raise
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise JobFileError(f"the workbook cannot be read: {exc}") from None
    while rows and not any(rows[-1][1]):
        rows.pop()
    return rows


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            inflated = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise JobFileError(f"the file looks like XLSX but is not a readable zip: {exc}") from None
    if "xl/workbook.xml" not in names:
        raise JobFileError("a zip file that is not an XLSX workbook")
    if inflated > MAX_INFLATED_BYTES or inflated > len(data) * MAX_INFLATE_RATIO:
        raise JobFileError(
            f"the workbook inflates to {inflated:,} bytes from {len(data):,}: refused as a zip bomb"
        )


def _cell_text(value: Any) -> str:
    """A cell as the text of the case's JSON: dates ISO (YYYY-MM-DD), whole numbers plain."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def job_templates() -> dict[str, bytes]:
    """The bulk upload templates of a case job (file name -> content): the flat layout's header
    and a valid sample row of each record type."""
    from jdx.dictionary.icd.sample import sample_record
    from jdx.dictionary.icd.templates import job_csv_template, job_xlsx_template

    layout = job_layout()
    dictionaries = {
        kind: load_dictionary(DICTIONARY_DIR / f"{name}.yaml") for kind, name in FAMILIES.items()
    }
    samples = [(kind, sample_record(d)) for kind, d in dictionaries.items()]
    return {
        "case-job-template.csv": job_csv_template(layout, samples),
        "case-job-template.xlsx": job_xlsx_template(layout, samples, dictionaries),
    }
