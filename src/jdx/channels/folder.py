"""Drop-folder mode: for sites whose agencies upload with their own OpenSSH server.

The watcher scans every upload folder of ``data_dir/sftp/homes/<ORI>/{PROD,TEST}``: the seed's
``INPUT`` and DOJ's live ``incoming_to_DOJ/{JSON,XML,XLSX,CSV}`` (the same tree the embedded
server uses; point OpenSSH's ChrootDirectory at the homes). The home's root-level
``incoming_to_DOJ`` is a relative link to one realm's (``Folders.set_root_realm``), so a file
uploaded through it lies in that realm's folder and is found there. Answers need nothing more:
each response report is written into ``responses_from_DOJ`` as well as OUTPUT (one file, two
names), and ``Folders.tidy`` removes a report whose other name a client deleted. A file is
taken once its upload is complete: its size and modification time have not changed for
``folder_settle_seconds`` and no process holds it open for writing, as far as the platform
lets us tell. Names that upload clients use for partial files (dot files, ``.part``,
``.filepart``, ``.tmp``) are never taken; clients that upload to a temporary name and rename
at the end are the safest.

The homes an OpenSSH server serves are on the node's disk, whatever the hub's file store.
When the store is the database that every node shares (``exchanges/stops/file_store.py``),
the node that sees a settled upload moves it into the store, where any node processes it,
and each node's watcher keeps its disk's answer folders (OUTPUT, responses_from_DOJ) a copy
of the store's (:meth:`FolderWatcher.mirror`): an answer written by any node appears here, and
one a client deletes here is deleted from the store, on every node.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Hashable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jdx._periodic import run_every
from jdx.exchanges.stops.file_folders import REALM_FOLDERS, RESPONSES, ROOT_REALM_FILE, Folders
from jdx.exchanges.stops.file_store import DatabaseStore, Entry, Key

if TYPE_CHECKING:
    from jdx.hub import Hub

log = logging.getLogger("jdx.folder")
PARTIAL_SUFFIXES = (".part", ".filepart", ".tmp", ".partial", ".crdownload")
ANSWER_BOXES = ("OUTPUT", RESPONSES)
# Homes compared whole per scan (deletions on either side, the account's realm): with 500 homes
# a home's turn comes every 25 s. New answers are copied at every scan, whatever the number.
MIRROR_HOMES_PER_SCAN = 20
# Contents looked at again at every scan below the newest one seen: a transaction that took a
# content's id before another's and committed after it would be missed otherwise (the whole
# comparison of its home would find it in its turn).
MIRROR_LAG = 1000
LEFT_SECONDS = 60.0  # an upload in the database's INPUT this long was left by a node that died


@dataclass(frozen=True)
class Arrival:
    ori: str
    realm: str
    key: Key  # in the hub's file store (``shared``)


@dataclass
class _Seen:
    size: int
    mtime: float
    since: float


class FolderWatcher:
    """Finds complete uploads; ``scan`` is one pass, ``run_in_thread`` scans until stopped.

    ``folders``: the homes on this node's disk, which OpenSSH writes; ``shared``: the hub's
    folders, where arrivals are taken from (default: the same)."""

    def __init__(
        self,
        folders: Folders,
        on_arrival: Callable[[Arrival], object],
        settle_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        shared: Folders | None = None,
        homes_per_scan: int = MIRROR_HOMES_PER_SCAN,
    ) -> None:
        disk = folders.disk
        if disk is None:
            raise ValueError("the drop folder watches folders on this node's disk")
        self.folders, self.disk = folders, disk
        self.shared = shared if shared is not None else folders
        self.on_arrival = on_arrival
        self.settle = settle_seconds
        self.clock = clock
        self.seen: dict[Path, _Seen] = {}
        # The answers copied from the shared store, by folder: name -> (size, time) as copied.
        # A name copied here and gone from the disk was deleted by a client.
        self.copied: dict[Key, dict[str, tuple[int, int]]] = {}
        self.realms: dict[str, str] = {}  # the root realm each home's links stand for
        self.realm_marks: dict[str, Hashable] = {}  # the version of each home's realm seen
        self.mark = 0  # the newest content of the shared store this watcher has seen
        self.turns: deque[str] = deque()  # the homes still to compare whole in this cycle
        self.homes_per_scan = homes_per_scan
        feed = self.shared.store
        self.feed = feed if isinstance(feed, DatabaseStore) else None

    @property
    def mirrored(self) -> bool:
        """Whether the hub's files are elsewhere than this disk (the database)."""
        return self.feed is not None

    def scan(self) -> list[Arrival]:
        taken: list[Arrival] = []
        present: set[Path] = set()
        if self.mirrored:
            self.mirror()
        for ori in self.disk.subfolders(self.folders.homes):
            for realm, inbox in self._inboxes(ori):
                for entry in sorted(self.disk.files(inbox), key=lambda e: e.name):
                    path = self.disk.path(inbox / entry.name)
                    if partial_name(entry.name):
                        continue
                    present.add(path)
                    if not self._settled(path):
                        continue
                    self.seen.pop(path, None)
                    arrival = Arrival(ori, realm, inbox / entry.name)
                    try:
                        if self._take(arrival, path):
                            taken.append(arrival)
                    except Exception:
                        log.exception("could not take %s", path)
        for gone in set(self.seen) - present:
            del self.seen[gone]
        return taken

    def _take(self, arrival: Arrival, path: Path) -> bool:
        """Hand a settled upload to the intake; True when it was taken. With a shared store
        the file is moved there first: from then on it is the hub's, in the agency's INPUT of
        the database, and a node that dies before the intake took it leaves it there, where
        :meth:`_mirror_home` finds it. (Deleted here only once taken, a crash between the
        intake and the deletion would have it taken again, as a second upload.)"""
        if not self.mirrored:
            self.on_arrival(arrival)
            return True
        store = self.shared.store
        store.put(arrival.key, path)
        path.unlink(missing_ok=True)
        self.on_arrival(arrival)
        return store.stat(arrival.key) is None  # moved out of INPUT by the intake

    def _inboxes(self, ori: str) -> list[tuple[str, Key]]:
        found = []
        for realm, folder in REALM_FOLDERS.items():
            if (self.disk.path(self.folders.home(ori)) / folder).is_symlink():
                continue  # a link placed by anyone is never followed
            found += [
                (realm, inbox)
                for inbox in self.folders.upload_dirs(ori, realm)
                if not self.disk.path(inbox).parent.is_symlink()
            ]
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

    # --- the answers, from the shared store --------------------------------------------------

    def mirror(self) -> None:
        """One round. The answers written since the last round are copied to this disk (the
        database's newest files: one query, whatever the number of homes). Then a few homes, in
        turn, are compared whole (:meth:`_mirror_home`): what was deleted on either side, and
        the account's realm."""
        feed = self.feed
        if feed is None:
            return  # the hub's folders are this disk's
        fresh, newest = feed.newer(self.shared.homes, self.mark - MIRROR_LAG)
        self.mark = max(self.mark, newest)
        for box, entries in sorted(fresh.items()):
            if box.name in ANSWER_BOXES and len(box.parts) == len(self.shared.homes.parts) + 3:
                self._home(box.parts[len(self.shared.homes.parts)])
                self._copy_new(box, entries)
        if not self.turns:
            self.turns.extend(feed.subfolders(self.shared.homes))
        for _ in range(min(self.homes_per_scan, len(self.turns))):
            self._mirror_home(feed, self.turns.popleft())

    def _home(self, ori: str) -> None:
        """The home on this disk, with its links to the account's realm, once."""
        if ori not in self.realms:
            self.realms[ori] = self.shared.root_realm(ori)
            self.folders.ensure_home(ori, self.realms[ori])

    def _mirror_home(self, feed: DatabaseStore, ori: str) -> None:
        home = self.shared.home(ori)
        tree = feed.tree(home)
        marker = next((e for e in tree.get(home, []) if e.name == ROOT_REALM_FILE), None)
        if marker is not None and self.realm_marks.get(ori) != marker.same:
            self.realm_marks[ori] = marker.same
            self.realms.pop(ori, None)  # the account's realm was set again: links made anew
        self._home(ori)
        for folder in REALM_FOLDERS.values():
            for box in ANSWER_BOXES:
                key = home / folder / box
                self._mirror_box(key, tree.get(key, []))
        for realm in REALM_FOLDERS:
            for inbox in self.shared.upload_dirs(ori, realm):
                self._take_left(ori, realm, inbox, tree.get(inbox, []))

    def _take_left(self, ori: str, realm: str, inbox: Key, entries: list[Entry]) -> None:
        """Uploads a node moved into the database and died before the intake took them (a
        take lasts milliseconds: one waiting for :data:`LEFT_SECONDS` is left). Two nodes that
        take one at once: the second finds it registered or gone."""
        limit = time.time() - LEFT_SECONDS
        for entry in entries:
            if partial_name(entry.name) or entry.modified > limit:
                continue
            log.warning("%s: left by a node that stopped; taken now", inbox / entry.name)
            try:
                self.on_arrival(Arrival(ori, realm, inbox / entry.name))
            except Exception:
                log.exception("could not take %s", inbox / entry.name)

    def _copy_new(self, box: Key, entries: list[Entry]) -> None:
        """New or rewritten files of the database's ``box`` copied here. One copied before in
        this version and gone from this disk is left to :meth:`_mirror_box` (a client deleted
        it here)."""
        copied = self.copied.setdefault(box, {})
        for entry in entries:
            version = (entry.size, _micros(entry.modified))
            if entry.name.startswith(".") or copied.get(entry.name) == version:
                continue
            mine = self.disk.stat(box / entry.name)
            if mine is None or (mine.size, _micros(mine.modified)) != version:
                self._copy(box / entry.name, entry)
            copied[entry.name] = version

    def _mirror_box(self, box: Key, entries: list[Entry]) -> None:
        wanted = {e.name: e for e in entries if not e.name.startswith(".")}
        here = {e.name: e for e in self.disk.files(box) if not e.name.startswith(".")}
        copied = self.copied.setdefault(box, {})
        for name, entry in wanted.items():
            version = (entry.size, _micros(entry.modified))
            mine = here.get(name)
            if mine is None and copied.get(name) == version:
                log.info("%s deleted by a client: deleted from the hub's folders", box / name)
                with suppress(FileNotFoundError):
                    self.shared.remove_result(box / name)
                del copied[name]
            elif mine is None or (mine.size, _micros(mine.modified)) != version:
                self._copy(box / name, entry)
                copied[name] = version
            else:
                copied[name] = version  # as copied by this watcher before a restart
        for name in here.keys() - wanted.keys():
            self.disk.remove(box / name)
            copied.pop(name, None)

    def _copy(self, key: Key, entry: Entry) -> None:
        """The shared file's content at ``key`` on this disk, with the shared file's time (so
        that a restarted watcher knows it for the same version)."""
        with self.shared.store.local(key) as source, self.disk.stage(key) as temp:
            shutil.copyfile(source, temp)
            moment = _micros(entry.modified) * 1000
            os.utime(temp, ns=(moment, moment))

    def run_in_thread(self, interval: float = 1.0) -> Callable[[], None]:
        """Scan every ``interval`` seconds in a daemon thread; returns the function that stops it."""
        return run_every(interval, self.scan, name="jdx-folder-watcher", log=log)


def start_watcher(hub: Hub) -> Callable[[], None]:
    """``jdx serve`` in drop-folder mode: the homes on this node's disk, the hub's folders in
    its file store; returns the function that stops the watcher."""
    from jdx.exchanges.stops import workflow

    settings = hub.settings
    watcher = FolderWatcher(
        Folders(settings.data_dir, settings.archive_days),
        lambda a: workflow.receive_arrival(hub, a.ori, a.realm, a.key, channel="folder"),
        settings.folder_settle_seconds,
        shared=workflow.folders_of(hub),
    )
    return watcher.run_in_thread()


def _micros(moment: float) -> int:
    return round(moment * 1_000_000)


def partial_name(name: str) -> bool:
    """A name upload clients give a file they have not finished (never taken)."""
    return name.startswith(".") or name.lower().endswith(PARTIAL_SUFFIXES)
