"""A list's XLSX export: its header bold and frozen, every cell text as it was stored."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl

from jdx.codecs.list_file import write_list


def test_an_xlsx_list_keeps_every_cell_as_text_under_a_bold_frozen_header() -> None:
    rows = [
        {"ori": "CA0370000", "batch_id": "<r>&</r>", "created": dt.date(2024, 3, 15), "n": 7},
        {"ori": "CA0370000", "batch_id": "=1+1", "created": None, "n": None},
    ]
    out = io.BytesIO()
    assert write_list("xlsx", ["ori", "batch_id", "created", "n"], rows, out) == 2
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert [list(r) for r in sheet.values] == [
        ["ori", "batch_id", "created", "n"],
        ["CA0370000", "<r>&</r>", "2024-03-15", "7"],
        ["CA0370000", "'=1+1", None, None],
    ]
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
