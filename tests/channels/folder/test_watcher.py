"""Drop-folder mode: a file is taken once, and only once its upload is complete."""

from __future__ import annotations

from pathlib import Path

from jdx.channels.folder import Arrival, FolderWatcher
from jdx.exchanges.stops.file_folders import Folders
from jdx.exchanges.stops.file_store import DiskStore


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
