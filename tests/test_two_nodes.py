"""Two `jdx serve` nodes on one PostgreSQL database: files belong to the cluster (issue 17).

Each node has its own data folder, node id, HTTP port and embedded SFTP server, as two machines
would. Files are sent to node1 only: a batch file and one-stop files through its SFTP server
(OpenSSH's ``sftp``), a second batch file over HTTP. A node processes one batch file at a time,
so the second batch file is taken by the node that is not busy with the first: whichever node
takes the first, node2 processes a file that node1 received. Everything the agency gets back is
then read through node2's SFTP server: every record stored once, each file's error file,
response report and processor log, and one mail for each file (a real SMTP server).

Before issue 17 node2 found no such file on its disk (``FileNotFoundError``): the file stayed
``received`` with nothing stored, no answer and no mail, and OUTPUT written by node1 was not
seen through node2.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import orjson
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from bench import processes

from jdx.exchanges.stops.tables import stop_files, stops
from jdx.store.tables import outbox
from tests.conftest import drop_postgres_database, fresh_postgres_database, stop_record
from tests.notify.conftest import Collector
from tests.test_crash import batch_file
from tests.test_serve import free_port, jdx

pytestmark = [
    pytest.mark.server,
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("sftp") is None, reason="needs OpenSSH's sftp client"),
]

ORI = "CA0370000"  # the demo agency
STAMP = "20240315143200"
FIRST, SECOND = 3000, 300  # records of the two batch files: the first keeps its node busy
ONE_STOP_FILES = 5


@dataclass
class Node:
    name: str
    env: dict[str, str]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.env['JDX_PORT']}"

    @property
    def sftp_port(self) -> str:
        return self.env["JDX_SFTP_PORT"]


@dataclass
class Cluster:
    nodes: list[Node]
    engine: sa.Engine
    api_key: str
    ssh_key: Path
    mail: Collector


@pytest.fixture
def cluster(tmp_path: Path, worker_id: str) -> Iterator[Cluster]:
    collector = Collector()
    smtp = Controller(collector, hostname="127.0.0.1", port=free_port())
    url = fresh_postgres_database(f"nodes_{worker_id}")
    shared = {
        **os.environ,
        "JDX_DATABASE_URL": url,
        "JDX_WORKERS": "1",
        "JDX_BULK_WORKERS": "0",  # two nodes on a small machine: records checked in-process
        "JDX_SFTP": "embedded",
        "JDX_SFTP_HOST": "127.0.0.1",
        "JDX_SMTP_HOST": "127.0.0.1",
        "JDX_SMTP_PORT": str(smtp.port),
        "JDX_SMTP_TLS": "none",
        "JDX_MAIL_POLL_SECONDS": "0.5",
        "JDX_ONESTOP_SUMMARY_SECONDS": "0",  # one-stop files' summary mail without a minute's wait
    }
    nodes = [
        Node(
            name,
            {
                **shared,
                "JDX_NODE_ID": name,
                "JDX_DATA_DIR": str(tmp_path / name),
                "JDX_PORT": str(free_port()),
                "JDX_SFTP_PORT": str(free_port()),
            },
            tmp_path / f"{name}.log",
        )
        for name in ("node1", "node2")
    ]
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with contextlib.ExitStack() as stack:
        stack.callback(drop_postgres_database, url)
        stack.callback(engine.dispose)
        smtp.start()
        stack.callback(smtp.stop)
        setup = nodes[0].env
        for command in (("db", "upgrade"), ("demo",), ("sftp", "enable", ORI)):
            done = jdx(setup, *command)
            assert done.returncode == 0, done.stderr
        api_key = orjson.loads(jdx(setup, "agency", "key", ORI).stdout)["api_key"]
        ssh_key = tmp_path / "id_ed25519"
        processes.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ssh_key)], check=True
        )
        added = jdx(setup, "sftp", "add-key", ORI, str(ssh_key) + ".pub")
        assert added.returncode == 0, added.stderr
        for node in nodes:
            with node.log.open("ab") as log:
                process = stack.enter_context(
                    processes.group(
                        [sys.executable, "-m", "jdx", "serve"], env=node.env, stdout=log, stderr=log
                    )
                )
            processes.wait_for_health(
                node.base, process, seconds=60, detail=lambda n=node: n.log.read_text()[-3000:]
            )
        yield Cluster(nodes, engine, api_key, ssh_key, collector)


def sftp(cluster: Cluster, node: Node, *commands: str) -> subprocess.CompletedProcess[str]:
    """OpenSSH's sftp in batch mode, logged in to ``node`` with the agency's key."""
    batch = cluster.ssh_key.parent / "batch"
    batch.write_text("\n".join(commands) + "\n")
    options = ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"]
    options += ["IdentitiesOnly=yes", "PasswordAuthentication=no"]
    done = processes.run(
        ["sftp", "-b", str(batch), "-i", str(cluster.ssh_key), "-P", node.sftp_port]
        + ["-F", "/dev/null"]
        + [arg for option in options for arg in ("-o", option)]
        + [f"{ORI}@127.0.0.1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def wait_until(what: str, done: object, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what}: not in {seconds} s"
        time.sleep(0.2)


def test_files_sent_to_one_node_are_processed_by_either_and_answered_through_the_other(
    cluster: Cluster, tmp_path: Path
) -> None:
    node1, node2 = cluster.nodes
    engine = cluster.engine
    outgoing = tmp_path / "outgoing"
    outgoing.mkdir()
    first = f"{STAMP}_{ORI}_FIRST1.csv"
    second = f"{STAMP}_{ORI}_SECOND1.csv"
    first_fatal, first_errors = batch_file(outgoing / first, FIRST, prefix="F", officer="F")
    second_fatal, second_errors = batch_file(outgoing / second, SECOND, prefix="G", officer="G")
    singles = []
    for i in range(ONE_STOP_FILES):
        record = stop_record(ORI=ORI, LEARecordID=f"S{i:07d}")
        singles.append(f"{STAMP}_{ORI}_S{i:07d}.json")
        (outgoing / singles[-1]).write_bytes(orjson.dumps(record))

    def file_row(name: str) -> sa.Row[tuple[object, ...]] | None:
        with engine.connect() as conn:
            return conn.execute(sa.select(stop_files).where(stop_files.c.file_name == name)).first()

    # the first batch file by node1's SFTP; once a node is busy with it, the rest
    sftp(cluster, node1, "cd PROD/INPUT", f"lcd {outgoing}", f"put {first}")
    wait_until(
        "the first file taken",
        lambda: (row := file_row(first)) is not None and row.state != "received",
    )
    with (outgoing / second).open("rb") as body:
        put = httpx.put(
            f"{node1.base}/sdcs/v1/files/{second}",
            content=body,
            headers={"Authorization": f"Bearer {cluster.api_key}"},
            timeout=120,
        )
    assert put.status_code == 202, put.text
    sftp(cluster, node1, "cd PROD/INPUT", f"lcd {outgoing}", *(f"put {n}" for n in singles))
    names = [first, second, *singles]

    def answered() -> bool:
        with engine.connect() as conn:
            finished = conn.execute(
                sa.select(sa.func.count()).where(
                    stop_files.c.file_name.in_(names), stop_files.c.finished_at.is_not(None)
                )
            ).scalar_one()
        return finished == len(names)

    wait_until("every file answered", answered)

    # every record stored once; each file done
    with engine.connect() as conn:
        files = {
            row.file_name: row
            for row in conn.execute(sa.select(stop_files).where(stop_files.c.file_name.in_(names)))
        }
        stored, distinct = conn.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(stops.c.lea_record_id))).where(
                stops.c.ori == ORI
            )
        ).one()
        executors = dict(
            conn.execute(
                sa.text(
                    "SELECT workflow_uuid, executor_id FROM dbos.workflow_status "
                    "WHERE workflow_uuid IN (:a, :b)"
                ),
                {"a": f"stop-file-{files[first].id}", "b": f"stop-file-{files[second].id}"},
            ).all()
        )
    assert {f.state for f in files.values()} == {"done"}
    assert (files[first].total, files[first].rejected) == (FIRST, first_fatal)
    assert (files[second].total, files[second].with_errors) == (SECOND, second_errors)
    storable = FIRST - first_fatal + SECOND - second_fatal + ONE_STOP_FILES
    assert stored == distinct == storable
    # node2 processed a file that node1 received (a node takes one batch file at a time)
    assert sorted(executors.values()) == ["node1", "node2"], executors

    # the answers, read through node2's SFTP
    answers = tmp_path / "answers"
    answers.mkdir()
    stems = [n.rsplit(".", 1)[0] for n in names]
    wanted = [f"{s}_{kind}" for s in stems for kind in ("response.txt", "log.txt")]
    wanted += [f"{s}_errors.csv" for s in stems[:2]]
    listing = sftp(cluster, node2, "ls -1 /PROD/OUTPUT", "ls -1 /PROD/responses_from_DOJ").stdout
    assert set(wanted) <= {line.strip().rsplit("/", 1)[-1] for line in listing.splitlines()}
    sftp(cluster, node2, f"lcd {answers}", *(f"get /PROD/OUTPUT/{n}" for n in wanted))
    first_stem, second_stem = stems[:2]
    log = (answers / f"{first_stem}_log.txt").read_bytes()
    assert len(log) == 146
    assert f"TOTAL {FIRST} SUCCESSFUL {FIRST - first_fatal - first_errors}".encode() in log
    errors_csv = (answers / f"{first_stem}_errors.csv").read_text().splitlines()
    assert len(errors_csv) == 1 + first_fatal + first_errors
    report = (answers / f"{second_stem}_response.txt").read_text()
    assert report.count(f"{ORI}|{second}|") >= second_fatal + second_errors
    for stem in stems[2:]:
        assert b"TOTAL 1 SUCCESSFUL 1" in (answers / f"{stem}_log.txt").read_bytes()

    # a report deleted through node2 is gone from both views, on node1 too
    sftp(cluster, node2, f"rm /PROD/responses_from_DOJ/{second_stem}_response.txt")
    seen_by_node1 = sftp(cluster, node1, "ls -1 /PROD/OUTPUT", "ls -1 /PROD/responses_from_DOJ")
    assert f"{second_stem}_response.txt" not in seen_by_node1.stdout
    assert f"{second_stem}_log.txt" in seen_by_node1.stdout

    # one mail for each file, sent once
    def sent() -> bool:
        with engine.connect() as conn:
            unsent = conn.execute(
                sa.select(sa.func.count()).where(
                    outbox.c.key.like("%stop-file:%"), outbox.c.sent_at.is_(None)
                )
            ).scalar_one()
        return unsent == 0 and all(
            any(name in m.text for m in cluster.mail.received) for name in names
        )

    wait_until("the mail sent", sent, seconds=60)
    with engine.connect() as conn:
        keys = sorted(conn.execute(sa.select(outbox.c.key)).scalars())
    ids = {name: files[name].id for name in names}
    assert keys == sorted(
        [f"stop-file:{ids[first]}", f"stop-file:{ids[second]}"]
        + [f"summary:stop-file:{ids[n]}" for n in singles]
    )
    for name in names:
        assert len([m for m in cluster.mail.received if name in m.text]) == 1, name
