"""One stop per file over SFTP, as Cal-RIPA sends them (issue 14): upload to answer, per file.

``python -m bench onestop`` starts a real ``jdx serve`` on loopback (embedded SFTP server, a
fresh SQLite or PostgreSQL database with one bench agency and the sample domain tables), opens
ONE SFTP session with asyncssh, and uploads one-stop JSON files named
``{UTC yyyyMMddHHmmss}_{ORI}_{LEA record id}.json``. A file is answered when its response report
``<stem>_response.txt`` appears in the agency's OUTPUT (the hub writes it atomically): a thread
of the bench looks for the outstanding files' reports every few milliseconds on the local disk
(the bench runs beside the hub), so the time from the start of a file's upload to its answer is
measured per file.

Cases:

- **burst**: ``--files`` (200) one-stop files uploaded as fast as one session goes, against ONE
  batch file (a JSON array) of the same stops, each on a fresh database, side by side;
- **sustained**: one-stop files at ``--rate`` (50) files/s for ``--seconds`` (300), the uploads
  paced by a clock (a late upload does not make the next ones wait), each with its own stop.

Each case reports wall time, the median/p90/p99/max of upload-to-answer, the uploads' own
time, the CPU seconds of the hub's process tree (and, on PostgreSQL, of its backends) per file,
the machine's load before and after, and checks the result: every file answered exactly once,
every storable stop stored once.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from bench.bulk import INVALID_SHARE, ORI_OF_BENCH, CpuMeter
from bench.http import HOST, _free_port, _jdx, prepare, serving
from bench.records import Generator

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/jdx_bench_onestop"
STAMP = "20240315143200"
REALM_DIR = "PROD"  # the agency's production folders: /PROD/INPUT, /PROD/OUTPUT
WATCH_SECONDS = 0.005  # how often the outstanding files' answers are looked for


@dataclass
class OneFile:
    name: str
    data: bytes


def one_stop_files(n: int, seed: int, ori: str = ORI_OF_BENCH, start: int = 0) -> list[OneFile]:
    """``n`` files of one stop each (2024 era), 5 % with one planted error, named as Cal-RIPA
    names them. ``start`` offsets the record numbers (distinct stops for later files)."""
    gen = Generator(seed)
    files = []
    seen: set[str] = set()
    for i in range(start, start + n):
        if gen.rng.random() < INVALID_SHARE:
            record, expected = gen.invalid_record(i, "2024")
            if expected.field != "ORI":
                record["ORI"] = ori
        else:
            record = gen.valid_record(i, "2024")
            record["ORI"] = ori
        lea = str(record.get("LEARecordID") or f"R{i}")
        lea = "".join(c for c in lea if c.isalnum() or c in ".-")[:50] or f"R{i}"
        if lea in seen:  # a planted error that keeps a golden record's id: one name per file
            lea = f"R{i}"
        seen.add(lea)
        files.append(OneFile(f"{STAMP}_{ori}_{lea}.json", orjson.dumps(record)))
    return files


def batch_of(files: list[OneFile], ori: str = ORI_OF_BENCH) -> OneFile:
    """The same stops in one batch file (a JSON array)."""
    records = [orjson.loads(f.data) for f in files]
    return OneFile(f"{STAMP}_{ori}_BATCH{len(files)}.json", orjson.dumps(records))


# --- watching OUTPUT ----------------------------------------------------------------------------


class Answers:
    """When each outstanding file's response report appeared in OUTPUT (monotonic clock)."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.waiting: dict[str, str] = {}  # file name -> its report's name
        self.answered: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="answers", daemon=True)

    def expect(self, name: str) -> None:
        with self._lock:
            self.waiting[name] = name.rsplit(".", 1)[0] + "_response.txt"

    def _run(self) -> None:
        while not self._stop.wait(WATCH_SECONDS):
            with self._lock:
                waiting = list(self.waiting.items())
            for name, report in waiting:
                if (self.output / report).exists():
                    seen = time.monotonic()
                    with self._lock:
                        self.waiting.pop(name, None)
                        self.answered[name] = seen

    def wait_all(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self.waiting:
                    return True
            time.sleep(0.02)
        return False

    def __enter__(self) -> Answers:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- uploading ----------------------------------------------------------------------------------


@dataclass
class Upload:
    name: str
    scheduled: float  # monotonic: when the pacing clock wanted it sent (= started for a burst)
    started: float
    closed: float  # the server took the file (the client's close returned)


async def _upload_all(
    port: int,
    ori: str,
    password: str,
    files: list[OneFile],
    rate: float | None,
    answers: Answers,
    concurrency: int,
) -> list[Upload]:
    """Upload over one SFTP session: one after another (``concurrency`` 1, as a client that
    sends a file when the last one is closed), or up to ``concurrency`` at once; at ``rate``
    files/s by a clock, or as fast as it goes (None)."""
    from jdx.channels.sftp import asyncssh  # imported without its DSA deprecation warning

    done: list[Upload] = []
    conn = await asyncssh.connect(
        HOST,
        port,
        username=ori,
        password=password,
        client_keys=None,
        known_hosts=None,
        agent_path=None,
        config=None,
    )
    async with conn, conn.start_sftp_client() as sftp:
        queue: asyncio.Queue[tuple[int, OneFile]] = asyncio.Queue()
        for item in enumerate(files):
            queue.put_nowait(item)
        begin = time.monotonic()

        async def sender() -> None:
            while True:
                try:
                    i, f = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                scheduled = begin + i / rate if rate else time.monotonic()
                delay = scheduled - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                answers.expect(f.name)
                started = time.monotonic()
                async with sftp.open(f"/{REALM_DIR}/INPUT/{f.name}", "wb") as out:
                    await out.write(f.data)
                done.append(Upload(f.name, scheduled, started, time.monotonic()))

        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return done


# --- one case -----------------------------------------------------------------------------------


@dataclass
class CaseResult:
    case: str  # onestop-burst | batch | onestop-sustained
    backend: str
    files: int
    stops: int
    seconds: float  # first upload started to last answer
    files_per_s: float
    upload_to_answer_ms: dict[str, float]  # median, p90, p99, max
    upload_ms: dict[str, float]  # the uploads' own time (open, write, close), median and p99
    late_starts: int  # sustained: uploads that started > 100 ms after their slot
    hub_cpu_s: float
    database_cpu_s: float
    cpu_ms_per_file: float  # hub + database CPU per file: the figure load does not skew
    answered: int
    stored: int
    storable_expected: int  # stops the files' own counts say were stored
    files_done: int
    load_average: list[float]  # 1-minute, before and after
    notes: list[str] = field(default_factory=list)


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]

    return {
        "median": round(statistics.median(ordered) * 1000, 1),
        "p90": round(q(0.90) * 1000, 1),
        "p99": round(q(0.99) * 1000, 1),
        "max": round(ordered[-1] * 1000, 1),
    }


def _engine(env: dict[str, str]) -> sa.Engine:
    url = env.get("JDX_DATABASE_URL")
    if url:
        return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    return sa.create_engine(f"sqlite:///{Path(env['JDX_DATA_DIR']) / 'jdx.db'}")


def _database_counts(env: dict[str, str]) -> tuple[int, int, int]:
    """(stops stored, files done or failed, stops the files' counts say were stored)."""
    engine = _engine(env)
    try:
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT count(*) FROM stops")).scalar_one()
            done, counted = conn.execute(
                sa.text(
                    "SELECT count(*), coalesce(sum(successful + with_errors), 0) FROM stop_files "
                    "WHERE state IN ('done', 'failed')"
                )
            ).one()
        return int(stored), int(done), int(counted)
    finally:
        engine.dispose()


def run_case(
    case: str,
    files: list[OneFile],
    database_url: str | None,
    work: Path,
    log: Callable[[str], None],
    *,
    rate: float | None = None,
    concurrency: int = 1,
    extra_env: dict[str, str] | None = None,
) -> CaseResult:
    backend = "postgresql" if database_url else "sqlite"
    tag = f"{case}-{backend}"
    env, agencies = prepare(work / f"data-{tag}", database_url, 1)
    ori = agencies[0][0]
    password = orjson.loads(_jdx(env, "sftp", "enable", ori, "--generate-password"))[
        "sftp_password"
    ]
    sftp_port = _free_port()
    env.update(
        {
            "JDX_SFTP": "embedded",
            "JDX_SFTP_HOST": HOST,
            "JDX_SFTP_PORT": str(sftp_port),
            "JDX_MAIL_POLL_SECONDS": "3600",
            **(extra_env or {}),
        }
    )
    output = Path(env["JDX_DATA_DIR"]) / "sftp" / "homes" / ori / REALM_DIR / "OUTPUT"
    stops = sum(len(orjson.loads(f.data)) if f.data.startswith(b"[") else 1 for f in files)
    with serving(env, 1, work / f"serve-{tag}.log") as (_port, pid):
        load_before = os.getloadavg()[0]
        with Answers(output) as answers, CpuMeter(pid, database_url) as cpu:
            uploads = asyncio.run(
                _upload_all(sftp_port, ori, password, files, rate, answers, concurrency)
            )
            complete = answers.wait_all(timeout=max(120.0, len(files) * 2.0))
        load_after = os.getloadavg()[0]
        by_name = {u.name: u for u in uploads}
        latencies = [
            answers.answered[n] - u.started for n, u in by_name.items() if n in answers.answered
        ]
        first = min(u.started for u in uploads)
        last = max(answers.answered.values()) if answers.answered else time.monotonic()
        seconds = last - first
        stored, done, expected = _database_counts(env)
    notes = [] if complete else [f"{len(files) - len(answers.answered)} files not answered"]
    result = CaseResult(
        case=case,
        backend=backend,
        files=len(files),
        stops=stops,
        seconds=round(seconds, 2),
        files_per_s=round(len(files) / seconds, 1) if seconds > 0 else 0.0,
        upload_to_answer_ms=_quantiles(latencies),
        upload_ms={
            k: v
            for k, v in _quantiles([u.closed - u.started for u in uploads]).items()
            if k in ("median", "p99")
        },
        late_starts=sum(1 for u in uploads if u.started - u.scheduled > 0.1) if rate else 0,
        hub_cpu_s=round(cpu.hub, 2),
        database_cpu_s=round(cpu.database, 2),
        cpu_ms_per_file=round((cpu.hub + cpu.database) * 1000 / len(files), 2),
        answered=len(answers.answered),
        stored=stored,
        storable_expected=expected,
        files_done=done,
        load_average=[round(load_before, 2), round(load_after, 2)],
        notes=notes,
    )
    log(
        f"  {case} {backend}: {len(files)} files in {result.seconds} s, answer median "
        f"{result.upload_to_answer_ms.get('median')} ms p99 {result.upload_to_answer_ms.get('p99')}"
        f" ms, {result.cpu_ms_per_file} CPU ms/file, stored {stored}/{expected}"
    )
    return result


def run(
    database_urls: list[str | None],
    *,
    files: int,
    rate: float,
    seconds: float,
    seed: int,
    cases: list[str],
    concurrency: int,
    log: Callable[[str], None],
    measured: Callable[[list[CaseResult]], object] = lambda _: None,
) -> list[CaseResult]:
    results: list[CaseResult] = []
    burst = one_stop_files(files, seed) if "burst" in cases else []
    with tempfile.TemporaryDirectory(prefix="jdx-bench-onestop-") as tmp:
        work = Path(tmp)
        for url in database_urls:
            if "burst" in cases:
                results.append(run_case("onestop-burst", burst, url, work, log, concurrency=1))
                measured(results)
                results.append(run_case("batch", [batch_of(burst)], url, work, log))
                measured(results)
            if "sustained" in cases:
                n = max(1, int(rate * seconds))
                stream = one_stop_files(n, seed + 1)
                results.append(
                    run_case(
                        "onestop-sustained",
                        stream,
                        url,
                        work,
                        log,
                        rate=rate,
                        concurrency=concurrency,
                    )
                )
                measured(results)
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| case | database | files | stops | seconds | files/s | upload→answer median / p99 / max "
        "ms | CPU ms / file | answered | stored / storable | load before/after |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---|---|",
    ]
    for r in results:
        q = r["upload_to_answer_ms"]
        load = "/".join(f"{x:.1f}" for x in r["load_average"])
        lines.append(
            f"| {r['case']} | {r['backend']} | {r['files']:,} | {r['stops']:,} | {r['seconds']} | "
            f"{r['files_per_s']} | {q.get('median')} / {q.get('p99')} / {q.get('max')} | "
            f"{r['cpu_ms_per_file']} | {r['answered']} | {r['stored']} / "
            f"{r['storable_expected']} | {load} |"
        )
    return "\n".join(lines)


def as_dicts(results: list[CaseResult]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]
