"""Where the files of the stop-data folders are kept (:class:`FileStore`): on this node's disk
(:class:`DiskStore`, the embedded default), or in the database that every node of a cluster
shares (:class:`DatabaseStore`, the default on PostgreSQL).

``file_folders.Folders`` says which folder a file belongs in; a store only keeps files under
keys, relative POSIX paths such as ``sftp/homes/CA0370000/PROD/OUTPUT/x_log.txt``. What the
folders need of a file system, and nothing more, is here:

- a file is written whole or not at all (:meth:`FileStore.stage`: content goes to a local
  scratch file, which :meth:`Staged.commit` makes the file's content at once), so a reader sees
  the old file or the new one, never half of one;
- a file can have several names (:meth:`FileStore.link`): a response report is in OUTPUT and in
  responses_from_DOJ, and :class:`Entry` says how many names a file has and which are the same
  file, as a hard link's count and inode do;
- reads are snapshots (:meth:`FileStore.open`) and a codec that needs a path and seeks (XLSX is
  a zip) gets a local copy (:meth:`FileStore.local`); the database's copy is made part by part,
  so memory stays bounded by :data:`PART_BYTES` whatever the file's size.

Decision and measured costs: docs/conformance.md, "Issue 17: files belong to the cluster".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import stat
import tempfile
import time
import uuid
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Protocol, cast

import sqlalchemy as sa

from jdx.exchanges.stops.tables import folder_content_parts, folder_contents, folder_names
from jdx.store.engine import write_transaction

Key = PurePosixPath  # a file's place in a store: "<folder>/<name>", relative
PART_BYTES = 1 << 20  # bytes per database row of a file's content: what a read holds at once
SPOOL_BYTES = 1 << 20  # a snapshot read from the database stays in memory up to this size
SCRATCH_HOURS = 24  # a scratch file this old was left by a process that died


@dataclass(frozen=True)
class Entry:
    """A file as a listing shows it."""

    name: str
    size: int
    modified: float  # seconds since the epoch: when this content was written
    same: Hashable  # equal for two names of one file (an inode; a content row)
    names: int  # how many names the file has (a hard link count)


@dataclass
class Staged:
    """A file being written: its content goes to ``path`` (a local file, free to seek and
    rewrite); :meth:`commit` makes it the file's content, :meth:`discard` drops it. As a
    context manager: committed when the block ends without an error, discarded otherwise."""

    path: Path
    _commit: Callable[[], None]
    _done: bool = field(default=False)

    def commit(self) -> None:
        if not self._done:
            self._done = True
            try:
                self._commit()
            finally:
                self.path.unlink(missing_ok=True)

    def discard(self) -> None:
        self._done = True
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


class FileStore(Protocol):
    def stat(self, key: Key) -> Entry | None:
        """The file named ``key``; None when there is none (a folder, a link: no file)."""

    def files(self, folder: Key) -> list[Entry]:
        """The files of a folder, dot files too (writers' temporary files are dot files)."""

    def subfolders(self, folder: Key) -> list[str]:
        """The names of the folders in ``folder`` that hold files (at any depth)."""

    def tree(self, folder: Key) -> dict[Key, list[Entry]]:
        """Every file below ``folder``, by the folder it is in: one look for many folders."""

    def open(self, key: Key) -> IO[bytes]:
        """The content as it is now, to read (and seek); FileNotFoundError when missing."""

    def local(self, key: Key) -> AbstractContextManager[Path]:
        """A local file of the content, for the block (path-based codecs); FileNotFoundError
        when missing."""

    def digest(self, key: Key) -> str:
        """The SHA-256 of the content, in hex."""

    def stage(self, key: Key, also: Sequence[Key] = ()) -> Staged:
        """A new content for ``key`` (and its other names ``also``, each in place before
        ``key`` is), written to a local file first."""

    def put(self, key: Key, source: Path) -> None:
        """A local file's content as ``key``'s (the source is left as it is)."""

    def link(self, source: Key, target: Key) -> None:
        """``target`` another name of ``source``'s file (replacing what ``target`` named);
        FileNotFoundError when ``source`` is gone."""

    def move(self, source: Key, target: Key) -> bool:
        """Rename, replacing ``target``; False when ``source`` was gone (moved by another)."""

    def remove(self, key: Key) -> bool:
        """Delete one name; False when it was gone already."""

    def remove_folder(self, folder: Key) -> None:
        """Delete a folder with everything in it."""

    def make_folder(self, folder: Key) -> None:
        """Make an empty folder exist (a disk's folders are what a client lists)."""

    def sweep(self) -> int:
        """Free what no name holds any more (the periodic clean-up); the number freed."""


def write_bytes(store: FileStore, key: Key, data: bytes) -> None:
    """Readers see the old file or the whole new one, never half of it."""
    with store.stage(key) as temp:
        temp.write_bytes(data)


def read_bytes(store: FileStore, key: Key) -> bytes:
    with store.open(key) as source:
        return source.read()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(PART_BYTES):
            h.update(chunk)
    return h.hexdigest()


# --- this node's disk ---------------------------------------------------------------------------


class DiskStore:
    """Files under ``root`` (the data folder), as an OpenSSH server in drop-folder mode also
    sees them. Links are never followed: a name that is a link is no file here."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: Key) -> Path:
        if key.is_absolute() or ".." in key.parts:
            raise ValueError(f"{key}: not a key of the store")
        return self.root.joinpath(*key.parts)

    def stat(self, key: Key) -> Entry | None:
        try:
            found = os.lstat(self.path(key))
        except (FileNotFoundError, NotADirectoryError):
            return None
        return _entry(key.name, found) if stat.S_ISREG(found.st_mode) else None

    def files(self, folder: Key) -> list[Entry]:
        path = self.path(folder)
        if not path.is_dir() or path.is_symlink():
            return []
        entries = []
        with os.scandir(path) as found:
            for item in found:
                try:
                    info = item.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if stat.S_ISREG(info.st_mode):
                    entries.append(_entry(item.name, info))
        return entries

    def subfolders(self, folder: Key) -> list[str]:
        path = self.path(folder)
        if not path.is_dir() or path.is_symlink():
            return []
        return sorted(p.name for p in path.iterdir() if p.is_dir() and not p.is_symlink())

    def tree(self, folder: Key) -> dict[Key, list[Entry]]:
        found: dict[Key, list[Entry]] = {}
        top = self.path(folder)
        if top.is_symlink():
            return found
        for place, _, _ in os.walk(top):  # never into a linked folder
            key = folder.joinpath(*Path(place).relative_to(top).parts)
            entries = self.files(key)
            if entries:
                found[key] = entries
        return found

    def open(self, key: Key) -> IO[bytes]:
        # O_NOFOLLOW: a link placed in a folder by anyone is never followed
        descriptor = os.open(self.path(key), os.O_RDONLY | os.O_NOFOLLOW)
        return os.fdopen(descriptor, "rb")

    @contextmanager
    def local(self, key: Key) -> Iterator[Path]:
        path = self.path(key)
        if self.stat(key) is None:
            raise FileNotFoundError(str(path))
        yield path

    def digest(self, key: Key) -> str:
        return _sha256(self.path(key))

    def stage(self, key: Key, also: Sequence[Key] = ()) -> Staged:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A dot name: listings and the drop folder's watcher leave it alone.
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        temp.touch()

        def commit() -> None:
            for other in also:
                self._replace_with_link(temp, self.path(other))
            temp.replace(path)

        return Staged(temp, commit)

    def put(self, key: Key, source: Path) -> None:
        with self.stage(key) as temp:
            shutil.copyfile(source, temp)

    def link(self, source: Key, target: Key) -> None:
        self._replace_with_link(self.path(source), self.path(target))

    def _replace_with_link(self, source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            os.link(source, staged)
        except OSError:  # another file system
            shutil.copy2(source, staged)
        staged.replace(target)

    def move(self, source: Key, target: Key) -> bool:
        old, new = self.path(source), self.path(target)
        if self.stat(source) is None:
            return False
        new.parent.mkdir(parents=True, exist_ok=True)
        try:
            old.replace(new)
        except FileNotFoundError:
            return False  # moved by another process since
        except OSError:  # another file system
            shutil.move(old, new)
        return True

    def remove(self, key: Key) -> bool:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def remove_folder(self, folder: Key) -> None:
        shutil.rmtree(self.path(folder), ignore_errors=True)

    def make_folder(self, folder: Key) -> None:
        self.path(folder).mkdir(parents=True, exist_ok=True)

    def sweep(self) -> int:
        return 0  # the file system frees a file with its last name


def _entry(name: str, info: os.stat_result) -> Entry:
    return Entry(name, info.st_size, info.st_mtime, (info.st_dev, info.st_ino), info.st_nlink)


# --- the cluster's database ---------------------------------------------------------------------


class DatabaseStore:
    """Files in the hub's database (``folder_names``, ``folder_contents`` and
    ``folder_content_parts``, tables.py): every node reads and writes the same ones.

    A content is written once and never changed; a name points to one. Writing a file anew
    makes a new content and points the name at it in one transaction, so a reader of the old
    content (a snapshot being copied) is never mixed with the new one. A content goes with
    its last name. ``scratch``: the local folder of files being staged or read."""

    def __init__(self, engine: sa.Engine, scratch: Path) -> None:
        self.engine = engine
        self.scratch = scratch

    # --- reading

    def stat(self, key: Key) -> Entry | None:
        with self.engine.connect() as conn:
            row = conn.execute(self._entries().where(*_named(key))).first()
        return None if row is None else _row_entry(row)

    def files(self, folder: Key) -> list[Entry]:
        with self.engine.connect() as conn:
            rows = conn.execute(self._entries().where(folder_names.c.folder == str(folder))).all()
        return [_row_entry(row) for row in rows]

    @staticmethod
    def _entries() -> sa.Select[tuple[object, ...]]:
        others = folder_names.alias("others")
        names = (
            sa.select(sa.func.count())
            .where(others.c.content_id == folder_names.c.content_id)
            .scalar_subquery()
        )
        return sa.select(
            folder_names.c.name,
            folder_names.c.content_id,
            folder_contents.c.size,
            folder_contents.c.modified_at,
            names.label("names"),
        ).join(folder_contents, folder_contents.c.id == folder_names.c.content_id)

    def subfolders(self, folder: Key) -> list[str]:
        prefix = f"{folder}/"
        with self.engine.connect() as conn:
            folders = conn.execute(
                sa.select(folder_names.c.folder)
                .where(folder_names.c.folder.startswith(prefix, autoescape=True))
                .distinct()
            ).scalars()
            return sorted({f.removeprefix(prefix).split("/", 1)[0] for f in folders})

    def tree(self, folder: Key) -> dict[Key, list[Entry]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                self._entries()
                .add_columns(folder_names.c.folder)
                .where(_inside(folder))
                .order_by(folder_names.c.folder)
            ).all()
        found: dict[Key, list[Entry]] = {}
        for row in rows:
            found.setdefault(Key(row.folder), []).append(_row_entry(row))
        return found

    def newer(self, folder: Key, than: int) -> tuple[dict[Key, list[Entry]], int]:
        """The files below ``folder`` whose content is newer than the content ``than`` (ids
        grow with every write), by folder, and the newest content's id: what was written since
        a look that saw ``than``, without listing every file again."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                self._entries()
                .add_columns(folder_names.c.folder)
                .where(folder_names.c.content_id > than, _inside(folder))
            ).all()
            newest = conn.execute(sa.select(sa.func.max(folder_contents.c.id))).scalar()
        found: dict[Key, list[Entry]] = {}
        for row in rows:
            found.setdefault(Key(row.folder), []).append(_row_entry(row))
        return found, int(newest or 0)

    def open(self, key: Key) -> IO[bytes]:
        # closed by the caller, who gets it
        snapshot = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, dir=str(self._scratch()))  # noqa: SIM115
        try:
            self._copy_out(key, snapshot)
        except BaseException:
            snapshot.close()
            raise
        snapshot.seek(0)
        return cast(IO[bytes], snapshot)

    @contextmanager
    def local(self, key: Key) -> Iterator[Path]:
        descriptor, name = tempfile.mkstemp(prefix="read-", dir=self._scratch())
        path = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as out:
                self._copy_out(key, out)
            yield path
        finally:
            path.unlink(missing_ok=True)

    def _copy_out(self, key: Key, out: IO[bytes]) -> None:
        """The content's parts in order, one row at a time (never the whole file in memory)."""
        with self.engine.connect() as conn:
            content = conn.execute(
                sa.select(folder_names.c.content_id).where(*_named(key))
            ).scalar()
            if content is None:
                raise FileNotFoundError(str(key))
            part = 0
            while True:
                data = conn.execute(
                    sa.select(folder_content_parts.c.data).where(
                        folder_content_parts.c.content_id == content,
                        folder_content_parts.c.part == part,
                    )
                ).scalar()
                if data is None:
                    return
                out.write(data)
                part += 1

    def digest(self, key: Key) -> str:
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(folder_contents.c.sha256)
                .join(folder_names, folder_names.c.content_id == folder_contents.c.id)
                .where(*_named(key))
            ).scalar()
        if found is None:
            raise FileNotFoundError(str(key))
        return str(found)

    # --- writing

    def stage(self, key: Key, also: Sequence[Key] = ()) -> Staged:
        descriptor, name = tempfile.mkstemp(prefix="write-", dir=self._scratch())
        os.close(descriptor)
        temp = Path(name)
        return Staged(temp, lambda: self._store(temp, [*also, key]))

    def put(self, key: Key, source: Path) -> None:
        self._store(source, [key])

    def _store(self, source: Path, keys: Sequence[Key]) -> None:
        """A new content from ``source``, part by part, and ``keys`` naming it: one
        transaction, so no name ever points to a content that is not all there."""
        h = hashlib.sha256()
        with write_transaction(self.engine) as conn, source.open("rb") as f:
            content = conn.execute(
                folder_contents.insert().returning(folder_contents.c.id),
                {"size": 0, "sha256": "", "modified_at": dt.datetime.now(dt.UTC)},
            ).scalar_one()
            size = part = 0
            while data := f.read(PART_BYTES):
                conn.execute(
                    folder_content_parts.insert(),
                    {"content_id": content, "part": part, "data": data},
                )
                h.update(data)
                size += len(data)
                part += 1
            conn.execute(
                folder_contents.update()
                .where(folder_contents.c.id == content)
                .values(size=size, sha256=h.hexdigest())
            )
            for key in keys:
                _name(conn, key, content)

    def link(self, source: Key, target: Key) -> None:
        with write_transaction(self.engine) as conn:
            content = conn.execute(
                sa.select(folder_names.c.content_id).where(*_named(source))
            ).scalar()
            if content is None:
                raise FileNotFoundError(str(source))
            _name(conn, target, content)

    def move(self, source: Key, target: Key) -> bool:
        with write_transaction(self.engine) as conn:
            content = conn.execute(
                sa.select(folder_names.c.content_id).where(*_named(source)).with_for_update()
            ).scalar()
            if content is None:
                return False
            if source != target:
                _unname(conn, target)
                conn.execute(
                    folder_names.update()
                    .where(*_named(source))
                    .values(folder=str(target.parent), name=target.name)
                )
        return True

    def remove(self, key: Key) -> bool:
        with write_transaction(self.engine) as conn:
            return _unname(conn, key)

    def remove_folder(self, folder: Key) -> None:
        with write_transaction(self.engine) as conn:
            contents = set(
                conn.execute(
                    folder_names.delete()
                    .where(_inside(folder))
                    .returning(folder_names.c.content_id)
                ).scalars()
            )
            for content in sorted(contents):
                _free(conn, content)

    def make_folder(self, folder: Key) -> None:
        pass  # a folder is the names in it

    def sweep(self) -> int:
        """Contents no name points to: none should be left (each goes with its last name, in
        that name's transaction); this finds what a bug or a hand-edited table left. And the
        scratch files a process that died left on this node."""
        unnamed = ~sa.exists().where(folder_names.c.content_id == folder_contents.c.id)
        with write_transaction(self.engine) as conn:
            freed = int(conn.execute(folder_contents.delete().where(unnamed)).rowcount or 0)
        limit = time.time() - SCRATCH_HOURS * 3600
        for left in self.scratch.glob("*") if self.scratch.is_dir() else ():
            with suppress(FileNotFoundError):
                if left.stat().st_mtime < limit:  # in use for a day: none is
                    left.unlink()
        return freed

    def _scratch(self) -> Path:
        self.scratch.mkdir(parents=True, exist_ok=True)
        return self.scratch


def _named(key: Key) -> tuple[sa.ColumnElement[bool], ...]:
    return (folder_names.c.folder == str(key.parent), folder_names.c.name == key.name)


def _inside(folder: Key) -> sa.ColumnElement[bool]:
    return sa.or_(
        folder_names.c.folder == str(folder),
        folder_names.c.folder.startswith(f"{folder}/", autoescape=True),
    )


def _row_entry(row: sa.Row[tuple[object, ...]]) -> Entry:
    modified = row.modified_at
    if modified.tzinfo is None:  # SQLite gives the stored UTC moment without its zone
        modified = modified.replace(tzinfo=dt.UTC)
    return Entry(row.name, int(row.size), modified.timestamp(), row.content_id, int(row.names))


def _name(conn: sa.Connection, key: Key, content: int) -> None:
    """``key`` names ``content`` from now on; what it named before is freed if nothing else
    names it. Two writers of one new name: the second finds the first's row and takes it."""
    for _ in range(2):
        old = conn.execute(
            sa.select(folder_names.c.content_id).where(*_named(key)).with_for_update()
        ).scalar()
        if old is not None:
            conn.execute(folder_names.update().where(*_named(key)).values(content_id=content))
            if old != content:
                _free(conn, old)
            return
        try:
            with conn.begin_nested():
                conn.execute(
                    folder_names.insert(),
                    {"folder": str(key.parent), "name": key.name, "content_id": content},
                )
            return
        except sa.exc.IntegrityError:
            continue  # inserted by another transaction since: replace it instead
    raise RuntimeError(f"{key}: could not name the file")


def _unname(conn: sa.Connection, key: Key) -> bool:
    old = conn.execute(
        folder_names.delete().where(*_named(key)).returning(folder_names.c.content_id)
    ).scalar()
    if old is None:
        return False
    _free(conn, old)
    return True


def _free(conn: sa.Connection, content: int) -> None:
    """Delete ``content`` (its parts go with it) when no name points to it any more. The row
    is locked first: two transactions that each remove one of its last two names take turns,
    so the second sees the first's removal and frees it (neither would, unlocked)."""
    with suppress(sa.exc.NoResultFound):
        conn.execute(
            sa.select(folder_contents.c.id).where(folder_contents.c.id == content).with_for_update()
        ).one()
        conn.execute(
            folder_contents.delete().where(
                folder_contents.c.id == content,
                ~sa.exists().where(folder_names.c.content_id == content),
            )
        )
