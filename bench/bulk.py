"""Batch files end to end: upload to a real `jdx serve`, to stored records and the error file.

A pipe-delimited file of stops (1,000,000 by default) and an XLSX of 100,000 rows are built from
the bench records (``records.py``: both eras, 5 % with one planted error), uploaded with
``PUT /sdcs/v1/files/{name}``, and timed until the file's state is ``done`` (the error file,
response report and log are in OUTPUT by then). Throughout, the resident memory of the hub's
process tree is sampled from /proc.

Side by side, the same file is read and validated by Frictionless against a Table Schema
generated from the same dictionary (columns, types, code lists, lengths, patterns): the tool a
data team would otherwise reach for. It runs in a process of its own, so that its memory is
measured the same way.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from bench.http import HOST, prepare, serving
from bench.records import Generator, dictionaries
from jdx.codecs.flat import Column, FlatLayout
from jdx.dictionary import Dictionary, FieldSpec
from jdx.hub import Hub
from jdx.settings import Settings

CACHE = Path(os.environ.get("JDX_BENCH_CACHE", tempfile.gettempdir())) / "jdx-bench-bulk"
ERA = "2024"
INVALID_SHARE = 0.05  # records with one planted error, as in the other benches
ORI_OF_BENCH = "CA0370000"  # set on every record: bench.http.prepare adds this agency first
# PostgreSQL runs, unless told otherwise: this database is dropped and created for each file.
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/jdx_bench_bulk"


# --- files --------------------------------------------------------------------------------------


def _records(n: int, seed: int, ori: str) -> Iterator[dict[str, Any]]:
    """``n`` bench records of one era (a file's header is one era's layout), a share of them
    with a planted error."""
    gen = Generator(seed)
    for i in range(n):
        if gen.rng.random() < INVALID_SHARE:
            record, expected = gen.invalid_record(i, ERA)
            if expected.field != "ORI":
                record["ORI"] = ori
        else:
            record = gen.valid_record(i, ERA)
            record["ORI"] = ori
        yield record


def _rows(n: int, seed: int, ori: str) -> Iterator[tuple[int, list[list[str]]]]:
    """(record number, its rows in the 2024 flat layout) for ``n`` bench records."""
    layout = FlatLayout(dictionaries()[ERA])
    for i, record in enumerate(_records(n, seed, ori)):
        yield i, layout.to_rows(record)


def json_file(records: int, seed: int, ori: str) -> Path:
    """The same records as :func:`pipe_file`'s, as NDJSON (one record a line: a JSON file of
    this size is refused as one document)."""
    path = CACHE / f"20240315143400_{ori}_J{records}S{seed}E.json"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out:
        for record in _records(records, seed, ori):
            out.write(orjson.dumps(record) + b"\n")
    tmp.replace(path)
    return path


def pipe_file(records: int, seed: int, ori: str) -> tuple[Path, int]:
    """The pipe-delimited file (cached by size and seed: building 1M records takes a minute)."""
    path = CACHE / f"20240315143200_{ori}_B{records}S{seed}E.csv"
    meta = path.with_suffix(".rows")
    if path.exists() and meta.exists():
        return path, int(meta.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    names = FlatLayout(dictionaries()[ERA]).names
    rows = 0
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        out.write("|".join(names) + "\r\n")
        for _, record_rows in _rows(records, seed, ori):
            for row in record_rows:
                out.write("|".join(row) + "\r\n")
            rows += len(record_rows)
    tmp.replace(path)
    meta.write_text(str(rows))
    return path, rows


def xlsx_file(rows_wanted: int, seed: int, ori: str) -> tuple[Path, int]:
    """An XLSX of ``rows_wanted`` data rows (whole records only); returns (path, records)."""
    import xlsxwriter

    path = CACHE / f"20240315143300_{ori}_X{rows_wanted}S{seed}E.xlsx"
    meta = path.with_suffix(".records")
    if path.exists() and meta.exists():
        return path, int(meta.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    names = FlatLayout(dictionaries()[ERA]).names
    tmp = path.with_suffix(".tmp.xlsx")
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True})
    sheet = book.add_worksheet("Stops")
    sheet.write_row(0, 0, names)
    written = records = 0
    for _, record_rows in _rows(rows_wanted, seed + 1, ori):
        if written + len(record_rows) > rows_wanted:
            break
        for row in record_rows:
            written += 1
            sheet.write_row(written, 0, row)
        records += 1
    book.close()
    tmp.replace(path)
    meta.write_text(str(records))
    return path, records


# --- memory -------------------------------------------------------------------------------------


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
            for task in Path(f"/proc/{p}/task").iterdir():
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in (task / "children").read_text().split()]
    return total


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, its threads and descendants (living, and those that
    exited and were waited for), from /proc."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
            for task in Path(f"/proc/{p}/task").iterdir():
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in (task / "children").read_text().split()]
    return total / CLOCK_TICKS


def postgres_backends(database_url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the URL's database (the
    server runs on this machine: its processes are in /proc)."""
    url = sa.make_url(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            pids = conn.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = :db "
                    "AND pid <> pg_backend_pid()"
                ),
                {"db": url.database},
            ).scalars()
            return {int(pid): tree_cpu_seconds(int(pid)) for pid in pids}
    finally:
        engine.dispose()


def postgres_answers(database_url: str) -> bool:
    """Whether the server of the URL takes connections (to its ``postgres`` database)."""
    url = sa.make_url(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    engine = sa.create_engine(url.set(database="postgres"), connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


class CpuMeter:
    """CPU seconds spent by the hub's process tree and, on PostgreSQL, by its backends."""

    def __init__(self, pid: int, database_url: str | None) -> None:
        self.pid, self.database_url = pid, database_url
        self.hub = self.database = 0.0

    def __enter__(self) -> CpuMeter:
        self._hub = tree_cpu_seconds(self.pid)
        self._backends = postgres_backends(self.database_url) if self.database_url else {}
        return self

    def __exit__(self, *exc: object) -> None:
        self.hub = tree_cpu_seconds(self.pid) - self._hub
        if self.database_url:
            now = postgres_backends(self.database_url)
            self.database = sum(cpu - self._backends.get(pid, 0.0) for pid, cpu in now.items())


class PeakMemory:
    """Samples a process tree's RSS every ``interval`` seconds in a thread; ``peak`` in bytes."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self.peak = tree_rss_bytes(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- jdx end to end -----------------------------------------------------------------------------


@dataclass
class Result:
    tool: str
    backend: str
    file: str
    records: int
    rows: int
    seconds: float
    records_per_s: float
    rows_per_s: float
    peak_rss_mb: float
    idle_rss_mb: float
    cpu_seconds: float  # user + system of every process of the run (hub, database, tool)
    cpu_ms_per_1000: float  # CPU milliseconds per 1,000 records: the figure load does not skew
    load_average: list[float]  # the machine's 1-minute load average before and after
    detail: dict[str, Any]


def run_jdx(
    path: Path,
    records: int,
    rows: int,
    database_url: str | None,
    work: Path,
    log: Callable[[str], None],
    bulk_workers: int | None = None,
    columnar: bool = True,
) -> Result:
    import httpx2 as httpx

    backend = "postgresql" if database_url else "sqlite"
    env, agencies = prepare(work / f"data-{backend}-{path.suffix[1:]}", database_url, 1)
    ori, key = agencies[0]
    assert ori == ORI_OF_BENCH, ori
    env.update({"JDX_SFTP": "off", "JDX_MAIL_POLL_SECONDS": "3600"})
    # a year of California in one file (4.7 M stops, 2.9 GB) is over the default 2 GiB limit
    env["JDX_MAX_FILE_BYTES"] = str(max(path.stat().st_size + 1, 2**31))
    if bulk_workers is not None:
        env["JDX_BULK_WORKERS"] = str(bulk_workers)
    env["JDX_BULK_COLUMNAR"] = "true" if columnar else "false"
    headers = {"Authorization": f"Bearer {key}"}
    with serving(env, 1, work / f"serve-{backend}-{path.suffix[1:]}.log") as (port, pid):
        base = f"http://{HOST}:{port}"
        idle = tree_rss_bytes(pid)
        load_before = os.getloadavg()[0]
        with PeakMemory(pid) as memory, CpuMeter(pid, database_url) as cpu:
            started = time.perf_counter()
            with path.open("rb") as body:
                put = httpx.put(
                    f"{base}/sdcs/v1/files/{path.name}", content=body, headers=headers, timeout=600
                )
            put.raise_for_status()
            uploaded = time.perf_counter() - started
            status_url = base + put.headers["location"]
            while True:
                status = httpx.get(status_url, headers=headers, timeout=30).json()
                if status["state"] in ("done", "failed"):
                    break
                # Each look is a request the hub serves, and its CPU counts in the run's: a few
                # a second, far finer than the runs' length, not twenty.
                time.sleep(0.25)
            seconds = time.perf_counter() - started
        stored = _stored(env, database_url, int(put.json()["file_id"]))
    log(f"  {backend} {path.suffix}: {records:,} records in {seconds:.1f} s")
    cpu_seconds = cpu.hub + cpu.database
    detail = {
        "cpu_seconds_hub": round(cpu.hub, 2),
        "cpu_seconds_database": round(cpu.database, 2),
        "bulk_workers": bulk_workers,
        "columnar": columnar,
        "state": status["state"],
        "file_error": status.get("file_error"),
        "upload_seconds": round(uploaded, 2),
        "counts": {k: status.get(k) for k in ("total", "successful", "with_errors", "rejected")},
        "stored_rows": stored,
        "outputs": sorted(status.get("results", {})),
    }
    return Result(
        ("jdx (columnar)" if columnar else "jdx (record path)") if path.suffix == ".csv" else "jdx",
        backend,
        path.suffix.lstrip("."),
        records,
        rows,
        round(seconds, 2),
        round(records / seconds),
        round(rows / seconds),
        round(memory.peak / 2**20, 1),
        round(idle / 2**20, 1),
        round(cpu_seconds, 2),
        round(cpu_seconds * 1e6 / records, 1),
        [round(load_before, 2), round(os.getloadavg()[0], 2)],
        detail,
    )


def _stored(env: dict[str, str], database_url: str | None, file_id: int) -> int:
    url = (
        database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        if database_url
        else f"sqlite:///{env['JDX_DATA_DIR']}/jdx.db"
    )
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT count(*) FROM stops WHERE file_id = :f"), {"f": file_id}
                ).scalar_one()
            )
    finally:
        engine.dispose()


# --- Frictionless -------------------------------------------------------------------------------


def table_schema(d: Dictionary) -> dict[str, Any]:
    """A Frictionless Table Schema with jdx's flat columns, types, code lists and limits.

    What a Table Schema cannot say is left out, as in the JSON Schema of the validators bench:
    conditional and cross-field rules, the CSV-loaded domain tables (ORI, city, school, offense),
    calendar checks beyond the date format, and one record spread over several rows.
    """
    fields = []
    for col in FlatLayout(d).columns:
        fields.append(_schema_field(d, col))
    return {"fields": fields, "missingValues": [""]}


def _schema_field(d: Dictionary, col: Column) -> dict[str, Any]:
    spec = col.spec
    leaf = spec.item if spec.type == "list" and spec.item is not None else spec
    codes = _codes(d, leaf)
    field: dict[str, Any] = {"name": col.name, "type": "string"}
    constraints: dict[str, Any] = {}
    in_list = spec.type == "list" or col.groups is not None
    if spec.required is True and col.groups is None:
        constraints["required"] = True
    if in_list:
        if codes:  # items joined with ; (and , inside a group's list): each item a code
            one = "|".join(sorted(codes, key=len, reverse=True))
            constraints["pattern"] = f"(({one})([;,]({one}))*)?(;(({one})([,]({one}))*)?)*"
    elif codes:
        constraints["enum"] = sorted(codes)
    elif leaf.type == "integer":
        field["type"] = "integer"
        if leaf.min is not None:
            constraints["minimum"] = int(leaf.min)
        if leaf.max is not None:
            constraints["maximum"] = int(leaf.max)
    elif leaf.type == "decimal":
        field["type"] = "number"
    elif leaf.type == "date":
        field.update(type="date", format="%m/%d/%Y")
    elif leaf.type == "time":
        constraints["pattern"] = r"[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?"
    else:
        if leaf.max_length is not None:
            constraints["maxLength"] = leaf.max_length
        if leaf.pattern:
            constraints["pattern"] = leaf.pattern
    if constraints:
        field["constraints"] = constraints
    return field


def _codes(d: Dictionary, spec: FieldSpec) -> list[str]:
    if spec.type == "flag":
        return list(spec.values or ("Y", "N"))
    if spec.type == "code" and spec.table and spec.table in d.tables:
        return list(d.tables[spec.table].values)
    return []


def run_frictionless(
    path: Path, records: int, rows: int, work: Path, log: Callable[[str], None]
) -> Result:
    """Frictionless in a child process (``python -m bench.bulk``), its tree's RSS sampled."""
    schema = work / "schema.json"
    schema.write_bytes(orjson.dumps(table_schema(dictionaries()[ERA])))
    argv = [sys.executable, "-m", "bench.bulk", str(path), str(schema)]
    load_before = os.getloadavg()[0]
    children_before = _children_cpu_seconds()
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, cwd=Path(__file__).parent.parent)
    with PeakMemory(proc.pid) as memory:
        out, _ = proc.communicate()
    seconds = time.perf_counter() - started
    cpu_seconds = _children_cpu_seconds() - children_before
    if proc.returncode != 0:
        raise RuntimeError(f"frictionless failed with {proc.returncode}")
    report = orjson.loads(out)
    log(f"  frictionless {path.suffix}: {rows:,} rows in {seconds:.1f} s")
    return Result(
        "frictionless",
        "-",
        path.suffix.lstrip("."),
        records,
        rows,
        round(seconds, 2),
        round(records / seconds),
        round(rows / seconds),
        round(memory.peak / 2**20, 1),
        0.0,
        round(cpu_seconds, 2),
        round(cpu_seconds * 1e6 / records, 1),
        [round(load_before, 2), round(os.getloadavg()[0], 2)],
        report,
    )


def _children_cpu_seconds() -> float:
    """User + system CPU of this process's children that have been waited for."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _frictionless_main(path: str, schema_path: str) -> None:
    """Validate ``path`` (every row, every error counted) and print a summary as JSON."""
    import frictionless

    schema = frictionless.Schema.from_descriptor(orjson.loads(Path(schema_path).read_bytes()))
    options: dict[str, Any] = {"schema": schema}
    if path.endswith(".csv"):
        options["dialect"] = frictionless.Dialect(
            controls=[frictionless.formats.CsvControl(delimiter="|")]  # type: ignore[attr-defined]
        )
    # trusted: Frictionless refuses absolute paths otherwise (a guard for untrusted descriptors)
    with frictionless.system.use_context(trusted=True):
        resource = frictionless.Resource(path, **options)
        # limit_errors: the default stops at 1000 errors; jdx reports every one
        report = resource.validate(limit_errors=10**9)
    task = report.tasks[0]
    if task.stats.get("rows") is None:  # the file was not read at all
        raise SystemExit(task.errors[0].message if task.errors else "not read")
    print(
        orjson.dumps(
            {
                "valid": report.valid,
                "rows": task.stats.get("rows"),
                "errors": task.stats.get("errors"),
            }
        ).decode()
    )


# --- the bench ----------------------------------------------------------------------------------


def run(
    records: int,
    xlsx_rows: int,
    database_urls: list[str | None],
    *,
    json_records: int = 0,
    seed: int,
    frictionless: bool,
    log: Callable[[str], None],
    measured: Callable[[list[Result]], object] = lambda _: None,
    bulk_workers: int | None = None,
    columnar: bool = True,
) -> list[Result]:
    """Every case in turn; ``measured`` gets the results so far after each (a long run that is
    stopped keeps what it measured)."""
    results: list[Result] = []
    log(f"building the files (cached in {CACHE})")
    pipe, pipe_rows = pipe_file(records, seed, ORI_OF_BENCH)
    xlsx, xlsx_records = xlsx_file(xlsx_rows, seed, ORI_OF_BENCH) if xlsx_rows else (None, 0)
    ndjson = json_file(json_records, seed, ORI_OF_BENCH) if json_records else None
    with tempfile.TemporaryDirectory(prefix="jdx-bench-bulk-") as tmp:
        work = Path(tmp)
        cases: list[tuple[Path, int, int, str | None]] = []  # file, records, rows, database
        for url in database_urls:
            cases.append((pipe, records, pipe_rows, url))
            if xlsx is not None:
                cases.append((xlsx, xlsx_records, xlsx_rows, url))
            if ndjson is not None:
                cases.append((ndjson, json_records, json_records, url))
        for path, n, rows, url in cases:
            results.append(run_jdx(path, n, rows, url, work, log, bulk_workers, columnar))
            measured(results)
        if frictionless:
            checked = [(pipe, records, pipe_rows)]
            if xlsx is not None:
                checked.append((xlsx, xlsx_records, xlsx_rows))
            for path, n, rows in checked:
                results.append(run_frictionless(path, n, rows, work, log))
                measured(results)
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| tool | database | file | records | rows | CPU ms / 1,000 records | seconds | "
        "records/s | rows/s | load before/after | peak RSS MB |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in results:
        load = "/".join(f"{x:.1f}" for x in r["load_average"])
        lines.append(
            f"| {r['tool']} | {r['backend']} | {r['file']} | {r['records']:,} | {r['rows']:,} | "
            f"{r['cpu_ms_per_1000']:,} | {r['seconds']} | {r['records_per_s']:,} | "
            f"{r['rows_per_s']:,} | {load} | {r['peak_rss_mb']} |"
        )
    return "\n".join(lines)


def as_dicts(results: list[Result]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]


if __name__ == "__main__":
    _frictionless_main(sys.argv[1], sys.argv[2])


def bench_hub(settings: Settings) -> Hub:
    """A hub in this process on a new database: migrated, with the bench's agency and the domain
    samples (what ``prepare`` does for a served hub, for the in-process profiles)."""
    from bench.http import _reset_postgres
    from jdx.exchanges.stops.domain_samples import load_samples
    from jdx.hub import create_hub
    from jdx.store import schema
    from jdx.store.queries import add_agency

    if settings.database_url:
        _reset_postgres(settings.database_url)
    hub = create_hub(settings)
    schema.upgrade(hub.engine)
    with hub.engine.begin() as conn:
        add_agency(conn, ORI_OF_BENCH, "Bench", ["poc@example.org"])
        load_samples(conn, hub.validation)
    hub.refresh_domains(force=True)
    return hub
