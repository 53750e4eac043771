"""The error file of a flat file, streamed from the database, is the one built in memory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from jdx.exchanges.stops.batch_file_rows import Counts, FileRow
from jdx.exchanges.stops.outputs import (
    _write_flat_errors,
    error_file,
    log_name,
    processor_log_record,
    response_report,
)

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
    _write_flat_errors(streamed, ext, iter(_errors()))
    if ext == "csv":
        assert streamed.read_bytes() == data
        return
    built = tmp_path / "built.xlsx"
    built.write_bytes(data)

    def cells(path: Path) -> list[list[Any]]:
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()

    assert cells(streamed) == cells(built)


def _report(errors: list[Any], name: str = "20240315143200_CA0000000_R1.json") -> list[str]:
    f = FileRow(1, "test", 1, "CA0000000", name, "sftp", "done", "json", None)

    def rows(*, fatal: bool | None = None, source: bool = True) -> Iterator[Any]:
        return (e for e in errors if fatal is None or e.fatal == fatal)

    tally: dict[str, int] = {}
    lines = list(response_report(f, rows, dt.datetime(2024, 3, 15, tzinfo=dt.UTC), tally))
    return [*lines, f"nfia={tally['nfia']}"]


def test_the_response_report_has_one_error_a_line_with_the_record_repeated() -> None:
    person = {"code": "DV101", "severity": "error", "field": "Person[2].Age", "person": 2}
    lines = _report(
        [
            SimpleNamespace(seq=1, lea_record_id="A1", fatal=True, issues=[ISSUE]),
            SimpleNamespace(
                seq=2,
                lea_record_id="A2",
                fatal=False,
                issues=[ISSUE, {**person, "message": "Age a|b :: c"}],
            ),
        ]
    )
    prefix = "CA0000000|20240315143200_CA0000000_R1.json"
    assert lines == [
        "Agency ORI|File name|Date Submitted|Time Submitted|Error message",
        "",
        "Record Level Fatal Errors:",
        "Agency ORI|File name|LEA record ID|Error List",
        f"{prefix}|A1|DV004::bad",
        "",
        "Record Level Errors:",
        "Agency ORI|File name|LEA record ID|Error List",
        f"{prefix}|A2|DV004::bad",
        f"{prefix}|A2|DV101::Person 2: Age a/b : c",  # no second field, no second item
        "nfia=0",
    ]


def test_a_record_closed_as_nfia_is_not_reported_and_the_log_counts_it_apart() -> None:
    lines = _report(
        [
            SimpleNamespace(seq=1, lea_record_id="A1", fatal=False, issues=[ISSUE], nfia=True),
            SimpleNamespace(seq=2, lea_record_id="A1", fatal=True, issues=[ISSUE], nfia=True),
        ]
    )
    assert [line for line in lines if "|A1|" in line] == [
        "CA0000000|20240315143200_CA0000000_R1.json|A1|DV004::bad"  # a fatal one still is
    ]
    assert lines[-1] == "nfia=1"
    f = FileRow(1, "test", 1, "CA0000000", "x.json", "sftp", "done", "json", None)
    log = processor_log_record(f, Counts(3, 1, 1, 1), dt.datetime(2024, 3, 15), nfia=1)
    assert log[52:127].rstrip() == "TOTAL 3 SUCCESSFUL 1 ERRORS 1 NFIA 1"


@pytest.mark.parametrize(
    ("name", "logged"),
    [
        ("20240315143200_CA0370000_B1.cs", "20240315143200_CA0370000_B1.cs"),  # 30: whole
        ("20240315143200_CA0370000_B1.csv", "20240315143200_B1.csv"),
        ("20240315143200_CA0370000_R0000123.json", "20240315143200_R0000123.json"),
        ("20240315143200_CA0370000_WS12.json", "20240315143200_WS12.json"),
        (
            "20240315143200_CA0370000_0f8fad5b-d9cb-469f-a165-70867728950e.json",
            "20240315143200_0f8fa~950e.json",
        ),
        ("20240315143200_CA0370000_BATCH-2024-03-15.xlsx", "20240315143200_BATCH~3-15.xlsx"),
        ("not a conforming name at all, rather long.csv", "not a conform~ rather long.csv"),
    ],
)
def test_the_log_keeps_timestamp_id_and_extension_within_30_characters(
    name: str, logged: str
) -> None:
    assert log_name(name) == logged and len(logged) <= 30
    f = FileRow(1, "test", 1, "CA0370000", name, "sftp", "done", "json", None)
    record = processor_log_record(f, Counts(1, 1, 0, 0), dt.datetime(2024, 3, 15))
    assert len(record) == 145 and record[9:39] == logged.ljust(30)
