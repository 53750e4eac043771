"""Issue 20: what reading and binding a pipe-delimited stop file costs, columnar and per record.

For FILE (``bench.bulk.pipe_file`` writes them), each way runs in a process of its own, so that
its peak resident memory is its own and Polars reads ``POLARS_MAX_THREADS`` before it starts:

- record path: ``batch.read_raw`` (the csv module, ``FlatLayout.groups``), then per record the
  generated binder, ``json_text`` and ``Prepared.fields_of``: what a batch file's worker does;
- columnar: ``columnar_read`` chunks and ``ColumnarBinder.bind`` (the records it leaves to the
  record path are counted, not bound), with ``POLARS_MAX_THREADS=1`` and with Polars' default.

It prints CPU µs per stop (user + system, all threads) of the read and of the bind, wall time,
and the peak RSS. ``python -m bench.columnar_bind FILE [FILE...]``
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from jdx.dictionary.loader import load_dictionary

DICTIONARY = Path(__file__).parents[1] / "src/jdx/dictionary/data/stop-2024.yaml"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def record_path(path: Path) -> dict[str, Any]:
    from jdx.codecs.batch import Format, read_raw
    from jdx.codecs.flat import ConversionError, FlatLayout
    from jdx.exchanges.stops.records import Prepared
    from jdx.store.engine import json_text

    dictionary = load_dictionary(DICTIONARY)
    start_rss = _rss_mb()
    # Streamed, as a worker reads: the read alone first, then read and bind; the bind is the
    # difference (timing each record would cost more than some of the steps).
    c0 = _cpu()
    header, raw = read_raw(path, Format.DELIMITED, dictionary)
    stops = sum(1 for _ in raw)
    read = _cpu() - c0
    w0 = time.perf_counter()
    c0 = _cpu()
    header, raw = read_raw(path, Format.DELIMITED, dictionary)
    bind = FlatLayout(dictionary).binder(header)
    errors = 0
    for item in raw:
        group = item.group
        built = group if isinstance(group, ConversionError) else group.bind(bind)
        if isinstance(built, ConversionError):
            errors += 1
            continue
        json_text(built.record)
        Prepared.fields_of(built.record)
    total, wall = _cpu() - c0, time.perf_counter() - w0
    return _figures(stops, errors, read, total - read, wall, start_rss)


def columnar(path: Path) -> dict[str, Any]:
    from jdx.codecs.columnar_bind import TEXT, ColumnarBinder
    from jdx.codecs.columnar_read import Fallback, open_columnar
    from jdx.codecs.flat import FlatLayout
    from jdx.exchanges.stops.records import PREPARED_FIELDS

    layout = FlatLayout(load_dictionary(DICTIONARY))
    fields = [*((name,) for name in PREPARED_FIELDS), ("Officer", "UID")]
    start_rss = _rss_mb()
    read = bind = 0.0
    stops = left = 0
    w0 = time.perf_counter()
    c0 = _cpu()
    opened = open_columnar(path, layout)
    if isinstance(opened, Fallback):
        raise SystemExit(f"not columnar: {opened.reason}")
    binder = ColumnarBinder(layout, opened.header, fields)
    chunks = opened.chunks()
    while True:
        c0 = _cpu()
        chunk = next(chunks, None)
        c1 = _cpu()
        read += c1 - c0
        if chunk is None:
            break
        if isinstance(chunk, Fallback):
            raise SystemExit(f"fell back after {chunk.after} stops: {chunk.reason}")
        bound = binder.bind(chunk)
        bind += _cpu() - c1
        stops += bound.height
        left += bound[TEXT].null_count()
    wall = time.perf_counter() - w0
    return _figures(stops, left, read, bind, wall, start_rss)


def _figures(
    stops: int, left: int, read: float, bind: float, wall: float, start_rss: float
) -> dict[str, Any]:
    return {
        "stops": stops,
        "left_to_record_path": left,
        "read_us_per_stop": round(read / stops * 1e6, 1),
        "bind_us_per_stop": round(bind / stops * 1e6, 1),
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "rss_before_mb": round(start_rss, 1),
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with Path("/proc/self/statm").open() as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def _run(way: str, path: Path, threads: str | None) -> dict[str, Any]:
    env = dict(os.environ)
    env.pop("POLARS_MAX_THREADS", None)
    if threads is not None:
        env["POLARS_MAX_THREADS"] = threads
    out = subprocess.run(
        [sys.executable, "-m", "bench.columnar_bind", "--one", way, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(out.stdout)
    return figures


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        way, path = argv[1], Path(argv[2])
        print(json.dumps(record_path(path) if way == "record" else columnar(path)))
        return
    for name in argv:
        path = Path(name)
        print(f"{path.name} ({path.stat().st_size / (1 << 20):.0f} MB)")
        runs = [
            ("record path (csv, generated binder, json_text)", "record", None),
            ("columnar, POLARS_MAX_THREADS=1", "columnar", "1"),
            ("columnar, Polars' default threads", "columnar", None),
        ]
        for label, way, threads in runs:
            figures = _run(way, path, threads)
            print(f"  {label}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
