"""Two ``jdx serve`` nodes on one PostgreSQL database: one is killed mid-work, the other
finishes that work, each piece exactly once (issue 17, ``jdx/takeover.py``).

Real processes on loopback, started and killed as ``tests/test_crash.py`` does, each with its
own ``JDX_NODE_ID`` and a dead time of a few seconds; mail goes to a real SMTP server
(aiosmtpd). The killed node is never started again: what it had in flight is finished by the
other node, or not at all.

- Mid-job and mid-merge (each node with its own data folder): NamUs jobs of many cases, sent
  through node2, are dequeued by both nodes, and node1 is killed (SIGKILL) while it holds some
  of them. Two rap-sheet merges have a portion outstanding when node1, which took their
  notifications and first portions, dies: the last portion of one goes to node2, the other
  times out there.
- Mid-file: the node processing a file of thousands of stops is killed. Each node has its own
  data folder: the survivor reads the file's bytes from the file store the cluster shares (the
  database, ``exchanges/stops/file_store.py``), whichever node received it.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import pytest
import sqlalchemy as sa

from jdx.exchanges.cases.tables import cases, import_jobs
from jdx.exchanges.rapsheets.service import RapSheetService
from jdx.exchanges.stops.tables import stop_file_chunks
from jdx.hub import create_hub
from jdx.settings import load_settings
from jdx.store.tables import nodes, outbox
from tests.conftest import (
    AgencyFixture,
    drop_postgres_database,
    fresh_postgres_database,
    new_agency,
)
from tests.exchanges.cases.test_import import missing, unidentified
from tests.exchanges.rapsheets.test_service import fbi_number, notification, portion
from tests.notify.conftest import Collector
from tests.test_crash import ORI, Hub, batch_file, finished, smtp, stored_once
from tests.test_serve import free_port, jdx

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.smtp]
__all__ = ["smtp"]  # the SMTP server fixture, shared with tests/test_crash.py

DEAD_SECONDS = "3"  # production's default is 30 (JDX_NODE_DEAD_SECONDS)
XML = {"Content-Type": "application/xml"}
SENT_WITHIN = 120.0  # seconds; a bound for a stuck test, not a timing assertion


@dataclass
class Cluster:
    node1: Hub
    node2: Hub
    engine: sa.Engine

    def pending_on(self, node: str, workflow: str) -> list[str]:
        """The ids of ``node``'s workflows of that kind in flight (DBOS' own table)."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT workflow_uuid FROM dbos.workflow_status WHERE executor_id = :n "
                        "AND status = 'PENDING' AND name LIKE :w"
                    ),
                    {"n": node, "w": f"%{workflow}"},
                ).scalars()
            )

    def outcomes(self, ids: list[str]) -> set[tuple[str, str]]:
        """(status, executor) of the workflows ``ids``."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT status, executor_id FROM dbos.workflow_status "
                    "WHERE workflow_uuid = ANY(:ids)"
                ),
                {"ids": ids},
            )
            return {(r.status, r.executor_id) for r in rows}

    def taken_over_by(self, node: str) -> str | None:
        with self.engine.connect() as conn:
            taker: str | None = conn.execute(
                sa.select(nodes.c.taken_over_by).where(nodes.c.node_id == node)
            ).scalar_one_or_none()
            return taker


@contextlib.contextmanager
def two_nodes(
    tmp_path: Path, worker_id: str, smtp_port: int, *, shared_data: bool, **env: str
) -> Iterator[tuple[Cluster, str]]:
    """Two nodes (not started yet) on a fresh database, and the database's URL; the nodes are
    stopped (their whole process groups) and the database dropped when the block ends."""
    url = fresh_postgres_database(f"takeover_{worker_id}")
    common = {
        **os.environ,
        "JDX_DATABASE_URL": url,
        "JDX_WORKERS": "1",
        "JDX_SFTP": "off",
        "JDX_SMTP_HOST": "127.0.0.1",
        "JDX_SMTP_PORT": str(smtp_port),
        "JDX_SMTP_TLS": "none",
        "JDX_MAIL_POLL_SECONDS": "0.5",
        "JDX_NODE_DEAD_SECONDS": DEAD_SECONDS,
        **env,
    }
    upgraded = jdx({**common, "JDX_DATA_DIR": str(tmp_path / "setup")}, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr

    def node(name: str) -> Hub:
        data = tmp_path / ("both-nodes" if shared_data else name)
        own = {**common, "JDX_NODE_ID": name, "JDX_DATA_DIR": str(data)}
        return Hub({**own, "JDX_PORT": str(free_port())}, tmp_path / f"{name}.log")

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    cluster = Cluster(node("node1"), node("node2"), engine)
    try:
        yield cluster, url
    finally:
        cluster.node1.stop()
        cluster.node2.stop()
        engine.dispose()
        drop_postgres_database(url)


def until(what: str, done: Callable[[], bool], seconds: float = SENT_WITHIN) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def mails_sent(engine: sa.Engine, keys: list[str]) -> bool:
    with engine.connect() as conn:
        unsent = conn.execute(
            sa.select(sa.func.count()).where(outbox.c.key.in_(keys), outbox.c.sent_at.is_(None))
        ).scalar_one()
    return unsent == 0


# --- mid-job and mid-merge ----------------------------------------------------------------------

AGENCIES = 3
JOBS_PER_AGENCY = 10
CASES = 100  # per job: the seed's limit


@dataclass
class People:
    """The agencies of the test, made as an operator would (``jdx agency add`` and so on)."""

    importers: list[AgencyFixture]
    requester: AgencyFixture
    fbi_iii: AgencyFixture
    texas: AgencyFixture
    ohio: AgencyFixture


def people(url: str, data: Path) -> People:
    hub = create_hub(load_settings(database_url=url, data_dir=data))
    try:
        importers = [new_agency(hub, f"Importer {i}") for i in range(AGENCIES)]
        requester, fbi_iii = new_agency(hub, "Requester"), new_agency(hub, "FBI/III")
        texas, ohio = new_agency(hub, "Texas"), new_agency(hub, "Ohio")
        hub.service(RapSheetService).add_responder(texas.ori, "TX")
        hub.service(RapSheetService).add_responder(ohio.ori, "OH")
        return People(importers, requester, fbi_iii, texas, ohio)
    finally:
        hub.dispose()


@pytest.fixture
def jobs_cluster(
    tmp_path: Path, worker_id: str, smtp: tuple[Collector, int]
) -> Iterator[tuple[Cluster, People]]:
    with two_nodes(
        tmp_path,
        worker_id,
        smtp[1],
        shared_data=False,
        JDX_NAMUS_REQUIRE_CLIENT_CERT="false",
        JDX_RAP_TIMEOUT_SECONDS="20",
        JDX_RAP_SWEEP_SECONDS="1",
    ) as (cluster, url):
        the_people = people(url, tmp_path / "setup")
        # Only the FBI/III may notify (seed 2.3): the setting names its ORI on both nodes.
        for node in (cluster.node1, cluster.node2):
            node.env["JDX_RAP_NOTIFIERS"] = f'["{the_people.fbi_iii.ori}"]'
        # node1 dies mid-work: a mail it had handed to the SMTP server and not yet marked
        # sent would go out twice (at-least-once, docs/operations.md "Once"), which is not
        # what this test is about; node2 sends every mail.
        cluster.node1.env["JDX_MAIL_POLL_SECONDS"] = "3600"
        yield cluster, the_people


def _post(base: str, path: str, who: AgencyFixture, **kwargs: Any) -> httpx.Response:
    return httpx.post(
        f"{base}{path}", headers={**who.auth(), **kwargs.pop("headers", {})}, timeout=120, **kwargs
    )


def send_jobs_until_node1_is_paused_holding_some(
    cluster: Cluster, p: People
) -> dict[int, AgencyFixture]:
    """Jobs sent through node2, which both nodes take from the queue, until node1 is seen
    holding one and paused (SIGSTOP) with it still held; returns the jobs. A look, then the
    kill, left a window in which a loaded machine let node1 finish what it held (the test then
    failed as "too late"): so the look is taken again once node1 is paused, when it can finish
    nothing, and node1 resumed and watched again if it got away."""
    jobs: dict[int, AgencyFixture] = {}
    to_send = iter(p.importers * JOBS_PER_AGENCY)
    deadline = time.monotonic() + SENT_WITHIN
    while True:
        if cluster.pending_on("node1", "job_workflow"):
            cluster.node1.pause()
            if cluster.pending_on("node1", "job_workflow"):
                return jobs
            cluster.node1.resume()
        agency = next(to_send, None)
        if agency is None:  # all sent: node1 takes more of them as the queue drains
            assert time.monotonic() < deadline, "node1 took no job"
            time.sleep(0.01)
            continue
        items = [missing() if i % 2 else unidentified() for i in range(CASES)]
        answer = _post(cluster.node2.base, "/namus/v1/jobs", agency, json={"cases": items})
        assert answer.status_code == 202, answer.text
        jobs[answer.json()["job_id"]] = agency


def jobs_done_once(
    cluster: Cluster,
    jobs: dict[int, AgencyFixture],
    in_flight: list[str],
    mail: Collector,
    *,
    by: str = "node2",
) -> None:
    """Every job complete, as its agency reads it from node2, each case stored once, one mail
    each; the workflows node1 had in flight finished by node2 (or by ``by``)."""

    def jobs_complete() -> bool:
        with cluster.engine.connect() as conn:
            states = conn.execute(
                sa.select(import_jobs.c.state).where(import_jobs.c.id.in_(jobs))
            ).scalars()
            return set(states) == {"complete"}

    until("node1's jobs were not taken over", jobs_complete)
    until(
        f"node1's workflows did not end on {by}",
        lambda: (
            {status for status, _ in cluster.outcomes(in_flight)} == {"SUCCESS"}
            and {node for _, node in cluster.outcomes(in_flight)} <= {by, "node2"}
        ),
    )

    for job_id, agency in jobs.items():
        status = httpx.get(
            f"{cluster.node2.base}/namus/v1/jobs/{job_id}", headers=agency.auth()
        ).json()
        assert (status["state"], status["total"], status["created"]) == ("complete", CASES, CASES)
        numbers = {c["case_number"] for c in status["cases"]}
        assert len(numbers) == CASES
    with cluster.engine.connect() as conn:
        stored, distinct = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.count(
                    sa.distinct(sa.tuple_(cases.c.agency_id, cases.c.client_case_number))
                ),
            ).where(cases.c.job_id.in_(jobs))
        ).one()
    assert stored == distinct == len(jobs) * CASES

    keys = [f"case-job-{job_id}" for job_id in jobs]
    until("the jobs' mail was not sent", lambda: mails_sent(cluster.engine, keys))
    with cluster.engine.connect() as conn:
        queued = (
            conn.execute(sa.select(outbox.c.key).where(outbox.c.key.like("case-job-%")))
            .scalars()
            .all()
        )
    assert sorted(queued) == sorted(keys)
    subjects = sorted(str(r.message["Subject"]).split(":")[0] for r in mail.received)
    assert subjects == sorted(f"NamUs import job {job_id}" for job_id in jobs)


def test_node1_killed_mid_job_and_mid_merge_node2_finishes_each_once(
    jobs_cluster: tuple[Cluster, People], smtp: tuple[Collector, int]
) -> None:
    cluster, p = jobs_cluster
    node1, node2 = cluster.node1, cluster.node2
    node1.start()
    node2.start()

    # Two merges, each waiting for Ohio's portion, held by node1 alone until it dies.
    fbi = {"completed": fbi_number(), "timed out": fbi_number()}
    sids = {"completed": ("TX01", "OH02"), "timed out": ("TX03", "OH04")}
    for what, number in fbi.items():
        tx, oh = sids[what]
        text = notification(p.requester.ori, number, [("TEXAS", tx), ("OHIO", oh)], fbi_too=False)
        made = _post(node1.base, "/chri/v1/notifications", p.fbi_iii, content=text)
        assert made.status_code == 201, made.text
        first = _post(
            node1.base,
            f"/chri/v1/rapsheets?destination={p.requester.ori}",
            p.texas,
            content=portion("TEXAS", tx, number, "19950101"),
            headers=XML,
        )
        assert (first.status_code, first.json().get("outcome")) == (202, "merged"), first.text

    jobs = send_jobs_until_node1_is_paused_holding_some(cluster, p)
    node1.kill()  # (SIGKILL ends a stopped process too)
    in_flight = cluster.pending_on("node1", "job_workflow")
    assert in_flight, "the kill came too late to prove anything"

    # The last portion of one merge reaches node2; the other merge times out there.
    last = _post(
        node2.base,
        f"/chri/v1/rapsheets?destination={p.requester.ori}",
        p.ohio,
        content=portion("OHIO", "OH02", fbi["completed"], "19900101"),
        headers=XML,
    )
    assert (last.status_code, last.json()["outcome"]) == (202, "delivered"), last.text

    jobs_done_once(cluster, jobs, in_flight, smtp[0])
    assert cluster.taken_over_by("node1") == "node2"

    # Each merge delivered once to the requester, through either node's outbox.
    def delivered() -> list[dict[str, Any]]:
        listing = httpx.get(f"{node2.base}/chri/v1/outbox", headers=p.requester.auth())
        return list(listing.json()["items"])

    until("the timed-out merge was not delivered", lambda: len(delivered()) >= 2)
    items = delivered()
    assert len(items) == 2
    bodies = [httpx.get(node2.base + i["href"], headers=p.requester.auth()).text for i in items]
    done = [b for b in bodies if fbi["completed"] in b]
    late = [b for b in bodies if fbi["timed out"] in b]
    assert len(done) == len(late) == 1
    assert "OH02" in done[0] and "INCOMPLETE RECORD" not in done[0]
    assert "INCOMPLETE RECORD: the portion from OHIO - STATE ID/OH04" in late[0]


def test_node1_paused_past_the_dead_time_its_jobs_are_done_once(
    jobs_cluster: tuple[Cluster, People], smtp: tuple[Collector, int]
) -> None:
    """The zombie: node1 is stopped (SIGSTOP) mid-job, as a long pause would, and taken over
    by node2, which puts its jobs back on the queue; then node1 goes on (SIGCONT) with what it
    was doing. Each job is still done once, and node1 says in its log that it was taken
    over."""
    cluster, p = jobs_cluster
    node1, node2 = cluster.node1, cluster.node2
    node1.start()
    node2.start()
    try:
        jobs = send_jobs_until_node1_is_paused_holding_some(cluster, p)
        in_flight = cluster.pending_on("node1", "job_workflow")
        assert in_flight, "the pause came too late to prove anything"
        until("node1 was not taken over", lambda: cluster.taken_over_by("node1") == "node2")
    finally:
        node1.resume()
    # Its jobs, back on the queue, are taken by node2 or by node1 again, once node1 ends the
    # transaction it was paused in (node2's runs of that agency's jobs wait for its lock).
    jobs_done_once(cluster, jobs, in_flight, smtp[0], by="node1")
    until(
        "node1 did not notice the takeover",
        lambda: "node node1 was taken over by node2" in node1.log.read_text(),
    )


# --- mid-file -----------------------------------------------------------------------------------

RECORDS = 30_000


@pytest.fixture
def file_cluster(
    tmp_path: Path, worker_id: str, smtp: tuple[Collector, int]
) -> Iterator[tuple[Cluster, str]]:
    with two_nodes(tmp_path, worker_id, smtp[1], shared_data=False) as (cluster, _):
        demo = jdx(cluster.node1.env, "demo")
        assert demo.returncode == 0, demo.stderr
        key = jdx(cluster.node1.env, "agency", "key", ORI)
        assert key.returncode == 0, key.stderr
        yield cluster, orjson.loads(key.stdout)["api_key"]


def test_the_node_processing_a_file_killed_the_other_finishes_it_once(
    file_cluster: tuple[Cluster, str], smtp: tuple[Collector, int], tmp_path: Path
) -> None:
    cluster, key = file_cluster
    name = f"20240315143200_{ORI}_TAKEOVER1.csv"
    batch = tmp_path / name
    fatal, with_errors = batch_file(batch, RECORDS)
    headers = {"Authorization": f"Bearer {key}"}
    cluster.node1.start()
    cluster.node2.start()
    with batch.open("rb") as body:
        put = httpx.put(
            f"{cluster.node1.base}/sdcs/v1/files/{name}", content=body, headers=headers, timeout=120
        )
    assert put.status_code == 202, put.text
    file_id = put.json()["file_id"]
    workflow = f"stop-file-{file_id}"

    def processing_node() -> str | None:
        for node in ("node1", "node2"):
            if workflow in cluster.pending_on(node, "file_workflow") and chunks(cluster, file_id):
                return node
        return None

    until("no node took the file", lambda: processing_node() is not None)
    victim = processing_node()
    assert victim is not None
    heir = "node2" if victim == "node1" else "node1"
    dead, survivor = (
        (cluster.node1, cluster.node2) if victim == "node1" else (cluster.node2, cluster.node1)
    )
    dead.kill()
    assert chunks(cluster, file_id) < RECORDS // 1000, "the kill came too late to prove anything"
    assert workflow in cluster.pending_on(victim, "file_workflow")

    status_url = survivor.base + put.headers["location"]

    status = finished(status_url, headers, f"{victim}'s file was not taken over")
    storable = RECORDS - fatal
    assert (status["state"], status["total"], status["rejected"]) == ("done", RECORDS, fatal)
    assert (status["successful"], status["with_errors"]) == (storable - with_errors, with_errors)
    assert cluster.taken_over_by(victim) == heir
    assert cluster.outcomes([workflow]) == {("SUCCESS", heir)}
    stored, distinct, error_rows = stored_once(cluster.engine, file_id)
    assert stored == distinct == storable
    assert error_rows == fatal + with_errors
    until(
        "the file's mail was not sent", lambda: mails_sent(cluster.engine, [f"stop-file:{file_id}"])
    )
    assert [name in r.text for r in smtp[0].received] == [True]
    log = httpx.get(survivor.base + status["results"][f"{batch.stem}_log.txt"], headers=headers)
    assert f"TOTAL {RECORDS} SUCCESSFUL {storable - with_errors}".encode() in log.content


def chunks(cluster: Cluster, file_id: int) -> int:
    with cluster.engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).where(stop_file_chunks.c.file_id == file_id)
            ).scalar_one()
        )
