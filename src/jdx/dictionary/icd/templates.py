"""The bulk upload templates ("Attachment C"): the flat layout as XLSX and pipe-delimited text.

Both hold the header row and the sample record's rows, so that an agency can see a filled-in
record and replace it with its own. The layout is :class:`jdx.codecs.flat.FlatLayout`; a case
job's (CSV and XLSX, one row per case of any record type) is :class:`jdx.codecs.pathflat.PathLayout`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from jdx.codecs.flat import FlatLayout, neutralize_cell
from jdx.codecs.pathflat import PathLayout
from jdx.codecs.paths import parse_path
from jdx.dictionary.model import Dictionary, FieldSpec

DELIMITER = "|"


def pipe_template(d: Dictionary, sample: dict[str, Any]) -> bytes:
    layout = FlatLayout(d)
    lines = [DELIMITER.join(layout.names)]
    lines += [DELIMITER.join(row) for row in layout.to_rows(sample)]
    return ("\r\n".join(lines) + "\r\n").encode()


def xlsx_template(d: Dictionary, sample: dict[str, Any]) -> bytes:
    layout = FlatLayout(d)
    choices = [code_choices(d, c.spec) if c.spec.type != "list" else None for c in layout.columns]
    return workbook(d.id, layout.names, layout.to_rows(sample), choices)


def job_csv_template(layout: PathLayout, samples: Sequence[tuple[str, dict[str, Any]]]) -> bytes:
    """A case job's flat layout as CSV: the header and one sample row per record type."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(layout.names)
    writer.writerows(layout.to_row(kind, record) for kind, record in samples)
    return buffer.getvalue().encode()


def job_xlsx_template(
    layout: PathLayout,
    samples: Sequence[tuple[str, dict[str, Any]]],
    dictionaries: Mapping[str, Dictionary] | None = None,
) -> bytes:
    """A case job's flat layout as XLSX; with the record types' ``dictionaries``, a column whose
    field has a code table in every type that has it offers the codes as a drop-down."""
    choices = [_path_choices(dictionaries or {}, name) for name in layout.names]
    return workbook("job", layout.names, [layout.to_row(k, r) for k, r in samples], choices)


Choices = Mapping[str, str]  # code -> its label


def code_choices(d: Dictionary, spec: FieldSpec) -> Choices | None:
    """The values a cell of ``spec`` may hold, each with its label: its code table, or the
    flag's letters; None for free text."""
    if spec.table is not None and spec.table in d.tables:
        return d.tables[spec.table].values
    if spec.type == "flag":
        return {v: {"Y": "yes", "N": "no"}.get(v, "") for v in spec.values or ("Y", "N")}
    return None


def _path_choices(dictionaries: Mapping[str, Dictionary], path: str) -> Choices | None:
    """The choices of a job column (``a.b[2].c``), when every record type that has the field
    agrees on them."""
    found = []
    for d in dictionaries.values():
        spec = _spec_at(d, path)
        if spec is not None:
            found.append(code_choices(d, spec))
    if not found or any(f is None or f != found[0] for f in found):
        return None
    return found[0]


def _spec_at(d: Dictionary, path: str) -> FieldSpec | None:
    """The field a job column holds (its path read by ``codecs.paths.parse_path``); None when
    the column holds a whole list (several values in one cell) or names no field of ``d``."""
    spec: FieldSpec | None = d.root
    for step in parse_path(path):
        if spec is None:
            return None
        if isinstance(step, int):
            spec = spec.item if spec.type == "list" else None
        else:
            spec = next((f for f in spec.fields if f.name == step), None)
    return None if spec is None or spec.type == "list" else spec


CODES_SHEET = "Codes"
TEMPLATE_ROWS = 5000  # the rows a drop-down covers: far more than a template is filled with


def workbook(
    title: str,
    names: Sequence[str],
    rows: Iterable[Sequence[str]],
    choices: Sequence[Choices | None] = (),
) -> bytes:
    """A sheet of text cells: the header (bold, frozen) and the rows. A column with choices
    offers them as a drop-down (Excel's data validation, which refuses other values as typed),
    listed with their labels on a sheet of their own: an inline list holds 255 characters."""
    buffer = io.BytesIO()
    # Every cell is text: codes such as "01" and dates must reach the hub as typed.
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet(title)
    codes = book.add_worksheet(CODES_SHEET) if any(choices) else None
    bold = book.add_format({"bold": True})
    text = book.add_format({"num_format": "@"})
    listed: dict[tuple[tuple[str, str], ...], str] = {}  # a table's range, written once
    for col, name in enumerate(names):
        sheet.write_string(0, col, name, bold)
        sheet.set_column(col, col, max(10, min(len(name) + 2, 40)), text)
        offered = choices[col] if col < len(choices) else None
        if offered and codes is not None:
            key = tuple(offered.items())
            if key not in listed:
                listed[key] = _list_codes(codes, len(listed) * 2, name, offered, bold)
            sheet.data_validation(
                1,
                col,
                TEMPLATE_ROWS,
                col,
                {
                    "validate": "list",
                    "source": listed[key],
                    "input_title": name[:32],
                    "input_message": f"A code of the list on the sheet {CODES_SHEET}"[:255],
                    "error_title": "Not a code of this field",
                    "error_message": f"See the sheet {CODES_SHEET} for the codes of {name}"[:255],
                },
            )
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            sheet.write_string(r, col, neutralize_cell(value))
    sheet.freeze_panes(1, 0)
    if codes is not None:
        codes.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def _list_codes(sheet: Any, col: int, name: str, offered: Choices, bold: Any) -> str:
    """Write the codes (and their labels beside them) under ``name`` at column ``col`` of the
    codes sheet; the range of the codes, as a data validation's source."""
    sheet.write_string(0, col, name, bold)
    sheet.write_string(0, col + 1, "meaning", bold)
    for r, (code, label) in enumerate(offered.items(), start=1):
        sheet.write_string(r, col, code)
        sheet.write_string(r, col + 1, label)
    sheet.set_column(col, col, max(10, min(len(name) + 2, 40)))
    sheet.set_column(col + 1, col + 1, 30)
    letter = xl_col_to_name(col)
    return f"={CODES_SHEET}!${letter}$2:${letter}${len(offered) + 1}"
