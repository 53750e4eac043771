"""Where a batch file's time goes, stage by stage: py-spy on the file's processing in-process.

``python -m bench bulk-profile [--bulk-records N] [--database-url URL]`` builds (or takes from
the cache) the bench's pipe-delimited file, and runs a child process that sets up a fresh hub
(SQLite in a temporary folder, or the PostgreSQL database the URL names, dropped and created),
registers the file and runs ``batch_files.process`` and ``batch_files.finish`` on it, the two
steps of the file workflow, with no server and no HTTP. py-spy samples the child; every sample
taken inside those two steps is put in the stage of its innermost known frame (``STAGES``), and
the child's own CPU seconds over the two steps give the microseconds per record that the shares
divide.

Cyclic garbage collection has no stage of its own: it runs inside whatever allocates.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from bench.http import VENV_BIN
from jdx.exchanges.stops.service import StopService

# (stage, frame); the innermost frame of a stack that matches one of these decides its stage.
STAGES: list[tuple[str, str]] = [
    ("read: pipe-delimited rows (csv)", "_delimited_rows (jdx/codecs/batch.py"),
    ("read: XLSX rows", "_sheet_rows (jdx/codecs/batch.py"),
    ("bind: rows to the record structure", "records (jdx/codecs/flat.py"),
    ("bind: keep the rows' cells (error file)", "_flat_items (jdx/codecs/batch.py"),
    ("validate (generated validator)", "check_data (jdx/exchanges/stops/service.py"),
    ("relational checks and row values", "submit_batch (jdx/exchanges/stops/service.py"),
    ("relational: duplicate lookups", "load (jdx/exchanges/stops/queries.py"),
    ("store: insert stops (COPY / executemany)", "insert_rows (jdx/store/bulk.py"),
    ("store: error rows, chunk row", "_store_chunk (jdx/exchanges/stops/batch_files.py"),
    ("store: begin, lock, commit", "write_transaction (jdx/store/engine.py"),
    ("statistics check (PostgreSQL)", "refresh_statistics (jdx/store/bulk.py"),
    ("error file, report, log", "finish (jdx/exchanges/stops/batch_files.py"),
    # the columnar path (pipe-delimited files, JDX_BULK_COLUMNAR)
    ("columnar: read blocks into columns", "chunks (jdx/codecs/columnar_read.py"),
    ("columnar: check (pre-filter)", "clean (jdx/dictionary/columnar.py"),
    ("columnar: bind to JSON text", "bind (jdx/codecs/columnar_bind.py"),
    ("columnar: clean or referred", "_records (jdx/exchanges/stops/columnar_records.py"),
    ("columnar: hand-over (Prepared items)", "checked_chunks (jdx/exchanges/stops/columnar_files"),
    ("columnar: rows as read (record path, error rows)", "raw_items (jdx/codecs/columnar_read.py"),
    ("validate (generated validator)", "check_data (jdx/exchanges/stops/service.py"),
]
OTHER = "other (chunking, workflow bookkeeping)"
INSIDE = (
    "process (jdx/exchanges/stops/batch_files.py",
    "finish (jdx/exchanges/stops/batch_files.py",
)


def stage_of(stack: str) -> str:
    best, best_at = OTHER, -1
    for stage, marker in STAGES:
        at = stack.rfind(marker)
        if at > best_at:
            best, best_at = stage, at
    return best


def breakdown(raw: Path, cpu_seconds: float, records: int) -> dict[str, Any]:
    """Samples per stage, as shares and as CPU microseconds per record."""
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if n.isdigit() and any(marker in stack for marker in INSIDE):
            counts[stage_of(stack)] += int(n)
    total = sum(counts.values()) or 1
    per_record = cpu_seconds * 1e6 / max(records, 1)
    order = [s for s, _ in STAGES] + [OTHER]
    return {
        "records": records,
        "cpu_seconds": round(cpu_seconds, 2),
        "cpu_us_per_record": round(per_record, 1),
        "samples": total,
        "stages": {
            s: {
                "share": round(counts[s] / total, 3),
                "us": round(per_record * counts[s] / total, 1),
            }
            for s in order
            if counts[s]
        },
    }


def run(
    records: int, database_url: str | None, *, rate: int = 250, workers: int = 0
) -> dict[str, Any]:
    """``workers``: JDX_BULK_WORKERS of the profiled hub; with one, the columnar stages run in
    the worker, which py-spy does not sample: the profile is then the hub's process alone (the
    store's side), and the CPU per record is its own."""
    from bench.bulk import ORI_OF_BENCH, pipe_file

    path, _ = pipe_file(records, 2024, ORI_OF_BENCH)
    work = Path(tempfile.mkdtemp(prefix="jdx-bench-bulkprofile-"))
    try:
        raw, result = work / "pyspy.txt", work / "result.json"
        child = [sys.executable, "-m", "bench.bulkprofile", str(path), str(work), str(result)]
        child += [str(workers), database_url or ""]
        spy = [str(VENV_BIN / "py-spy"), "record", "-r", str(rate), "-f", "raw", "-o", str(raw)]
        subprocess.run([*spy, "--", *child], check=True, capture_output=True)
        measured = orjson.loads(result.read_bytes())
        summary = breakdown(raw, measured["cpu_seconds"], measured["records"])
        summary["database"] = "postgresql" if database_url else "sqlite"
        summary["workers"] = workers
        summary["counts"] = measured["counts"]
        return summary
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(summary: dict[str, Any]) -> str:
    lines = [
        f"{summary['database']}: {summary['records']:,} records, "
        f"{summary['cpu_us_per_record']} µs of CPU per record ({summary['samples']} samples)",
        "",
        "| stage | share | CPU µs per record |",
        "|---|---:|---:|",
    ]
    for stage, v in summary["stages"].items():
        lines.append(f"| {stage} | {v['share']:.1%} | {v['us']} |")
    return "\n".join(lines)


def _child(path: Path, work: Path, result: Path, workers: int, database_url: str) -> None:
    """In the sampled process: a fresh hub, the file registered, then the two timed steps."""
    from bench.bulk import ORI_OF_BENCH, bench_hub
    from jdx.exchanges.stops import batch_files, workflow
    from jdx.settings import load_settings

    # By default every stage in the sampled process: with a worker process, binding and
    # validation would run where py-spy does not look (the end-to-end bench counts both
    # processes' CPU).
    settings = load_settings(
        data_dir=work / "data",
        database_url=database_url,
        domain_refresh_seconds=0,
        bulk_workers=workers,
    )
    hub = bench_hub(settings)
    principal = workflow.principal_for(hub, ORI_OF_BENCH, "prod")
    assert principal is not None
    folders = workflow.folders_of(hub)
    upload = folders.input_dir(principal.ori, "prod") / path.name
    folders.store.put(upload, path)
    received = batch_files.register(
        hub.engine, folders, principal, upload, channel="sftp", max_bytes=1 << 40
    )
    assert received.file_id is not None
    started = time.process_time()
    batch_files.process(hub.service(StopService), folders, received.file_id)
    counts = batch_files.finish(hub.engine, folders, received.file_id, "http://x", digest_hour=6)
    cpu = time.process_time() - started
    result.write_bytes(
        orjson.dumps({"cpu_seconds": cpu, "records": counts.total, "counts": counts.__dict__})
    )
    hub.dispose()


if __name__ == "__main__":
    os.environ.pop("JDX_DATABASE_URL", None)
    _child(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
