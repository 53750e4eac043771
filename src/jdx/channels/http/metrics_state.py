"""The hub's work as the database holds it, read at each scrape of ``/metrics``.

Files and jobs by state, the DBOS queues' depth and age, the mail outbox, the rap sheet merges
waiting: all of it is rows, shared by every process and every node. Counted from the database
when Prometheus asks, the figures are the cluster's, the same whichever worker or node answers,
and nothing has to keep them up to date as the work moves (a counter per process would need
every process to see every change, and would start again from zero at each restart).

A scrape costs a handful of grouped counts; ``jdx_database_up`` is 0, and the other figures
absent, when the database cannot be read.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from jdx.exchanges.cases.tables import import_jobs
from jdx.exchanges.rapsheets.tables import rap_merge
from jdx.hub import Hub
from jdx.store.queries import now
from jdx.store.tables import outbox
from jdx.workflows import system_database_url

log = logging.getLogger("jdx.metrics")

FILE_STATES = ("received", "processing", "done", "failed")
JOB_STATES = ("received", "processing", "complete")
MERGE_STATES = ("waiting", "merging")
# DBOS's states of a queued workflow: waiting for a worker, and taken by one.
QUEUE_STATES = ("ENQUEUED", "PENDING")


def _queues() -> tuple[str, ...]:
    from jdx.exchanges.cases.workflow import QUEUE as CASE_JOBS
    from jdx.exchanges.stops.workflow import QUEUE as STOP_FILES

    return (STOP_FILES, CASE_JOBS)


def _age(moment: dt.datetime, since: dt.datetime | None) -> float:
    if since is None:
        return 0.0
    if since.tzinfo is None:  # SQLite gives back naive datetimes; the hub stores UTC
        since = since.replace(tzinfo=dt.UTC)
    return max(0.0, (moment - since).total_seconds())


class HubState(Collector):
    """A Prometheus collector of the gauges above, for ``hub``'s database."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._workflow_engine: sa.Engine | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "jdx_database_up", "1 when the hub's database answered this scrape's queries, else 0"
        )
        try:
            families = list(self._families())
        except sa.exc.SQLAlchemyError as exc:
            log.warning("metrics: the database could not be read: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[GaugeMetricFamily]:
        moment = now()
        with self.hub.engine.connect() as conn:
            yield from self._files(conn, moment)
            yield from self._jobs(conn)
            yield from self._mail(conn, moment)
            yield from self._merges(conn, moment)
        yield from self._workflow_queues(moment)

    def _files(self, conn: sa.Connection, moment: dt.datetime) -> Iterator[GaugeMetricFamily]:
        from jdx.exchanges.stops.tables import stop_files

        counts: dict[str, int] = dict(
            conn.execute(
                sa.select(stop_files.c.state, sa.func.count()).group_by(stop_files.c.state)
            ).all()
        )
        files = GaugeMetricFamily(
            "jdx_stop_files", "Batch files received, by state", labels=["state"]
        )
        for state in FILE_STATES:
            files.add_metric([state], counts.get(state, 0))
        yield files
        oldest = conn.execute(
            sa.select(sa.func.min(stop_files.c.received_at)).where(
                stop_files.c.finished_at.is_(None)
            )
        ).scalar()
        yield GaugeMetricFamily(
            "jdx_stop_files_unanswered_oldest_seconds",
            "Age of the oldest file not answered yet (0: none waiting)",
            value=_age(moment, oldest),
        )

    def _jobs(self, conn: sa.Connection) -> Iterator[GaugeMetricFamily]:
        counts: dict[str, int] = dict(
            conn.execute(
                sa.select(import_jobs.c.state, sa.func.count()).group_by(import_jobs.c.state)
            ).all()
        )
        jobs = GaugeMetricFamily("jdx_import_jobs", "NamUs import jobs, by state", labels=["state"])
        for state in JOB_STATES:
            jobs.add_metric([state], counts.get(state, 0))
        yield jobs

    def _mail(self, conn: sa.Connection, moment: dt.datetime) -> Iterator[GaugeMetricFamily]:
        limit = self.hub.settings.mail_max_attempts
        unsent = outbox.c.sent_at.is_(None)
        failed = outbox.c.attempts >= limit
        row = conn.execute(
            sa.select(
                sa.func.count().filter(unsent, ~failed),
                sa.func.count().filter(unsent, failed),
                sa.func.min(outbox.c.due_at).filter(unsent, ~failed, outbox.c.due_at <= moment),
            )
        ).one()
        mail = GaugeMetricFamily(
            "jdx_mail_outbox",
            "Mail not sent: pending (due now or later, or being retried) and failed (given up "
            "after mail_max_attempts)",
            labels=["state"],
        )
        mail.add_metric(["pending"], row[0])
        mail.add_metric(["failed"], row[1])
        yield mail
        yield GaugeMetricFamily(
            "jdx_mail_overdue_seconds",
            "How long the most overdue pending mail has been due (0: none overdue)",
            value=_age(moment, row[2]),
        )

    def _merges(self, conn: sa.Connection, moment: dt.datetime) -> Iterator[GaugeMetricFamily]:
        rows = conn.execute(
            sa.select(
                rap_merge.c.state, sa.func.count(), sa.func.min(rap_merge.c.created_at)
            ).group_by(rap_merge.c.state)
        ).all()
        by_state = {state: (count, oldest) for state, count, oldest in rows}
        merges = GaugeMetricFamily(
            "jdx_rap_merges", "Rap sheet merges in progress, by state", labels=["state"]
        )
        for state in MERGE_STATES:
            merges.add_metric([state], by_state.get(state, (0, None))[0])
        yield merges
        oldest = min((o for _, o in by_state.values() if o is not None), default=None)
        yield GaugeMetricFamily(
            "jdx_rap_merge_oldest_seconds",
            "Age of the oldest merge in progress (0: none)",
            value=_age(moment, oldest),
        )

    def _workflow_queues(self, moment: dt.datetime) -> Iterator[GaugeMetricFamily]:
        """DBOS's own table of workflows (its system database; on SQLite a file of its own)."""
        depth = GaugeMetricFamily(
            "jdx_queue_workflows",
            "Workflows of a DBOS queue: ENQUEUED (waiting for a worker) and PENDING (running)",
            labels=["queue", "status"],
        )
        age = GaugeMetricFamily(
            "jdx_queue_oldest_enqueued_seconds",
            "Age of the oldest workflow waiting in a DBOS queue (0: none waiting)",
            labels=["queue"],
        )
        queues = _queues()
        found: dict[tuple[str, str], tuple[int, int | None]] = {}
        engine, schema = self._workflow_database()
        if engine is not None:
            status = sa.table(
                "workflow_status",
                sa.column("queue_name"),
                sa.column("status"),
                sa.column("created_at", sa.BigInteger),
                schema=schema,
            )
            query = (
                sa.select(
                    status.c.queue_name,
                    status.c.status,
                    sa.func.count(),
                    sa.func.min(status.c.created_at),
                )
                .where(status.c.queue_name.in_(queues), status.c.status.in_(QUEUE_STATES))
                .group_by(status.c.queue_name, status.c.status)
            )
            with engine.connect() as conn:
                found = {(q, s): (n, oldest) for q, s, n, oldest in conn.execute(query)}
        now_ms = moment.timestamp() * 1000
        for queue in queues:
            for state in QUEUE_STATES:
                depth.add_metric([queue, state], found.get((queue, state), (0, None))[0])
            oldest_ms = found.get((queue, "ENQUEUED"), (0, None))[1]
            age.add_metric(
                [queue], 0.0 if oldest_ms is None else max(0.0, (now_ms - oldest_ms) / 1000)
            )
        yield depth
        yield age

    def _workflow_database(self) -> tuple[sa.Engine | None, str | None]:
        """The engine and schema of DBOS's tables: the hub's database (schema ``dbos``) on
        PostgreSQL; on SQLite the workflow file, opened read-only. None before DBOS first made
        them (a hub whose ``jdx serve`` never ran): no workflow is queued then."""
        if self.hub.engine.url.get_backend_name() != "sqlite":
            if self._workflow_engine is None:
                with self.hub.engine.connect() as conn:
                    if not sa.inspect(conn).has_table("workflow_status", schema="dbos"):
                        return None, None
                self._workflow_engine = self.hub.engine
            return self._workflow_engine, "dbos"
        if self._workflow_engine is None:
            path = Path(sa.make_url(system_database_url(self.hub)).database or "")
            if not path.is_file():
                return None, None
            self._workflow_engine = sa.create_engine(
                f"sqlite:///file:{path}?mode=ro&uri=true", poolclass=sa.pool.NullPool
            )
        return self._workflow_engine, None
