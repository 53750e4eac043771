"""A hub killed with SIGKILL in the middle of a 100,000-record file loses and repeats nothing.

`jdx serve` runs as a real process on loopback. A pipe-delimited file of 100,000 stops (one in
twenty with a fatal error, one in twenty with a record error) is uploaded over HTTP; once some
chunks are stored the process is killed with SIGKILL and started again. DBOS resumes the file's
workflow at launch, and the chunk table makes the resumed run skip exactly the chunks that were
committed. Afterwards: every storable record is stored exactly once, the error file and the
processor log count every record, and the file's mail reaches a real SMTP server once.

The same for one stop per file (issue 14): hundreds of one-stop files in flight through the
small-file lane, the hub killed twice and started again; each file answered exactly once.

The backend is the suite's: SQLite, or PostgreSQL when JDX_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from bench import processes

from jdx.codecs.flat import FlatLayout
from jdx.dictionary import load_dictionary
from jdx.exchanges.stops.tables import (
    folder_names,
    stop_file_chunks,
    stop_file_errors,
    stop_files,
    stops,
)
from jdx.store.tables import outbox
from jdx.validation import DICTIONARY_DIR
from tests.conftest import PG_URL, fresh_postgres_database, stop_record
from tests.notify.conftest import Collector
from tests.test_serve import free_port, jdx

pytestmark = pytest.mark.server

RECORDS = 100_000
ORI = "CA0370000"
NAME = f"20240315143200_{ORI}_CRASH1.csv"


def _database_url(worker_id: str) -> str:
    """A fresh database of this test's own (the worker's is held by the in-process hub)."""
    if not PG_URL:
        return ""
    return fresh_postgres_database(f"crash_{worker_id}")


def batch_file(
    path: Path, records: int = RECORDS, prefix: str = "C", officer: str = "K"
) -> tuple[int, int]:
    """The file, written as a stream; returns (records with a fatal error, with a record error).
    Record ids start with ``prefix`` and officer ids with ``officer``: files with other ones
    hold no duplicate of this one's stops."""
    layout = FlatLayout(load_dictionary(DICTIONARY_DIR / "stop-2024.yaml"))
    fatal = errors = 0
    template = stop_record(ORI=ORI)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("|".join(layout.names) + "\r\n")
        for i in range(records):
            record = orjson.loads(orjson.dumps(template))
            record["LEARecordID"] = f"{prefix}{i:08d}"
            record["Officer"]["UID"] = f"{officer}{i // 1000:08d}"
            record["STime"] = f"{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
            if i % 20 == 7:
                record["SDate"] = "13/45/2024"  # fatal: a core attribute
                fatal += 1
            elif i % 20 == 13:
                record["SDur"] = "0"  # a record error: stored "Submitted with Errors"
                errors += 1
            for row in layout.to_rows(record):
                out.write("|".join(row) + "\r\n")
    return fatal, errors


class Hub:
    """`jdx serve` as a child process that can be killed and started again (``argv``: the
    command that runs it, ``python -m jdx serve`` unless told)."""

    def __init__(self, env: dict[str, str], log: Path, argv: list[str] | None = None) -> None:
        self.env, self.log = env, log
        self.argv = argv or [sys.executable, "-m", "jdx", "serve"]
        self.base = f"http://127.0.0.1:{env['JDX_PORT']}"
        self.process: subprocess.Popen[bytes] | None = None
        # Each start's process group, stopped by stop(): the one killed too, whose bulk worker
        # and forkserver outlive the hub's process until they notice it is gone.
        self.groups = contextlib.ExitStack()

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = self.groups.enter_context(
                processes.group(self.argv, env=self.env, stdout=log, stderr=log)
            )
        processes.wait_for_health(
            self.base, self.process, seconds=60, detail=lambda: self.log.read_text()[-3000:]
        )

    def kill(self) -> None:
        """The crash: SIGKILL to the hub's process alone, as the kernel's OOM killer would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def pause(self) -> None:
        """A long pause (SIGSTOP to the hub's process alone): alive, holding what it holds,
        and silent; :meth:`resume` lets it go on."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.groups.close()


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield collector, controller.port
    finally:
        controller.stop()


@contextlib.contextmanager
def demo_hub(tmp_path: Path, worker_id: str, **settings: str) -> Iterator[tuple[Hub, sa.Engine]]:
    """A migrated hub with the demo data, not started, on a database of its own (the suite's
    backend), with ``settings`` (JDX_* variables); and an engine on that database."""
    url = _database_url(worker_id)
    env = {
        **os.environ,
        "JDX_DATA_DIR": str(tmp_path / "data"),
        "JDX_DATABASE_URL": url,
        "JDX_PORT": str(free_port()),
        "JDX_WORKERS": "1",
        **settings,
    }
    assert jdx(env, "db", "upgrade").returncode == 0
    demo = jdx(env, "demo")
    assert demo.returncode == 0, demo.stderr
    engine = sa.create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1)
        if url
        else f"sqlite:///{tmp_path / 'data' / 'jdx.db'}"
    )
    hub = Hub(env, tmp_path / "serve.log")
    try:
        yield hub, engine
    finally:
        hub.stop()
        engine.dispose()


def demo_key(hub: Hub) -> str:
    """The production key of the demo agency ``ORI``."""
    return str(orjson.loads(jdx(hub.env, "agency", "key", ORI).stdout)["api_key"])


@pytest.fixture(params=["1", "0"], ids=["bulk-worker", "in-process"])
def served(
    request: pytest.FixtureRequest, tmp_path: Path, worker_id: str, smtp: tuple[Collector, int]
) -> Iterator[tuple[Hub, str, sa.Engine]]:
    """The hub's records checked in a worker process (the default) and in its own."""
    with demo_hub(
        tmp_path,
        worker_id,
        JDX_BULK_WORKERS=request.param,
        JDX_SFTP="off",
        JDX_SMTP_HOST="127.0.0.1",
        JDX_SMTP_PORT=str(smtp[1]),
        JDX_SMTP_TLS="none",
        JDX_MAIL_POLL_SECONDS="0.5",
    ) as (hub, engine):
        yield hub, demo_key(hub), engine


def put_and_kill(
    hub: Hub, engine: sa.Engine, headers: dict[str, str], batch: Path, chunks: int
) -> tuple[str, int, int]:
    """PUT ``batch`` to the started hub and kill it (SIGKILL) once ``chunks`` of its chunks are
    stored: (the file's status URL, its id, the chunks stored when it was killed)."""
    with batch.open("rb") as body:
        put = httpx.put(
            f"{hub.base}/sdcs/v1/files/{batch.name}", content=body, headers=headers, timeout=120
        )
    assert put.status_code == 202, put.text
    file_id = int(put.json()["file_id"])

    def chunks_done() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(stop_file_chunks.c.file_id == file_id)
                ).scalar_one()
            )

    deadline = time.monotonic() + 300
    while chunks_done() < chunks:
        assert time.monotonic() < deadline, "no chunk stored in time"
        time.sleep(0.05)
    hub.kill()
    return hub.base + put.headers["location"], file_id, chunks_done()


def finished(status_url: str, headers: dict[str, str], failure: str) -> dict[str, Any]:
    """The file's status once it is done or failed; ``failure`` names what did not happen."""
    deadline = time.monotonic() + 600
    while (status := httpx.get(status_url, headers=headers).json())["state"] not in (
        "done",
        "failed",
    ):
        assert time.monotonic() < deadline, f"{failure}: {status}"
        time.sleep(0.5)
    return dict(status)


def stored_once(engine: sa.Engine, file_id: int) -> tuple[int, int, int]:
    """(stops stored from the file, distinct record ids among them, error rows of the file)."""
    with engine.connect() as conn:
        count = sa.select(sa.func.count(), sa.func.count(sa.distinct(stops.c.lea_record_id)))
        stored, distinct = conn.execute(count.where(stops.c.file_id == file_id)).one()
        error_rows = conn.execute(
            sa.select(sa.func.count()).where(stop_file_errors.c.file_id == file_id)
        ).scalar_one()
    return int(stored), int(distinct), int(error_rows)


def test_sigkill_in_the_middle_of_a_file_stores_every_record_once(
    served: tuple[Hub, str, sa.Engine], smtp: tuple[Collector, int], tmp_path: Path
) -> None:
    hub, key, engine = served
    batch = tmp_path / NAME
    fatal, with_errors = batch_file(batch)
    headers = {"Authorization": f"Bearer {key}"}
    hub.start()
    status_url, file_id, interrupted_at = put_and_kill(hub, engine, headers, batch, chunks=3)
    assert 3 <= interrupted_at < RECORDS // 1000, "the kill came too late to prove anything"

    hub.start()
    status = finished(status_url, headers, "the file was not resumed")

    storable = RECORDS - fatal
    assert (status["state"], status["total"], status["rejected"]) == ("done", RECORDS, fatal)
    assert (status["successful"], status["with_errors"]) == (storable - with_errors, with_errors)
    stored, distinct, error_rows = stored_once(engine, file_id)
    with engine.connect() as conn:
        mails = conn.execute(
            sa.select(sa.func.count()).where(outbox.c.key == f"stop-file:{file_id}")
        ).scalar_one()
    assert stored == distinct == storable
    assert error_rows == fatal + with_errors
    assert mails == 1

    def sent() -> bool:
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(outbox.c.sent_at).where(outbox.c.key == f"stop-file:{file_id}")
            ).one()
        return row.sent_at is not None

    deadline = time.monotonic() + 60
    while not sent():
        assert time.monotonic() < deadline, "the file's mail was not sent"
        time.sleep(0.2)
    collector = smtp[0]
    assert [NAME in r.text for r in collector.received] == [True]
    results = status["results"]
    log = httpx.get(hub.base + results[f"{batch.stem}_log.txt"], headers=headers).content
    assert len(log) == 146
    assert f"TOTAL {RECORDS} SUCCESSFUL {storable - with_errors}".encode() in log
    errors_csv = httpx.get(hub.base + results[f"{batch.stem}_errors.csv"], headers=headers).text
    assert len(errors_csv.splitlines()) == 1 + fatal + with_errors


# --- one stop per file (issue 14) ---------------------------------------------------------------

ONE_STOP_FILES = 400


@pytest.fixture
def dropped(tmp_path: Path, worker_id: str) -> Iterator[tuple[Hub, sa.Engine, Path]]:
    """A hub whose agencies' own SFTP server writes into the homes (the drop-folder channel:
    files put in INPUT before the hub starts are taken at its start, all at once)."""
    with demo_hub(
        tmp_path,
        worker_id,
        JDX_SFTP="folder",
        JDX_FOLDER_SETTLE_SECONDS="0.1",
        JDX_MAIL_POLL_SECONDS="3600",
    ) as (hub, engine):
        yield hub, engine, tmp_path / "data" / "sftp" / "homes" / ORI / "PROD"


def test_sigkill_twice_among_hundreds_of_one_stop_files_answers_each_once(
    dropped: tuple[Hub, sa.Engine, Path],
) -> None:
    """Cal-RIPA's one stop per file: 400 files wait in INPUT, the hub is killed twice while the
    small-file lane stores and answers them, and started again. Every stop that can be stored
    is stored once, every file has exactly one response report and one log, each counting its
    one stop, and one notice each in the outbox."""
    hub, engine, prod = dropped
    inbox, outbox_dir = prod / "INPUT", prod / "OUTPUT"
    inbox.mkdir(parents=True, exist_ok=True)
    template = stop_record(ORI=ORI)
    names, fatal = [], 0
    for i in range(ONE_STOP_FILES):
        record = orjson.loads(orjson.dumps(template))
        record["LEARecordID"] = f"S{i:08d}"
        record["Officer"]["UID"] = f"K{i // 100:08d}"
        record["STime"] = f"{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
        if i % 20 == 7:
            record["SDate"] = "13/45/2024"  # fatal: not stored
            fatal += 1
        elif i % 20 == 13:
            record["SDur"] = "0"  # stored with errors
        name = f"20240315143200_{ORI}_S{i:08d}.json"
        temp = inbox / f".{name}.part"
        temp.write_bytes(orjson.dumps(record))
        temp.rename(inbox / name)  # complete, as a client that renames at the end
        names.append(name)

    def answered() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(stop_files.c.finished_at.is_not(None))
                ).scalar_one()
            )

    for until in (40, 200):
        hub.start()
        deadline = time.monotonic() + 300
        while answered() < until:
            assert time.monotonic() < deadline, f"fewer than {until} files answered in time"
            time.sleep(0.01)
        hub.kill()
        assert answered() < ONE_STOP_FILES, "the kill came too late to prove anything"
    hub.start()
    deadline = time.monotonic() + 300
    while answered() < ONE_STOP_FILES:
        assert time.monotonic() < deadline, f"{answered()} files answered"
        time.sleep(0.2)

    with engine.connect() as conn:
        stored, distinct = conn.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(stops.c.lea_record_id)))
        ).one()
        files = conn.execute(
            sa.select(
                stop_files.c.id, stop_files.c.file_name, stop_files.c.state, stop_files.c.total
            )
        ).all()
        notices = conn.execute(sa.select(outbox.c.key)).scalars().all()
        errors = conn.execute(sa.select(sa.func.count()).select_from(stop_file_errors)).scalar()
    assert stored == distinct == ONE_STOP_FILES - fatal
    assert sorted(f.file_name for f in files) == sorted(names)
    assert {(f.state, f.total) for f in files} == {("done", 1)}
    assert sorted(notices) == sorted(f"summary:stop-file:{f.id}" for f in files)
    assert errors == 2 * fatal  # one fatal and one record error in every 20
    assert not [p for p in inbox.iterdir() if not p.name.startswith(".")]
    # the answers on this node's disk, where OpenSSH serves them (with PostgreSQL, copied from
    # the database by the watcher: channels/folder.py)
    wanted = 2 * ONE_STOP_FILES + 2 * fatal
    deadline = time.monotonic() + 60
    while len(results := sorted(p.name for p in outbox_dir.iterdir())) < wanted:
        assert time.monotonic() < deadline, f"{len(results)} answers in OUTPUT"
        time.sleep(0.2)
    for name in names:
        stem = name.rsplit(".", 1)[0]
        mine = [r for r in results if r.startswith(f"{stem}_")]
        i = int(stem[-8:])
        wanted = {f"{stem}_response.txt", f"{stem}_log.txt"}
        if i % 20 in (7, 13):
            wanted.add(f"{stem}_errors.json")
        assert set(mine) == wanted, (name, mine)
        log = (outbox_dir / f"{stem}_log.txt").read_text("ascii")
        assert "TOTAL 1 SUCCESSFUL " + ("0" if i % 20 in (7, 13) else "1") in log
    assert not [r for r in results if r.startswith(".")]  # no half-written answer left
    assert not list((prod.parent.parent.parent.parent / "files" / "processing").glob("*"))
    with engine.connect() as conn:  # nor in the database's store
        processing = folder_names.c.folder == "files/processing"
        assert conn.execute(sa.select(sa.func.count()).where(processing)).scalar_one() == 0
