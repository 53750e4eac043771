"""An agency's stops and files as lists (issue 19): its own rows only, filtered, paged, counted."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import orjson
import pytest
from typer.testing import CliRunner

from jdx.cli import app
from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.listing import (
    STOP_COLUMNS,
    FileFilter,
    StopFilter,
    iter_stops,
    list_files,
    list_stops,
)
from jdx.exchanges.stops.records import STATUS_ERRORS, STATUS_OK, Op
from jdx.exchanges.stops.service import StopService
from jdx.hub import Hub
from jdx.security.keys import Principal
from tests.conftest import AgencyFixture, new_agency, stop_record
from tests.samples import upload


def _submit(hub: Hub, agency: AgencyFixture, **changes: str) -> int:
    principal = Principal(agency.id, agency.ori, "Listing agency", "prod", True)
    result = hub.service(StopService).submit_stop(
        principal, stop_record(agency, **changes), Op.INSERT, channel="test"
    )
    assert result.doj_record_id is not None, result
    return result.doj_record_id


@pytest.fixture(scope="module")
def two_agencies(hub: Hub) -> tuple[AgencyFixture, AgencyFixture, list[int]]:
    mine, theirs = new_agency(hub, "Mine"), new_agency(hub, "Theirs")
    ids = [
        _submit(hub, mine),
        _submit(hub, mine, SDur="1500"),  # DV011: stored with errors
        _submit(hub, mine, SDate="01/02/2024"),
        _submit(hub, mine, SDur="1501"),
    ]
    for _ in range(3):
        _submit(hub, theirs, SDur="1500")
    return mine, theirs, ids


def test_an_agency_lists_its_own_stops_newest_first_with_a_total(
    hub: Hub, two_agencies: tuple[AgencyFixture, AgencyFixture, list[int]]
) -> None:
    mine, _, ids = two_agencies
    with hub.engine.connect() as conn:
        first = list_stops(conn, mine.ori, "prod", StopFilter(), limit=3, offset=0)
        second = list_stops(conn, mine.ori, "prod", StopFilter(), limit=3, offset=3)
        test_realm = list_stops(conn, mine.ori, "test", StopFilter(), limit=3, offset=0)
    assert [s["id"] for s in first.items + second.items] == sorted(ids, reverse=True)
    assert (first.total, first.next_offset, second.next_offset) == (4, 3, None)
    assert test_realm.total == 0 and test_realm.items == []


def test_the_filters_narrow_the_list_and_its_total(
    hub: Hub, two_agencies: tuple[AgencyFixture, AgencyFixture, list[int]]
) -> None:
    mine, theirs, ids = two_agencies
    with hub.engine.connect() as conn:

        def listed(where: StopFilter, ori: str = mine.ori) -> list[int]:
            page = list_stops(conn, ori, "prod", where, limit=100, offset=0)
            assert page.total == len(page.items)
            return [s["id"] for s in page.items]

        assert listed(StopFilter(status=STATUS_ERRORS)) == [ids[3], ids[1]]
        assert listed(StopFilter(status=STATUS_OK)) == [ids[2], ids[0]]
        assert listed(StopFilter(error_code="DV011")) == [ids[3], ids[1]]
        assert listed(StopFilter(error_code="DV004")) == []
        day = dt.date(2024, 1, 2)
        assert listed(StopFilter(date_from=day, date_to=day)) == [ids[2]]
        one = list_stops(conn, mine.ori, "prod", StopFilter(), limit=100, offset=0).items[-1]
        assert listed(StopFilter(officer_uid=one["officer_uid"])) == [ids[0]]
        assert listed(StopFilter(lea_record_id=one["lea_record_id"])) == [ids[0]]
        assert listed(StopFilter(lea_record_id="%")) == []  # a LIKE wildcard is a character
        # Another agency's rows never show, whatever the filter.
        assert not set(listed(StopFilter(error_code="DV011"), theirs.ori)) & set(ids)
        summary = list_stops(conn, mine.ori, "prod", StopFilter(), limit=1, offset=0).items[0]
    assert summary["error_codes"] == ["DV011"] and summary["errors"] == 1
    assert "record" not in summary


def test_an_agency_lists_its_own_files(hub: Hub, workflows: Hub, agency: AgencyFixture) -> None:
    other = new_agency(hub, "Other files")
    mine = Principal(agency.id, agency.ori, "Files agency", "prod", True)
    theirs = Principal(other.id, other.ori, "Other files", "prod", True)
    for principal in (mine, theirs):
        name = f"20240315143200_{principal.ori}_B1.json"
        key = upload(hub, principal, name, orjson.dumps([stop_record(agency)]))
        assert workflow.receive(hub, principal, key, channel="http").file_id is not None
    with hub.engine.connect() as conn:

        def names(where: FileFilter) -> list[str]:
            page = list_files(conn, agency.id, "prod", where, limit=10, offset=0)
            assert page.total == len(page.items)
            return [f["file_name"] for f in page.items]

        assert names(FileFilter()) == [f"20240315143200_{agency.ori}_B1.json"]
        assert names(FileFilter(name="_B1")) == names(FileFilter())
        assert names(FileFilter(name="_B9")) == []
        assert names(FileFilter(state="failed")) == []
        today = dt.datetime.now(dt.UTC).date()
        assert names(FileFilter(received_from=today, received_to=today)) == names(FileFilter())
        assert names(FileFilter(received_to=today - dt.timedelta(days=1))) == []


def test_the_stop_summary_has_the_exports_columns(
    hub: Hub, two_agencies: tuple[AgencyFixture, AgencyFixture, list[int]]
) -> None:
    mine, _, _ = two_agencies
    with hub.engine.connect() as conn:
        summary = list_stops(conn, mine.ori, "prod", StopFilter(), limit=1, offset=0).items[0]
        streamed = next(iter_stops(conn, mine.ori, "prod", StopFilter()))
    assert tuple(summary) == STOP_COLUMNS and streamed == summary


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_agencys_list_exports_as_it_lists(
    hub: Hub,
    two_agencies: tuple[AgencyFixture, AgencyFixture, list[int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    mine, _, ids = two_agencies
    monkeypatch.setenv("JDX_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("JDX_DATABASE_URL", hub.settings.effective_database_url)
    target = tmp_path / f"stops.{fmt}"
    args = ["export", "stops", "--ori", mine.ori, "--error-code", "DV011", "--format", fmt]
    done = CliRunner().invoke(app, [*args, "--out", str(target)])
    assert done.exit_code == 0, done.output
    assert orjson.loads(done.stdout) == {"file": str(target), "rows": 2}
    if fmt == "csv":
        with target.open(newline="", encoding="utf-8") as written:
            table = list(csv.reader(written))
    else:
        book = openpyxl.load_workbook(target, read_only=True)
        try:
            sheet = book.active
            assert sheet is not None
            table = [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    assert table[0] == list(STOP_COLUMNS)
    rows = [dict(zip(table[0], row, strict=True)) for row in table[1:]]
    assert [int(r["id"]) for r in rows] == [ids[3], ids[1]]
    assert {r["error_codes"] for r in rows} == {"DV011"}
    assert {r["status"] for r in rows} == {STATUS_ERRORS}


def test_a_list_export_refuses_what_it_cannot_do(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JDX_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("JDX_DATABASE_URL", hub.settings.effective_database_url)
    for args, says in [
        (["export", "stops"], "--ori"),
        (["export", "stops", "--ori", "X", "--format", "pdf"], "--format"),
        (["export", "stops", "--ori", "X", "--status", "Done"], "--status"),
        (["export", "stops", "--ori", "X", "--from", "2024-13-01"], "--from"),
        (["export", "stops", "--open-data"], "--year"),
        (["export", "files", "--ori", "NOSUCH"], "no agency NOSUCH"),
    ]:
        done = CliRunner().invoke(app, args)
        assert done.exit_code == 1 and says in done.output, (args, done.output)
