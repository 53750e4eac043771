"""Drop-folder mode: a file is taken once, and only once its upload is complete."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from jdx.channels.folder import LEFT_SECONDS, Arrival, FolderWatcher
from jdx.exchanges.stops.file_folders import Folders
from jdx.exchanges.stops.file_store import (
    DatabaseStore,
    DiskStore,
    Key,
    read_bytes,
    write_bytes,
)
from jdx.exchanges.stops.tables import folder_contents
from jdx.hub import Hub

_homes = itertools.count(1)


def _disk(folders: Folders) -> DiskStore:
    assert folders.disk is not None
    return folders.disk


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_file_is_taken_once_after_it_stops_changing(tmp_path: Path) -> None:
    folders = Folders(tmp_path, archive_days=0)
    inbox_key = folders.ensure_home("CA0370000") / "PROD" / "INPUT"
    inbox = _disk(folders).path(inbox_key)
    arrivals: list[Arrival] = []
    clock = Clock()

    def take(a: Arrival) -> None:
        arrivals.append(a)
        folders.store.remove(a.key)  # as the intake does: the file leaves INPUT

    watcher = FolderWatcher(folders, take, settle_seconds=5, clock=clock)
    upload = inbox / "20240315143200_CA0370000_B1.csv"
    upload.write_bytes(b"first part")
    (inbox / ".hidden.csv").write_bytes(b"x")
    (inbox / "20240315143200_CA0370000_B2.csv.part").write_bytes(b"x")
    assert watcher.scan() == []  # first sight
    clock.now = 3
    with upload.open("ab") as f:
        f.write(b" and more")  # still being written
    assert watcher.scan() == []
    clock.now = 7
    assert watcher.scan() == []  # changed at 3: not settled for 5 s yet
    clock.now = 9
    assert watcher.scan() == [Arrival("CA0370000", "prod", inbox_key / upload.name)]
    clock.now = 20
    assert watcher.scan() == []
    assert [a.key.name for a in arrivals] == ["20240315143200_CA0370000_B1.csv"]


def test_test_realm_and_symlinks(tmp_path: Path) -> None:
    folders = Folders(tmp_path, archive_days=0)
    home = _disk(folders).path(folders.ensure_home("CA0370000"))
    outside = tmp_path / "secret.csv"
    outside.write_bytes(b"x")
    (home / "PROD" / "INPUT" / "20240315143200_CA0370000_L.csv").symlink_to(outside)
    (home / "TEST" / "INPUT" / "20240315143200_CA0370000_T.csv").write_bytes(b"x")
    clock = Clock()
    seen: list[Arrival] = []
    watcher = FolderWatcher(folders, seen.append, settle_seconds=1, clock=clock)
    watcher.scan()
    clock.now = 2
    watcher.scan()
    assert [(a.realm, a.key.name) for a in seen] == [("test", "20240315143200_CA0370000_T.csv")]


def test_the_doj_upload_folders_are_watched_and_the_root_ones_lead_to_the_accounts_realm(
    tmp_path: Path,
) -> None:
    folders = Folders(tmp_path, archive_days=0)
    home = _disk(folders).path(folders.ensure_home("CA0370000", "prod"))
    # as an OpenSSH server writes them, through the realm's folders and the root-level link
    (home / "TEST" / "incoming_to_DOJ" / "JSON" / "20240315143200_CA0370000_R1.json").write_text(
        "{}"
    )
    (home / "incoming_to_DOJ" / "CSV" / "20240315143200_CA0370000_B1.csv").write_text("x")
    (home / "PROD" / "incoming_to_DOJ" / "XML" / "20240315143200_CA0370000_R2.xml.part").write_text(
        "<"
    )
    clock = Clock()
    seen: list[Arrival] = []
    watcher = FolderWatcher(folders, seen.append, settle_seconds=1, clock=clock)
    watcher.scan()
    clock.now = 2
    watcher.scan()
    assert sorted((a.realm, a.key.parent.name, a.key.name) for a in seen) == [
        ("prod", "CSV", "20240315143200_CA0370000_B1.csv"),
        ("test", "JSON", "20240315143200_CA0370000_R1.json"),
    ]
    # the real folder, not the link
    assert all(a.key.parts[3] in ("PROD", "TEST") for a in seen)


def test_with_the_folders_in_the_database_uploads_go_in_and_answers_come_out(
    hub: Hub, tmp_path: Path, worker_id: str
) -> None:
    """Several nodes: the homes OpenSSH serves are on each node's disk, the hub's folders in the
    database. A settled upload is copied into the database and leaves the disk once taken; the
    answers written there appear on the disk; one a client deletes on the disk is deleted in the
    database, with its other name, and then from the disk's other folder."""
    shared = Folders(
        tmp_path / "cluster-folders", 0, DatabaseStore(hub.engine, tmp_path / "scratch")
    )
    local = Folders(tmp_path / "node", archive_days=0)
    ori = f"W{worker_id[-2:].upper():>2}{next(_homes):06d}"
    shared.ensure_home(ori, "prod")
    taken: list[Arrival] = []
    left = f"20240315143200_{ori}_LEFT.csv"
    offered: list[str] = []

    def take(a: Arrival) -> None:  # as the intake does: out of INPUT, into processing
        offered.append(a.key.name)
        if a.key.name != left:  # as a node that died before the intake took it
            taken.append(a)
            shared.store.move(a.key, shared.files / "processing" / a.key.name)

    clock = Clock()
    # every home compared whole at every scan: the database holds other tests' homes too
    watcher = FolderWatcher(
        local, take, settle_seconds=1, clock=clock, shared=shared, homes_per_scan=100_000
    )
    watcher.scan()
    home = _disk(local).path(local.home(ori))
    assert str((home / "incoming_to_DOJ").readlink()) == "PROD/incoming_to_DOJ"  # made here
    inbox = home / "PROD" / "INPUT"
    name = f"20240315143200_{ori}_B1.csv"
    (inbox / name).write_bytes(b"a|b\r\n")
    (inbox / left).write_bytes(b"c|d\r\n")
    watcher.scan()
    clock.now = 2
    assert [a.key.name for a in watcher.scan()] == [name]
    assert [a.key for a in taken] == [shared.input_dir(ori, "prod") / name]
    assert list(inbox.iterdir()) == []  # both in the database now: the hub's
    assert read_bytes(shared.store, shared.files / "processing" / name) == b"a|b\r\n"
    # the one the intake did not take waits in the database's INPUT; once it has waited a
    # minute, any node's watcher takes it (the node that moved it there died, say)
    assert [e.name for e in shared.store.files(shared.input_dir(ori, "prod"))] == [left]
    watcher.scan()
    assert offered == [name, left]
    _written_ago(hub, shared, shared.input_dir(ori, "prod") / left, seconds=LEFT_SECONDS + 1)
    watcher.scan()
    assert offered == [name, left, left]

    out, responses = shared.output_dir(ori, "prod"), shared.responses_dir(ori, "prod")
    with shared.store.stage(out / "B1_response.txt", [responses / "B1_response.txt"]) as temp:
        temp.write_text("report")
    write_bytes(shared.store, out / "B1_log.txt", b"log")
    write_bytes(shared.store, out / "B2.csv.progress.txt", b"1000\n")
    watcher.scan()
    disk_out, disk_responses = home / "PROD" / "OUTPUT", home / "PROD" / "responses_from_DOJ"
    assert sorted(p.name for p in disk_out.iterdir()) == [
        "B1_log.txt",
        "B1_response.txt",
        "B2.csv.progress.txt",
    ]
    assert [p.name for p in disk_responses.iterdir()] == ["B1_response.txt"]
    entry = shared.store.stat(out / "B1_log.txt")
    assert entry is not None and (disk_out / "B1_log.txt").stat().st_mtime == pytest.approx(
        entry.modified, abs=1e-5
    )
    write_bytes(shared.store, out / "B2.csv.progress.txt", b"2000\n")  # written again there
    (disk_responses / "B1_response.txt").unlink()  # a client reads and deletes the report
    shared.store.remove(out / "B1_log.txt")  # the tidy job, on any node
    watcher.scan()
    assert shared.store.stat(out / "B1_response.txt") is None  # both names gone there
    assert shared.store.stat(responses / "B1_response.txt") is None
    watcher.scan()
    assert [p.name for p in disk_out.iterdir()] == ["B2.csv.progress.txt"]
    assert (disk_out / "B2.csv.progress.txt").read_bytes() == b"2000\n"
    assert list(disk_responses.iterdir()) == []


def _written_ago(hub: Hub, folders: Folders, key: Key, seconds: float) -> None:
    entry = folders.store.stat(key)
    assert entry is not None
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
    with hub.engine.begin() as conn:
        conn.execute(
            folder_contents.update()
            .where(folder_contents.c.id == entry.same)
            .values(modified_at=moment)
        )
