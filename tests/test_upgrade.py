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

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
import sqlalchemy as sa

import jdx
from tests.test_crash import (
    ORI,
    Hub,
    batch_file,
    demo_hub,
    demo_key,
    finished,
    put_and_kill,
    stored_once,
)

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
    with demo_hub(tmp_path, worker_id, JDX_SFTP="off", JDX_MAIL_POLL_SECONDS="3600") as (
        hub,
        engine,
    ):
        yield hub, demo_key(hub), engine


def test_a_file_in_flight_is_finished_by_the_next_release(
    served: tuple[Hub, str, sa.Engine], tmp_path: Path
) -> None:
    hub, key, engine = served
    assert jdx.__version__ != NEXT_RELEASE
    batch = tmp_path / NAME
    fatal, with_errors = batch_file(batch, RECORDS)
    headers = {"Authorization": f"Bearer {key}"}
    hub.start()
    status_url, file_id, interrupted_at = put_and_kill(hub, engine, headers, batch, chunks=1)
    assert interrupted_at < RECORDS // 1000, "the kill came too late to prove anything"

    hub.argv = NEXT
    hub.start()
    status = finished(status_url, headers, "the next release did not finish the file")

    storable = RECORDS - fatal
    assert (status["state"], status["total"], status["rejected"]) == ("done", RECORDS, fatal)
    assert (status["successful"], status["with_errors"]) == (storable - with_errors, with_errors)
    stored, distinct, error_rows = stored_once(engine, file_id)
    assert stored == distinct == storable
    assert error_rows == fatal + with_errors
    log = httpx.get(hub.base + status["results"][f"{batch.stem}_log.txt"], headers=headers)
    assert f"TOTAL {RECORDS} SUCCESSFUL {storable - with_errors}".encode() in log.content
