"""One durable workflow per import job (DBOS Transact), queued on ``case-jobs``.

:class:`CaseJobs` is made by ``Hub.start`` before DBOS launches, so that jobs a crash
interrupted find it when DBOS resumes them. Jobs accepted while no workflow process ran (or
whose enqueue was lost to a crash between the job's commit and the enqueue) are enqueued again
at launch and by the stray sweep: the workflow id makes that a no-op for jobs queued already.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

import sqlalchemy as sa
from dbos import DBOS, WorkflowHandle

from jdx import logs, workflows
from jdx.exchanges.cases import process, results
from jdx.exchanges.cases.regions import load_regions
from jdx.exchanges.cases.tables import cases, import_jobs
from jdx.hub import Hub
from jdx.store.bulk import StatisticsKeeper
from jdx.store.engine import write_transaction
from jdx.store.queries import now

log = logging.getLogger("jdx.cases")

QUEUE = "case-jobs"
# Jobs are small (at most a few hundred cases) and one agency's are serialised by a lock, so a
# few at once keep PostgreSQL busy without starving the stop files; SQLite has one writer anyway.
JOB_WORKERS = 4


@DBOS.dbos_class()
class CaseJobs(workflows.Workflows):
    """The import job workflows of a hub process that runs them (``Hub.start``)."""

    INSTANCE = "cases"

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self.regions = load_regions(hub.settings.namus_regions_file)
        # Before a new ``cases`` table's first ANALYZE, PostgreSQL's planner looked a job's case
        # numbers up by filtering every case of the agency (18 ms per job at 44,000 cases,
        # growing with them: the creation rate fell as cases piled up) instead of 0.1 ms in the
        # unique key.
        self.statistics = StatisticsKeeper(hub.engine, cases)

    def launched(self) -> None:
        """Register the queue and enqueue the jobs no workflow has taken yet."""
        DBOS.register_queue(QUEUE, worker_concurrency=JOB_WORKERS, polling_interval_sec=0.1)
        for job_id in _unfinished_jobs(self.hub):
            enqueue(self.hub, job_id)

    @DBOS.step()
    def case_job(self, job_id: int) -> dict[str, int]:
        """Create the job's cases, complete it and queue its mails, in one write transaction.

        One step, where there were two (process, then finish): DBOS writes each step's result
        in a transaction of its own, and the hub's writer lock is taken once instead of twice,
        which halves the per-job bookkeeping that acceptance waits behind. Crash-safe as
        before: the transaction commits all of it or none, and a re-run after a crash between
        that commit and DBOS's checkpoint finds no queued case and the job complete, and only
        reads its counts.
        """
        s = self.hub.settings
        with write_transaction(self.hub.engine) as conn:
            process.process_in(conn, self.regions, job_id)
            counts = results.finish_in(conn, job_id, s.public_url, digest_hour=s.digest_hour)
        self.statistics.check()
        return counts

    @DBOS.workflow()
    def job_workflow(self, job_id: int, request_id: str | None = None) -> dict[str, int]:
        """``request_id``: of the request that sent the job (None for one the stray sweep
        queued, or queued before it was passed); the job's step logs with it (``jdx/logs.py``)."""
        with logs.request_context(request_id):
            counts = self.case_job(job_id)
            log.info(
                "job %s: %s created, %s cancellations requested, %s rejected",
                job_id,
                counts.get("created", 0),
                counts.get("requested", 0),
                counts.get("rejected", 0),
            )
            return counts


def _unfinished_jobs(hub: Hub, received_before: dt.datetime | None = None) -> list[int]:
    query = sa.select(import_jobs.c.id).where(import_jobs.c.state != "complete")
    if received_before is not None:
        query = query.where(import_jobs.c.created_at < received_before)
    with hub.engine.connect() as conn:
        return list(conn.execute(query).scalars())


def workflow_id(job_id: int) -> str:
    return f"case-job-{job_id}"


def enqueue(hub: Hub, job_id: int) -> None:
    """Queue a job's workflow; the workflow id makes a repeated enqueue a no-op."""
    workflows.enqueue(
        hub,
        CaseJobs,
        CaseJobs.job_workflow,
        QUEUE,
        workflow_id(job_id),
        job_id,
        logs.request_id(),  # the request's, carried into the workflow's log
    )


def enqueue_after_answer(hub: Hub, job_id: int) -> None:
    """Queue a job whose 202 has been sent (the job and its cases are committed by then).

    The enqueue is off the answer's path: on SQLite it waits for DBOS's system database,
    which the workflows write all the time, and it made the acceptance's tail (p99 103 ms,
    max 2 s, of a 24 ms p50). A failure here loses nothing: the job is in the database and
    :func:`enqueue_strays` queues it on the next round.
    """
    try:
        enqueue(hub, job_id)
    except Exception:
        log.exception("job %s: enqueue failed; the stray sweep will queue it", job_id)


# A job younger than this may still be on its way to the queue from the process that took it.
STRAY_AFTER = dt.timedelta(seconds=10)


def enqueue_strays(hub: Hub) -> int:
    """Queue the jobs committed and never queued (the process that answered died before its
    enqueue, or the enqueue failed); runs where DBOS is launched (a periodic job of the
    exchange's, ``__init__.py``). Returns how many."""
    waiting = _unfinished_jobs(hub, received_before=now() - STRAY_AFTER)
    strays = [j for j in waiting if DBOS.get_workflow_status(workflow_id(j)) is None]
    for job_id in strays:
        enqueue(hub, job_id)
    if strays:
        log.warning("queued %d job(s) that had not been queued: %s", len(strays), strays)
    return len(strays)


def wait(job_id: int, timeout: float = 60.0) -> dict[str, int]:
    """The counts of a job once its workflow is over (tests and the bench)."""
    handle: WorkflowHandle[dict[str, int]] = DBOS.retrieve_workflow(workflow_id(job_id))
    result: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        result["counts"] = handle.get_result()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(f"job {job_id} not processed within {timeout} s")
    return dict(result["counts"])
