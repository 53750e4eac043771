"""A hub's backup: its database and its data folder in one archive, and the restore of both.

What a hub keeps is in two places that must come back together (docs/operations.md, "Backup
and restore"):

- the database: records, audit log, agencies and key hashes, users, NamUs cases and jobs, rap
  sheet merges and outbox, mail queue; on PostgreSQL also DBOS's workflow state (schema
  ``dbos`` of the same database);
- the data folder (``JDX_DATA_DIR``): the SFTP host key (agencies pin its fingerprint), the
  agencies' SFTP homes (INPUT, OUTPUT and the DOJ-layout folders, with the hard links that make
  one response report two names), the hub's ``files/`` (processing, archive, refused), the
  ``outbox/`` of mail written as files, ``demo-keys.json`` of a trial; and in the embedded set-up
  the SQLite database ``jdx.db`` and DBOS's ``jdx-workflows.sqlite``.

A live SQLite file is never copied as a file (a copy taken while the hub writes can be torn):
both are read through SQLite's online backup API, one consistent snapshot each. PostgreSQL is
read by ``pg_dump`` in its custom format, one snapshot of the whole database.

The backup can be taken while the hub runs. The parts are read in the order that leaves every
reference pointing forward: DBOS's workflow state first, then the hub's database, then the
folder. So a restored workflow never claims a step the restored database lacks (a step's
effect is committed before DBOS records the step: an older workflow state only repeats an
idempotent step), and every file the restored database names (a file in processing, an answer
written into OUTPUT) is in the folder. A file that arrived while the backup ran can be in the
folder without its row in the database; ``restore`` lists such files (``unknown_files``) for
the operator to send again. Stopping the hub's nodes for the backup leaves nothing to list.

The archive is one ``.tar.gz`` (``MANIFEST``: what it holds), written beside its final name and
renamed when complete, so a backup folder never holds half a backup under a backup's name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

import jdx
from jdx.settings import Settings
from jdx.store import schema
from jdx.store.engine import create_engine

FORMAT = 1  # of the archive's layout; restore refuses one it does not know
MANIFEST = "MANIFEST.json"
DATA = "data"  # the data folder, under this name in the archive
DATABASE = "database"
SQLITE_DATABASE = "jdx.db"
WORKFLOW_DATABASE = "jdx-workflows.sqlite"  # jdx.workflows.system_database_url (SQLite)
PG_DUMP = "jdx.dump"
# Beside a SQLite database while it is open, or made again on first use: never restored.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal", "-writer.lock")


class BackupError(Exception):
    """A backup or restore that cannot be done as asked; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Manifest:
    format: int
    jdx_version: str
    created_at: str
    node_id: str
    database: str | None  # "sqlite", "postgresql", or None: the folder alone (--no-database)
    revision: str | None  # the database's migration revision when it was backed up
    data_files: int

    def dumps(self) -> bytes:
        return orjson.dumps(dataclasses.asdict(self), option=orjson.OPT_INDENT_2)


@dataclasses.dataclass(frozen=True)
class Restored:
    manifest: Manifest
    data_files: int
    unknown_files: list[str]  # in files/processing, with no row in the restored database


# --- backup -----------------------------------------------------------------------------------


def backup(settings: Settings, out_dir: Path, *, database: bool = True) -> tuple[Path, Manifest]:
    """Write a backup of the hub ``settings`` name into ``out_dir``; returns its path."""
    out_dir = out_dir.expanduser().resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    kind = ("sqlite" if settings.is_sqlite else "postgresql") if database else None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    final = out_dir / f"jdx-backup-{stamp}-{settings.node_id}.tar.gz"
    with tempfile.TemporaryDirectory(prefix=".jdx-backup-", dir=out_dir) as work:
        parts = Path(work)
        revision = None
        if kind == "sqlite":
            # DBOS's state before the hub's database (the module's docstring says why)
            workflows = settings.data_dir / WORKFLOW_DATABASE
            if workflows.is_file():
                sqlite_snapshot(workflows, parts / WORKFLOW_DATABASE)
            sqlite_snapshot(settings.data_dir / SQLITE_DATABASE, parts / SQLITE_DATABASE)
            revision = _revision(settings)
        elif kind == "postgresql":
            pg_dump(settings.effective_database_url, parts / PG_DUMP)
            revision = _revision(settings)
        partial = parts / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            for part in sorted(parts.iterdir()):
                if part != partial:
                    tar.add(part, arcname=f"{DATABASE}/{part.name}")
            # run/: a running hub's own state (its readiness report, its metrics' files), made
            # anew at each start; restored, it would describe a process that is gone
            count = _add_folder(tar, settings.data_dir, skip=(out_dir, settings.data_dir / "run"))
            manifest = Manifest(
                FORMAT,
                jdx.__version__,
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                settings.node_id,
                kind,
                revision,
                count,
            )
            _add_bytes(tar, MANIFEST, manifest.dumps())
        partial.replace(final)
    return final, manifest


def sqlite_snapshot(source: Path, target: Path) -> None:
    """One consistent copy of a SQLite database that may be in use (SQLite's online backup
    API, in one step: the copy is the database as of one moment, WAL included)."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    with (
        _closing(sqlite3.connect(source)) as src,
        _closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def _add_folder(tar: tarfile.TarFile, folder: Path, skip: tuple[Path, ...]) -> int:
    """Every regular file, folder and link of the data folder under ``data/``, without the
    live databases (read through the backup API instead), sockets and ``skip`` (the backup
    folder itself, when it is inside). Returns the number of files."""
    count = 0

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        nonlocal count
        relative = info.name.removeprefix(DATA).lstrip("/")
        if _is_database_file(relative) or any((folder / relative).is_relative_to(s) for s in skip):
            return None
        if info.isfile() or info.islnk():
            count += 1
        return info

    if folder.is_dir():
        tar.add(folder, arcname=DATA, filter=keep)  # hard links stay links (seen by inode)
    return count


def _is_database_file(relative: str) -> bool:
    return any(
        relative == name
        or (relative.startswith(name) and relative[len(name) :] in SQLITE_COMPANIONS)
        for name in (SQLITE_DATABASE, WORKFLOW_DATABASE)
    )


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


# --- restore ----------------------------------------------------------------------------------


def read_manifest(archive: Path) -> Manifest:
    with tarfile.open(archive, "r:gz") as tar:
        return _manifest(tar)


def restore(settings: Settings, archive: Path, *, database: bool = True) -> Restored:
    """Put a backup back into an empty hub: the data folder must be empty (or absent) and, on
    PostgreSQL, the database must exist and hold no table. Refuses anything else: a restore
    over a living hub would mix two of them."""
    archive = archive.expanduser().resolve()
    if not archive.is_file():
        raise BackupError(f"no backup at {archive}")
    with tarfile.open(archive, "r:gz") as tar:
        manifest = _manifest(tar)
        with_database = database and manifest.database is not None
        kind = "sqlite" if settings.is_sqlite else "postgresql"
        if with_database and manifest.database != kind:
            raise BackupError(
                f"the backup holds a {manifest.database} database and this hub is set up for "
                f"{kind} (JDX_DATABASE_URL); restore it into a hub of the same kind"
            )
        _refuse_unless_empty(settings, with_database)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".jdx-restore-", dir=settings.data_dir) as work:
            members = [
                m for m in tar.getmembers() if m.name == DATA or m.name.startswith(DATA + "/")
            ]
            # filter="data": nothing outside the folder, no device files, no absolute links
            tar.extractall(work, members=members, filter="data")
            if with_database:
                dumps = [m for m in tar.getmembers() if m.name.startswith(DATABASE + "/")]
                tar.extractall(work, members=dumps, filter="data")
            extracted = Path(work) / DATA
            if extracted.is_dir():
                for entry in extracted.iterdir():  # the same file system: links stay links
                    entry.rename(settings.data_dir / entry.name)
            count = sum(1 for m in members if m.isfile() or m.islnk())
            if with_database:
                parts = Path(work) / DATABASE
                if kind == "sqlite":
                    for name in (WORKFLOW_DATABASE, SQLITE_DATABASE):  # the hub's last
                        if (parts / name).is_file():
                            shutil.copyfile(parts / name, settings.data_dir / name)
                else:
                    pg_restore(settings.effective_database_url, parts / PG_DUMP)
    unknown = _unknown_files(settings) if with_database else []
    return Restored(manifest, count, unknown)


def _manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        member = tar.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise BackupError("not a jdx backup (no MANIFEST.json in it)")
    fields: dict[str, Any] = orjson.loads(member.read())
    if fields.get("format") != FORMAT:
        raise BackupError(f"backup format {fields.get('format')} is not known to this jdx")
    return Manifest(**fields)


def _refuse_unless_empty(settings: Settings, database: bool) -> None:
    folder = settings.data_dir
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(
            f"the data folder {folder} is not empty: restore into an empty one (move this one "
            "aside, or set JDX_DATA_DIR to a new folder)"
        )
    if database and not settings.is_sqlite:
        engine = create_engine(settings)
        try:
            with engine.connect() as conn:
                tables = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT "
                        "IN ('pg_catalog', 'information_schema')"
                    )
                ).scalar_one()
        finally:
            engine.dispose()
        if tables:
            raise BackupError(
                f"the database {engine.url.database} holds {tables} tables: restore into an "
                "empty database (`createdb`), never over a hub's"
            )


def _unknown_files(settings: Settings) -> list[str]:
    """Files in the hub's processing folder that the restored database does not name (they
    arrived while an online backup ran): to be sent again."""
    processing = settings.data_dir / "files" / "processing"
    if not processing.is_dir():
        return []
    engine = create_engine(settings)
    try:
        with engine.connect() as conn:
            known = {str(i) for i in conn.execute(sa.text("SELECT id FROM stop_files")).scalars()}
    finally:
        engine.dispose()
    return sorted(p.name for p in processing.iterdir() if p.name.split("_", 1)[0] not in known)


# --- PostgreSQL's own tools -------------------------------------------------------------------


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy URL as libpq takes it (pg_dump, pg_restore), and the environment that
    carries its password: never on a command line, where ``ps`` shows it."""
    parsed = sa.make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def pg_dump(url: str, target: Path) -> None:
    dsn, env = libpq(url)
    _run(["pg_dump", "--format=custom", f"--file={target}", f"--dbname={dsn}"], env)


def pg_restore(url: str, dump: Path) -> None:
    dsn, env = libpq(url)
    # into the restoring role (the hub's, on another machine perhaps), all or nothing
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={dsn}",
            str(dump),
        ],
        env,
    )


def _run(argv: list[str], env: dict[str, str]) -> None:
    if shutil.which(argv[0]) is None:
        raise BackupError(
            f"{argv[0]} not found: install PostgreSQL's client tools (Debian: postgresql-client), "
            "of the server's major version or newer"
        )
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {done.stderr.strip()}")


def _revision(settings: Settings) -> str | None:
    """The live database's migration revision (read after the copy: the copy is at it, since
    migrations run only with every node stopped)."""
    engine = create_engine(settings)
    try:
        return schema.current_revision(engine)
    finally:
        engine.dispose()


@contextmanager
def _closing(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    try:
        yield conn
    finally:
        conn.close()
