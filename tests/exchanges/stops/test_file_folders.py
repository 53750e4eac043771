"""The agencies' folders: both layouts on disk, response reports with two names, the tidy job.

The same folders in the database that every node shares: tests/exchanges/stops/test_file_store.py.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.file_folders import Folders
from jdx.exchanges.stops.file_store import DiskStore, Key, write_bytes
from jdx.exchanges.stops.tables import folder_contents
from jdx.hub import Hub

ORI = "CA0370000"
NOW = dt.datetime(2024, 4, 30, 12, tzinfo=dt.UTC)


def _age(path: Path, days: float) -> None:
    moment = (NOW - dt.timedelta(days=days)).timestamp()
    os.utime(path, (moment, moment))


def _disk(folders: Folders) -> DiskStore:
    assert folders.disk is not None
    return folders.disk


def _report(folders: Folders, name: str, realm: str = "prod") -> tuple[Path, Path]:
    out = folders.output_dir(ORI, realm) / name
    twin = folders.responses_dir(ORI, realm) / name
    with folders.store.stage(out, also=[twin]) as temp:
        temp.write_text("report\r\n")
    return _disk(folders).path(out), _disk(folders).path(twin)


def test_a_home_holds_both_layouts_and_the_root_folders_follow_the_accounts_realm(
    tmp_path: Path,
) -> None:
    folders = Folders(tmp_path, archive_days=0)
    home = _disk(folders).path(folders.ensure_home(ORI))
    for realm in ("PROD", "TEST"):
        assert sorted(p.name for p in (home / realm).iterdir()) == [
            "INPUT",
            "OUTPUT",
            "incoming_to_DOJ",
            "responses_from_DOJ",
        ]
        assert sorted(p.name for p in (home / realm / "incoming_to_DOJ").iterdir()) == [
            "CSV",
            "JSON",
            "XLSX",
            "XML",
        ]
    assert folders.root_realm(ORI) == "test"  # the default: never production by mistake
    assert str((home / "incoming_to_DOJ").readlink()) == "TEST/incoming_to_DOJ"  # relative: chroot
    folders.ensure_home(ORI, "prod")
    assert folders.root_realm(ORI) == "prod"
    assert str((home / "responses_from_DOJ").readlink()) == "PROD/responses_from_DOJ"
    folders.ensure_home(ORI)  # without a realm: kept as it is
    assert folders.root_realm(ORI) == "prod"
    assert len(folders.upload_dirs(ORI, "test")) == 5


def test_a_report_has_two_names_and_goes_from_both_when_deleted_through_either(
    tmp_path: Path,
) -> None:
    folders = Folders(tmp_path, archive_days=0)
    local = _disk(folders).path
    out, twin = _report(folders, "a_response.txt")
    assert out.samefile(twin) and out.stat().st_nlink == 2
    folders.remove_result(folders.responses_dir(ORI, "prod") / twin.name)
    assert not out.exists() and not twin.exists()
    out, twin = _report(folders, "b_response.txt")
    folders.remove_result(folders.output_dir(ORI, "prod") / out.name)
    assert not out.exists() and not twin.exists()
    # a log is in OUTPUT alone
    log = folders.output_dir(ORI, "prod") / "b_log.txt"
    local(log).write_text("x")
    folders.remove_result(log)
    assert not local(log).exists()


def test_the_tidy_job_prunes_old_answers_and_reports_a_client_deleted_elsewhere(
    tmp_path: Path,
) -> None:
    folders = Folders(tmp_path, archive_days=10)
    folders.ensure_home(ORI)
    out = _disk(folders).path(folders.output_dir(ORI, "test"))
    old_out, old_twin = _report(folders, "old_response.txt", "test")
    _age(old_out, 31)
    (out / "old_log.txt").write_text("x")
    _age(out / "old_log.txt", 31)
    (out / "new_log.txt").write_text("x")
    _age(out / "new_log.txt", 29)
    read_out, read_twin = _report(folders, "read_response.txt", "test")
    read_twin.unlink()  # an OpenSSH server (drop-folder mode) deleted it in responses_from_DOJ
    kept_out, kept_twin = _report(folders, "kept_response.txt", "test")
    assert read_out.exists()
    (out / ".half_response.txt.tmp").write_text("being written")
    archive = tmp_path / "files" / "archive"
    (archive / "2024-04-01").mkdir(parents=True)
    (archive / "2024-04-25").mkdir()

    assert folders.tidy(30, NOW) == 4  # old report (two names), old log, the orphan
    assert not old_twin.exists()
    assert sorted(p.name for p in out.iterdir()) == [
        ".half_response.txt.tmp",
        "kept_response.txt",
        "new_log.txt",
    ]
    assert sorted(p.name for p in kept_twin.parent.iterdir()) == ["kept_response.txt"]
    assert sorted(p.name for p in archive.iterdir()) == ["2024-04-25"]
    assert folders.tidy(0, NOW + dt.timedelta(days=400)) == 0  # 0: kept until deleted
    assert kept_out.exists()


def test_a_home_from_before_the_doj_layout_gets_its_reports_linked_not_deleted(
    tmp_path: Path,
) -> None:
    folders = Folders(tmp_path, archive_days=0)
    home = _disk(folders).path(folders.home(ORI))
    out = home / "PROD" / "OUTPUT"
    out.mkdir(parents=True)
    (out / "earlier_response.txt").write_text("report")
    (out / "earlier_log.txt").write_text("log")
    assert folders.tidy(30, NOW) == 0
    responses = home / "PROD" / "responses_from_DOJ"
    assert [p.name for p in responses.iterdir()] == ["earlier_response.txt"]
    assert (out / "earlier_response.txt").stat().st_nlink == 2


def test_jdx_serve_runs_the_tidy_job_at_start_and_then_hourly(hub: Hub) -> None:
    folders = workflow.folders_of(hub)
    folders.ensure_home("CA0379999")
    old = folders.output_dir("CA0379999", "prod") / "old_log.txt"
    write_bytes(folders.store, old, b"x")
    _written_days_ago(hub, folders, old, hub.settings.output_retention_days + 1)
    job = hub.periodic_job("output-tidy")
    stop = job.start()
    try:
        deadline = time.monotonic() + 10
        while folders.store.stat(old) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop()
    assert folders.store.stat(old) is None and (job.first_after, job.interval) == (0.0, 3600)
    assert hub.settings.output_retention_days == 30  # the documented default


def _written_days_ago(hub: Hub, folders: Folders, key: Key, days: float) -> None:
    """Make ``key`` as old as if written ``days`` ago, in whichever store it is."""
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    if folders.disk is not None:
        os.utime(folders.disk.path(key), (moment.timestamp(), moment.timestamp()))
        return
    entry = folders.store.stat(key)
    assert entry is not None
    with hub.engine.begin() as conn:
        conn.execute(
            folder_contents.update()
            .where(folder_contents.c.id == entry.same)
            .values(modified_at=moment)
        )
