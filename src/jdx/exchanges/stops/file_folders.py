"""Where batch files live (:class:`Folders`): the agencies' SFTP homes and the hub's own
processing, archive and refused folders, as keys of a file store (``file_store.py``: this
node's disk under the data folder, or the database every node shares)::

    sftp/homes/<ORI>/{TEST,PROD}/INPUT             uploads (the seed's layout)
    sftp/homes/<ORI>/{TEST,PROD}/incoming_to_DOJ/{JSON,XML,XLSX,CSV}
                                                   uploads (DOJ's live layout)
    sftp/homes/<ORI>/{TEST,PROD}/OUTPUT            everything the hub answers
    sftp/homes/<ORI>/{TEST,PROD}/responses_from_DOJ  the response reports only
    sftp/homes/<ORI>/incoming_to_DOJ -> <REALM>/incoming_to_DOJ   the account's realm (disk)
    sftp/homes/<ORI>/responses_from_DOJ -> <REALM>/responses_from_DOJ
    sftp/homes/<ORI>/.root_realm                   the account's realm (database)
    files/processing/<file id>_<name>              the hub's copy while it is processed
    files/archive/<YYYY-MM-DD>/<ORI>/<REALM>/      received files, kept archive_days
    files/refused/<ORI>/<REALM>/                   files refused at the door

Both layouts are views of one realm's files. Every upload folder of a realm feeds the same
intake (the content says what a file holds, never the folder). A response report is one file
with two names, ``OUTPUT/<stem>_response.txt`` and ``responses_from_DOJ/<stem>_response.txt``
(a hard link on disk, one content in the database, named before the OUTPUT name appears:
``FileStore.stage``), so a client that deletes it through one view has it gone from both (the
SFTP server removes both names; in drop-folder mode :meth:`Folders.tidy` removes a report whose
other name is gone, seen by its count of names). On disk, the two links at the top of a home
say which realm the root-level DOJ folders are (:meth:`Folders.root_realm`); the embedded
server never follows them (it maps the paths), an OpenSSH server in drop-folder mode does,
inside its chroot. In the database a small file of the home says it.

Agencies never see the hub's folders; the archive is not writable through SFTP.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from jdx.exchanges.stops.batch_file_rows import FileRow
from jdx.exchanges.stops.file_store import DiskStore, FileStore, Key, read_bytes, write_bytes
from jdx.security.keys import Principal

REALM_FOLDERS = {"prod": "PROD", "test": "TEST"}
INCOMING = "incoming_to_DOJ"  # DOJ's live layout: uploads, one folder per kind of content
UPLOAD_KINDS = ("JSON", "XML", "XLSX", "CSV")
RESPONSES = "responses_from_DOJ"  # DOJ's live layout: response reports, nothing else
REPORT_SUFFIX = "_response.txt"
DEFAULT_ROOT_REALM = "test"  # the realm of the root-level DOJ folders until an operator says
ROOT_REALM_FILE = ".root_realm"  # a shared store's word for it (a disk has the links)
log = logging.getLogger("jdx.files")


class Folders:
    """``store``: where the files are; default: on disk under ``data_dir``."""

    def __init__(self, data_dir: Path, archive_days: int, store: FileStore | None = None) -> None:
        self.store: FileStore = store if store is not None else DiskStore(data_dir)
        self.homes = Key("sftp", "homes")
        self.files = Key("files")
        self.archive_days = archive_days

    @property
    def disk(self) -> DiskStore | None:
        """The store when it is this node's disk (what OpenSSH and the links need)."""
        return self.store if isinstance(self.store, DiskStore) else None

    def home(self, ori: str) -> Key:
        return self.homes / ori.upper()

    def input_dir(self, ori: str, realm: str) -> Key:
        return self.home(ori) / REALM_FOLDERS[realm] / "INPUT"

    def upload_dirs(self, ori: str, realm: str) -> list[Key]:
        """Every folder of the realm that takes uploads: INPUT and incoming_to_DOJ/<kind>."""
        base = self.home(ori) / REALM_FOLDERS[realm]
        return [base / "INPUT", *(base / INCOMING / kind for kind in UPLOAD_KINDS)]

    def output_dir(self, ori: str, realm: str) -> Key:
        return self.home(ori) / REALM_FOLDERS[realm] / "OUTPUT"

    def responses_dir(self, ori: str, realm: str) -> Key:
        """The realm's ``responses_from_DOJ``. On disk, made with every report already in
        OUTPUT linked into it (a home from before the DOJ layout), so that every report of
        OUTPUT has had its second name: one with a single name lost it to a client
        (:meth:`tidy`)."""
        key = self.home(ori) / REALM_FOLDERS[realm] / RESPONSES
        disk = self.disk
        if disk is None or disk.path(key).is_dir():
            return key
        out = self.output_dir(ori, realm)
        disk.make_folder(out)
        disk.make_folder(key)
        for report in disk.files(out):
            name = report.name
            if name.endswith(REPORT_SUFFIX) and not name.startswith("."):
                disk.link(out / name, key / name)
        return key

    def ensure_home(self, ori: str, root_realm: str | None = None) -> Key:
        """The agency's folders, made where missing; ``root_realm`` re-points the root-level
        DOJ folders (default: as they are, or :data:`DEFAULT_ROOT_REALM` for a new home)."""
        home = self.home(ori)
        for realm in REALM_FOLDERS:
            for folder in (*self.upload_dirs(ori, realm), self.output_dir(ori, realm)):
                self.store.make_folder(folder)
            self.responses_dir(ori, realm)
        disk = self.disk
        known = (
            (disk.path(home) / INCOMING).is_symlink()
            if disk is not None
            else self.store.stat(home / ROOT_REALM_FILE) is not None
        )
        if root_realm is not None or not known:
            self.set_root_realm(ori, root_realm or DEFAULT_ROOT_REALM)
        return home

    def root_realm(self, ori: str) -> str:
        """The realm the root-level ``/incoming_to_DOJ`` and ``/responses_from_DOJ`` stand for:
        on disk, the target of the home's link (checked, never followed)."""
        disk = self.disk
        try:
            if disk is None:
                said = read_bytes(self.store, self.home(ori) / ROOT_REALM_FILE).decode().strip()
                if said in REALM_FOLDERS:
                    return said
                target = repr(said)
            else:
                target = str((disk.path(self.home(ori)) / INCOMING).readlink())
                for realm, name in REALM_FOLDERS.items():
                    if target.rstrip("/") == f"{name}/{INCOMING}":
                        return realm
        except (OSError, UnicodeDecodeError):
            return DEFAULT_ROOT_REALM
        log.warning("%s/%s points to %r; taken as %s", ori, INCOMING, target, DEFAULT_ROOT_REALM)
        return DEFAULT_ROOT_REALM

    def set_root_realm(self, ori: str, realm: str) -> None:
        """Point the home's root-level DOJ folders at ``realm`` (on disk: relative links, so
        that they also work inside an OpenSSH chroot)."""
        home = self.home(ori)
        disk = self.disk
        if disk is None:
            write_bytes(self.store, home / ROOT_REALM_FILE, realm.encode())
            return
        folder = disk.path(home)
        folder.mkdir(parents=True, exist_ok=True)
        for name in (INCOMING, RESPONSES):
            link = folder / name
            temp = folder / f".{name}.link"
            temp.unlink(missing_ok=True)
            temp.symlink_to(f"{REALM_FOLDERS[realm]}/{name}", target_is_directory=True)
            temp.replace(link)  # atomic: a client never finds the folder missing

    def processing(self, f: FileRow) -> Key:
        return self._processing(f.id, f.file_name)

    def _processing(self, file_id: int, name: str) -> Key:
        return self.files / "processing" / f"{file_id}_{name}"

    def take(self, principal: Principal, key: Key, file_id: int) -> Key:
        """Archive the upload (another name of it: no copy), then move it out of INPUT, for
        the registered file ``file_id``; nothing happens twice, and two processes that take
        one upload at once both find it taken."""
        target = self._processing(file_id, key.name)
        if self.store.stat(key) is None:
            return target  # taken already (a repeated call after a crash)
        if self.archive_days > 0:
            day = dt.datetime.now(dt.UTC).date().isoformat()
            archive = self.files / "archive" / day / principal.ori / principal.realm
            with suppress(FileNotFoundError):  # taken by another since the look
                self.store.link(key, archive / key.name)
        self.store.move(key, target)
        return target

    def untaken(self, file_id: int, name: str, state: str) -> bool:
        """Whether a registered file's upload was never taken: the process that registered it
        died before it moved the upload (``batch_files.register`` commits, then takes)."""
        return state == "received" and self.store.stat(self._processing(file_id, name)) is None

    def processing_copy(self, f: FileRow, principal: Principal) -> Key:
        """The hub's copy of a registered file, to read. When a crash left the upload where it
        was (:meth:`untaken`), the upload is taken first: the same name, with the bytes that
        were registered, in any upload folder of the file's realm."""
        key = self.processing(f)
        if not self.untaken(f.id, f.file_name, f.state):
            return key
        for folder in self.upload_dirs(f.ori, f.realm):
            upload = folder / f.file_name
            try:
                same = self.store.digest(upload) == f.sha256
            except FileNotFoundError:  # not there, or taken since by the registering process
                continue
            if same:
                log.warning("%s: registered as file %s and left; taken now", upload, f.id)
                self.take(principal, upload, f.id)
                break
        return key

    def reject(self, principal: Principal, key: Key, message: str) -> None:
        """Tell the agency in OUTPUT why a file was not processed, and take it out of INPUT."""
        note = self.output_dir(principal.ori, principal.realm) / f"{_safe(key.name)}.refused.txt"
        write_bytes(self.store, note, (message + "\n").encode())
        refused = self.files / "refused" / principal.ori / principal.realm
        self.store.move(key, refused / _safe(key.name))

    def done(self, f: FileRow) -> None:
        self.store.remove(self.processing(f))

    def prune_archive(self, today: dt.date | None = None) -> int:
        """Delete archived days older than the retention; the number of days removed."""
        root = self.files / "archive"
        today = today or dt.datetime.now(dt.UTC).date()
        removed = 0
        for day in self.store.subfolders(root):
            try:
                age = (today - dt.date.fromisoformat(day)).days
            except ValueError:
                continue
            if age > self.archive_days:
                self.store.remove_folder(root / day)
                removed += 1
        return removed

    def remove_result(self, key: Key) -> None:
        """Delete a file of OUTPUT or responses_from_DOJ as a client asked: a response report
        goes from both views (its other name is removed only if it is the same file)."""
        mine = self.store.stat(key)
        if mine is None:
            raise FileNotFoundError(str(key))
        self.store.remove(key)
        if key.name.endswith(REPORT_SUFFIX):
            other = RESPONSES if key.parent.name == "OUTPUT" else "OUTPUT"
            twin = key.parent.parent / other / key.name
            found = self.store.stat(twin)
            if found is not None and found.same == mine.same:
                self.store.remove(twin)

    def tidy(self, retention_days: int, now: dt.datetime | None = None) -> int:
        """One round of the periodic clean-up of the agencies' answer folders; the number of
        files removed. A response report that lost its other name (a client deleted it through
        the other view, by an SFTP server that is not jdx's) goes; so does every file of OUTPUT
        and responses_from_DOJ older than ``retention_days`` (0: kept until deleted), and the
        archive's old days (``archive_days``). Safe on every node at once: each removal is of
        one name, and a name already gone is not an error."""
        moment = (now or dt.datetime.now(dt.UTC)).timestamp()
        limit = moment - retention_days * 86400 if retention_days > 0 else None
        removed = 0
        for ori in self.store.subfolders(self.homes):
            realms = self.store.subfolders(self.home(ori))
            for realm, folder in REALM_FOLDERS.items():
                if folder not in realms:
                    continue
                self.responses_dir(ori, realm)  # a home from before the DOJ layout
                for box in (self.output_dir(ori, realm), self.responses_dir(ori, realm)):
                    removed += self._tidy_box(box, limit)
        self.prune_archive(dt.datetime.fromtimestamp(moment, dt.UTC).date())
        self.store.sweep()
        return removed

    def _tidy_box(self, box: Key, limit: float | None) -> int:
        removed = 0
        for entry in self.store.files(box):
            if entry.name.startswith("."):
                continue  # being written (FileStore.stage)
            orphan = entry.name.endswith(REPORT_SUFFIX) and entry.names == 1
            old = limit is not None and entry.modified < limit
            if (orphan or old) and self.store.remove(box / entry.name):
                removed += 1
        return removed


@dataclass(frozen=True)
class Imported:
    files: int  # copied into the store
    present: int  # there already (imported before, or written since): left as they are
    homes: int


def import_from_disk(disk: Folders, into: Folders) -> Imported:
    """Copy the folders of a node's disk into ``into``'s store (a hub on PostgreSQL that
    kept its files on disk before issue 17): the agencies' homes with their realm, in-flight
    processing copies, the archive and the refused files. A file the store has is left; two
    names of one file on disk (a response report, an archived upload) stay one file. Safe to
    run again, and on every node: each node brings its own disk's files."""
    store, source = into.store, disk.disk
    if source is None:
        raise ValueError("files are imported from a node's disk")
    copied = present = 0
    first_name: dict[object, Key] = {}  # the key each file on disk was imported under
    for top in (disk.homes, disk.files):
        for folder, entries in source.tree(top).items():
            for entry in entries:
                if entry.name.startswith("."):
                    continue  # being written: not a file yet
                key = folder / entry.name
                if store.stat(key) is not None:
                    present += 1
                elif entry.same in first_name:
                    store.link(first_name[entry.same], key)
                    copied += 1
                else:
                    store.put(key, source.path(key))
                    copied += 1
                first_name.setdefault(entry.same, key)
    homes = source.subfolders(disk.homes)
    for ori in homes:
        into.set_root_realm(ori, disk.root_realm(ori))
    return Imported(copied, present, len(homes))


def _safe(name: str) -> str:
    """A name that cannot hold a path or control characters, for the hub's own files."""
    cleaned = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in name)
    return cleaned.lstrip(".") or "unnamed"
