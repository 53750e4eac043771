"""``python -m bench [validators|http|bulk|bulk-profile|onestop|profile|namus|rapsheets|layers|open-data|all]``:
the figures of docs/benchmarks.md.

Each bench prints a table and writes its machine-readable results, with the machine they were
measured on, to ``bench/results/<bench>.json`` (committed: the docs quote them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
from pathlib import Path
from typing import Any

import orjson

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = ""
    memory_kb = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "memory_gib": round(memory_kb / 1024**2, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        # Other processes share the machine when this is well above 0: see the CPU-s figures.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def write(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **payload}
    tmp = path.with_suffix(".tmp")  # never leave a half-written file behind
    tmp.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    tmp.replace(path)
    return path


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_validators(args: argparse.Namespace) -> None:
    from bench import validators

    before = machine()
    summary = validators.run(
        args.records,
        repeat=args.repeat,
        seed=args.seed,
        only=args.only,
        budget=args.budget,
        log=log,
    )
    print(validators.table(summary))
    print("\nWhat the JSON Schema competitors cannot check (so they report fewer errors):")
    for limit in summary["schema_limits"]:
        print(f"- {limit}")
    after = machine()["load_average_1_5_15"]
    payload = {"machine": before, "load_average_after": after, **summary}
    print(f"\nwritten: {write('validators', payload)}")


def bench_http(args: argparse.Namespace) -> None:
    from bench import http

    cfg = http.LoadConfig(duration=args.duration, warmup=args.warmup, connections=args.connections)
    urls: list[str | None] = [None] if not args.no_sqlite else []
    if args.database_url:
        urls.append(args.database_url)
    before = machine()
    results = http.run(urls, args.workers, args.agencies, cfg, log=log)
    if not results:
        return
    rows = [r.as_dict() for r in results]
    print(http.table(rows))
    payload = {
        "machine": before,
        "load_average_after": machine()["load_average_1_5_15"],
        "config": cfg.__dict__,
        "results": rows,
    }
    print(f"\nwritten: {write('http', payload)}")


def _databases(args: argparse.Namespace, default_postgres: str) -> list[str | None]:
    """SQLite (None) unless --no-sqlite, then PostgreSQL at --database-url or the bench's
    default when it answers, unless --no-postgres (the batch-file benches run both by default)."""
    from bench import bulk

    urls: list[str | None] = [None] if not args.no_sqlite else []
    postgres = args.database_url or default_postgres
    if args.no_postgres:
        log("PostgreSQL left out (--no-postgres)")
    elif bulk.postgres_answers(postgres):
        urls.append(postgres)
    else:
        log(f"no PostgreSQL at {postgres}: SQLite only (--database-url names another)")
    return urls


def bench_bulk(args: argparse.Namespace) -> None:
    from bench import bulk

    urls = _databases(args, bulk.DEFAULT_DATABASE_URL)
    before = machine()

    def save(results: list[bulk.Result]) -> Path:
        payload = {
            "machine": before,
            "load_average_after": machine()["load_average_1_5_15"],
            "results": bulk.as_dicts(results),
        }
        return write("bulk", payload)

    results = bulk.run(
        args.bulk_records,
        args.xlsx_rows,
        urls,
        json_records=args.json_records,
        seed=args.seed,
        frictionless=not args.no_frictionless,
        log=log,
        measured=save,
        bulk_workers=args.bulk_workers,
        columnar=not args.record_path,
    )
    print(bulk.table(bulk.as_dicts(results)))
    print(f"\nwritten: {save(results)}")


def bench_onestop(args: argparse.Namespace) -> None:
    from bench import onestop

    urls = _databases(args, onestop.DEFAULT_DATABASE_URL)
    before = machine()
    name = args.output or "onestop"

    def save(results: list[onestop.CaseResult]) -> Path:
        payload = {
            "machine": before,
            "load_average_after": machine()["load_average_1_5_15"],
            "config": {
                "files": args.files,
                "rate": args.rate,
                "seconds": args.sustain_seconds,
                "concurrency": args.concurrency,
            },
            "results": onestop.as_dicts(results),
        }
        return write(name, payload)

    results = onestop.run(
        urls,
        files=args.files,
        rate=args.rate,
        seconds=args.sustain_seconds,
        seed=args.seed,
        cases=args.onestop_cases,
        concurrency=args.concurrency,
        log=log,
        measured=save,
    )
    print(onestop.table(onestop.as_dicts(results)))
    print(f"\nwritten: {save(results)}")


def bench_bulk_profile(args: argparse.Namespace) -> None:
    from bench import bulkprofile

    before = machine()
    urls: list[str | None] = [None] if not args.no_sqlite else []
    if args.database_url:
        urls.append(args.database_url)
    summaries = []
    for url in urls:
        summary = bulkprofile.run(args.profile_records, url, workers=args.profile_workers)
        print(bulkprofile.table(summary) + "\n")
        summaries.append(summary)
    payload = {
        "machine": before,
        "load_average_after": machine()["load_average_1_5_15"],
        "results": summaries,
    }
    print(f"written: {write('bulk-profile', payload)}")


def bench_profile(args: argparse.Namespace) -> None:
    from bench import profile

    out = {
        "asgi": profile.asgi_cpu(args.database_url, n=args.requests),
        "direct": profile.profile_direct(args.database_url, n=args.requests),
    }
    print(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())


def bench_namus(args: argparse.Namespace) -> None:
    from bench import namus

    before = machine()
    urls: list[str | None] = [None] if not args.no_sqlite else []
    if args.database_url:
        urls.append(args.database_url)
    rows = []
    for url in urls:
        for workers in args.namus_served:
            if workers == 0:
                rows.append(namus.run(args.jobs, args.cases, url, log))
            else:
                rows.append(namus.run_served(args.jobs, args.cases, url, workers, log))
    print(namus.table(rows))
    payload = {"machine": before, "load_average_after": machine()["load_average_1_5_15"]}
    print(f"\nwritten: {write('namus', {**payload, 'results': rows})}")


def bench_rapsheets(args: argparse.Namespace) -> None:
    from bench import rapsheets

    before = machine()
    summary = rapsheets.run(cycles=args.cycles, budget=args.seconds, repeat=args.repeat)
    print(rapsheets.table(summary))
    payload = {"machine": before, "load_average_after": machine()["load_average_1_5_15"], **summary}
    print(f"\nwritten: {write('rapsheets', payload)}")


def bench_layers(args: argparse.Namespace) -> None:
    from bench import layers

    before = machine()
    summary = layers.run(args.rounds, args.per_round)
    print(layers.table(summary))
    payload = {"machine": before, "load_average_after": machine()["load_average_1_5_15"], **summary}
    print(f"\nwritten: {write('layers', payload)}")


def bench_open_data(args: argparse.Namespace) -> None:
    from bench import open_data

    urls = _databases(args, open_data.DEFAULT_DATABASE_URL)
    for url in urls:
        before = machine()
        payload = {"machine": before, **open_data.run(tuple(args.open_data_stops), url, log)}
        name = "open_data_postgresql" if url else "open_data"
        print(open_data.table(payload))
        print(f"\nwritten: {write(name, payload)}")


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "bench",
        nargs="?",
        default="all",
        choices=[
            "validators",
            "http",
            "bulk",
            "bulk-profile",
            "onestop",
            "profile",
            "namus",
            "rapsheets",
            "layers",
            "open-data",
            "all",
        ],
        help="what to run (default: validators and http)",
    )
    v = p.add_argument_group("validators")
    v.add_argument("--records", type=int, default=100_000, help="records generated (100000)")
    v.add_argument("--repeat", type=int, default=3, help="timed runs, the best counts (3)")
    v.add_argument(
        "--budget",
        type=float,
        default=8.0,
        help="seconds per timed run: a slower validator is timed on as many records as fit (8)",
    )
    v.add_argument("--seed", type=int, default=2024)
    v.add_argument(
        "--only",
        type=lambda s: s.split(","),
        default=None,
        help="comma-separated subset of jdx,pydantic,jsonschema-rs,jsonschema",
    )
    h = p.add_argument_group("http")
    h.add_argument(
        "--database-url",
        default=os.environ.get("JDX_BENCH_DATABASE_URL"),
        help="also run on this PostgreSQL database, dropped and created for each case "
        "(e.g. postgresql://postgres@127.0.0.1:5432/benchtest)",
    )
    h.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    h.add_argument("--duration", type=int, default=15, help="seconds of each measured run (15)")
    h.add_argument("--warmup", type=int, default=3, help="seconds of the warm-up run (3)")
    h.add_argument("--connections", type=int, default=32)
    h.add_argument(
        "--workers", type=ints, default=[1, 2], help="jdx serve --workers, e.g. 1,2 (1,2)"
    )
    h.add_argument(
        "--agencies", type=ints, default=[1, 8], help="agencies sharing the load, e.g. 1,8 (1,8)"
    )
    h.add_argument("--requests", type=int, default=3000, help="profile: direct calls (3000)")
    n = p.add_argument_group("namus")
    n.add_argument("--jobs", type=int, default=1000, help="import jobs sent (1000)")
    n.add_argument("--cases", type=int, default=100, help="cases per job (100)")
    n.add_argument(
        "--namus-served",
        type=ints,
        default=[0, 2],
        help="0: client, hub and workflows in one process; N: `jdx serve --workers N` (0,2)",
    )
    r = p.add_argument_group("rapsheets")
    r.add_argument("--cycles", type=int, default=25, help="cycles per portion (25)")
    r.add_argument("--seconds", type=float, default=3.0, help="seconds per timed run (3)")
    b = p.add_argument_group("bulk (uses --database-url and --no-sqlite too)")
    b.add_argument(
        "--bulk-records",
        type=int,
        default=1_000_000,
        help="stops in the pipe-delimited file (1000000)",
    )
    b.add_argument("--xlsx-rows", type=int, default=100_000, help="rows of the XLSX (100000)")
    b.add_argument(
        "--json-records", type=int, default=0, help="records of an NDJSON file of the same (0)"
    )
    b.add_argument("--no-frictionless", action="store_true", help="skip the Frictionless runs")
    b.add_argument(
        "--bulk-workers",
        type=int,
        default=None,
        help="JDX_BULK_WORKERS for the hub (its default when not given)",
    )
    b.add_argument(
        "--record-path",
        action="store_true",
        help="JDX_BULK_COLUMNAR=false: the pipe file by the record path (the columnar path, "
        "issue 20, is the default)",
    )
    b.add_argument(
        "--profile-records",
        type=int,
        default=20_000,
        help="bulk-profile: stops in the profiled pipe-delimited file (20000)",
    )
    b.add_argument(
        "--profile-workers",
        type=int,
        default=0,
        help="bulk-profile: JDX_BULK_WORKERS of the profiled hub (0: every stage sampled; "
        "1: the hub's process alone, the columnar stages in the worker)",
    )
    b.add_argument(
        "--no-postgres",
        action="store_true",
        help="SQLite only (by default PostgreSQL too, on --database-url or "
        "postgresql://postgres@127.0.0.1:5432/jdx_bench_bulk, dropped and created)",
    )
    o = p.add_argument_group(
        "onestop (uses --database-url, --no-sqlite and --no-postgres too; its default "
        "PostgreSQL database is jdx_bench_onestop, dropped and created for each case)"
    )
    o.add_argument("--files", type=int, default=200, help="one-stop files of the burst (200)")
    o.add_argument("--rate", type=float, default=50.0, help="sustained: files per second (50)")
    o.add_argument("--sustain-seconds", type=float, default=300.0, help="sustained: duration (300)")
    o.add_argument(
        "--onestop-cases",
        type=lambda s: s.split(","),
        default=["burst", "sustained"],
        help="burst (one-stop files vs one batch file) and/or sustained (burst,sustained)",
    )
    o.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="sustained: uploads in flight at once in the one SFTP session (1)",
    )
    o.add_argument("--output", default=None, help="results file name in bench/results (onestop)")
    od = p.add_argument_group("open-data (uses --database-url, --no-sqlite, --no-postgres too)")
    od.add_argument(
        "--open-data-stops",
        type=ints,
        default=[100_000, 1_000_000, 4_700_000],
        help="stops of the year exported, one run each (100000,1000000,4700000)",
    )
    la = p.add_argument_group("layers")
    la.add_argument("--rounds", type=int, default=24, help="batches per side, alternating (24)")
    la.add_argument("--per-round", type=int, default=640, help="requests per batch (640)")
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.bench in ("validators", "all"):
        bench_validators(args)
    if args.bench in ("http", "all"):
        bench_http(args)
    if args.bench == "bulk":
        bench_bulk(args)
    if args.bench == "bulk-profile":
        bench_bulk_profile(args)
    if args.bench == "onestop":
        bench_onestop(args)
    if args.bench == "profile":
        bench_profile(args)
    if args.bench == "namus":
        bench_namus(args)
    if args.bench == "rapsheets":
        bench_rapsheets(args)
    if args.bench == "layers":
        bench_layers(args)
    if args.bench == "open-data":
        bench_open_data(args)


if __name__ == "__main__":
    main()
