"""How fast a batch file's status answers while the hub processes the file (issue 14).

A pipe-delimited file of bench stops (100,000 by default, ``bulk.pipe_file``) is uploaded to a
real ``jdx serve`` (one worker: the HTTP server and the file's workflow share the process, the
worst case); while it is processed, a client polls ``GET /sdcs/v1/files/{id}`` back to back,
one request at a time, and the latency of every poll is kept, with the ``stored`` count it
showed. Reported: p50, p99 and the maximum of the polls, their number, and how many showed a
count between 0 and the total (progress seen while processing).

    python -m bench.status_polls [--records N] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench.bulk import ORI_OF_BENCH, pipe_file
from bench.http import HOST, prepare, serving


def run(records: int, database_url: str | None, work: Path, workers: int = 1) -> dict[str, Any]:
    import httpx2 as httpx

    backend = "postgresql" if database_url else "sqlite"
    path, _rows = pipe_file(records, 1, ORI_OF_BENCH)
    env, agencies = prepare(work / f"data-{backend}", database_url, 1)
    _ori, key = agencies[0]
    env.update({"JDX_SFTP": "off", "JDX_MAIL_POLL_SECONDS": "3600"})
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    stored_seen: list[int] = []
    with serving(env, workers, work / f"serve-{backend}.log") as (port, _pid):
        base = f"http://{HOST}:{port}"
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            started = time.perf_counter()
            with path.open("rb") as body:
                put = client.put(f"/sdcs/v1/files/{path.name}", content=body, timeout=600)
            put.raise_for_status()
            location = put.headers["location"]
            while True:
                t0 = time.perf_counter()
                answer = client.get(location)
                latencies.append(time.perf_counter() - t0)
                status = answer.json()
                stored_seen.append(int(status.get("processed") or 0))
                if status["state"] in ("done", "failed"):
                    break
            seconds = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)
    return {
        "backend": backend,
        "workers": workers,
        "records": records,
        "seconds": round(seconds, 1),
        "state": status["state"],
        "total": status.get("total"),
        "polls": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
        "max_ms": round(ms[-1], 1),
        "polls_showing_progress": sum(1 for s in stored_seen if 0 < s < records),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.status_polls")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="jdx serve --workers (1: the polls share the process that runs the file)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="jdx-status-polls-") as work:
        result = run(args.records, args.database_url, Path(work), args.workers)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
