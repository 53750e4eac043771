"""The columnar checker (issue 20) on a bench pipe file: CPU per stop, and how many stops it
calls clean.

Reads the file with Polars (the cells as text, as the columnar reader gives them), numbers the
stops as ``FlatLayout.groups`` groups the rows (a row with a new record id starts a stop, a
blank id continues it, blank rows are skipped), compiles the check of the era whose layout knows
the header (both eras as the family, the bench's domain tables) and times ``clean()`` alone:
the read and the numbering are not in the figure. ``--verify`` also runs the record path on
every stop and counts the stops called clean that it finds something in (must be 0) and the
valid stops called clean (precision).

``POLARS_MAX_THREADS=1 python -m bench.columnar_check FILE [--repeat N] [--verify]``; without a
file, the 20,000-stop bench file of ``bench bulk`` (seed 2024; built once, cached).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import polars as pl

from bench.bulk import ORI_OF_BENCH, pipe_file
from bench.records import dictionaries, load_domains
from jdx.codecs.flat import FlatLayout
from jdx.dictionary.columnar import STOP, compile_columnar
from jdx.dictionary.columnar_text import WHITESPACE


def read(path: Path) -> tuple[list[str], pl.DataFrame]:
    """The header and a frame of the non-blank rows, with each row's stop in ``STOP``."""
    frame = pl.read_csv(path, separator="|", infer_schema=False, quote_char=None)
    header = frame.columns
    blank = pl.all_horizontal(
        pl.col(c).fill_null("").str.strip_chars(WHITESPACE) == "" for c in header
    )
    frame = frame.filter(~blank)
    rid = pl.col(header[0]).fill_null("").str.strip_chars(WHITESPACE)
    held = pl.when(rid != "").then(rid).forward_fill().fill_null("")
    new = (held != held.shift(1)).fill_null(True)
    return header, frame.with_columns((new.cum_sum().cast(pl.Int64) - 1).alias(STOP))


def measure(path: Path, repeat: int = 5, verify: bool = False) -> dict[str, Any]:
    header, frame = read(path)
    eras = dictionaries()
    known = {era: len(set(header) & set(FlatLayout(d).names)) for era, d in eras.items()}
    era = max(known, key=lambda e: (known[e], e))
    domains = load_domains()
    check = compile_columnar(eras[era], header, domains, versions=list(eras.values()))
    stops = frame[STOP].n_unique()
    clean = check.clean(frame)  # the first call also builds the plan for this frame's shape
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        clean = check.clean(frame)
        times.append(time.process_time() - t0)
    small = frame.filter(pl.col(STOP) <= frame[STOP].min())
    fixed = min(_cpu(lambda: check.clean(small)) for _ in range(repeat))
    out: dict[str, Any] = {
        "file": str(path),
        "era": era,
        "rows": frame.height,
        "stops": stops,
        "clean_share": round(float(clean.sum()) / stops, 4),
        "cpu_us_per_stop_best": round(min(times) / stops * 1e6, 2),
        "cpu_us_per_stop_median": round(sorted(times)[len(times) // 2] / stops * 1e6, 2),
        "cpu_ms_per_call_fixed": round(fixed * 1e3, 1),
    }
    if verify:
        out.update(_verify(frame, header, eras[era], clean.to_list()))
    return out


def _cpu(run: Any) -> float:
    t0 = time.process_time()
    run()
    return time.process_time() - t0


def _verify(frame: pl.DataFrame, header: list[str], d: Any, clean: list[bool]) -> dict[str, Any]:
    from jdx.codecs.flat import ConversionError
    from jdx.validation import ValidationService

    service = ValidationService(load_domains())
    for dictionary in dictionaries().values():
        service.add(dictionary)
    bind = FlatLayout(d).binder(header)
    cells = frame.select(pl.col(header).fill_null(""), pl.col(STOP))
    valid = unsound = valid_clean = 0
    for (stop,), group in cells.group_by(STOP, maintain_order=True):
        rows = [(i, list(r)) for i, r in enumerate(group.drop(STOP).iter_rows(), 2)]
        try:
            found = bool(service.validate("stop", bind(rows)).issues)
        except ConversionError:
            found = True
        ok = clean[int(str(stop))]
        valid += not found
        valid_clean += ok and not found
        unsound += ok and found
    return {"valid": valid, "valid_called_clean": valid_clean, "clean_with_findings": unsound,
            "precision": round(valid_clean / valid, 4) if valid else 1.0}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--verify", action="store_true")
    args = parser.parse_args()
    path = args.file or pipe_file(20000, 2024, ORI_OF_BENCH)[0]
    print(json.dumps(measure(path, args.repeat, args.verify), indent=2))


if __name__ == "__main__":
    main()
