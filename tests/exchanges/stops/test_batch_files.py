"""Batch files end to end, without the transport: INPUT -> workflow -> database and OUTPUT."""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from jdx.codecs.columnar_read import ColumnarFile
from jdx.codecs.flat import FlatLayout
from jdx.codecs.text_sheet import TextSheet
from jdx.codecs.xmlform import to_xml
from jdx.exchanges.stops import batch_files, batch_workers, workflow
from jdx.exchanges.stops.file_folders import Folders
from jdx.exchanges.stops.outputs import LOG_LENGTH
from jdx.exchanges.stops.service import StopService
from jdx.exchanges.stops.tables import stop_files, stops
from jdx.hub import Hub
from jdx.security.keys import Principal
from jdx.store import bulk
from jdx.store.bulk import StatisticsKeeper
from tests.conftest import AgencyFixture, stop_record
from tests.samples import STAMP, Stored, delimited, hub_file, three_kinds, upload, workbook


@pytest.fixture(
    autouse=True,
    params=[(1, False), (0, False), (0, True), (1, True)],
    ids=["bulk-worker", "in-process", "columnar", "columnar-worker"],
)
def bulk_workers(request: pytest.FixtureRequest, hub: Hub, monkeypatch: pytest.MonkeyPatch) -> int:
    """Every file each way: records checked in a worker process, in the hub's process, and
    (pipe-delimited files) as columns, only the stops with a finding record by record, in the
    hub's process or in the columnar worker. The check worker is waited for: the chunks that
    come while it starts are the hub's process's to check."""
    workers, columnar = request.param
    service = hub.service(StopService)
    monkeypatch.setattr(service, "bulk_workers", workers)
    monkeypatch.setattr(service, "bulk_columnar", columnar)
    monkeypatch.setattr(batch_files, "COLUMNAR", batch_files.FLAT)  # sheets too
    pool = batch_workers.pool_for(service)
    if pool is not None and not columnar:
        started = pool.warm("check")
        assert started is not None
        started.result(timeout=60)
    return int(workers)


@pytest.fixture
def principal(hub: Hub, agency: AgencyFixture) -> Principal:
    found = workflow.principal_for(hub, agency.ori, "prod")
    assert found is not None
    return found


def folders(hub: Hub) -> Folders:
    return workflow.folders_of(hub)


def run(hub: Hub, principal: Principal, name: str, data: bytes) -> tuple[int, dict[str, int]]:
    received = workflow.receive(hub, principal, upload(hub, principal, name, data), channel="sftp")
    assert received.file_id is not None, received.message
    return received.file_id, workflow.wait(hub, received.file_id, timeout=60)


def output(hub: Hub, principal: Principal, name: str) -> Stored:
    return hub_file(hub, folders(hub).output_dir(principal.ori, principal.realm) / name)


def test_pipe_delimited_file_is_stored_with_error_file_report_and_log(
    workflows: Hub, agency: AgencyFixture, principal: Principal
) -> None:
    hub = workflows
    layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
    records = three_kinds(agency)
    data = delimited(layout, records) + b"|".join([b"RAGGED"] * (len(layout.names) + 3)) + b"\r\n"
    name = f"{STAMP}_{agency.ori}_B0001.csv"
    file_id, counts = run(hub, principal, name, data)
    assert counts == {"total": 4, "successful": 1, "with_errors": 1, "rejected": 2}
    with hub.engine.connect() as conn:
        stored = conn.execute(
            sa.select(stops.c.lea_record_id, stops.c.status).where(stops.c.file_id == file_id)
        ).all()
        row = conn.execute(sa.select(stop_files).where(stop_files.c.id == file_id)).one()
    assert sorted(stored) == sorted(
        [
            (records[0]["LEARecordID"], "Successful Submission"),
            (records[1]["LEARecordID"], "Submitted with Errors"),
        ]
    )
    assert (row.state, row.format, row.total, row.successful) == ("done", "delimited", 4, 1)
    # the consolidated error file: the agency's own rows plus an Errors column
    error_lines = output(hub, principal, f"{STAMP}_{agency.ori}_B0001_errors.csv").read_text()
    lines = error_lines.splitlines()
    assert lines[0].split("|") == [*layout.names, "Errors"]
    assert len(lines) == 4
    assert records[1]["LEARecordID"] in lines[1] and "::" in lines[1]
    assert "BP002::" in lines[3]  # the ragged row: a conversion error, the file went on
    report = output(hub, principal, f"{STAMP}_{agency.ori}_B0001_response.txt").read_text()
    fatal_part, _, error_part = report.partition("Record Level Errors:")
    assert "Record Level Fatal Errors:" in fatal_part and records[2]["LEARecordID"] in fatal_part
    assert records[1]["LEARecordID"] in error_part
    log = output(hub, principal, f"{STAMP}_{agency.ori}_B0001_log.txt").read_bytes()
    assert len(log) == LOG_LENGTH + 1 and LOG_LENGTH == 145
    assert log.startswith(agency.ori.encode()) and b"TOTAL 4 SUCCESSFUL 1 ERRORS 3" in log
    assert b"FTP" in log
    # the upload left INPUT; the archive has a copy
    assert not hub_file(hub, folders(hub).input_dir(agency.ori, "prod") / name).exists()
    archive = folders(hub).store.tree(folders(hub).files / "archive")
    assert [
        key
        for key, files in archive.items()
        if key.parts[-2:] == (agency.ori, "prod") and name in {f.name for f in files}
    ]


def test_a_quoted_cell_partway_is_read_as_the_csv_module_reads_it(
    workflows: Hub, agency: AgencyFixture, principal: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The columnar path stops at a quoted cell and hands the rest of the file to the record
    path: every record once, none twice, none lost."""
    whole = ColumnarFile.chunks  # small blocks: the quote is met after the first records
    monkeypatch.setattr(ColumnarFile, "chunks", lambda self: whole(self, block_bytes=256))
    hub = workflows
    layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
    records = [stop_record(agency) for _ in range(4)]
    lines = delimited(layout, records).split(b"\r\n")
    ori = agency.ori.encode()
    lines[3] = lines[3].replace(b"|" + ori + b"|", b'|"' + ori + b'"|', 1)  # the third record
    assert b'"' in lines[3]
    name = f"{STAMP}_{agency.ori}_QUOTED.csv"
    file_id, counts = run(hub, principal, name, b"\r\n".join(lines))
    assert counts == {"total": 4, "successful": 4, "with_errors": 0, "rejected": 0}
    with hub.engine.connect() as conn:
        stored = conn.execute(
            sa.select(stops.c.lea_record_id).where(stops.c.file_id == file_id)
        ).scalars()
        assert sorted(stored) == sorted(r["LEARecordID"] for r in records)


def test_xlsx_file_is_read_and_errors_come_back_as_xlsx(
    workflows: Hub, agency: AgencyFixture, principal: Principal
) -> None:
    hub = workflows
    layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
    name = f"{STAMP}_{agency.ori}_B0002.xlsx"
    _, counts = run(hub, principal, name, workbook(layout, three_kinds(agency)))
    assert counts == {"total": 3, "successful": 1, "with_errors": 1, "rejected": 1}
    errors = output(hub, principal, f"{STAMP}_{agency.ori}_B0002_errors.xlsx")
    book = CalamineWorkbook.from_filelike(io.BytesIO(errors.read_bytes()))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][-1] == "Errors" and len(rows) == 3


def test_a_cell_that_looks_like_markup_comes_back_as_sent_in_a_workbook_that_opens(
    workflows: Hub, agency: AgencyFixture, principal: Principal, tmp_path: Path
) -> None:
    """xlsxwriter would have written ``<r>&</r>`` into the error workbook as its own markup,
    and no reader could open it (``codecs/text_sheet.py``)."""
    hub = workflows
    layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
    sent = workbook(layout, [stop_record(agency, SDur="0")])
    table = CalamineWorkbook.from_filelike(io.BytesIO(sent)).get_sheet_by_index(0).to_python()
    at = table[0].index("BasSearch_N")
    with TextSheet(tmp_path / "sent.xlsx", "Stops") as sheet:  # (a writer that escapes it)
        for r, row in enumerate(table):
            sheet.add([str(v) if r == 0 or c != at else "<r>&</r>" for c, v in enumerate(row)])
    data = (tmp_path / "sent.xlsx").read_bytes()
    name = f"{STAMP}_{agency.ori}_MARKUP.xlsx"
    _, counts = run(hub, principal, name, data)
    assert counts["total"] == 1 and counts["with_errors"] == 1
    errors = output(hub, principal, f"{STAMP}_{agency.ori}_MARKUP_errors.xlsx").read_bytes()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(errors)).get_sheet_by_index(0).to_python()
    assert rows[0][at] == "BasSearch_N" and {r[at] for r in rows[1:]} == {"<r>&</r>"}


def test_xml_and_json_files(workflows: Hub, agency: AgencyFixture, principal: Principal) -> None:
    hub = workflows
    good, bad = stop_record(agency), stop_record(agency, SDur="0")
    xml = to_xml("Stops", {"Stop": [good, bad]})
    _, counts = run(hub, principal, f"{STAMP}_{agency.ori}_{good['LEARecordID']}.xml", xml)
    assert counts == {"total": 2, "successful": 1, "with_errors": 1, "rejected": 0}
    errors = output(hub, principal, f"{STAMP}_{agency.ori}_{good['LEARecordID']}_errors.xml")
    assert (
        b"<Error Code=" in errors.read_bytes()
        and bad["LEARecordID"].encode() in errors.read_bytes()
    )
    one = stop_record(agency)
    _, counts = run(
        hub, principal, f"{STAMP}_{agency.ori}_{one['LEARecordID']}.json", orjson.dumps(one)
    )
    assert counts["successful"] == 1


def test_an_update_in_a_file_corrects_a_record(
    workflows: Hub, agency: AgencyFixture, principal: Principal
) -> None:
    hub = workflows
    bad = stop_record(agency, SDur="0")
    run(hub, principal, f"{STAMP}_{agency.ori}_{bad['LEARecordID']}.json", orjson.dumps(bad))
    fixed = {**bad, "SDur": "10", "TX_Type": "U"}
    _, counts = run(
        hub,
        principal,
        f"20240316143200_{agency.ori}_{bad['LEARecordID']}.json",
        orjson.dumps(fixed),
    )
    assert counts["successful"] == 1
    with hub.engine.connect() as conn:
        status = conn.execute(
            sa.select(stops.c.status).where(stops.c.lea_record_id == bad["LEARecordID"])
        ).scalar_one()
    assert status == "Successful Submission"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("stops.csv", "the name must be"),
        ("20240315143200_CA9999999_B1.csv", "is not the uploader's"),
        ("20241315143200_{ori}_B1.csv", "is not a date and time"),
        ("20240315143200_{ori}_B1.exe", "the name must be"),
    ],
)
def test_a_file_that_breaks_the_naming_convention_is_refused_with_a_note(
    workflows: Hub, agency: AgencyFixture, principal: Principal, name: str, reason: str
) -> None:
    name = name.format(ori=agency.ori)
    received = workflow.receive(
        workflows, principal, upload(workflows, principal, name, b"x"), channel="sftp"
    )
    assert received.file_id is None and reason in received.message
    note = output(workflows, principal, f"{name}.refused.txt").read_text()
    assert reason in note
    assert not hub_file(workflows, folders(workflows).input_dir(agency.ori, "prod") / name).exists()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()

    # A fixed date: the bytes name a test, and xdist workers must collect the same names.
    def entry(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=(2024, 3, 15, 14, 32, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(entry("[Content_Types].xml"), "<Types/>")
        z.writestr(entry("xl/workbook.xml"), "<workbook/>")
        z.writestr(entry("xl/worksheets/sheet1.xml"), b"\0" * (300 << 20))
    return buffer.getvalue()


HOSTILE = [
    ("xlsx", _zip_bomb(), "zip bomb"),
    (
        "xml",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<Stop><ORI>&b;</ORI></Stop>",
        "DOCTYPE and ENTITY declarations are not allowed",
    ),
    ("csv", b"LEARecordID|ORI\r\n\xff\xfe\xfa|x\r\n", "not UTF-8"),
    ("csv", b"", "the file is empty"),
    ("json", b"{not json", "not valid JSON"),
    ("csv", b"just some text\r\n", "SFTP record type invalid"),
    ("json", _zip_bomb()[:100], "not a readable zip"),
    ("json", b"LEARecordID|ORI\r\n1|2\r\n", "a .json file that holds delimited content"),
    ("csv", b"Bogus|Header\r\n1|2\r\n", "does not match the template"),
]


# Ids by message: the zip bytes carry a time stamp, and xdist needs the same ids in every worker.
@pytest.mark.parametrize(("ext", "data", "message"), HOSTILE, ids=[m for _, _, m in HOSTILE])
def test_hostile_and_broken_files_get_a_file_level_error(
    workflows: Hub,
    agency: AgencyFixture,
    principal: Principal,
    ext: str,
    data: bytes,
    message: str,
) -> None:
    name = f"{STAMP}_{agency.ori}_BAD1.{ext}"
    file_id, counts = run(workflows, principal, name, data)
    assert counts["total"] == 0
    with workflows.engine.connect() as conn:
        row = conn.execute(sa.select(stop_files).where(stop_files.c.id == file_id)).one()
    assert row.state == "failed" and message in row.file_error
    report = output(workflows, principal, f"{STAMP}_{agency.ori}_BAD1_response.txt").read_text()
    assert message in report
    log = output(workflows, principal, f"{STAMP}_{agency.ori}_BAD1_log.txt").read_bytes()
    assert len(log) == 146 and b"FILE ERROR" in log


def test_a_file_over_the_size_limit_is_refused(
    hub: Hub, agency: AgencyFixture, principal: Principal
) -> None:
    path = upload(hub, principal, f"{STAMP}_{agency.ori}_BIG.csv", b"x" * 2000)
    received = batch_files.register(
        hub.engine, folders(hub), principal, path, channel="sftp", max_bytes=1000
    )
    assert received.file_id is not None
    with hub.engine.connect() as conn:
        row = batch_files.load(conn, received.file_id)
    assert row.state == "failed" and "larger than 1,000 bytes" in (row.file_error or "")


def test_the_same_file_twice_is_processed_once_and_a_changed_one_is_refused(
    workflows: Hub, agency: AgencyFixture, principal: Principal
) -> None:
    record = stop_record(agency)
    name = f"{STAMP}_{agency.ori}_{record['LEARecordID']}.json"
    first, counts = run(workflows, principal, name, orjson.dumps(record))
    again = workflow.receive(
        workflows,
        principal,
        upload(workflows, principal, name, orjson.dumps(record)),
        channel="sftp",
    )
    assert again.file_id is None and again.duplicate_of == first and counts["successful"] == 1
    changed = workflow.receive(
        workflows,
        principal,
        upload(workflows, principal, name, orjson.dumps({**record, "SDur": "9"})),
        channel="sftp",
    )
    assert changed.file_id is None and "a different file of that name" in changed.message


def _registered_in_chunks_of_ten(
    hub: Hub,
    agency: AgencyFixture,
    principal: Principal,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> int:
    """A file of 25 new stops, registered (not yet processed), to be stored in three chunks."""
    layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
    records = [stop_record(agency) for _ in range(25)]
    path = upload(hub, principal, f"{STAMP}_{agency.ori}_{name}.csv", delimited(layout, records))
    received = batch_files.register(
        hub.engine, folders(hub), principal, path, channel="sftp", max_bytes=1 << 30
    )
    assert received.file_id is not None
    monkeypatch.setattr(batch_files, "CHUNK", 10)
    return received.file_id


def test_processing_resumes_after_the_last_stored_chunk(
    hub: Hub, agency: AgencyFixture, principal: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between chunks: the second run stores the rest, nothing twice."""
    file_id = _registered_in_chunks_of_ten(hub, agency, principal, "RESUME", monkeypatch)
    real_store = batch_files._store_chunk
    calls = {"n": 0}

    def crash_on_third(*args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("simulated crash")
        real_store(*args)

    monkeypatch.setattr(batch_files, "_store_chunk", crash_on_third)
    service = hub.service(StopService)
    with pytest.raises(KeyboardInterrupt):
        batch_files.process(service, folders(hub), file_id)
    with hub.engine.connect() as conn:
        assert batch_files.stored_count(conn, file_id) == 20
    monkeypatch.setattr(batch_files, "_store_chunk", real_store)
    batch_files.process(service, folders(hub), file_id)
    counts = batch_files.finish(hub.engine, folders(hub), file_id, "http://hub", digest_hour=6)
    assert counts.total == 25 and counts.successful == 25
    with hub.engine.connect() as conn:
        assert batch_files.stored_count(conn, file_id) == 25


@pytest.mark.postgres
def test_a_files_chunks_do_not_wait_for_the_tables_statistics(
    hub: Hub, agency: AgencyFixture, principal: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ANALYZE that a growing stops table needs (``StatisticsKeeper``) runs beside the
    file's chunks: here it is held until the whole file is stored, which could not happen if a
    chunk waited for it (at every tenth of growth, it held each chunk up for an ANALYZE of a
    table of millions of rows)."""
    file_id = _registered_in_chunks_of_ten(hub, agency, principal, "STATS", monkeypatch)
    service = hub.service(StopService)
    keeper = StatisticsKeeper(hub.engine, stops, background=True)  # due at its first check
    monkeypatch.setattr(service, "statistics", keeper)
    entered, release = threading.Event(), threading.Event()
    real = bulk.refresh_statistics

    def held_until_released(engine: sa.Engine, table: sa.Table) -> bool:
        entered.set()
        assert release.wait(60), "a chunk waited for the statistics"
        return real(engine, table)

    monkeypatch.setattr(bulk, "refresh_statistics", held_until_released)
    try:
        batch_files.process(service, folders(hub), file_id)
        with hub.engine.connect() as conn:
            assert batch_files.stored_count(conn, file_id) == 25
        assert entered.wait(30)  # the file did ask for its statistics
    finally:
        release.set()
        keeper.wait()


def test_upload_over_http_then_read_status_and_results(
    workflows: Hub, client: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    layout = FlatLayout(workflows.validation.dictionaries["stop-2024"])
    name = f"{STAMP}_{agency.ori}_WEB1.csv"
    data = delimited(layout, three_kinds(agency))
    answer = client.put(f"/sdcs/v1/files/{name}", content=data, headers=agency.auth())
    assert answer.status_code == 202, answer.text
    file_id = answer.json()["file_id"]
    assert answer.headers["location"] == f"/sdcs/v1/files/{file_id}"
    workflow.wait(workflows, file_id, timeout=60)
    status = client.get(f"/sdcs/v1/files/{file_id}", headers=agency.auth()).json()
    assert (status["state"], status["total"], status["rejected"]) == ("done", 3, 1)
    assert set(status["results"]) == {
        f"{STAMP}_{agency.ori}_WEB1_errors.csv",
        f"{STAMP}_{agency.ori}_WEB1_response.txt",
        f"{STAMP}_{agency.ori}_WEB1_log.txt",
    }
    log = client.get(status["results"][f"{STAMP}_{agency.ori}_WEB1_log.txt"], headers=agency.auth())
    assert log.status_code == 200 and b"WEB" in log.content
    # no one else sees it, not even the same agency's TEST realm
    assert client.get(f"/sdcs/v1/files/{file_id}", headers=other_agency.auth()).status_code == 404
    assert client.get(f"/sdcs/v1/files/{file_id}", headers=agency.auth("test")).status_code == 404
    assert (
        client.get(
            f"/sdcs/v1/files/{file_id}/results/..%2F..%2Fjdx.sqlite", headers=agency.auth()
        ).status_code
        == 404
    )
    assert client.get(f"/sdcs/v1/files/{file_id}").status_code == 401


def test_http_upload_refuses_bad_names_and_oversize(
    workflows: Hub, client: Any, agency: AgencyFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = client.put("/sdcs/v1/files/stops.csv", content=b"x", headers=agency.auth())
    assert bad.status_code == 400 and "the name must be" in bad.json()["detail"]
    monkeypatch.setattr(workflows.settings, "max_file_bytes", 10)
    big = client.put(
        f"/sdcs/v1/files/{STAMP}_{agency.ori}_BIG.csv", content=b"x" * 100, headers=agency.auth()
    )
    assert big.status_code == 413
    inbox = folders(workflows).store.files(folders(workflows).input_dir(agency.ori, "prod"))
    assert not [e for e in inbox if "BIG" in e.name]
