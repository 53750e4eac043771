"""The columnar binder writes each record's JSON text byte for byte as the record path does.

The oracle is the record path: the generated binder (``FlatLayout.binder``) and the JSON
column's text (``json_text``), and the fields the relational checks read
(``Prepared.fields_of``). A record the columnar binder leaves to the record path (``text`` is
null) is fine; a record it writes must be identical, and a record the record path cannot bind (a
conversion error) must be left to it.
"""

from __future__ import annotations

import dataclasses
import random
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from bench.records import Generator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jdx.codecs.batch import FileError, Format, read_raw
from jdx.codecs.columnar_bind import FIRST_ROW, LAST_ROW, TEXT, ColumnarBinder, fields_of
from jdx.codecs.columnar_read import ITEM, ROW, Fallback, open_columnar
from jdx.codecs.flat import ConversionError, FlatLayout
from jdx.dictionary import FieldSpec
from jdx.exchanges.stops.records import PREPARED_FIELDS, Prepared
from jdx.store.engine import json_text
from tests.codecs.test_columnar_read import layout, write_bench_file

FIELDS = [*((name,) for name in PREPARED_FIELDS), ("Officer", "UID")]
# A record: its row numbers, its JSON text and handed-back fields (None: the record path).
Bound = tuple[tuple[int, ...], str | None, tuple[Any, ...] | None]


def record_path(path: Path, era: str, skip: int = 0) -> list[Bound]:
    flat = layout(era)
    header, raw = read_raw(path, Format.DELIMITED, flat.dictionary, skip)
    bind = flat.binder(header)
    out: list[Bound] = []
    for item in raw:
        group = item.group
        built = group if isinstance(group, ConversionError) else group.bind(bind)
        if isinstance(built, ConversionError):
            out.append((built.rows, None, None))
        else:
            record = built.record
            out.append((built.rows, json_text(record), Prepared.fields_of(record)))
    return out


def columnar(path: Path, era: str, block: int = 1 << 20) -> list[Bound]:
    """The records as the columnar binder writes them, the rest by the record path."""
    opened = open_columnar(path, layout(era))
    if isinstance(opened, Fallback):
        return record_path(path, era)
    binder = ColumnarBinder(layout(era), opened.header, FIELDS)
    out: list[Bound] = []
    for chunk in opened.chunks(block):
        if isinstance(chunk, Fallback):
            return out + record_path(path, era, chunk.after)
        bound = binder.bind(chunk)
        rows = chunk.frame.group_by(ITEM, maintain_order=True).agg(pl.col(ROW))
        assert bound[ITEM].to_list() == rows[ITEM].to_list()
        assert bound[FIRST_ROW].to_list() == [r[0] for r in rows[ROW].to_list()]
        assert bound[LAST_ROW].to_list() == [r[-1] for r in rows[ROW].to_list()]
        for numbers, text, fields in zip(
            rows[ROW].to_list(), bound[TEXT].to_list(), fields_of(bound, len(FIELDS)), strict=True
        ):
            out.append((tuple(numbers), text, None if text is None else fields))
    return out


def assert_same(want: list[Bound], got: list[Bound]) -> int:
    """Each record written identically or left to the record path; how many were left."""
    assert [w[0] for w in want] == [g[0] for g in got]
    left = 0
    for w, g in zip(want, got, strict=True):
        if g[1] is None:
            left += 1
            continue
        assert w[1] is not None, f"rows {w[0]}: the record path refuses it"
        assert (g[1], g[2]) == (w[1], w[2]), f"rows {w[0]}"
    return left


@pytest.mark.parametrize("era", ["2018", "2024"])
def test_bench_records_are_written_as_the_record_path_writes_them(tmp_path: Path, era: str) -> None:
    path = write_bench_file(tmp_path / "stops.csv", era, 800, seed=21)
    want = record_path(path, era)
    for block in (1 << 20, 8192):
        got = columnar(path, era, block)
        left = assert_same(want, got)
        # Only the records the record path cannot bind are left to it.
        assert left == sum(w[1] is None for w in want)


# Cells that the two binders could write differently: whitespace around separators and at
# the edges (Python's and Polars' ideas of it), empty list items, JSON escapes, non-ASCII.
NASTY = 'ab é;,  \t\\"\x01\x1f\x7f\x85\xa0\u2028\u3000\ufeff'


@st.composite
def files(draw: st.DrawFn) -> tuple[str, str]:
    era = draw(st.sampled_from(["2018", "2024"]))
    flat = layout(era)
    gen = Generator(draw(st.integers(0, 10_000)))
    rng = random.Random(draw(st.integers(0, 10_000)))
    rows: list[list[str]] = []
    for i in range(draw(st.integers(1, 6))):
        record = gen.invalid_record(i, era)[0] if rng.random() < 0.3 else gen.valid_record(i, era)
        rows += flat.to_rows(record)
    names = list(flat.names)
    for row in rows:
        for _ in range(draw(st.integers(0, 3))):
            at = draw(st.integers(0, len(names) - 1))
            kind = draw(st.integers(0, 5))
            if kind == 0:
                row[at] = draw(st.text(alphabet=NASTY, max_size=6))
            elif kind == 1:  # a cell around its separators
                row[at] = draw(st.sampled_from([" 1 ; 2 ", "1;;2", ";", " ;3", "3, 4 ;5", "1,,"]))
            elif kind == 2:  # many items in a list, or in a list of groups
                row[at] = ";".join(["3"] * draw(st.integers(2, 40)))
            elif kind == 3:  # a record-level cell repeated, blanked or changed on a next row
                row[at] = draw(st.sampled_from(["", row[at], row[at] + "x"]))
            elif kind == 4:
                row[0] = draw(st.sampled_from(["", " ", rows[0][0]]))
            else:
                row[at] = ""
    header = names
    if draw(st.booleans()):  # columns in another order, some left out, one unknown
        order = list(range(len(names)))
        rng.shuffle(order)
        keep = [i for i in order if i == 0 or rng.random() > 0.1]
        header = [f" {names[i]}" for i in keep] + ["Unknown"]
        rows = [[r[i] for i in keep] + ["x"] for r in rows]
    end = draw(st.sampled_from(["\n", "\r\n"]))
    last = draw(st.sampled_from([end, "", " "]))  # the last line may end the file
    return era, end.join("|".join(r) for r in [header, *rows]) + last


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=files(), block=st.sampled_from([2048, 1 << 20]))
def test_mutated_records_are_written_identically_or_left_to_the_record_path(
    tmp_path_factory: pytest.TempPathFactory, file: tuple[str, str], block: int
) -> None:
    era, text = file
    path = tmp_path_factory.mktemp("mutated") / "stops.csv"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        want = record_path(path, era)
    except FileError as exc:  # a cell that starts with a quote and never ends it
        with pytest.raises(FileError, match=re.escape(str(exc))):
            columnar(path, era, block)
        return
    assert_same(want, columnar(path, era, block))


def test_the_binders_limit_on_items_leaves_the_record_to_the_record_path(tmp_path: Path) -> None:
    flat = layout("2024")
    record = Generator(3).valid_record(0, "2024")
    rows = flat.to_rows(record)
    at = flat.names.index("ListResult.ResCD")
    rows[0][at] = ";".join(["3"] * 12)  # more items than the columnar binder spells out
    path = tmp_path / "stops.csv"
    path.write_text("\n".join("|".join(r) for r in [flat.names, *rows]) + "\n", encoding="utf-8")
    got = columnar(path, "2024")
    assert [g[1] for g in got] == [None]
    assert record_path(path, "2024")[0][1] is not None  # the record path binds it


def test_a_bounded_list_of_groups_over_its_limit_is_left_to_the_record_path(
    tmp_path: Path,
) -> None:
    flat = FlatLayout(layout("2024").dictionary)
    bounded: dict[str, FieldSpec] = {}
    for i, col in enumerate(flat.columns):  # as if the dictionary allowed 1 result: 4 read
        if col.groups is not None:
            groups = bounded.setdefault(
                col.groups.name, dataclasses.replace(col.groups, max_items=1)
            )
            flat.columns[i] = dataclasses.replace(col, groups=groups)
    gen = Generator(5)
    records = [flat.to_rows(gen.valid_record(i, "2024")) for i in range(3)]
    at = flat.names.index("ListResult.ResCD")
    records[0][0][at] = ";".join(["3"] * 5)  # over the limit: the binder's conversion error
    records[1][0][at] = ";".join(["3"] * 4)  # at the limit: bound
    rows = [row for record in records for row in record]
    path = tmp_path / "stops.csv"
    path.write_text("\n".join("|".join(r) for r in [flat.names, *rows]) + "\n", encoding="utf-8")
    want = [
        None if isinstance(r, ConversionError) else json_text(r.record)
        for r in flat.records(flat.names, enumerate(rows, start=2))
    ]
    assert want[0] is None
    assert want[1] is not None
    opened = open_columnar(path, flat)
    assert not isinstance(opened, Fallback)
    binder = ColumnarBinder(flat, opened.header)
    got = [
        text
        for chunk in opened.chunks()
        if not isinstance(chunk, Fallback)
        for text in binder.bind(chunk)[TEXT].to_list()
    ]
    assert got == want


def test_a_space_at_the_end_of_a_file_without_a_line_break_is_stripped(tmp_path: Path) -> None:
    flat = layout("2024")
    rows = flat.to_rows(Generator(6).valid_record(0, "2024"))
    rows[-1][-1] = "3 "  # the file's last cell, and no line break after it
    path = tmp_path / "stops.csv"
    path.write_text("\n".join("|".join(r) for r in [flat.names, *rows]), encoding="utf-8")
    assert_same(record_path(path, "2024"), columnar(path, "2024"))
