"""The error file of a flat file, streamed from the database, is the one built in memory."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from jdx.exchanges.stops.batch_file_rows import FileRow
from jdx.exchanges.stops.outputs import _stream_flat_errors, error_file

ISSUE = {"code": "DV004", "severity": "error", "field": "SDur", "message": "bad"}


def _errors() -> list[Any]:
    columns = ["LEARecordID", "SDur", "Location.StreetName"]
    return [
        SimpleNamespace(seq=1, lea_record_id="", fatal=True, issues=[ISSUE], source=None),
        SimpleNamespace(
            seq=2,
            lea_record_id="A1",
            fatal=False,
            issues=[ISSUE, {**ISSUE, "field": "", "person": 2}],
            source={"columns": columns, "rows": [["A1", "0", "=HYPERLINK(1)"], ["A1"]]},
        ),
        SimpleNamespace(
            seq=3,
            lea_record_id="A2",
            fatal=True,
            issues=[ISSUE],
            source={"columns": columns, "rows": [["A2", "-5", "x", "extra"]]},
        ),
    ]


@pytest.mark.parametrize("fmt", ["delimited", "xlsx"])
def test_streamed_error_file_matches_the_one_built_in_memory(tmp_path: Path, fmt: str) -> None:
    f = FileRow(1, "prod", 1, "CA0000000", "x.csv", "sftp", "done", fmt, None)
    ext, data = error_file(f, _errors())
    streamed = tmp_path / f"streamed.{ext}"
    _stream_flat_errors(streamed, ext, iter(_errors()))
    if ext == "csv":
        assert streamed.read_bytes() == data
        return
    built = tmp_path / "built.xlsx"
    built.write_bytes(data)

    def cells(path: Path) -> list[list[Any]]:
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()

    assert cells(streamed) == cells(built)
