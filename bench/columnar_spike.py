"""Spike (issue 3): what a columnar pre-filter's scalar checks cost with Polars.

Reads a bench pipe file with Polars and evaluates, per cell, the checks of each column's
dictionary field that need no other field: code tables, flag values, lengths, patterns, integer
and decimal syntax with bounds, date syntax (items of ``;``/``,`` lists included). It prints the
CPU µs per stop of the read and of the checks, and the share of rows all checks pass. Not a
filter: the conditional, cross-field, list and era rules are not evaluated (see
docs/benchmarks.md, issue 3, "A columnar pre-filter: measured, not built").

``python -m bench.columnar_spike FILE``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import polars as pl

from jdx.codecs.flat import FlatLayout
from jdx.dictionary.loader import load_dictionary
from jdx.dictionary.model import Dictionary, FieldSpec

DICTIONARY = Path(__file__).parents[1] / "src/jdx/dictionary/data/stop-2024.yaml"


def _scalar_ok(spec: FieldSpec, d: Dictionary, x: pl.Expr) -> pl.Expr:
    ok = pl.lit(True)
    if spec.min_length is not None:
        ok = ok & (x.str.len_chars() >= spec.min_length)
    if spec.max_length is not None:
        ok = ok & (x.str.len_chars() <= spec.max_length)
    if spec.table is not None and spec.table in d.tables:
        ok = ok & x.is_in(list(d.tables[spec.table].values))
    if spec.type == "flag":
        ok = ok & x.is_in(list(spec.values or ("Y", "N")))
    if spec.pattern is not None:
        ok = ok & x.str.contains(f"^(?:{spec.pattern})$")
    if spec.type == "integer":
        n = x.cast(pl.Int64, strict=False)
        ok = ok & n.is_not_null()
        if spec.min is not None:
            ok = ok & (n >= spec.min)
        if spec.max is not None:
            ok = ok & (n <= spec.max)
    if spec.type == "decimal":
        ok = ok & x.cast(pl.Float64, strict=False).is_not_null()
    if spec.type == "date":
        fmts = {"MM/DD/YYYY": "%m/%d/%Y", "YYYY-MM-DD": "%Y-%m-%d", "CCYYMMDD": "%Y%m%d"}
        parsed = [x.str.to_date(fmts[f], strict=False).is_not_null() for f in spec.formats]
        ok = ok & pl.any_horizontal(parsed) if parsed else ok
    # A blank cell is judged by the required rules, not here.
    return (x == "") | ok


def checks(d: Dictionary) -> list[pl.Expr]:
    layout = FlatLayout(d)
    exprs = []
    for col in layout.columns:
        spec = col.spec
        if spec.type == "group":
            continue
        c = pl.col(col.name).fill_null("")
        if spec.type == "list" and spec.item is not None:
            inner = spec.item
            items = (
                c.str.replace_all(",", ";", literal=True) if col.groups is not None else c
            ).str.split(";")
            exprs.append(
                items.list.eval(_scalar_ok(inner, d, pl.element())).list.all().alias(col.name)
            )
        elif col.groups is not None:
            exprs.append(
                c.str.split(";")
                .list.eval(_scalar_ok(spec, d, pl.element()))
                .list.all()
                .alias(col.name)
            )
        else:
            exprs.append(_scalar_ok(spec, d, c).alias(col.name))
    return exprs


def measure(path: str | Path) -> dict[str, float]:
    """Read the file and run the checks; CPU µs per stop of each, and each row's verdict."""
    d = load_dictionary(DICTIONARY)
    exprs = checks(d)
    t0 = time.process_time()
    frame = pl.read_csv(path, separator="|", infer_schema=False, quote_char=None)
    t1 = time.process_time()
    ok = frame.select(pl.all_horizontal(exprs).alias("ok"))["ok"]
    t2 = time.process_time()
    stops = frame[frame.columns[0]].n_unique()
    return {
        "rows": frame.height,
        "stops": stops,
        "checks": len(exprs),
        "read_us_per_stop": (t1 - t0) / stops * 1e6,
        "check_us_per_stop": (t2 - t1) / stops * 1e6,
        "rows_passing": int(ok.sum()) / frame.height,
        "first_failing_row": float(ok.arg_min() or 0) if not ok.all() else -1.0,
    }


if __name__ == "__main__":
    for key, value in measure(sys.argv[1]).items():
        print(f"{key}: {value:,.3f}")
