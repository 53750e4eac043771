"""An upload taken into the hub is never lost to a crash between its registration and its move.

``batch_files.register`` commits the file's row, then moves the upload out of INPUT
(``Folders.take``). Done the other way round, a process killed between the two left the upload
moved for a row that was rolled back: never answered, and on SQLite its file id given to the
next upload. Here the process "dies" (an exception no handler takes) right after the commit,
and what a restarted hub does next finds the upload where the client left it and answers it
once: the upload seen again (an SFTP client sending it again, the drop-folder watcher's next
scan), or, for a file of the small-file lane, the lane's own scan of registered files.

The store is the suite's: the node's disk on SQLite, the database on PostgreSQL.
"""

from __future__ import annotations

import orjson
import pytest
import sqlalchemy as sa

from jdx.codecs.flat import FlatLayout
from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.file_folders import Folders
from jdx.exchanges.stops.tables import stop_files, stops
from jdx.hub import Hub
from jdx.security.keys import Principal
from tests.conftest import AgencyFixture, stop_record
from tests.exchanges.stops.test_batch_files import output
from tests.samples import STAMP, delimited, hub_file, upload


class Killed(BaseException):
    """The process's death: no ``except Exception`` of the hub takes it."""


def die(*_: object) -> None:
    raise Killed


@pytest.fixture
def principal(workflows: Hub, agency: AgencyFixture) -> Principal:
    found = workflow.principal_for(workflows, agency.ori, "prod")
    assert found is not None
    return found


@pytest.mark.parametrize("kind", ["batch", "one-stop"])
def test_a_crash_between_registering_and_taking_an_upload_loses_nothing(
    workflows: Hub,
    agency: AgencyFixture,
    principal: Principal,
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub = workflows
    records = [stop_record(agency) for _ in range(3 if kind == "batch" else 1)]
    if kind == "batch":
        layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
        name, data = f"{STAMP}_{agency.ori}_TAKE1.csv", delimited(layout, records)
    else:
        name, data = f"{STAMP}_{agency.ori}_TAKE2.json", orjson.dumps(records[0])
    key = upload(hub, principal, name, data)
    with monkeypatch.context() as crash:
        crash.setattr(Folders, "take", die)
        with pytest.raises(Killed):
            workflow.receive(hub, principal, key, channel="sftp")

    folders = workflow.folders_of(hub)
    with hub.engine.connect() as conn:
        row = conn.execute(
            sa.select(stop_files.c.id, stop_files.c.state).where(stop_files.c.file_name == name)
        ).one()
    assert row.state == "received"  # registered: committed before the move
    assert folders.store.stat(key) is not None  # and the upload is where the client left it

    if kind == "batch":
        again = workflow.receive(hub, principal, key, channel="sftp")  # seen again
        assert again.file_id == row.id, again.message  # the registered file, not a duplicate
    counts = workflow.wait(hub, row.id, timeout=60)  # a one-stop file: the lane's scan finds it

    assert (counts["total"], counts["successful"]) == (len(records), len(records))
    assert folders.store.stat(key) is None
    stem = name.rsplit(".", 1)[0]
    assert output(hub, principal, f"{stem}_response.txt").exists()
    refused = hub_file(hub, folders.output_dir(principal.ori, principal.realm))
    assert f"{name}.refused.txt" not in refused.names()
    with hub.engine.connect() as conn:
        stored = conn.execute(
            sa.select(stops.c.lea_record_id).where(stops.c.file_id == row.id)
        ).scalars()
        assert sorted(stored) == sorted(r["LEARecordID"] for r in records)


def test_the_lane_and_the_registering_process_taking_one_upload_at_once_both_find_it(
    hub: Hub, agency: AgencyFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lane's scan may read a file between its registration's commit and its move: the
    lane then takes the upload itself (``Folders.processing_copy``), while the registering
    process moves it too. Seen once in CI on PostgreSQL: the upload went between the lane's
    look and its digest, and the file was failed as unreadable. Either may move it; the lane
    reads it where it went."""
    from jdx.exchanges.stops import batch_files

    principal = workflow.principal_for(hub, agency.ori, "prod")  # no workflows running here
    assert principal is not None
    name = f"{STAMP}_{agency.ori}_RACE1.json"
    key = upload(hub, principal, name, orjson.dumps(stop_record(agency)))
    folders = workflow.folders_of(hub)
    with monkeypatch.context() as crash:  # registered, not yet moved
        crash.setattr(Folders, "take", die)
        with pytest.raises(Killed):
            workflow.receive(hub, principal, key, channel="sftp")
    with hub.engine.connect() as conn:
        file_id = conn.execute(
            sa.select(stop_files.c.id).where(stop_files.c.file_name == name)
        ).scalar_one()
        f = batch_files.load(conn, file_id)

    digest = type(folders.store).digest

    def registering_process_moves_it_first(store: object, of: object) -> str:
        folders.take(principal, key, file_id)  # the other process's move, just now
        return digest(store, of)  # type: ignore[arg-type]

    monkeypatch.setattr(type(folders.store), "digest", registering_process_moves_it_first)
    copy = folders.processing_copy(f, principal)
    monkeypatch.undo()
    assert folders.store.stat(copy) is not None
    assert folders.store.stat(key) is None
