"""One durable workflow per received file (DBOS Transact), and the door uploads come in by.

DBOS checkpoints each step of :func:`file_workflow` in its system database (a SQLite file beside
the hub's in the embedded set-up, the hub's PostgreSQL database otherwise), so a worker killed
in the middle of a file resumes it at launch. The steps are idempotent on their own (see
``batch_files.py``), so a step that ran but was not checkpointed does nothing twice.

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
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from dbos import DBOS, DBOSConfig, SetWorkflowID, WorkflowHandle

import jdx
from jdx.exchanges.stops import batch_files, small_files
from jdx.exchanges.stops.file_folders import Folders
from jdx.exchanges.stops.file_store import DatabaseStore, DiskStore, FileStore, Key
from jdx.exchanges.stops.service import StopService
from jdx.exchanges.stops.tables import stop_files
from jdx.hub import Hub
from jdx.security.keys import Principal
from jdx.store.tables import agencies
from jdx.workflows import Binding, dbos_client, system_database_url

log = logging.getLogger("jdx.files")
QUEUE = "stop-files"
FILE_WORKERS = 1


@dataclass
class _Runtime:
    hub: Hub
    service: StopService
    folders: Folders
    lane: small_files.Lane
    stop_lane: Callable[[], None] | None = None


_runtime: Binding[_Runtime] = Binding(
    "file workflows", "started by jdx.exchanges.stops.workflow.start"
)


def start(hub: Hub) -> None:
    """Launch DBOS in this process (once) and resume the files that were in flight."""
    with _runtime.lock:
        if _runtime.bound:
            return
        service, folders = hub.services["stops"], folders_of(hub)
        settings = hub.settings
        lane = small_files.Lane(
            service,
            folders,
            settings.public_url,
            settings.digest_hour,
            summary_seconds=settings.onestop_summary_seconds,
        )
        runtime = _Runtime(hub, service, folders, lane)
        _runtime.set(runtime)
        config: DBOSConfig = {
            "name": "jdx",
            "system_database_url": system_database_url(hub),
            "application_version": jdx.__version__,  # recover across restarts of one release
            "log_level": "WARNING",
            "executor_id": hub.settings.node_id,
        }
        DBOS(config=config)
        DBOS.launch()
        DBOS.register_queue(QUEUE, worker_concurrency=FILE_WORKERS)
        runtime.stop_lane = lane.run_in_thread()


def stop() -> None:
    with _runtime.lock:
        if not _runtime.bound:
            return
        stop_lane = _runtime.get().stop_lane
        if stop_lane is not None:
            stop_lane()
        DBOS.destroy(workflow_completion_timeout_sec=0)
        _runtime.set(None)


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


@DBOS.step()
def _process_step(file_id: int) -> None:
    rt = _runtime.get()
    batch_files.process(rt.service, rt.folders, file_id)


@DBOS.step()
def _finish_step(file_id: int) -> dict[str, int]:
    rt = _runtime.get()
    settings = rt.hub.settings
    counts = batch_files.finish(
        rt.hub.engine,
        rt.folders,
        file_id,
        settings.public_url,
        digest_hour=settings.digest_hour,
        unchecked=rt.hub.validation.missing_domains("stop"),
    )
    return counts.__dict__


@DBOS.step()
def _cleanup_step(file_id: int) -> None:
    rt = _runtime.get()
    with rt.hub.engine.connect() as conn:
        rt.folders.done(batch_files.load(conn, file_id))


@DBOS.workflow()
def file_workflow(file_id: int) -> dict[str, int]:
    _process_step(file_id)
    counts = _finish_step(file_id)
    _cleanup_step(file_id)
    return counts


def enqueue(hub: Hub, file_id: int) -> None:
    """Queue a file's workflow; the workflow id makes a repeated enqueue a no-op.

    A process that runs the workflows enqueues directly; any other (an HTTP worker) goes
    through a DBOS client, so that only the processes meant to process files do.
    """
    workflow_id = f"stop-file-{file_id}"
    if _runtime.bound:
        with SetWorkflowID(workflow_id):
            queue = DBOS.retrieve_queue(QUEUE)
            assert queue is not None
            queue.enqueue(file_workflow, file_id)
        return
    dbos_client(hub).enqueue(
        {
            "workflow_name": file_workflow.__qualname__,
            "queue_name": QUEUE,
            "workflow_id": workflow_id,
            "app_version": jdx.__version__,
        },
        file_id,
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
        elif _runtime.bound:
            _runtime.get().lane.wake()
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


def wait(file_id: int, timeout: float | None = None) -> dict[str, int]:
    """The counts of a file once its workflow is over (for the CLI and tests)."""
    engine = _runtime.get().hub.engine
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(stop_files.c.file_name, stop_files.c.size).where(stop_files.c.id == file_id)
        ).one()
    if small_files.is_small(row.file_name, row.size):
        return _wait_answered(engine, file_id, timeout)
    handle: WorkflowHandle[dict[str, int]] = DBOS.retrieve_workflow(f"stop-file-{file_id}")
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
