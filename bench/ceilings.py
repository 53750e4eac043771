"""What the batch-file goals of issue 3 leave room for on this machine: two lower bounds.

1. **Storing alone.** Stop rows as the hub stores them (its own schema, ``jdx db upgrade``; one
   bench record's 1.5 kB of JSON), in chunks of 1,000, through the raw drivers and nothing else:
   SQLite ``executemany`` (WAL, the hub's pragmas), PostgreSQL ``COPY`` into ``json`` columns
   (the schema since migration 0011) and into ``jsonb`` ones (before it). CPU µs per row of this process and, on
   PostgreSQL, of its server backend.
2. **A columnar path without validation.** Polars reads a bench pipe file, binds every stop into
   nested JSON text (structs, ``;`` lists, persons grouped per stop: the record's shape, not its
   exact canonical text) and SQLite stores it: read, bind and store, no rule checked. Any
   columnar implementation of the hub's path costs at least this plus its checks.

``python -m bench.ceilings PIPE_FILE [--rows N] [--database-url URL]`` prints the figures and
writes ``bench/results/ceilings.json``. The PostgreSQL database named is dropped and created.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.__main__ import machine
from bench.http import VENV_BIN
from bench.records import GOLDEN

RESULTS = Path(__file__).parent / "results" / "ceilings.json"
COLUMNS = (
    "id, realm, ori, lea_record_id, batch_id, officer_uid, stop_date, stop_time, dictionary_id, "
    "status, record, issues, channel, file_id, version, created_at, updated_at"
)
CHUNK = 1000


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _row(i: int, text: str, now: dt.datetime) -> tuple[Any, ...]:
    moment = f"{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
    day = dt.date(2024, 1 + i % 12, 1 + i % 28)
    doc = text.replace('"LEARecordID":"', f'"LEARecordID":"R{i}-', 1)
    return (i + 1, "prod", "CA0010000", f"R{i}", "B1", f"U{i % 5000:08d}", day, moment,
            "stop-2024", "Successful Submission", doc, "[]", "sftp", 7, 1, now, now)  # fmt: skip


def _record_text() -> str:
    record = json.loads(sorted((GOLDEN / "2024" / "valid").glob("*.json"))[0].read_text())
    return json.dumps(record, separators=(",", ":"))


def _upgrade(data_dir: Path, url: str) -> None:
    env = {**os.environ, "JDX_DATA_DIR": str(data_dir), "JDX_DATABASE_URL": url}
    subprocess.run(
        [str(VENV_BIN / "jdx"), "db", "upgrade"], env=env, check=True, capture_output=True
    )


def store_sqlite(rows: int) -> dict[str, Any]:
    text, now = _record_text(), dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="jdx-ceiling-") as work:
        _upgrade(Path(work), "")
        (db,) = Path(work).glob("*.db")
        con = sqlite3.connect(db, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
            con.execute(f"PRAGMA {pragma}")
        sql = f"INSERT INTO stops ({COLUMNS}) VALUES ({','.join('?' * 17)})"  # noqa: S608
        started, cpu = time.perf_counter(), _cpu()
        for start in range(0, rows, CHUNK):
            chunk = [_row(i, text, now) for i in range(start, start + CHUNK)]
            chunk = [
                (*r[:6], r[6].isoformat(), *r[7:15], r[15].isoformat(), r[16].isoformat())
                for r in chunk
            ]
            con.execute("BEGIN IMMEDIATE")
            con.executemany(sql, chunk)
            con.execute("COMMIT")
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        con.close()
    return {"what": "SQLite executemany", "rows": rows, "rows_per_s": round(rows / seconds),
            "client_us_per_row": round(1e6 * cpu / rows, 1)}  # fmt: skip


def store_postgres(rows: int, url: str, column: str) -> dict[str, Any]:
    import psycopg

    text, now = _record_text(), dt.datetime.now(dt.UTC)
    admin, _, name = url.rpartition("/")
    with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with tempfile.TemporaryDirectory(prefix="jdx-ceiling-") as work:
        _upgrade(Path(work), url)
    with psycopg.connect(url) as conn:
        # The schema's own type since migration 0011 is json; jsonb is the one before it.
        conn.execute(
            f"ALTER TABLE stops ALTER COLUMN record TYPE {column}, "
            f"ALTER COLUMN issues TYPE {column}"
        )
        conn.commit()
        backend = conn.info.backend_pid
        started, cpu, server = time.perf_counter(), _cpu(), _process_cpu(backend)
        for start in range(0, rows, CHUNK):
            with conn.cursor() as cursor, cursor.copy(f"COPY stops ({COLUMNS}) FROM STDIN") as copy:
                for i in range(start, start + CHUNK):
                    copy.write_row(_row(i, text, now))
            conn.commit()
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        server = _process_cpu(backend) - server
    return {"what": f"PostgreSQL COPY, {column} column", "rows": rows,
            "rows_per_s": round(rows / seconds), "client_us_per_row": round(1e6 * cpu / rows, 1),
            "backend_us_per_row": round(1e6 * server / rows, 1)}  # fmt: skip


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def columnar(pipe_file: Path) -> dict[str, Any]:
    """Polars: read, bind each stop to nested JSON text, store into SQLite; no rule checked."""
    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    import polars as pl

    def col(name: str) -> pl.Expr:
        return pl.col(name).alias(name.rpartition(".")[2])

    def items(name: str, item: str) -> pl.Expr:
        split = pl.col(name).str.split(";").list.filter(pl.element() != "")
        return pl.struct(split.alias(item)).alias(name.rpartition(".")[2])

    started, cpu = time.perf_counter(), _cpu()
    frame = pl.read_csv(pipe_file, separator="|", infer_schema=False, quote_char=None)
    frame = frame.with_columns(pl.all().fill_null(""))
    read = _cpu() - cpu
    cpu = _cpu()
    names = frame.columns
    top = ["LEARecordID", "BatchID", "ORI", "TX_Type", "Is_NFIA", "SDate", "STime", "SDur"]
    top.append("StopType")

    def group(prefix: str, lists: dict[str, str]) -> pl.Expr:
        parts = [
            items(n, lists[n.split(".")[1]]) if n.split(".")[1] in lists else col(n)
            for n in names
            if n.startswith(prefix + ".")
        ]
        return pl.struct(*parts).alias(prefix)

    def pairs(name: str, first: str, second: str, split_second: bool) -> pl.Expr:
        two = pl.col(f"{name}.{second}")
        if split_second:
            two = two.str.split(";").list.filter(pl.element() != "")
        inner = pl.struct(pl.col(f"{name}.{first}").alias(first), two.alias(second))
        return pl.struct(pl.concat_list(inner).alias(name[4:])).alias(name)

    officer = group("Officer", {"ListOfficerEth": "OfficerEth"})
    location = group("Location", {})
    perc = group("Perc", {"ListEthn": "Ethn", "ListDisb": "Disb"})
    reason = group(
        "PrimaryReason",
        {"ListSusp_T": "Susp_T", "ListProb_T": "Prob_T", "ListStReas_Given": "StReas_Given"},
    )
    simple = ["ListForceActTak", "ListBasSearch", "ListBasSeiz", "ListPropType", "ListCB"]
    person = pl.struct(
        pl.col("PID"),
        perc,
        *(pl.col(n) for n in ("Is_Passenger", "Is_Residence", "Is_Stud")),
        reason,
        pairs("ListNonForceActTak", "NonForceAct_CD", "NonForceConsent", False),
        *(items(n, n[4:]) for n in simple),
        pl.col("ConsentType"),
        pl.col("BasSearch_N"),
        pairs("ListResult", "ResCD", "Res_O_CD", True),
    ).alias("person")
    stop_level = [*top[1:], "Officer", "Location", "Is_ServCall", "Is_WelfareCheck"]
    rows = frame.select(*top, officer, location, "Is_ServCall", "Is_WelfareCheck", person)
    stops = rows.group_by("LEARecordID", maintain_order=True).agg(
        *(pl.col(n).first() for n in stop_level), pl.col("person").alias("Person_Stopped")
    )
    document = pl.struct(
        *top, "Officer", "Location", "Is_ServCall", "Is_WelfareCheck",
        pl.struct("Person_Stopped").alias("ListPerson_Stopped"),
    ).struct.json_encode()  # fmt: skip
    out = stops.select(
        "LEARecordID", "ORI", pl.col("Officer").struct.field("UID"), "SDate", "STime",
        document.alias("json"),
    )  # fmt: skip
    bind = _cpu() - cpu
    cpu = _cpu()
    with tempfile.TemporaryDirectory(prefix="jdx-ceiling-") as work:
        con = sqlite3.connect(Path(work) / "s.db", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
            con.execute(f"PRAGMA {pragma}")
        con.execute(
            "CREATE TABLE stops (id INTEGER PRIMARY KEY, realm, ori, lea, officer, sdate, stime, "
            "status, record, issues, file_id)"
        )
        con.execute("CREATE UNIQUE INDEX k1 ON stops (realm, ori, lea)")
        con.execute("CREATE INDEX k2 ON stops (realm, ori, officer, sdate, stime)")
        con.execute("CREATE INDEX k3 ON stops (file_id)")
        sql = "INSERT INTO stops VALUES (?, 'prod', ?, ?, ?, ?, ?, 'Successful Submission', ?, '[]', 7)"
        batch: list[tuple[Any, ...]] = []
        for i, (lea, ori, uid, day, moment, doc) in enumerate(out.iter_rows(), 1):
            batch.append((i, ori, lea, uid, day, moment, doc))
            if len(batch) == CHUNK:
                con.execute("BEGIN IMMEDIATE")
                con.executemany(sql, batch)
                con.execute("COMMIT")
                batch = []
        con.execute("BEGIN IMMEDIATE")
        con.executemany(sql, batch)
        con.execute("COMMIT")
        con.close()
    store = _cpu() - cpu
    n = out.height
    return {"what": "Polars read + bind to JSON + SQLite store, no validation", "stops": n,
            "rows": frame.height, "read_us_per_stop": round(1e6 * read / n, 1),
            "bind_us_per_stop": round(1e6 * bind / n, 1),
            "store_us_per_stop": round(1e6 * store / n, 1),
            "total_us_per_stop": round(1e6 * (read + bind + store) / n, 1),
            "stops_per_s": round(n / (time.perf_counter() - started))}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ceilings", description=__doc__)
    parser.add_argument("pipe_file", type=Path, help="a bench pipe file (python -m bench bulk)")
    parser.add_argument("--rows", type=int, default=200_000, help="stop rows stored (200000)")
    parser.add_argument("--database-url", help="PostgreSQL database, dropped and created")
    args = parser.parse_args(argv)
    results = [store_sqlite(args.rows)]
    if args.database_url:
        url = args.database_url.replace("+psycopg", "")
        results += [store_postgres(args.rows, url, c) for c in ("jsonb", "json")]
    results.append(columnar(args.pipe_file))
    for result in results:
        print(json.dumps(result))
    RESULTS.write_text(json.dumps({"machine": machine(), "results": results}, indent=2) + "\n")
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
