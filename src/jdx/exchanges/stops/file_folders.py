"""Where batch files live (:class:`Folders`): the agencies' SFTP homes and the hub's own
processing, archive and refused folders.

    data_dir/sftp/homes/<ORI>/{TEST,PROD}/INPUT             uploads (the seed's layout)
    data_dir/sftp/homes/<ORI>/{TEST,PROD}/incoming_to_DOJ/{JSON,XML,XLSX,CSV}
                                                            uploads (DOJ's live layout)
    data_dir/sftp/homes/<ORI>/{TEST,PROD}/OUTPUT            everything the hub answers
    data_dir/sftp/homes/<ORI>/{TEST,PROD}/responses_from_DOJ  the response reports only
    data_dir/sftp/homes/<ORI>/incoming_to_DOJ -> <REALM>/incoming_to_DOJ   the account's realm
    data_dir/sftp/homes/<ORI>/responses_from_DOJ -> <REALM>/responses_from_DOJ
    data_dir/files/processing/<file id>_<name>              the hub's copy while it is processed
    data_dir/files/archive/<YYYY-MM-DD>/<ORI>/<REALM>/      received files, kept archive_days
    data_dir/files/refused/<ORI>/<REALM>/                   files refused at the door

Both layouts are views of one realm's files. Every upload folder of a realm feeds the same
intake (the content says what a file holds, never the folder). A response report is one file
with two names, ``OUTPUT/<stem>_response.txt`` and ``responses_from_DOJ/<stem>_response.txt``
(a hard link, made before the OUTPUT name appears: :func:`atomic_target`), so a client that
deletes it through one view has it gone from both (the SFTP server removes both names; in
drop-folder mode :meth:`Folders.tidy` removes a report whose other name is gone, seen by its
link count). The two links at the top of a home say which realm the root-level DOJ folders
are (:meth:`Folders.root_realm`); the embedded server never follows them (it maps the paths),
an OpenSSH server in drop-folder mode does, inside its chroot.

Agencies never see the hub's folders; the archive is not writable through SFTP.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from jdx.exchanges.stops.batch_file_rows import FileRow
from jdx.security.keys import Principal

REALM_FOLDERS = {"prod": "PROD", "test": "TEST"}
INCOMING = "incoming_to_DOJ"  # DOJ's live layout: uploads, one folder per kind of content
UPLOAD_KINDS = ("JSON", "XML", "XLSX", "CSV")
RESPONSES = "responses_from_DOJ"  # DOJ's live layout: response reports, nothing else
REPORT_SUFFIX = "_response.txt"
DEFAULT_ROOT_REALM = "test"  # the realm of the root-level DOJ folders until an operator says
log = logging.getLogger("jdx.files")


class Folders:
    def __init__(self, data_dir: Path, archive_days: int) -> None:
        self.homes = data_dir / "sftp" / "homes"
        self.files = data_dir / "files"
        self.archive_days = archive_days

    def home(self, ori: str) -> Path:
        return self.homes / ori.upper()

    def input_dir(self, ori: str, realm: str) -> Path:
        return self.home(ori) / REALM_FOLDERS[realm] / "INPUT"

    def upload_dirs(self, ori: str, realm: str) -> list[Path]:
        """Every folder of the realm that takes uploads: INPUT and incoming_to_DOJ/<kind>."""
        base = self.home(ori) / REALM_FOLDERS[realm]
        return [base / "INPUT", *(base / INCOMING / kind for kind in UPLOAD_KINDS)]

    def output_dir(self, ori: str, realm: str) -> Path:
        path = self.home(ori) / REALM_FOLDERS[realm] / "OUTPUT"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def responses_dir(self, ori: str, realm: str) -> Path:
        """The realm's ``responses_from_DOJ``. Made with every report already in OUTPUT linked
        into it (a home from before the DOJ layout), so that every report of OUTPUT has had
        its second name: one with a single link lost it to a client (:meth:`tidy`)."""
        path = self.home(ori) / REALM_FOLDERS[realm] / RESPONSES
        if path.is_dir():
            return path
        out = self.output_dir(ori, realm)
        path.mkdir(exist_ok=True)
        for report in out.glob(f"*{REPORT_SUFFIX}"):
            if _plain_file(report):
                with suppress(FileExistsError):
                    os.link(report, path / report.name)
        return path

    def ensure_home(self, ori: str, root_realm: str | None = None) -> Path:
        """The agency's folders, made where missing; ``root_realm`` re-points the root-level
        DOJ folders (default: as they are, or :data:`DEFAULT_ROOT_REALM` for a new home)."""
        home = self.home(ori)
        for realm in REALM_FOLDERS:
            for upload in self.upload_dirs(ori, realm):
                upload.mkdir(parents=True, exist_ok=True)
            self.responses_dir(ori, realm)
        if root_realm is not None or not (home / INCOMING).is_symlink():
            self.set_root_realm(ori, root_realm or DEFAULT_ROOT_REALM)
        return home

    def root_realm(self, ori: str) -> str:
        """The realm the root-level ``/incoming_to_DOJ`` and ``/responses_from_DOJ`` stand for:
        the target of the home's link (checked, never followed)."""
        try:
            target = str((self.home(ori) / INCOMING).readlink())
        except OSError:
            return DEFAULT_ROOT_REALM
        for realm, name in REALM_FOLDERS.items():
            if target.rstrip("/") == f"{name}/{INCOMING}":
                return realm
        log.warning("%s/%s points to %r; taken as %s", ori, INCOMING, target, DEFAULT_ROOT_REALM)
        return DEFAULT_ROOT_REALM

    def set_root_realm(self, ori: str, realm: str) -> None:
        """Point the home's root-level DOJ folders at ``realm`` (relative links, so that they
        also work inside an OpenSSH chroot)."""
        home = self.home(ori)
        home.mkdir(parents=True, exist_ok=True)
        for name in (INCOMING, RESPONSES):
            link = home / name
            temp = home / f".{name}.link"
            temp.unlink(missing_ok=True)
            temp.symlink_to(f"{REALM_FOLDERS[realm]}/{name}", target_is_directory=True)
            temp.replace(link)  # atomic: a client never finds the folder missing

    def processing(self, f: FileRow) -> Path:
        return self.files / "processing" / f"{f.id}_{f.file_name}"

    def take(self, principal: Principal, path: Path, file_id: int) -> Path:
        """Archive a copy, then move the upload out of INPUT; nothing happens twice."""
        target = self.files / "processing" / f"{file_id}_{path.name}"
        if not path.exists():
            return target  # taken already (a repeated call after a crash)
        target.parent.mkdir(parents=True, exist_ok=True)
        if self.archive_days > 0:
            day = dt.datetime.now(dt.UTC).date().isoformat()
            archive = self.files / "archive" / day / principal.ori / principal.realm
            archive.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, archive / path.name)
        _move(path, target)
        return target

    def reject(self, principal: Principal, path: Path, message: str) -> None:
        """Tell the agency in OUTPUT why a file was not processed, and take it out of INPUT."""
        note = self.output_dir(principal.ori, principal.realm) / f"{_safe(path.name)}.refused.txt"
        write_atomic(note, (message + "\n").encode())
        if path.exists():
            refused = self.files / "refused" / principal.ori / principal.realm
            refused.mkdir(parents=True, exist_ok=True)
            _move(path, refused / _safe(path.name))

    def done(self, f: FileRow) -> None:
        self.processing(f).unlink(missing_ok=True)

    def prune_archive(self, today: dt.date | None = None) -> int:
        """Delete archived days older than the retention; the number of days removed."""
        root = self.files / "archive"
        if not root.is_dir():
            return 0
        today = today or dt.datetime.now(dt.UTC).date()
        removed = 0
        for day in root.iterdir():
            try:
                age = (today - dt.date.fromisoformat(day.name)).days
            except ValueError:
                continue
            if age > self.archive_days:
                shutil.rmtree(day)
                removed += 1
        return removed

    def remove_result(self, path: Path) -> None:
        """Delete a file of OUTPUT or responses_from_DOJ as a client asked: a response report
        goes from both views (its other name is removed only if it is the same file)."""
        twins = []
        if path.name.endswith(REPORT_SUFFIX):
            other = RESPONSES if path.parent.name == "OUTPUT" else "OUTPUT"
            twins.append(path.parent.parent / other / path.name)
        mine = os.lstat(path)
        path.unlink()
        for twin in twins:
            try:
                if os.path.samestat(mine, os.lstat(twin)):
                    twin.unlink()
            except FileNotFoundError:
                pass

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
        homes = sorted(self.homes.iterdir()) if self.homes.is_dir() else []
        for home in homes:
            if home.is_symlink() or not home.is_dir():
                continue
            for realm, folder in REALM_FOLDERS.items():
                if not (home / folder).is_dir():
                    continue
                self.responses_dir(home.name, realm)  # a home from before the DOJ layout
                for box in (home / folder / "OUTPUT", home / folder / RESPONSES):
                    removed += _tidy_box(box, limit)
        self.prune_archive(dt.datetime.fromtimestamp(moment, dt.UTC).date())
        return removed


def _tidy_box(box: Path, limit: float | None) -> int:
    removed = 0
    if not box.is_dir() or box.is_symlink():
        return 0
    with os.scandir(box) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue  # being written (atomic_target)
            try:
                stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            orphan = entry.name.endswith(REPORT_SUFFIX) and stat.st_nlink == 1
            old = limit is not None and stat.st_mtime < limit
            if orphan or old:
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
    return removed


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink() and not path.name.startswith(".")


@contextmanager
def atomic_target(path: Path, also: Sequence[Path] = ()) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content into; it replaces ``path`` once the
    block ends without an error, so readers see the old file or the whole new one, never half
    of it. ``also``: more names of the same file (hard links), each in place before ``path``
    is (so a file named at ``path`` always has its other names)."""
    temp = path.with_name(f".{path.name}.tmp")
    yield temp
    for other in also:
        staged = other.with_name(f".{other.name}.tmp")
        staged.unlink(missing_ok=True)
        os.link(temp, staged)
        staged.replace(other)
    temp.replace(path)


def write_atomic(path: Path, data: bytes) -> None:
    """Readers see the old file or the whole new one, never half of it."""
    with atomic_target(path) as temp:
        temp.write_bytes(data)


def _move(source: Path, target: Path) -> None:
    try:
        source.replace(target)
    except OSError:  # another file system
        shutil.move(source, target)


def _safe(name: str) -> str:
    """A name that cannot hold a path or control characters, for the hub's own files."""
    cleaned = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in name)
    return cleaned.lstrip(".") or "unnamed"
