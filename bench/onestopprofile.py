"""Where a one-stop file's time goes: each step of the file path, and DBOS, per file, in-process.

``python -m bench.onestopprofile [POSTGRESQL_URL]`` sets up a fresh hub (SQLite in a temporary
folder, or the database the URL names, dropped and created), then for 200 one-stop files times
``batch_files.register``, ``process``, ``finish`` and the clean-up one file at a time (wall and
this process's CPU, per file); then the file workflow through DBOS, run directly (the cost of its
checkpoints) and through the queue (20 files: the queue's poll). It measures the steps as they
are, whatever path ``jdx serve`` gives one-stop files (docs/benchmarks.md, "One stop per file").
On PostgreSQL the server's CPU is not counted.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from bench.bulk import ORI_OF_BENCH
from bench.onestop import one_stop_files
from jdx.exchanges.stops.service import StopService

T = TypeVar("T")
R = TypeVar("R")
FILES = 200
QUEUED = 20


def timed(label: str, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = [fn(x) for x in items]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = len(items)
    print(f"{label:44s} wall {wall * 1000 / n:8.2f} ms/file  CPU {cpu * 1000 / n:7.2f} ms/file")
    return out


def main(url: str) -> None:
    from dbos import SetWorkflowID

    from bench.bulk import bench_hub
    from jdx.exchanges.stops import batch_files, workflow
    from jdx.exchanges.stops.file_store import write_bytes
    from jdx.settings import load_settings

    work = Path(tempfile.mkdtemp(prefix="jdx-bench-onestopprofile-"))
    settings = load_settings(data_dir=work / "data", database_url=url, domain_refresh_seconds=0)
    hub = bench_hub(settings)
    principal = workflow.principal_for(hub, ORI_OF_BENCH, "prod")
    assert principal is not None
    folders = workflow.folders_of(hub)
    inbox = folders.input_dir(principal.ori, "prod")
    files = one_stop_files(2 * FILES, 7)
    service = hub.service(StopService)
    files_running: workflow.FileWorkflows | None = None

    def register(i: int) -> int:
        upload = inbox / files[i].name
        write_bytes(folders.store, upload, files[i].data)
        received = batch_files.register(
            hub.engine, folders, principal, upload, channel="sftp", max_bytes=1 << 30
        )
        assert received.file_id is not None
        return received.file_id

    def cleanup(file_id: int) -> None:
        with hub.engine.connect() as conn:
            folders.done(batch_files.load(conn, file_id))

    def direct(file_id: int) -> dict[str, int]:
        assert files_running is not None
        with SetWorkflowID(f"profile-{file_id}"):
            return files_running.file_workflow(file_id)

    print(f"{'postgresql' if url else 'sqlite'}, load average {os.getloadavg()[0]:.1f}")
    ids = timed("register (hash, insert, archive, move)", register, range(FILES))
    timed("process (read, check, store)", lambda i: batch_files.process(service, folders, i), ids)
    timed(
        "finish (outputs, audit, mail queued)",
        lambda i: batch_files.finish(hub.engine, folders, i, "http://x", digest_hour=6),
        ids,
    )
    timed("clean-up", cleanup, ids)
    hub.start(periodic=False)
    files_running = hub.running(workflow.FileWorkflows)
    assert files_running is not None
    files_running.stop_lane()  # the small-file lane would take these files
    more = [register(i) for i in range(FILES, 2 * FILES)]
    timed("the file workflow, run directly (DBOS)", direct, more[: FILES // 2])
    queued = more[FILES // 2 : FILES // 2 + QUEUED]
    wall, cpu = time.perf_counter(), time.process_time()
    for file_id in queued:
        workflow.enqueue(hub, file_id)
    for file_id in queued:
        workflow.wait(hub, file_id)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    label = "the file workflow through the queue"
    print(
        f"{label:44s} wall {wall * 1000 / QUEUED:8.2f} ms/file  CPU {cpu * 1000 / QUEUED:7.2f} ms/file"
    )
    hub.stop()
    hub.dispose()


if __name__ == "__main__":
    os.environ.pop("JDX_DATABASE_URL", None)
    main((sys.argv[1:] or [""])[0])
