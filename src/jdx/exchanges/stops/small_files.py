"""The small-file lane: one-stop files (Cal-RIPA sends one stop per file), many per transaction.

A batch file gets a durable workflow of its own (``workflow.py``). For a file of one stop that
cost more than the stop (issue 14, docs/benchmarks.md "One stop per file"): a DBOS workflow
with three checkpointed steps (14 ms of CPU and about 100 ms of commits on SQLite), five
transactions of the hub, and the queue's poll of one second with one file at a time, so
200 files took 200 s to be answered.

A record file (``.json``, ``.xml``) of at most :data:`SMALL_FILE_BYTES` takes this lane instead.
Its durable state is its ``stop_files`` row, which every step moves on in the transaction that
does the step, so a crash anywhere leaves each file in a state the next round resumes:

1. ``received`` (registered at upload, as every file): waiting. A round reads and checks up to
   :data:`GROUP_FILES` waiting files outside any transaction, then stores all of them in ONE
   transaction: each file's records, error rows and chunk row (as a batch file's chunk), and
   its state ``processing`` (or ``failed`` with its file error). On PostgreSQL the rows are
   taken ``FOR UPDATE SKIP LOCKED``: another node's round takes other files.
2. ``processing`` or ``failed``, ``finished_at`` unset: stored, not answered. A round answers
   up to :data:`GROUP_FILES` of them in ONE transaction: each file's error file, response
   report and processor log in OUTPUT (written from the database, as ``batch_files.finish``
   does), its counts and ``finished_at``, its audit record and its mail in the outbox (once,
   by key), and the processing copy deleted. Files written before a rollback are written again
   by the next round, under the same names: each file has one answer.
3. ``done`` / ``failed`` with ``finished_at``: answered.

Each file's answer is its own, exactly as a batch file's; only the transactions are shared.
Should a group's transaction fail, its files are taken one by one, and a file that cannot be
stored even alone is answered with a file error rather than retried forever.

Mail: an agency notified immediately gets its one-stop files in a summary mail
(:data:`SUMMARY_SECONDS` after the file, one mail for the agency's notices due by then), not
one mail per stop; a daily agency's go in its daily digest, as every file's do.

The lane runs in each process that runs the file workflows (``jdx serve``): an upload taken in
that process (SFTP, drop folder) wakes it, and every :data:`SCAN_SECONDS` it looks for files
registered elsewhere (an HTTP worker) or left by a crash.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from jdx.codecs.batch import FileError, Format, Item, read_items
from jdx.dictionary import Outcome
from jdx.exchanges.stops import batch_files
from jdx.exchanges.stops.batch_file_rows import FileRow
from jdx.exchanges.stops.file_folders import Folders
from jdx.exchanges.stops.service import StopService
from jdx.exchanges.stops.tables import stop_files
from jdx.security.keys import Principal
from jdx.store.engine import write_transaction
from jdx.store.locks import lock_agency

log = logging.getLogger("jdx.files")

SMALL_FILE_BYTES = 256 * 1024  # a one-stop file is a few kB; a few hundred records at most
RECORD_EXTENSIONS = ("json", "xml")
GROUP_FILES = 100  # files per transaction: a round's write lock stays in the tens of ms
SCAN_SECONDS = 1.0
SUMMARY_SECONDS = 60.0  # the default of Settings.onestop_summary_seconds
INTERNAL_ERROR = "the file could not be processed (an error in the hub); send it again"


def is_small(name: str, size: int) -> bool:
    """Whether a file takes this lane: a record file (XML, JSON) of one or a few stops."""
    return name.rsplit(".", 1)[-1].lower() in RECORD_EXTENSIONS and size <= SMALL_FILE_BYTES


def _small() -> sa.ColumnElement[bool]:
    name = sa.func.lower(stop_files.c.file_name)
    return sa.and_(
        stop_files.c.finished_at.is_(None),  # ix_stop_files_unfinished
        stop_files.c.size <= SMALL_FILE_BYTES,
        stop_files.c.channel != "bulkws",  # web service batches: web_service_batches.py
        sa.or_(*(name.like(f"%.{ext}") for ext in RECORD_EXTENSIONS)),
    )


def _ids(conn: sa.Connection, *states: str, limit: int) -> list[int]:
    query = (
        sa.select(stop_files.c.id)
        .where(_small(), stop_files.c.state.in_(states))
        .order_by(stop_files.c.id)
        .limit(limit)
    )
    return [int(i) for i in conn.execute(query).scalars()]


def _take(conn: sa.Connection, ids: list[int], *states: str) -> set[int]:
    """Of ``ids``, those still in ``states``, locked to this transaction on PostgreSQL (another
    node's round skips them; SQLite has one writer at a time)."""
    query = (
        sa.select(stop_files.c.id)
        .where(stop_files.c.id.in_(ids), stop_files.c.state.in_(states), _small())
        .with_for_update(skip_locked=True)
    )
    return {int(i) for i in conn.execute(query).scalars()}


# --- 1. store -----------------------------------------------------------------------------------


@dataclass
class _Read:
    """A waiting file, read and checked outside the transaction that stores it."""

    f: FileRow
    principal: Principal
    fmt: Format | None = None
    checked: list[tuple[Item, Outcome]] | None = None
    error: str | None = None  # the file error the agency is told (unreadable file)


def _read(service: StopService, folders: Folders, f: FileRow, principal: Principal) -> _Read:
    read = _Read(f, principal)
    try:
        with folders.store.local(folders.processing_copy(f, principal)) as path:
            read.fmt = batch_files._format(path, f)
            dictionary = batch_files._dictionary_for(service, path, read.fmt)
            read.checked = [
                (item, batch_files.check_item(service, item))
                for item in read_items(path, read.fmt, dictionary)
            ]
    except FileError as exc:
        read.error = str(exc)
    except Exception:
        log.exception("%s: file %s could not be read", f.ori, f.id)
        read.error = INTERNAL_ERROR
    return read


def store_waiting(service: StopService, folders: Folders, limit: int = GROUP_FILES) -> list[int]:
    """Step 1 for up to ``limit`` waiting files; the ids stored (or failed) by this call."""
    engine = service.engine
    with engine.connect() as conn:
        ids = _ids(conn, "received", limit=limit)
        if not ids:
            return []
        files = [batch_files.load(conn, i) for i in ids]
        principals: dict[int, Principal] = {}
        for f in files:
            if f.agency_id not in principals:
                principals[f.agency_id] = batch_files.principal_of(conn, f)
    reads = [_read(service, folders, f, _realm(principals[f.agency_id], f.realm)) for f in files]
    service.statistics.check()  # these files may be what makes the table grow
    try:
        with write_transaction(engine) as conn:
            return _store(conn, service, reads)
    except Exception:
        log.exception(
            "a group of %d small files was not stored; storing them one by one", len(reads)
        )
    stored: list[int] = []
    for read in reads:
        try:
            with write_transaction(engine) as conn:
                stored += _store(conn, service, [read])
        except Exception:
            log.exception("%s: file %s could not be stored", read.f.ori, read.f.id)
            with write_transaction(engine) as conn:
                read.error, read.checked = INTERNAL_ERROR, None
                stored += _store(conn, service, [read])
    return stored


def _realm(principal: Principal, realm: str) -> Principal:
    return Principal(principal.agency_id, principal.ori, principal.name, realm, principal.active)


def _store(conn: sa.Connection, service: StopService, reads: list[_Read]) -> list[int]:
    mine = _take(conn, [r.f.id for r in reads], "received")
    reads = [r for r in reads if r.f.id in mine]
    # Every agency of the group, in a fixed order (no deadlock with another node's group).
    for realm, ori in sorted({(r.principal.realm, r.principal.ori) for r in reads}):
        lock_agency(conn, realm, ori)
    for r in reads:
        if r.error is not None or r.checked is None:
            batch_files._fail(conn, r.f.id, r.error or INTERNAL_ERROR)
            continue
        for n, chunk in enumerate(batch_files._chunks(iter(r.checked), batch_files.CHUNK), 1):
            batch_files.store_chunk_in(conn, service, r.principal, r.f, n, chunk)
        assert r.fmt is not None
        conn.execute(
            stop_files.update()
            .where(stop_files.c.id == r.f.id)
            .values(state="processing", format=r.fmt.value)
        )
    return [r.f.id for r in reads]


# --- 2. answer ----------------------------------------------------------------------------------


def finish_stored(
    engine: sa.Engine,
    folders: Folders,
    public_url: str,
    *,
    digest_hour: int,
    limit: int = GROUP_FILES,
    unchecked: Sequence[str] = (),
    summary_seconds: float = SUMMARY_SECONDS,
) -> list[int]:
    """Step 2 for up to ``limit`` stored files; the ids answered by this call. ``unchecked``:
    the domain tables whose checks were skipped (``batch_files.finish``)."""
    with engine.connect() as conn:
        ids = _ids(conn, "processing", "failed", limit=limit)
    if not ids:
        return []
    with write_transaction(engine) as conn:
        mine = sorted(_take(conn, ids, "processing", "failed"))
        for file_id in mine:
            batch_files.finish_in(
                conn,
                folders,
                file_id,
                public_url,
                digest_hour=digest_hour,
                summary_seconds=summary_seconds,
                unchecked=unchecked,
            )
            # Nothing reads the processing copy once the file is stored (the archive keeps one).
            folders.done(batch_files.load(conn, file_id))
    return mine


# --- the lane -----------------------------------------------------------------------------------


class Lane:
    """Rounds of step 1 then step 2, in a thread, until nothing waits; woken by an upload."""

    def __init__(
        self,
        service: StopService,
        folders: Folders,
        public_url: str,
        digest_hour: int,
        summary_seconds: float = SUMMARY_SECONDS,
    ) -> None:
        self.service, self.folders = service, folders
        self.public_url, self.digest_hour = public_url, digest_hour
        self.summary_seconds = summary_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def round(self) -> int:
        """One round: the files stored and answered (for tests, and the thread's loop)."""
        stored = store_waiting(self.service, self.folders)
        answered = finish_stored(
            self.service.engine,
            self.folders,
            self.public_url,
            digest_hour=self.digest_hour,
            unchecked=self.service.validation.missing_domains("stop"),
            summary_seconds=self.summary_seconds,
        )
        return len(stored) + len(answered)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(SCAN_SECONDS)
            self._wake.clear()
            try:
                while not self._stop.is_set() and self.round():
                    pass
            except Exception:
                log.exception("the small-file lane failed a round; trying again")
                self._stop.wait(SCAN_SECONDS)

    def run_in_thread(self) -> Callable[[], None]:
        self._thread = threading.Thread(target=self._run, name="jdx-small-files", daemon=True)
        self._thread.start()
        self._wake.set()  # files left waiting or stored by a process that stopped

        def stop() -> None:
            self._stop.set()
            self._wake.set()
            if self._thread is not None:
                self._thread.join(timeout=60)

        return stop
