"""The open-data export of a year (``jdx export stops --open-data``): time and memory by size.

A fresh database is filled with a year of generated stops (``records.py``'s valid records of the
2018 era, dated in 2023; 4,700,000 by default: a year of California), written straight into the
stops table in batches, as the hub stores them, without validating them again (the export is
what is measured, not the storing). Then the command itself runs as an agency's operator would
run it, and its process's resident memory is sampled from /proc throughout: the peak at each
size shows whether memory stays flat as the year grows.
"""

from __future__ import annotations

import datetime as dt
import resource
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.http import VENV_BIN, prepare
from bench.records import Generator
from jdx.exchanges.stops.tables import stops
from jdx.settings import Settings
from jdx.store.engine import create_engine

YEAR = 2023
ERA = "2018"  # the 2018-2023 dictionary: 2023 stops are stored under it
POOL = 5000  # distinct generated records, cycled with fresh ids (generating is the slow part)
BATCH = 20_000
DEFAULT_SIZES = (100_000, 1_000_000, 4_700_000)
# PostgreSQL's database of this bench: dropped and created for each size.
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/jdx_bench_open_data"


def _stops(n: int, gen: Generator, ori: str) -> Iterator[dict[str, Any]]:
    pool = [gen.valid_record(i, ERA) for i in range(min(n, POOL))]
    now = dt.datetime.now(dt.UTC)
    start = dt.date(YEAR, 1, 1)
    for i in range(n):
        record = dict(pool[i % len(pool)])
        day = start + dt.timedelta(days=i % 365)
        record["LEARecordID"] = gen.lea_record_id(i)
        record["SDate"] = day.strftime("%m/%d/%Y")
        record["ORI"] = ori
        yield {
            "realm": "prod",
            "ori": ori,
            "lea_record_id": record["LEARecordID"],
            "officer_uid": record["Officer"]["UID"],
            "stop_date": day,
            "stop_time": record["STime"],
            "dictionary_id": "stop-2018",
            "status": "Successful Submission",
            "record": record,
            "issues": [],
            "channel": "bench",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }


def fill(env: dict[str, str], n: int, ori: str) -> float:
    """Insert ``n`` stops; seconds taken."""
    engine = create_engine(
        Settings(data_dir=Path(env["JDX_DATA_DIR"]), database_url=env.get("JDX_DATABASE_URL", ""))
    )
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for row in _stops(n, Generator(2023), ori):
            batch.append(row)
            if len(batch) == BATCH:
                conn.execute(stops.insert(), batch)
                batch.clear()
        if batch:
            conn.execute(stops.insert(), batch)
    engine.dispose()
    return time.perf_counter() - started


def _rss_sampler(pid: int, peak: list[int], stop: threading.Event) -> None:
    status = Path(f"/proc/{pid}/status")
    while not stop.wait(0.25):
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    peak[0] = max(peak[0], int(line.split()[1]))
        except OSError:
            return


def export(env: dict[str, str], out: Path) -> dict[str, Any]:
    """Run the command; its wall time, CPU and peak resident memory."""
    argv = [str(VENV_BIN / "jdx"), "export", "stops", "--open-data", "--year", str(YEAR)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    peak = [0]
    stop = threading.Event()
    with subprocess.Popen([*argv, "--out", str(out)], env=env, stdout=subprocess.PIPE) as proc:
        sampler = threading.Thread(target=_rss_sampler, args=(proc.pid, peak, stop), daemon=True)
        sampler.start()
        answer, _ = proc.communicate()
        stop.set()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"jdx export failed ({proc.returncode}): {answer!r}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "peak_rss_mb": round(max(peak[0], after.ru_maxrss) / 1024, 1),
        "file_mb": round(out.stat().st_size / 1e6, 1),
        "answer": answer.decode().strip(),
    }


def run(
    sizes: tuple[int, ...], database_url: str | None, log: Callable[[str], None]
) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="jdx-bench-opendata-") as tmp:
            env, agencies = prepare(Path(tmp), database_url, 1)
            env = {**env, "JDX_LOG_LEVEL": "WARNING"}
            log(f"open data: filling {n:,} stops ({'PostgreSQL' if database_url else 'SQLite'})")
            filled = fill(env, n, agencies[0][0])
            log(f"open data: exporting {n:,} stops")
            measured = export(env, Path(tmp) / f"stops-{YEAR}.csv")
            row = {"stops": n, "fill_seconds": round(filled, 1), **measured}
            row["stops_per_second"] = round(n / measured["seconds"])
            log(f"open data: {row}")
            results.append(row)
    return {
        "database": "postgresql" if database_url else "sqlite",
        "year": YEAR,
        "results": results,
    }


def table(payload: dict[str, Any]) -> str:
    lines = [
        f"open-data export of {payload['year']} ({payload['database']})",
        "| stops | seconds | stops/s | CPU-s | peak RSS MB | file MB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in payload["results"]:
        lines.append(
            f"| {r['stops']:,} | {r['seconds']} | {r['stops_per_second']:,} | "
            f"{r['cpu_seconds']} | {r['peak_rss_mb']} | {r['file_mb']} |"
        )
    return "\n".join(lines)
