"""One durable workflow per received file (DBOS Transact), and the door uploads come in by.

DBOS checkpoints each step of :meth:`FileWorkflows.file_workflow` in its system database (a
SQLite file beside the hub's in the embedded set-up, the hub's PostgreSQL database otherwise),
so a worker killed in the middle of a file resumes it at launch. The steps are idempotent on
their own (see ``batch_files.py``), so a step that ran but was not checkpointed does nothing
twice.

Files wait in the DBOS queue ``stop-files``; with PostgreSQL every node of the hub dequeues from
it. At most ``FILE_WORKERS`` files are processed at once per node: processing is CPU-bound.

Small record files (one stop per file) take the small-file lane instead (``small_files.py``):
no workflow of their own, many of them stored and answered per transaction.

Whichever node dequeues a file finds it: with PostgreSQL the folders are in the database every
node shares (:func:`folders_of`, ``file_store.py``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from dbos import DBOS, WorkflowHandle

from jdx import logs, workflows
from jdx.exchanges.stops import batch_files, batch_workers, small_files
from jdx.exchanges.stops.file_folders import Folders
from jdx.exchanges.stops.file_store import DatabaseStore, DiskStore, FileStore, Key
from jdx.exchanges.stops.service import StopService
from jdx.exchanges.stops.tables import stop_files
from jdx.hub import Hub
from jdx.security.keys import Principal
from jdx.store.tables import agencies

log = logging.getLogger("jdx.files")
QUEUE = "stop-files"
FILE_WORKERS = 1
# How often the queue looks for a file to start. DBOS's default of 1 s left a received file
# waiting 0.8-0.95 s before its processing began (a tenth of a 100,000-row sheet's time); at
# 0.25 s, 0.09-0.15 s, for 0.5 % more of a core at idle (docs/benchmarks.md, "Session 16").
POLL = 0.25


@DBOS.dbos_class()
class FileWorkflows(workflows.Workflows):
    """The file workflows and the small-file lane of a hub process that runs them (``Hub.start``)."""

    INSTANCE = "stops"

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self.service = hub.service(StopService)
        self.folders = folders_of(hub)
        settings = hub.settings
        self.lane = small_files.Lane(
            self.service,
            self.folders,
            settings.public_url,
            settings.digest_hour,
            summary_seconds=settings.onestop_summary_seconds,
        )
        self._stop_lane: Callable[[], None] | None = None

    def launched(self) -> None:
        DBOS.register_queue(QUEUE, worker_concurrency=FILE_WORKERS, polling_interval_sec=POLL)
        self._stop_lane = self.lane.run_in_thread()

    def stopping(self) -> None:
        self.stop_lane()

    def stop_lane(self) -> None:
        """Stop the small-file lane (also: a bench that sends small files through workflows)."""
        stop, self._stop_lane = self._stop_lane, None
        if stop is not None:
            stop()

    @DBOS.step()
    def process_step(self, file_id: int) -> None:
        batch_files.process(self.service, self.folders, file_id)

    @DBOS.step()
    def finish_step(self, file_id: int) -> dict[str, int]:
        settings = self.hub.settings
        counts = batch_files.finish(
            self.hub.engine,
            self.folders,
            file_id,
            settings.public_url,
            digest_hour=settings.digest_hour,
            unchecked=self.hub.validation.missing_domains("stop"),
        )
        return counts.__dict__

    @DBOS.step()
    def cleanup_step(self, file_id: int) -> None:
        with self.hub.engine.connect() as conn:
            self.folders.done(batch_files.load(conn, file_id))

    @DBOS.workflow()
    def file_workflow(self, file_id: int, request_id: str | None = None) -> dict[str, int]:
        """``request_id``: of the upload that queued the file (None from SFTP, the drop folder,
        or a workflow queued before it was passed); its steps log with it (``jdx/logs.py``)."""
        with logs.request_context(request_id):
            log.info("file %s: processing", file_id)
            self.process_step(file_id)
            counts = self.finish_step(file_id)
            self.cleanup_step(file_id)
            log.info(
                "file %s: answered: %s stored, %s with errors, %s rejected",
                file_id,
                counts.get("successful", 0),
                counts.get("with_errors", 0),
                counts.get("rejected", 0),
            )
            return counts


SCRATCH = "scratch"  # under data_dir: files staged for, or copied out of, the database


def folders_of(hub: Hub) -> Folders:
    """The stop-data folders, in the store the settings choose (``file_store``)."""
    settings = hub.settings
    return Folders(settings.data_dir, settings.archive_days, store_of(hub))


def store_of(hub: Hub) -> FileStore:
    settings = hub.settings
    if settings.files_in_database:
        return DatabaseStore(hub.engine, settings.data_dir / SCRATCH)
    return DiskStore(settings.data_dir)


def workflow_id(file_id: int) -> str:
    return f"stop-file-{file_id}"


def enqueue(hub: Hub, file_id: int) -> None:
    """Queue a file's workflow; the workflow id makes a repeated enqueue a no-op."""
    workflows.enqueue(
        hub,
        FileWorkflows,
        FileWorkflows.file_workflow,
        QUEUE,
        workflow_id(file_id),
        file_id,
        logs.request_id(),  # the upload's, carried into the workflow's log
    )


def receive(hub: Hub, principal: Principal, key: Key, *, channel: str) -> batch_files.Received:
    """A complete upload (``key``, in an upload folder of :func:`folders_of`): register it
    and start its workflow (or wake the small-file lane)."""
    folders = folders_of(hub)
    entry = folders.store.stat(key)
    small = small_files.is_small(key.name, entry.size if entry is not None else 0)
    received = batch_files.register(
        hub.engine,
        folders,
        principal,
        key,
        channel=channel,
        max_bytes=hub.settings.max_file_bytes,
    )
    if received.file_id is not None:
        if not small:
            enqueue(hub, received.file_id)
            _warm(hub, key.name)
        elif (running := hub.running(FileWorkflows)) is not None:
            running.lane.wake()
        # else: a process without the lane (an HTTP worker); the lane's scan finds the file
        log.info(
            "%s %s: %s (file %s)",
            principal.ori,
            principal.realm,
            received.message,
            received.file_id,
        )
    else:
        if received.duplicate_of is not None and not _small_file(hub, received.duplicate_of):
            # Its workflow, should a crash have come between its registration and its enqueue
            # (a no-op otherwise, as the workflow id is the file's). A file of the small-file
            # lane has none: the lane finds it by its row, and a workflow would answer it twice.
            enqueue(hub, received.duplicate_of)
        log.warning("%s %s: %s", principal.ori, principal.realm, received.message)
    return received


def _warm(hub: Hub, name: str) -> None:
    """Start the worker processes the file will need, in a process that runs the file
    workflows (the one that will most likely dequeue it), while its workflow waits for the
    queue's next poll."""
    if hub.running(FileWorkflows) is None:
        return
    service = hub.service(StopService)
    kind = batch_files.worker_kind(service, name.rpartition(".")[2])
    pool = batch_workers.pool_for(service)
    if kind is not None and pool is not None:
        pool.warm(kind)


def _small_file(hub: Hub, file_id: int) -> bool:
    with hub.engine.connect() as conn:
        row = conn.execute(
            sa.select(stop_files.c.file_name, stop_files.c.size).where(stop_files.c.id == file_id)
        ).one()
    return small_files.is_small(row.file_name, row.size)


def principal_for(hub: Hub, ori: str, realm: str) -> Principal | None:
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(agencies).where(agencies.c.ori == ori.upper())).first()
    if row is None:
        return None
    return Principal(row.id, row.ori, row.name, realm, row.active)


def wait(hub: Hub, file_id: int, timeout: float | None = None) -> dict[str, int]:
    """The counts of a file once its workflow is over (for the CLI and tests; the hub runs
    the workflows)."""
    engine = hub.engine
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(stop_files.c.file_name, stop_files.c.size).where(stop_files.c.id == file_id)
        ).one()
    if small_files.is_small(row.file_name, row.size):
        return _wait_answered(engine, file_id, timeout)
    handle: WorkflowHandle[dict[str, int]] = DBOS.retrieve_workflow(workflow_id(file_id))
    if timeout is None:
        return dict(handle.get_result())
    result: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        result["counts"] = handle.get_result()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(f"file {file_id} not processed within {timeout} s")
    return dict(result["counts"])


def _wait_answered(engine: sa.Engine, file_id: int, timeout: float | None) -> dict[str, int]:
    """A file of the small-file lane: its counts once it is answered (``finished_at`` set)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            row = conn.execute(sa.select(stop_files).where(stop_files.c.id == file_id)).one()
        if row.finished_at is not None:
            return {
                k: int(getattr(row, k)) for k in ("total", "successful", "with_errors", "rejected")
            }
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"file {file_id} not processed within {timeout} s")
        time.sleep(0.05)


def receive_arrival(
    hub: Hub, ori: str, realm: str, key: Key, *, channel: str
) -> batch_files.Received | None:
    """A complete upload found in an agency's INPUT folder (SFTP server or drop folder)."""
    principal = principal_for(hub, ori, realm)
    if principal is None:
        log.warning("%s: no agency %s; the file is left where it is", key, ori)
        return None
    return receive(hub, principal, key, channel=channel)
