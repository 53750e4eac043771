"""Where batch files live (:class:`Folders`): the agencies' SFTP homes and the hub's own
processing, archive and refused folders.

    data_dir/sftp/homes/<ORI>/{TEST,PROD}/{INPUT,OUTPUT}   the agency's (chrooted over SFTP)
    data_dir/files/processing/<file id>_<name>             the hub's copy while it is processed
    data_dir/files/archive/<YYYY-MM-DD>/<ORI>/<REALM>/     received files, kept archive_days
    data_dir/files/refused/<ORI>/<REALM>/                  files refused at the door

Agencies never see the hub's folders; the archive is not writable through SFTP.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jdx.exchanges.stops.batch_file_rows import FileRow
from jdx.security.keys import Principal

REALM_FOLDERS = {"prod": "PROD", "test": "TEST"}


class Folders:
    def __init__(self, data_dir: Path, archive_days: int) -> None:
        self.homes = data_dir / "sftp" / "homes"
        self.files = data_dir / "files"
        self.archive_days = archive_days

    def home(self, ori: str) -> Path:
        return self.homes / ori.upper()

    def input_dir(self, ori: str, realm: str) -> Path:
        return self.home(ori) / REALM_FOLDERS[realm] / "INPUT"

    def output_dir(self, ori: str, realm: str) -> Path:
        path = self.home(ori) / REALM_FOLDERS[realm] / "OUTPUT"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def ensure_home(self, ori: str) -> Path:
        for realm in REALM_FOLDERS.values():
            for leaf in ("INPUT", "OUTPUT"):
                (self.home(ori) / realm / leaf).mkdir(parents=True, exist_ok=True)
        return self.home(ori)

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


@contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content into; it replaces ``path`` once the
    block ends without an error, so readers see the old file or the whole new one, never half
    of it."""
    temp = path.with_name(f".{path.name}.tmp")
    yield temp
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
