"""Batch files checked in a worker process (``batch_workers.py``) give what the hub's process gives.

The same file goes through the hub's process alone (``bulk_workers = 0``) in one realm and
through a worker in the other: the stored rows (the record column's text included), the error
rows and the files in OUTPUT must agree, over chunks small enough that duplicates and an update
cross chunk boundaries while the worker is chunks ahead. Then what the worker must follow or
survive: a domain table reloaded, a worker killed, the hub's process killed.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
import xlsxwriter
from bench import processes
from python_calamine import CalamineWorkbook

from jdx.codecs import batch, xlsx_scan
from jdx.codecs.flat import FlatLayout
from jdx.codecs.xmlform import to_xml
from jdx.exchanges.stops import (
    batch_files,
    batch_workers,
    columnar_records,
    small_files,
    workflow,
)
from jdx.exchanges.stops.file_folders import Folders
from jdx.exchanges.stops.records import Op
from jdx.exchanges.stops.service import StopService
from jdx.exchanges.stops.tables import stop_file_errors, stop_files, stops
from jdx.hub import Hub
from jdx.security.keys import Principal
from tests.conftest import AgencyFixture, stop_record
from tests.samples import STAMP, delimited, hub_file, upload


def _principal(hub: Hub, agency: AgencyFixture, realm: str) -> Principal:
    found = workflow.principal_for(hub, agency.ori, realm)
    assert found is not None
    return found


def _folders(hub: Hub) -> Folders:
    return workflow.folders_of(hub)


def _process(hub: Hub, principal: Principal, name: str, data: bytes) -> int:
    """register, process and finish, in this process (no workflow): the steps of a file."""
    received = batch_files.register(
        hub.engine,
        _folders(hub),
        principal,
        upload(hub, principal, name, data),
        channel="sftp",
        max_bytes=1 << 30,
    )
    assert received.file_id is not None, received.message
    batch_files.process(hub.service(StopService), _folders(hub), received.file_id)
    batch_files.finish(hub.engine, _folders(hub), received.file_id, "http://hub", digest_hour=6)
    return received.file_id


def _mixed_file(hub: Hub, agency: AgencyFixture, corrected: dict[str, Any]) -> bytes:
    """Every kind of record a file holds, spread over chunks of 4."""
    layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
    data = delimited(layout, _mixed_records(agency, corrected))
    width = len(layout.names)
    ragged = b"|".join([b"RAGGED"] * (width + 3)) + b"\r\n"  # wider than the header
    blank = b"|" * (width - 1) + b"\r\n"
    return data + blank + ragged + delimited(layout, [stop_record(agency)]).split(b"\r\n", 1)[1]


def _mixed_document(records: list[dict[str, Any]], ext: str) -> bytes:
    """The records as a JSON, NDJSON or XML file, with what such a file may hold besides:
    values with spaces around them (stored trimmed: the canonical form) and, in JSON, an entry
    that is not a record and a NUL character."""
    sent: list[Any] = [dict(r) for r in records]
    for n in (0, 1):  # a valid record and one with a record error (its error row: as sent)
        sent[n]["Location"] = {**sent[n]["Location"], "City": "  SAN DIEGO "}
    if ext == "xml":
        return to_xml("Stops", {"Stop": sent})
    # The fatal record holds U+0000 in a key and a text, as JSON may (its error row keeps it).
    sent[2] = {**sent[2], "\u0000Note": "a\u0000b"}
    sent.insert(5, ["not", "a", "record"])
    if ext == "json":
        return orjson.dumps(sent)
    lines = [orjson.dumps(r) for r in sent]
    lines.insert(8, b'{"LEARecordID": "BROKEN", ')  # a line that is not JSON
    return b"\n".join(lines) + b"\n"


def _mixed_records(agency: AgencyFixture, corrected: dict[str, Any]) -> list[dict[str, Any]]:
    valid = [stop_record(agency) for _ in range(9)]
    same_moment = stop_record(agency)
    same_moment.update({k: valid[1][k] for k in ("SDate", "STime")})
    same_moment["Officer"] = {**same_moment["Officer"], "UID": valid[1]["Officer"]["UID"]}
    nowhere = stop_record(agency)
    nowhere["Location"] = {**nowhere["Location"], "City": "NOWHERE CITY"}
    two_persons = stop_record(agency)
    people = two_persons["ListPerson_Stopped"]["Person_Stopped"]
    people.append({**people[0], "PID": "2"})
    return [
        valid[0],
        stop_record(agency, SDur="0"),  # a record error
        stop_record(agency, SDate="13/45/2024"),  # fatal
        valid[1],
        two_persons,
        {**valid[2], "SDur": "0"},  # a record error, then ...
        valid[3],
        valid[4],
        {**valid[2], "SDur": "7"},  # ... the same record id again: a duplicate, chunks apart
        same_moment,  # another record id on valid[1]'s officer and moment: a duplicate stop
        {**corrected, "SDur": "10", "TX_Type": "U"},  # corrects a stored record
        nowhere,  # a city not in the domain table: a record error
        valid[5],
        valid[6],
        valid[7],
        valid[8],
    ]


def _stored(hub: Hub, file_id: int) -> dict[str, Any]:
    """What a file left in the database and OUTPUT, DOJ ids replaced by the records they name
    (the two realms' records have ids of their own)."""
    with hub.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                stops.c.id,
                stops.c.lea_record_id,
                stops.c.status,
                stops.c.version,
                stops.c.batch_id,
                stops.c.officer_uid,
                stops.c.stop_date,
                stops.c.stop_time,
                stops.c.dictionary_id,
                sa.cast(stops.c.record, sa.Text).label("record"),
                stops.c.issues,
            ).where(stops.c.file_id == file_id)
        ).all()
        errors = conn.execute(
            sa.select(stop_file_errors)
            .where(stop_file_errors.c.file_id == file_id)
            .order_by(stop_file_errors.c.seq)
        ).all()
        leas = dict(conn.execute(sa.select(stops.c.id, stops.c.lea_record_id)).all())

    def named(text: str) -> str:
        return re.sub(r"DOJ record (\d+)", lambda m: f"DOJ record {leas[int(m[1])]}", text)

    return {
        "stops": sorted(tuple(r)[1:] for r in rows),
        "errors": [
            (e.seq, e.rows, e.lea_record_id, e.fatal, named(str(e.issues)), e.source)
            for e in errors
        ],
    }


def _outputs(hub: Hub, principal: Principal, name: str) -> dict[str, bytes]:
    folder = hub_file(hub, _folders(hub).output_dir(principal.ori, principal.realm))
    stem, ext = name.rsplit(".", 1)
    found = {n: (folder / n).read_bytes() for n in folder.names() if n.startswith(f"{stem}_")}
    assert {f"{stem}_errors.{ext}", f"{stem}_response.txt", f"{stem}_log.txt"} <= set(found)
    if ext == "xlsx":  # a zip's bytes hold the moment it was written: its cells are compared
        book = CalamineWorkbook.from_filelike(io.BytesIO(found[f"{stem}_errors.xlsx"]))
        found[f"{stem}_errors.xlsx"] = repr(book.get_sheet_by_index(0).to_python()).encode()
    return found


def _as_sheet(data: bytes, tmp: Path, *, inline: bool = False) -> bytes:
    """A pipe file's rows as a workbook, with what a sheet holds and a pipe file cannot: cells
    typed as numbers and dates (read back as the text typed), and a line break in a cell (the
    record path's alone: a record of the valid kind that it words as it reads). ``inline``:
    strings written inline (xlsxwriter's constant memory mode), not shared."""
    rows = [line.split("|") for line in data.decode().split("\r\n") if line]
    names = rows[0]
    age, day, narrative = (names.index(n) for n in ("Perc.Age", "SDate", "BasSearch_N"))
    path = tmp / "sheet.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": inline})
    sheet = book.add_worksheet()
    dated = book.add_format({"num_format": "mm/dd/yyyy"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if r in (1, 4) and c == age and value.isdigit():
                sheet.write_number(r, c, int(value))
            elif r == 1 and c == day:
                month, d, year = map(int, value.split("/"))
                sheet.write_datetime(r, c, dt.datetime(year, month, d), dated)
            elif r == 8 and c == narrative:  # record 7 (valid[3])
                sheet.write_string(r, c, "Consent given\nat the car")
            else:
                sheet.write_string(r, c, value)
    book.close()
    return path.read_bytes()


@pytest.mark.parametrize(
    ("ways", "while_starting"),
    [
        # (workers, columnar) of the prod run, then of the test run; then how many of the test
        # run's chunks come while its check worker is still starting (the hub's process
        # checks those itself)
        (((0, False), (1, False)), 0),  # the worker process stores what the hub's process stores
        (((0, False), (1, False)), 2),  # and so do the two, the worker taking over
        (((0, False), (0, True)), 0),  # the columnar path stores what the record path stores
        (((0, False), (1, True)), 0),  # and so it does in the columnar worker
    ],
    ids=["worker", "worker-starting", "columnar", "columnar-worker"],
)
@pytest.mark.parametrize("ext", ["csv", "xlsx", "xlsx-streamed", "json", "ndjson", "xml"])
def test_the_worker_stores_what_the_hub_process_stores(
    hub: Hub,
    agency: AgencyFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    ways: tuple[tuple[int, bool], tuple[int, bool]],
    while_starting: int,
    ext: str,
) -> None:
    """``xlsx-streamed``: a sheet of inline strings read as a large one is (the scanner, not
    calamine; its rows of inline strings by ``xlsx_scan.inline_row``)."""
    streamed = ext == "xlsx-streamed"
    ext = ext.removesuffix("-streamed")
    if while_starting and ext not in ("csv", "xlsx"):
        pytest.skip("only flat files have a check worker (JSON and XML: the reader)")
    if streamed:
        monkeypatch.setattr(batch, "CALAMINE_MAX_SHEET_BYTES", 0)
    monkeypatch.setattr(batch_files, "CHUNK", 4)
    monkeypatch.setattr(batch_files, "COLUMNAR", batch_files.FLAT)  # sheets too
    monkeypatch.setattr(batch_files, "DOCUMENT_BLOCK", 3)  # JSON and XML: blocks cross chunks
    monkeypatch.setattr(small_files, "SMALL_FILE_BYTES", 0)  # not a lane's, if one runs here
    service = hub.service(StopService)
    corrected = stop_record(agency, SDur="0")
    runs: dict[str, Any] = {}
    clean: set[int] = set()  # the records the columnar path found clean, in this process
    records = columnar_records.ColumnarRecords._records

    def noted(self: columnar_records.ColumnarRecords, chunk: Any) -> Any:
        out = records(self, chunk)
        clean.update(r[0] for r in out if isinstance(r, tuple))
        return out

    monkeypatch.setattr(columnar_records.ColumnarRecords, "_records", noted)
    placed: list[bool] = []  # rows of inline strings read by replacement, in this process
    inline_row = xlsx_scan.inline_row

    def counted(*args: Any) -> Any:
        found = inline_row(*args)
        placed.append(found is not None)
        return found

    monkeypatch.setattr(xlsx_scan, "inline_row", counted)
    in_hub: list[int] = []  # the chunks the hub's process checked itself
    check = batch_workers.Checker.check

    def checked_here(self: batch_workers.Checker, *args: Any) -> Any:
        in_hub.append(len(args[2]))
        return check(self, *args)

    monkeypatch.setattr(batch_workers.Checker, "check", checked_here)
    starting = batch_workers.CheckPool.starting
    left = [while_starting]

    def still_starting(self: batch_workers.CheckPool, kind: str) -> bool:
        if left[0]:
            left[0] -= 1
            return True
        return starting(self, kind)

    monkeypatch.setattr(batch_workers.CheckPool, "starting", still_starting)
    for realm, (workers, columnar) in zip(("prod", "test"), ways, strict=True):
        monkeypatch.setattr(service, "bulk_workers", workers)
        monkeypatch.setattr(service, "bulk_columnar", columnar)
        if workers:
            _workers_up(service, ext)
            in_hub.clear()
        principal = _principal(hub, agency, realm)
        data = service.check_data(corrected)
        stored = service.submit_stop(principal, corrected, Op.INSERT, channel="ws", data=data)
        assert stored.status == "Submitted with Errors"
        name = f"{STAMP}_{agency.ori}_MIXED.{ext.removeprefix('nd')}"
        data = _mixed_file_once(hub, agency, corrected, ext)
        if ext == "xlsx":
            data = _as_sheet(data, tmp_path, inline=streamed)
        file_id = _process(hub, principal, name, data)
        runs[realm] = (_stored(hub, file_id), _outputs(hub, principal, name))
    if ways[1][0]:
        assert service.file_pool is not None  # the second run went through the worker
    if ways[1] == (1, False) and ext in ("csv", "xlsx"):  # the check worker checked the rest
        assert len(in_hub) == while_starting and left == [0]
    if ways[1] == (0, True) and ext in ("csv", "xlsx"):  # the columnar path ran, and left
        assert {1, 4, 8} <= clean and not {2, 3, 6} & clean  # the record path what it must
        assert (7 in clean) is (ext == "csv")  # a line break in a sheet's cell: record path
        assert any(placed) is streamed
    (prod, prod_out), (test, test_out) = runs["prod"], runs["test"]
    documents = {"json": 7, "ndjson": 8, "xml": 6}  # what is not a record; no ragged row
    assert len(prod["stops"]) == 14 - (ext in documents)
    assert len(prod["errors"]) == documents.get(ext, 7)
    assert prod == test
    assert prod_out.keys() == test_out.keys()
    for output, content in prod_out.items():
        assert _comparable(content) == _comparable(test_out[output]), output


_FILES: dict[str, bytes] = {}


def _mixed_file_once(
    hub: Hub, agency: AgencyFixture, corrected: dict[str, Any], ext: str = "csv"
) -> bytes:
    """The same bytes for both realms (the records' ids come from a counter)."""
    key = f"{agency.ori}:{corrected['LEARecordID']}:{ext}"
    if key not in _FILES:
        if ext in ("csv", "xlsx"):
            _FILES[key] = _mixed_file(hub, agency, corrected)
        else:
            _FILES[key] = _mixed_document(_mixed_records(agency, corrected), ext)
    return _FILES[key]


def _comparable(output: bytes) -> bytes:
    """An output file without what differs between the realms by design: the DOJ ids that a
    duplicate's error names, the moment the file was written (in the response and the log)."""
    output = re.sub(rb"DOJ record \d+", b"DOJ record #", output)
    moment = rb"\d{4}-\d\d-\d\d[ T][\d:.]+|\d\d/\d\d/\d{4}\d\d:\d\d:\d\d"
    return re.sub(moment, b"#", output)


def _one_city_file(
    hub: Hub, agency: AgencyFixture, tag: str, ext: str = "csv"
) -> tuple[str, bytes]:
    records = [stop_record(agency) for _ in range(3)]
    assert {r["Location"]["City"] for r in records} == {"SAN DIEGO"}
    return f"{STAMP}_{agency.ori}_{tag}.{ext}", _file_of(hub, records, ext)


def _file_of(hub: Hub, records: list[dict[str, Any]], ext: str) -> bytes:
    if ext == "json":
        return orjson.dumps(records)
    return delimited(FlatLayout(hub.validation.dictionaries["stop-2024"]), records)


def _counts(hub: Hub, file_id: int) -> tuple[int, int, int, int]:
    with hub.engine.connect() as conn:
        c = batch_files.counts(conn, file_id)
    return c.total, c.successful, c.with_errors, c.rejected


def _with_workers(hub: Hub, monkeypatch: pytest.MonkeyPatch, columnar: bool) -> StopService:
    """The stop service with worker processes (a pipe file read as columns by the reader, or
    by the check workers, as ``columnar`` says), every JSON file a batch's (no small-file
    lane), for a test of :data:`KINDS`."""
    service = hub.service(StopService)
    monkeypatch.setattr(small_files, "SMALL_FILE_BYTES", 0)
    monkeypatch.setattr(service, "bulk_workers", 1)
    monkeypatch.setattr(service, "bulk_columnar", columnar)
    return service


def _workers_up(service: StopService, ext: str) -> None:
    """The worker a file named ``ext`` will need, started and answering: chunks that come while
    the check worker starts are checked in the hub's process (``CheckPool.checked``), which would
    leave the worker untried."""
    kind = batch_files.worker_kind(service, ext)
    pool = batch_workers.pool_for(service)
    assert kind is not None and pool is not None
    started = pool.warm(kind)
    assert started is not None
    started.result(timeout=60)


KINDS = pytest.mark.parametrize(
    ("kind", "columnar", "ext"),
    [("check", False, "csv"), ("reader", True, "csv"), ("reader", False, "json")],
    ids=["worker", "columnar-worker", "json-worker"],
)


@KINDS
def test_a_reloaded_domain_table_restarts_the_workers_on_it(
    hub: Hub,
    agency: AgencyFixture,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    columnar: bool,
    ext: str,
) -> None:
    service = _with_workers(hub, monkeypatch, columnar)
    principal = _principal(hub, agency, "prod")
    _workers_up(service, ext)
    file_id = _process(hub, principal, *_one_city_file(hub, agency, "CITY1", ext))
    assert _counts(hub, file_id) == (3, 3, 0, 0)
    pool = batch_workers.pool_for(service)
    assert pool is not None
    before = pool.running(kind)
    assert before is not None
    cities = hub.validation.domains["city"]
    hub.validation.set_domain("city", cities - {"SAN DIEGO"})  # what a reload does
    try:
        _workers_up(service, ext)  # the new workers
        file_id = _process(hub, principal, *_one_city_file(hub, agency, "CITY2", ext))
        assert _counts(hub, file_id) == (3, 0, 3, 0)  # the worker knows the city is gone
        assert pool.running(kind) is not before
    finally:
        hub.validation.set_domain("city", cities)
    file_id = _process(hub, principal, *_one_city_file(hub, agency, "CITY3", ext))
    assert _counts(hub, file_id) == (3, 3, 0, 0)


@pytest.mark.parametrize(
    ("ext", "columnar", "kind"),
    [
        ("xlsx", True, "check"),
        ("XLS", True, "check"),
        ("csv", True, "reader"),
        ("txt", False, "check"),
        ("json", True, "reader"),
        ("xml", False, "reader"),
    ],
)
def test_the_worker_a_file_will_need_is_known_by_its_name(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, ext: str, columnar: bool, kind: str
) -> None:
    service = hub.service(StopService)
    monkeypatch.setattr(service, "bulk_workers", 1)
    monkeypatch.setattr(service, "bulk_columnar", columnar)
    assert batch_files.worker_kind(service, ext) == kind
    monkeypatch.setattr(service, "bulk_workers", 0)
    assert batch_files.worker_kind(service, ext) is None


@KINDS
def test_a_received_file_starts_its_worker_while_its_workflow_waits_in_the_queue(
    workflows: Hub,
    agency: AgencyFixture,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    columnar: bool,
    ext: str,
) -> None:
    _with_workers(workflows, monkeypatch, columnar)
    warmed: list[str] = []
    warm = batch_workers.CheckPool.warm

    def noted(self: batch_workers.CheckPool, of: str) -> None:
        warmed.append(of)
        warm(self, of)

    monkeypatch.setattr(batch_workers.CheckPool, "warm", noted)
    principal = _principal(workflows, agency, "prod")
    name, data = _one_city_file(workflows, agency, "WARM", ext)
    received = workflow.receive(
        workflows, principal, upload(workflows, principal, name, data), channel="sftp"
    )
    assert received.file_id is not None
    assert warmed == [kind]
    workflow.wait(workflows, received.file_id, timeout=60)
    assert _counts(workflows, received.file_id) == (3, 3, 0, 0)


def test_a_warmed_pool_has_its_worker_process_started(hub: Hub) -> None:
    pool = batch_workers.CheckPool(hub.validation, 1)
    try:
        started = pool.warm("check")
        assert started is not None
        started.result(timeout=60)
        assert not pool.starting("check")
        running = pool.running("check")
        assert running is not None and pool.running("reader") is None
        started = list(running._processes)  # started by the warming's submit, not later
        assert len(started) == 1 and _alive(started[0])
    finally:
        pool.close()


def test_a_chunk_whose_check_was_cancelled_is_checked_in_the_hub_process(
    hub: Hub, agency: AgencyFixture
) -> None:
    """A pool discarded when a worker died cancels the chunks it still held queued: the hub's
    process checks them, as it checks a dead worker's."""
    dictionary = hub.validation.dictionaries["stop-2024"]
    header, raw = batch.read_raw(_written(hub, agency), batch.Format.DELIMITED, dictionary)
    chunk = list(raw)
    groups = [(item.group.rows, item.group.record_id) for item in chunk]
    pool = batch_workers.CheckPool(hub.validation, 1)
    cancelled: Future[list[batch_workers.Checked]] = Future()
    assert cancelled.cancel()
    got = pool._collect(dictionary.id, header, chunk, groups, cancelled)
    want = pool._collect(dictionary.id, header, chunk, groups, None)
    assert [(i.seq, i.record.text, o.issues) for i, o in got] == [
        (i.seq, i.record.text, o.issues) for i, o in want
    ]
    assert len(got) == 3 and pool.running("check") is None


def _written(hub: Hub, agency: AgencyFixture) -> Path:
    path = Path(hub.settings.data_dir) / "three.csv"
    path.write_bytes(_one_city_file(hub, agency, "CANCEL")[1])
    return path


@KINDS
def test_a_killed_worker_leaves_its_chunks_to_the_hub_process(
    hub: Hub,
    agency: AgencyFixture,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    columnar: bool,
    ext: str,
) -> None:
    """The record path in the hub's process takes a killed worker's records: the check
    worker's chunks, or the rest of the file the reader worker was reading."""
    service = _with_workers(hub, monkeypatch, columnar)
    monkeypatch.setattr(batch_files, "CHUNK", 2)
    principal = _principal(hub, agency, "prod")
    _workers_up(service, ext)
    _process(hub, principal, *_one_city_file(hub, agency, "KILL1", ext))
    pool = batch_workers.pool_for(service)
    running = pool.running(kind) if pool is not None else None
    assert running is not None
    for pid in list(running._processes):
        os.kill(pid, signal.SIGKILL)
    records = [stop_record(agency) for _ in range(7)] + [stop_record(agency, SDur="0")]
    file_id = _process(
        hub, principal, f"{STAMP}_{agency.ori}_KILL2.{ext}", _file_of(hub, records, ext)
    )
    assert _counts(hub, file_id) == (8, 7, 1, 0)
    with hub.engine.connect() as conn:
        assert batch_files.stored_count(conn, file_id) == 8
    file_id = _process(hub, principal, *_one_city_file(hub, agency, "KILL3", ext))  # a new worker
    assert _counts(hub, file_id) == (3, 3, 0, 0) and pool.running(kind) is not None


WORKER_SCRIPT = textwrap.dedent(
    """
    import time
    from jdx.codecs.flat import FlatLayout
    from jdx.exchanges.stops import batch_workers
    from jdx.validation import ValidationService

    if __name__ == "__main__":  # the workers' processes import this module too
        validation = ValidationService()
        validation.add_file("stop-2024")
        pool = batch_workers.CheckPool(validation, 1)
        names = FlatLayout(validation.dictionaries["stop-2024"]).names
        assert pool._current("check", 1).submit(batch_workers._check, "stop-2024", names, []).result() == []
        print(*pool._current("check", 1)._processes, flush=True)
        time.sleep(600)
    """
)


def test_workers_stop_when_the_hub_process_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "hub.py"
    script.write_text(WORKER_SCRIPT)
    # The group is stopped after the check (workers that failed it included), not before it.
    with processes.group(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as hub:
        try:
            assert hub.stdout is not None
            workers = [int(pid) for pid in hub.stdout.readline().split()]
            assert workers and all(_alive(pid) for pid in workers)
        finally:
            hub.send_signal(signal.SIGKILL)  # the hub's process alone: its workers must notice
        deadline = time.monotonic() + 60
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    """A process that runs (a zombie has stopped: only its parent has not reaped it yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("columnar", [True, False], ids=["reader", "check"])
@pytest.mark.parametrize("ext", ["xml", "csv"])
def test_a_file_that_breaks_partway_stores_what_the_hub_process_stores(
    hub: Hub, agency: AgencyFixture, monkeypatch: pytest.MonkeyPatch, ext: str, columnar: bool
) -> None:
    """A file readable up to a point (XML that stops being well-formed, a pipe file with bytes
    that are not UTF-8) keeps the same records whichever process read the part before: the
    reader worker's records since the last whole chunk go the hub's record path again, and the
    check worker's chunks read ahead are stored before the error, as the hub's process alone
    stores every chunk it read whole."""
    monkeypatch.setattr(batch_files, "CHUNK", 4)
    monkeypatch.setattr(batch_files, "DOCUMENT_BLOCK", 3)
    monkeypatch.setattr(small_files, "SMALL_FILE_BYTES", 0)
    service = hub.service(StopService)
    records = [stop_record(agency) for _ in range(301)]  # the break well past a read's buffer
    if ext == "xml":
        data = to_xml("Stops", {"Stop": records}).replace(b"</Stops>", b"<Stop><broken></Stops>")
    else:
        layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
        data = delimited(layout, records) + b"\xff\xfe not UTF-8\r\n"
    seen = []
    ways = ((0, False), (1, columnar))
    for realm, (workers, by_columns) in zip(("prod", "test"), ways, strict=True):
        monkeypatch.setattr(service, "bulk_workers", workers)
        monkeypatch.setattr(service, "bulk_columnar", by_columns)
        if workers:
            _workers_up(service, ext)
        principal = _principal(hub, agency, realm)
        file_id = _process(hub, principal, f"{STAMP}_{agency.ori}_BROKE.{ext}", data)
        with hub.engine.connect() as conn:
            row = conn.execute(
                sa.select(stop_files.c.state, stop_files.c.file_error).where(
                    stop_files.c.id == file_id
                )
            ).one()
            stored = conn.execute(
                sa.select(stops.c.lea_record_id).where(stops.c.file_id == file_id)
            ).scalars()
            seen.append((row.state, row.file_error, sorted(stored)))
    assert seen[0] == seen[1]
    state, error, stored = seen[0]
    assert state == "failed" and error and 0 < len(stored) < 300 and len(stored) % 4 == 0
