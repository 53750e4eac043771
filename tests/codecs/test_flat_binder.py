"""The generated flat reader gives what the interpreted one gave, for any rows of any header.

The oracle is ``flat_reference.py`` (the reader before it was generated). Records are compared
as JSON text, so that the order of their keys (what the database stores) counts too.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator

import orjson
import pytest
from bench.records import Generator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jdx.codecs.flat import ConversionError, FlatLayout, RecordRows
from jdx.dictionary import FieldSpec
from jdx.hub import Hub
from tests.codecs import flat_reference


def _same(layout: FlatLayout, header: list[str], rows: list[tuple[int, list[str]]]) -> None:
    got = list(layout.records(header, iter(rows)))
    want = list(flat_reference.records(layout, header, iter(rows)))
    assert [_view(g) for g in got] == [_view(w) for w in want]


def _view(out: RecordRows | ConversionError) -> tuple[object, ...]:
    if isinstance(out, ConversionError):
        return ("error", out.message, out.rows, out.record_id)
    return ("record", out.rows, orjson.dumps(out.record))


def _rows(layout: FlatLayout, era: str, n: int, seed: int) -> Iterator[list[str]]:
    gen = Generator(seed)
    for i in range(n):
        record = gen.invalid_record(i, era)[0] if i % 4 == 0 else gen.valid_record(i, era)
        yield from layout.to_rows(record)


def _mangle(rng: random.Random, row: list[str], width: int) -> list[str]:
    """What agencies' files hold besides clean rows."""
    row = list(row)
    roll = rng.random()
    if roll < 0.1:
        row[rng.randrange(len(row))] = rng.choice(["Z9", " 5 ", "1;;2", "a,b;c", " ", ";"])
    elif roll < 0.15:
        row = row[: rng.randrange(1, width)]  # short row
    elif roll < 0.18:
        row = [*row, "extra"]  # ragged
    elif roll < 0.2:
        row = ["  "] * width  # blank
    elif roll < 0.25:
        row[0] = ""  # no record id: joins the record above
    elif roll < 0.27:
        row[-1] = ";".join(["3"] * 60)  # far more list items than allowed
    return row


@pytest.mark.parametrize("era", ["2018", "2024"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_reader_agrees_with_the_interpreted_one(hub: Hub, era: str, seed: int) -> None:
    layout = FlatLayout(hub.validation.dictionaries[f"stop-{era}"])
    rng = random.Random(seed)
    rows = [_mangle(rng, r, len(layout.names)) for r in _rows(layout, era, 150, seed)]
    numbered = list(enumerate(rows, start=2))
    _same(layout, layout.names, numbered)
    # The same columns in another order, some missing, one unknown: cells follow their names.
    order = list(range(len(layout.names)))
    rng.shuffle(order)
    keep = [i for i in order if i == 0 or rng.random() > 0.1]
    header = [layout.names[i] for i in keep] + [" Unknown "]
    shuffled = [(n, [r[i] if i < len(r) else "" for i in keep] + ["x"]) for n, r in numbered]
    _same(layout, [f" {h}" for h in header], shuffled)


def test_disagreeing_rows_give_the_same_error(hub: Hub) -> None:
    layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
    rows = list(_rows(layout, "2024", 40, 9))
    for i in range(1, len(rows)):
        if rows[i][0] == rows[i - 1][0]:
            rows[i][layout.names.index("Officer.UID")] = "Z99999999"
            rows[i][layout.names.index("SDate")] = "01/01/2020"
    _same(layout, layout.names, list(enumerate(rows, start=2)))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ways=st.lists(
        st.sampled_from(["same", "blank", "padded", "one blank", "differs", "spaces"]),
        min_size=1,
        max_size=4,
    ),
    seed=st.integers(0, 1000),
)
def test_later_rows_of_a_record_read_as_the_interpreted_reader_reads_them(
    hub: Hub, ways: list[str], seed: int
) -> None:
    """A record's rows after its first repeat its record columns, leave them blank, pad them
    with spaces, blank one, or differ in one: the rows that repeat them exactly (or leave them
    all blank) are not compared column by column (``_flatgen._repeated``), and the outcome,
    record or error, is the interpreted reader's."""
    layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
    rng = random.Random(seed)
    first = next(_rows(layout, "2024", 1, seed))
    ident = layout.names.index(layout.id_column.name)
    record = [i for i, c in enumerate(layout.columns) if not c.person and i != ident]
    rows = [first]
    for way in ways:
        row = list(first)
        at = rng.choice(record)
        if way == "blank":
            row = [
                row[i] if i == ident or layout.columns[i].person else "" for i in range(len(row))
            ]
        elif way == "padded":
            row[at] = f" {row[at]} "
        elif way == "one blank":
            row[at] = ""
        elif way == "differs":
            row[at] = row[at] + "9"
        elif way == "spaces":
            row = [
                row[i] if i == ident or layout.columns[i].person else " " for i in range(len(row))
            ]
        rows.append(row)
    _same(layout, layout.names, list(enumerate(rows, start=2)))


def test_too_many_items_for_a_bounded_list_of_groups_give_the_same_error(hub: Hub) -> None:
    layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
    bounded: dict[str, FieldSpec] = {}
    for i, col in enumerate(layout.columns):  # as if the dictionary allowed 2 results
        if col.groups is not None:
            groups = bounded.setdefault(
                col.groups.name, dataclasses.replace(col.groups, max_items=2)
            )
            layout.columns[i] = dataclasses.replace(col, groups=groups)
    rows = list(_rows(layout, "2024", 12, 4))
    at = layout.names.index("ListResult.ResCD")
    rows[3][at] = ";".join(["3"] * 9)
    rows[5][at] = ";".join(["3"] * 8)  # at the limit: read, then refused by the validator
    got = list(layout.records(layout.names, enumerate(rows, start=2)))
    assert any(isinstance(g, ConversionError) and "far more than" in g.message for g in got)
    _same(layout, layout.names, list(enumerate(rows, start=2)))
