"""What a big file costs in each file store of the stop-data folders (issue 17,
``exchanges/stops/file_store.py``): this node's disk against the database that every node
shares.

For each store and two kinds of content, a file of ``--megabytes`` is written into the store
(``put``: what an upload's commit does), copied back out to a local file (``local``: what the
processing does before a path-based codec reads it) and read as a snapshot (``open`` and
``read``: an SFTP download or an HTTP result), each in a fresh process. The kinds: pipe-delimited
stop rows, which PostgreSQL compresses on the way in (TOAST), and random bytes, which it cannot
(an XLSX is already a zip). Reported: each step's wall time and the process's peak RSS above
its RSS before the first step (the database server's own memory is not the hub's).

    python -m bench.filestore [--megabytes 50] [--database-url postgresql://.../jdx_bench_files]

The database the URL names is dropped and created (give the bench its own).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/jdx_bench_files"
KINDS = ("text", "random")
STORES = ("disk", "database")


def content(path: Path, kind: str, megabytes: int) -> Path:
    """``megabytes`` MiB of pipe-delimited stop rows (repeated) or of random bytes."""
    size = megabytes << 20
    with path.open("wb") as out:
        if kind == "random":
            for _ in range(megabytes):
                out.write(os.urandom(1 << 20))
            return path
        from bench.bulk import ORI_OF_BENCH, pipe_file

        rows, _ = pipe_file(2000, 1, ORI_OF_BENCH)
        block = rows.read_bytes()
        written = 0
        while written < size:
            part = block[: size - written]
            out.write(part)
            written += len(part)
    return path


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure(store_kind: str, source: Path, database_url: str, work: Path) -> dict[str, Any]:
    """One store, in this process: the steps' times and the peak RSS they added."""
    import sqlalchemy as sa

    from jdx.exchanges.stops.file_store import DatabaseStore, DiskStore, FileStore, Key

    store: FileStore
    if store_kind == "disk":
        store = DiskStore(work / "data")
    else:
        engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))  # connected before the baseline
        store = DatabaseStore(engine, work / "scratch")
    key = Key("sftp", "homes", "CA0370000", "PROD", "INPUT", source.name)
    baseline = _rss_kib("VmRSS")
    times: dict[str, float] = {}
    started = time.perf_counter()
    store.put(key, source)
    times["put"] = time.perf_counter() - started
    started = time.perf_counter()
    with store.local(key) as copy:
        assert copy.stat().st_size == source.stat().st_size
    times["local"] = time.perf_counter() - started
    started = time.perf_counter()
    with store.open(key) as snapshot:
        while snapshot.read(1 << 16):
            pass
    times["open_read"] = time.perf_counter() - started
    peak = _rss_kib("VmHWM")
    stored = None
    if isinstance(store, DatabaseStore):
        with store.engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT pg_total_relation_size('folder_content_parts')")
            ).scalar_one()
    store.remove(key)
    return {
        "store": store_kind,
        "seconds": {step: round(t, 3) for step, t in times.items()},
        "peak_rss_added_mib": round((peak - baseline) / 1024, 1),
        "stored_mib": round(stored / 2**20, 1) if stored is not None else None,
    }


def run(megabytes: int, database_url: str, log: Any = print) -> dict[str, Any]:
    from bench.http import _reset_postgres
    from jdx.settings import load_settings
    from jdx.store import schema
    from jdx.store.engine import create_engine

    _reset_postgres(database_url)
    with tempfile.TemporaryDirectory(prefix="jdx-bench-files-") as folder:
        work = Path(folder)
        engine = create_engine(load_settings(data_dir=work, database_url=database_url))
        schema.upgrade(engine)
        engine.dispose()
        results = []
        for kind in KINDS:
            source = content(work / f"20240315143200_CA0370000_F.{kind}", kind, megabytes)
            for store in STORES:
                log(f"{kind}, {store}")
                child = ["--child", store, str(source), "--work", str(work / store)]
                out = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "bench.filestore",
                        *child,
                        "--database-url",
                        database_url,
                    ],
                    capture_output=True,
                    check=True,
                )
                results.append({"kind": kind, **orjson.loads(out.stdout)})
            source.unlink()
    return {"megabytes": megabytes, "results": results}


def table(summary: dict[str, Any]) -> str:
    lines = [
        f"| {summary['megabytes']} MiB | put (s) | local copy (s) | open + read (s) "
        "| peak RSS added | in the database |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in summary["results"]:
        s = r["seconds"]
        lines.append(
            f"| {r['kind']}, {r['store']} | {s['put']:.2f} | {s['local']:.2f} "
            f"| {s['open_read']:.2f} | {r['peak_rss_added_mib']:.1f} MiB "
            f"| {'' if r['stored_mib'] is None else str(r['stored_mib']) + ' MiB'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.filestore", description=__doc__)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--child", nargs=2, metavar=("STORE", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        store, source = args.child
        result = measure(store, Path(source), args.database_url, args.work)
        sys.stdout.buffer.write(orjson.dumps(result))
        return
    from bench.__main__ import log, machine, write

    before = machine()
    summary = run(args.megabytes, args.database_url, log=log)
    print(table(summary))
    payload = {"machine": before, "load_average_after": machine()["load_average_1_5_15"], **summary}
    print(f"\nwritten: {write('filestore', payload)}")


if __name__ == "__main__":
    main()
