"""Drop-folder mode: for sites whose agencies upload with their own OpenSSH server.

The watcher scans every upload folder of ``data_dir/sftp/homes/<ORI>/{PROD,TEST}``: the seed's
``INPUT`` and DOJ's live ``incoming_to_DOJ/{JSON,XML,XLSX,CSV}`` (the same tree the embedded
server uses; point OpenSSH's ChrootDirectory at the homes). The home's root-level
``incoming_to_DOJ`` is a relative link to one realm's (``Folders.set_root_realm``), so a file
uploaded through it lies in that realm's folder and is found there. Answers need nothing more:
each response report is written into ``responses_from_DOJ`` as well as OUTPUT (one file, two
names), and ``Folders.tidy`` removes a report whose other name a client deleted. A file is
taken once its upload is
complete: its size and modification time have not changed for ``folder_settle_seconds`` and no
process holds it open for writing, as far as the platform lets us tell. Names that upload
clients use for partial files (dot files, ``.part``, ``.filepart``, ``.tmp``) are never taken;
clients that upload to a temporary name and rename at the end are the safest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jdx._periodic import run_every
from jdx.exchanges.stops.file_folders import REALM_FOLDERS, Folders

log = logging.getLogger("jdx.folder")
PARTIAL_SUFFIXES = (".part", ".filepart", ".tmp", ".partial", ".crdownload")


@dataclass(frozen=True)
class Arrival:
    ori: str
    realm: str
    path: Path


@dataclass
class _Seen:
    size: int
    mtime: float
    since: float


class FolderWatcher:
    """Finds complete uploads; ``scan`` is one pass, ``run_in_thread`` scans until stopped."""

    def __init__(
        self,
        folders: Folders,
        on_arrival: Callable[[Arrival], object],
        settle_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folders = folders
        self.on_arrival = on_arrival
        self.settle = settle_seconds
        self.clock = clock
        self.seen: dict[Path, _Seen] = {}

    def scan(self) -> list[Arrival]:
        taken: list[Arrival] = []
        present: set[Path] = set()
        if not self.folders.homes.is_dir():
            return taken
        for home in sorted(self.folders.homes.iterdir()):
            if home.is_symlink():
                continue
            for realm, inbox in self._inboxes(home):
                if not inbox.is_dir() or inbox.is_symlink() or inbox.parent.is_symlink():
                    continue  # a link placed by anyone is never followed
                for path in sorted(inbox.iterdir()):
                    if not _candidate(path):
                        continue
                    present.add(path)
                    if self._settled(path):
                        arrival = Arrival(home.name, realm, path)
                        self.seen.pop(path, None)
                        try:
                            self.on_arrival(arrival)
                        except Exception:
                            log.exception("could not take %s", path)
                            continue
                        taken.append(arrival)
        for gone in set(self.seen) - present:
            del self.seen[gone]
        return taken

    def _inboxes(self, home: Path) -> list[tuple[str, Path]]:
        found = []
        for realm, folder in REALM_FOLDERS.items():
            if (home / folder).is_symlink():
                continue
            found += [(realm, inbox) for inbox in self.folders.upload_dirs(home.name, realm)]
        return found

    def _settled(self, path: Path) -> bool:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        moment = self.clock()
        seen = self.seen.get(path)
        if seen is None or (seen.size, seen.mtime) != (stat.st_size, stat.st_mtime):
            self.seen[path] = _Seen(stat.st_size, stat.st_mtime, moment)
            return False
        return moment - seen.since >= self.settle

    def run_in_thread(self, interval: float = 1.0) -> Callable[[], None]:
        """Scan every ``interval`` seconds in a daemon thread; returns the function that stops it."""
        return run_every(interval, self.scan, name="jdx-folder-watcher", log=log)


def partial_name(name: str) -> bool:
    """A name upload clients give a file they have not finished (never taken)."""
    return name.startswith(".") or name.lower().endswith(PARTIAL_SUFFIXES)


def _candidate(path: Path) -> bool:
    return not partial_name(path.name) and path.is_file() and not path.is_symlink()
