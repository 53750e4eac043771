"""An upgrade finishes the workflows in flight: DBOS resumes and dequeues only the workflows of
its own application version, which is the workflow-compatibility version
(``jdx.workflows.WORKFLOW_VERSION``), not the package version.

`jdx serve` of one release takes a batch file over HTTP and is killed with SIGKILL once some of
its chunks are stored; `jdx serve` of the next release (the same code with another
``jdx.__version__``) starts on the same database and data folder and finishes the file: every
storable record stored once, the error file and the log complete.

The backend is the suite's: SQLite, or PostgreSQL when JDX_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import orjson
import pytest
import sqlalchemy as sa

import jdx
from jdx.exchanges.stops.tables import stop_file_chunks, stop_file_errors, stops
from tests.test_crash import ORI, Hub, _database_url, batch_file
from tests.test_serve import free_port
from tests.test_serve import jdx as jdx_command

pytestmark = pytest.mark.server

RECORDS = 30_000  # 30 chunks: the kill comes after the first
NAME = f"20240315143200_{ORI}_UPGRADE1.csv"
NEXT_RELEASE = "99.0.0"
# `jdx serve` as the next release would run it: another package version, the same workflows
NEXT = [
    sys.executable,
    "-c",
    f"import jdx; jdx.__version__ = {NEXT_RELEASE!r}; from jdx.cli import main; main()",
    "serve",
]


@pytest.fixture
def served(tmp_path: Path, worker_id: str) -> Iterator[tuple[Hub, str, sa.Engine]]:
    url = _database_url(worker_id)
    env = {
        **os.environ,
        "JDX_DATA_DIR": str(tmp_path / "data"),
        "JDX_DATABASE_URL": url,
        "JDX_PORT": str(free_port()),
        "JDX_WORKERS": "1",
        "JDX_SFTP": "off",
        "JDX_MAIL_POLL_SECONDS": "3600",
    }
    assert jdx_command(env, "db", "upgrade").returncode == 0
    demo = jdx_command(env, "demo")
    assert demo.returncode == 0, demo.stderr
    key = orjson.loads(jdx_command(env, "agency", "key", ORI).stdout)["api_key"]
    engine = sa.create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1)
        if url
        else f"sqlite:///{tmp_path / 'data' / 'jdx.db'}"
    )
    hub = Hub(env, tmp_path / "serve.log")
    try:
        yield hub, key, engine
    finally:
        hub.stop()
        engine.dispose()


def test_a_file_in_flight_is_finished_by_the_next_release(
    served: tuple[Hub, str, sa.Engine], tmp_path: Path
) -> None:
    hub, key, engine = served
    assert jdx.__version__ != NEXT_RELEASE
    batch = tmp_path / NAME
    fatal, with_errors = batch_file(batch, RECORDS)
    headers = {"Authorization": f"Bearer {key}"}
    hub.start()
    with batch.open("rb") as body:
        put = httpx.put(
            f"{hub.base}/sdcs/v1/files/{NAME}", content=body, headers=headers, timeout=120
        )
    assert put.status_code == 202, put.text
    status_url = hub.base + put.headers["location"]
    file_id = put.json()["file_id"]

    def chunks_done() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(stop_file_chunks.c.file_id == file_id)
                ).scalar_one()
            )

    deadline = time.monotonic() + 300
    while chunks_done() < 1:
        assert time.monotonic() < deadline, "no chunk stored in time"
        time.sleep(0.05)
    hub.kill()
    assert chunks_done() < RECORDS // 1000, "the kill came too late to prove anything"

    hub.argv = NEXT
    hub.start()
    deadline = time.monotonic() + 600
    while (status := httpx.get(status_url, headers=headers).json())["state"] not in (
        "done",
        "failed",
    ):
        assert time.monotonic() < deadline, f"the next release did not finish the file: {status}"
        time.sleep(0.5)

    storable = RECORDS - fatal
    assert (status["state"], status["total"], status["rejected"]) == ("done", RECORDS, fatal)
    assert (status["successful"], status["with_errors"]) == (storable - with_errors, with_errors)
    with engine.connect() as conn:
        count = sa.select(sa.func.count(), sa.func.count(sa.distinct(stops.c.lea_record_id)))
        stored, distinct = conn.execute(count.where(stops.c.file_id == file_id)).one()
        error_rows = conn.execute(
            sa.select(sa.func.count()).where(stop_file_errors.c.file_id == file_id)
        ).scalar_one()
    assert stored == distinct == storable
    assert error_rows == fatal + with_errors
    log = httpx.get(hub.base + status["results"][f"{batch.stem}_log.txt"], headers=headers)
    assert f"TOTAL {RECORDS} SUCCESSFUL {storable - with_errors}".encode() in log.content
