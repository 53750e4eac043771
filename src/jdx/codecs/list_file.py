"""A list (of stops, files, jobs...) as a CSV or XLSX file to download: every list's export.

Rows are written as they come, so a long list is never held whole: CSV straight to the output,
XLSX a row at a time into a temporary file (``text_sheet.py``), copied to the output at the end.
Every cell is text that a spreadsheet shows and never runs as a formula
(``flat.neutralize_cell``), and never markup: a list can hold what an agency sent.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from jdx.codecs.flat import neutralize_cell
from jdx.codecs.text_sheet import TextSheet

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LIST_SEPARATOR = ";"  # several values of one cell (a stop's error codes)


def cell_text(value: Any) -> str:
    """A value as the text of one cell."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "Y" if value else "N"
    elif isinstance(value, dt.datetime | dt.date):
        text = value.isoformat()
    elif isinstance(value, list | tuple | set):
        text = LIST_SEPARATOR.join(cell_text(v) for v in value)
    else:
        text = str(value)
    return neutralize_cell(text)


def write_list(
    fmt: str, columns: Sequence[str], rows: Iterable[dict[str, Any]], out: IO[bytes]
) -> int:
    """Write ``rows`` (dicts: only ``columns``, in their order) as ``fmt``; the rows written."""
    if fmt == "csv":
        return _write_csv(columns, rows, out)
    if fmt == "xlsx":
        return _write_xlsx(columns, rows, out)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")


def _write_csv(columns: Sequence[str], rows: Iterable[dict[str, Any]], out: IO[bytes]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([cell_text(row.get(c)) for c in columns])
        count += 1
    text.flush()
    text.detach()  # the caller owns ``out``
    return count


def _write_xlsx(columns: Sequence[str], rows: Iterable[dict[str, Any]], out: IO[bytes]) -> int:
    with tempfile.TemporaryDirectory(prefix="jdx-list-") as folder:
        path = Path(folder) / "list.xlsx"
        count = 0
        with TextSheet(path, "List", header=columns) as sheet:
            for row in rows:
                sheet.add([cell_text(row.get(name)) for name in columns])
                count += 1
        with path.open("rb") as written:
            shutil.copyfileobj(written, out)
    return count
