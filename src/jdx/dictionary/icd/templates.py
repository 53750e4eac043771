"""The bulk upload templates ("Attachment C"): the flat layout as XLSX and pipe-delimited text.

Both hold the header row and the sample record's rows, so that an agency can see a filled-in
record and replace it with its own. The layout is :class:`jdx.codecs.flat.FlatLayout`; a case
job's (CSV and XLSX, one row per case of any record type) is :class:`jdx.codecs.pathflat.PathLayout`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter

from jdx.codecs.flat import FlatLayout, neutralize_cell
from jdx.codecs.pathflat import PathLayout
from jdx.dictionary.model import Dictionary

DELIMITER = "|"


def pipe_template(d: Dictionary, sample: dict[str, Any]) -> bytes:
    layout = FlatLayout(d)
    lines = [DELIMITER.join(layout.names)]
    lines += [DELIMITER.join(row) for row in layout.to_rows(sample)]
    return ("\r\n".join(lines) + "\r\n").encode()


def xlsx_template(d: Dictionary, sample: dict[str, Any]) -> bytes:
    layout = FlatLayout(d)
    return workbook(d.id, layout.names, layout.to_rows(sample))


def job_csv_template(layout: PathLayout, samples: Sequence[tuple[str, dict[str, Any]]]) -> bytes:
    """A case job's flat layout as CSV: the header and one sample row per record type."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(layout.names)
    writer.writerows(layout.to_row(kind, record) for kind, record in samples)
    return buffer.getvalue().encode()


def job_xlsx_template(layout: PathLayout, samples: Sequence[tuple[str, dict[str, Any]]]) -> bytes:
    return workbook("job", layout.names, [layout.to_row(k, r) for k, r in samples])


def workbook(title: str, names: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """A sheet of text cells: the header (bold, frozen) and the rows."""
    buffer = io.BytesIO()
    # Every cell is text: codes such as "01" and dates must reach the hub as typed.
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet(title)
    bold = book.add_format({"bold": True})
    text = book.add_format({"num_format": "@"})
    for col, name in enumerate(names):
        sheet.write_string(0, col, name, bold)
        sheet.set_column(col, col, max(10, min(len(name) + 2, 40)), text)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            sheet.write_string(r, col, neutralize_cell(value))
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()
