"""The file stores of the stop-data folders (issue 17): this node's disk, and the database that
every node shares. Each behaviour is asked of both; the database is the suite's (PostgreSQL when
JDX_TEST_DATABASE_URL is set, SQLite otherwise: the tables exist on both).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tracemalloc
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.file_folders import ROOT_REALM_FILE, Folders
from jdx.exchanges.stops.file_store import (
    PART_BYTES,
    DatabaseStore,
    DiskStore,
    FileStore,
    Key,
    read_bytes,
    write_bytes,
)
from jdx.exchanges.stops.tables import folder_content_parts, folder_contents, folder_names
from jdx.hub import Hub
from jdx.settings import load_settings
from tests.conftest import PG_URL

_runs = iter(range(1, 1_000_000))


@pytest.fixture(params=["disk", "database"])
def store(request: pytest.FixtureRequest, hub: Hub, tmp_path: Path) -> FileStore:
    if request.param == "disk":
        return DiskStore(tmp_path / "data")
    return DatabaseStore(hub.engine, tmp_path / "scratch")


@pytest.fixture
def root(worker_id: str) -> Key:
    """A folder of this test's own: the database is the worker's, shared by its tests."""
    return Key("tests", worker_id, str(next(_runs)))


def names(store: FileStore, folder: Key) -> list[str]:
    return sorted(e.name for e in store.files(folder))


def test_a_file_is_written_whole_listed_read_and_deleted(store: FileStore, root: Key) -> None:
    key = root / "OUTPUT" / "a_log.txt"
    assert store.stat(key) is None and store.files(root / "OUTPUT") == []
    staged = store.stage(key)
    staged.path.write_bytes(b"half")
    assert store.stat(key) is None  # not there until committed
    staged.commit()
    assert read_bytes(store, key) == b"half" and not staged.path.exists()
    write_bytes(store, key, b"the whole log\n")  # written again: replaced at once
    entry = store.stat(key)
    assert entry is not None and (entry.name, entry.size, entry.names) == ("a_log.txt", 14, 1)
    assert abs(entry.modified - dt.datetime.now(dt.UTC).timestamp()) < 60
    assert store.digest(key) == hashlib.sha256(b"the whole log\n").hexdigest()
    assert names(store, root / "OUTPUT") == ["a_log.txt"]
    with store.open(key) as f:
        f.seek(4)
        assert f.read(5) == b"whole"
    with store.local(key) as path:
        assert path.read_bytes() == b"the whole log\n"
    with pytest.raises(RuntimeError), store.stage(root / "OUTPUT" / "b.txt") as temp:
        temp.write_bytes(b"never")
        raise RuntimeError("the writer failed")
    assert names(store, root / "OUTPUT") == ["a_log.txt"]  # what failed is not there
    assert store.remove(key) and not store.remove(key)
    assert store.stat(key) is None and store.files(root / "OUTPUT") == []
    with pytest.raises(FileNotFoundError):
        store.open(key)
    with pytest.raises(FileNotFoundError), store.local(key):
        pass


def test_moves_links_and_folders(store: FileStore, root: Key, tmp_path: Path) -> None:
    upload = root / "INPUT" / "x.csv"
    source = tmp_path / "x.csv"
    source.write_bytes(b"a|b\r\n")
    store.put(upload, source)
    assert source.exists()  # put copies
    archive = root / "archive" / "2024-04-01" / "x.csv"
    store.link(upload, archive)
    processing = root / "processing" / "1_x.csv"
    assert store.move(upload, processing)
    assert not store.move(upload, processing)  # moved already: by another node, say
    assert store.stat(upload) is None and read_bytes(store, processing) == b"a|b\r\n"
    entry, copy = store.stat(processing), store.stat(archive)
    assert entry is not None and copy is not None and entry.same == copy.same
    assert store.remove(processing)
    assert read_bytes(store, archive) == b"a|b\r\n"  # the archive's name keeps the file
    write_bytes(store, root / "archive" / "2024-04-02" / "y.csv", b"y")
    assert store.subfolders(root / "archive") == ["2024-04-01", "2024-04-02"]
    tree = store.tree(root)
    assert sorted(str(k.relative_to(root)) for k in tree) == [
        "archive/2024-04-01",
        "archive/2024-04-02",
    ]
    store.remove_folder(root / "archive" / "2024-04-01")
    assert store.subfolders(root / "archive") == ["2024-04-02"]


def test_a_report_has_two_names_and_one_content(store: FileStore, root: Key) -> None:
    out, twin = root / "OUTPUT" / "r_response.txt", root / "responses_from_DOJ" / "r_response.txt"
    with store.stage(out, also=[twin]) as temp:
        temp.write_text("report\r\n")
    one, other = store.stat(out), store.stat(twin)
    assert one is not None and other is not None
    assert one.same == other.same and one.names == other.names == 2
    write_bytes(store, out, b"new")  # a name written again is another file
    one, other = store.stat(out), store.stat(twin)
    assert one is not None and other is not None and one.same != other.same
    assert (one.names, other.names) == (1, 1)
    assert read_bytes(store, twin) == b"report\r\n"


def test_the_folders_in_the_database_work_as_on_disk(hub: Hub, tmp_path: Path) -> None:
    """Folders over the database: the root realm, a report deleted through either view, and
    the tidy job (old answers, orphaned reports, the archive's old days)."""
    folders = Folders(tmp_path, 10, DatabaseStore(hub.engine, tmp_path / "scratch"))
    ori = f"DB{next(_runs):07d}"
    folders.ensure_home(ori)
    assert folders.root_realm(ori) == "test"
    assert [e.name for e in folders.store.files(folders.home(ori))] == [ROOT_REALM_FILE]
    folders.ensure_home(ori, "prod")
    assert folders.root_realm(ori) == "prod"
    assert not (tmp_path / "sftp").exists()  # nothing on this node's disk

    out, responses = folders.output_dir(ori, "prod"), folders.responses_dir(ori, "prod")
    for stem in ("a", "b", "old"):
        with folders.store.stage(
            out / f"{stem}_response.txt", [responses / f"{stem}_response.txt"]
        ) as t:
            t.write_text("report")
    folders.remove_result(responses / "a_response.txt")
    assert folders.store.stat(out / "a_response.txt") is None
    write_bytes(folders.store, out / "old_log.txt", b"x")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    ids = [e.same for e in folders.store.files(out) if e.name.startswith("old")]
    with hub.engine.begin() as conn:
        conn.execute(
            folder_contents.update().where(folder_contents.c.id.in_(ids)).values(modified_at=old)
        )
    folders.store.remove(responses / "b_response.txt")  # as a mirror of a client's delete
    day = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    write_bytes(folders.store, folders.files / "archive" / day / ori / "prod" / "f.csv", b"f")
    # the old report (both names), its log, the orphan b; and any other test's in this database
    assert folders.tidy(30) >= 4
    assert names(folders.store, out) == []
    assert names(folders.store, responses) == []  # the old report's other name too
    assert day not in folders.store.subfolders(folders.files / "archive")


def test_a_big_file_goes_in_and_out_part_by_part(hub: Hub, tmp_path: Path, root: Key) -> None:
    """A 48 MiB file written to the database and read back: never more than a few parts in
    memory at once (a part is PART_BYTES), and nothing of it is left once deleted."""
    store = DatabaseStore(hub.engine, tmp_path / "scratch")
    big = tmp_path / "big.csv"
    block = os.urandom(1 << 20)
    with big.open("wb") as out:
        for i in range(48):
            out.write(bytes([i]) + block[1:])
    key = root / "INPUT" / "big.csv"
    tracemalloc.start()
    try:
        store.put(key, big)
        _, after_put = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with store.local(key) as copy:
            assert copy.stat().st_size == big.stat().st_size
            assert _sha256(copy) == _sha256(big) == store.digest(key)
        _, after_read = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after_put < 8 * PART_BYTES and after_read < 8 * PART_BYTES, (after_put, after_read)
    entry = store.stat(key)
    assert entry is not None
    with hub.engine.connect() as conn:
        parts = conn.execute(
            sa.select(sa.func.count()).where(folder_content_parts.c.content_id == entry.same)
        ).scalar_one()
    assert parts == 48
    assert store.remove(key)
    with hub.engine.connect() as conn:
        left = conn.execute(
            sa.select(sa.func.count()).where(folder_content_parts.c.content_id == entry.same)
        ).scalar_one()
    assert left == 0 and store.sweep() == 0  # freed with its last name
    assert not list((tmp_path / "scratch").iterdir())  # no scratch file left


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def test_the_store_follows_the_database(tmp_path: Path) -> None:
    """The embedded default (SQLite) keeps the folders on disk; PostgreSQL, in the database."""
    pg = "postgresql://jdx@db.example/jdx"
    assert not load_settings(data_dir=tmp_path, database_url="").files_in_database
    assert load_settings(data_dir=tmp_path, database_url=pg).files_in_database
    assert not load_settings(
        data_dir=tmp_path, database_url=pg, file_store="disk"
    ).files_in_database
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        load_settings(data_dir=tmp_path, database_url="", file_store="database")


@pytest.mark.skipif(bool(PG_URL), reason="the embedded default: SQLite")
def test_the_embedded_default_still_writes_local_files(workflows: Hub) -> None:
    """An upload answered by the embedded hub: its answers are files under the data folder,
    where an OpenSSH server or an operator finds them, and nothing is in the database's store."""
    from tests.conftest import new_agency
    from tests.samples import STAMP, upload

    agency = new_agency(workflows)
    principal = workflow.principal_for(workflows, agency.ori, "prod")
    assert principal is not None
    name = f"{STAMP}_{agency.ori}_LOCAL1.csv"
    received = workflow.receive(
        workflows, principal, upload(workflows, principal, name, b"x"), channel="sftp"
    )
    assert received.file_id is not None
    workflow.wait(workflows, received.file_id, timeout=60)
    folders = workflow.folders_of(workflows)
    assert isinstance(folders.store, DiskStore)
    out = workflows.settings.data_dir / "sftp" / "homes" / agency.ori / "PROD" / "OUTPUT"
    assert (out / f"{STAMP}_{agency.ori}_LOCAL1_log.txt").is_file()
    with workflows.engine.connect() as conn:
        mine = sa.select(sa.func.count()).where(folder_names.c.folder.contains(agency.ori))
        assert conn.execute(mine).scalar_one() == 0


@pytest.mark.postgres
def test_jdx_files_import_brings_a_nodes_disk_into_the_database(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hub that kept its folders on disk moves them to the database: answers (a report's two
    names stay one file), an in-flight processing copy, the archive, the account's realm."""
    from typer.testing import CliRunner

    from jdx.cli import app

    data = tmp_path / "node"
    disk = Folders(data, archive_days=10)
    ori = f"IM{next(_runs):07d}"
    disk.ensure_home(ori, "prod")
    out, responses = disk.output_dir(ori, "prod"), disk.responses_dir(ori, "prod")
    with disk.store.stage(out / "a_response.txt", [responses / "a_response.txt"]) as temp:
        temp.write_text("report")
    write_bytes(disk.store, out / "a_log.txt", b"log")
    write_bytes(disk.store, disk.files / "processing" / f"7_{ori}.csv", b"a|b")
    disk.store.link(
        disk.files / "processing" / f"7_{ori}.csv", disk.files / "archive" / f"{ori}.csv"
    )
    write_bytes(disk.store, out / ".b_log.txt.1234.tmp", b"half")  # being written: left
    runner = CliRunner()
    monkeypatch.setenv("JDX_DATA_DIR", str(data))
    monkeypatch.setenv("JDX_DATABASE_URL", hub.settings.effective_database_url)
    monkeypatch.setenv("JDX_FILE_STORE", "disk")
    refused = runner.invoke(app, ["files", "import"])
    assert refused.exit_code == 1 and "nothing to import" in refused.output
    monkeypatch.setenv("JDX_FILE_STORE", "database")
    done = runner.invoke(app, ["files", "import"])
    assert done.exit_code == 0, done.output
    imported = orjson.loads(done.stdout)
    assert imported["files"] == 5 and imported["homes"] == 1
    into = Folders(data, 10, DatabaseStore(hub.engine, tmp_path / "scratch"))
    assert into.root_realm(ori) == "prod"
    assert names(into.store, into.output_dir(ori, "prod")) == ["a_log.txt", "a_response.txt"]
    report, twin = (
        into.store.stat(out / "a_response.txt"),
        into.store.stat(responses / "a_response.txt"),
    )
    assert report is not None and twin is not None and report.same == twin.same
    assert read_bytes(into.store, into.files / "processing" / f"7_{ori}.csv") == b"a|b"
    again = orjson.loads(runner.invoke(app, ["files", "import"]).stdout)
    assert (again["files"], again["present"]) == (0, 5)
