"""The columnar path against the record path on a generated 100,000-stop pipe-delimited file with
planted errors of every kind (issue 20: "sound or off").

Both read the same file. The columnar path is the reader worker's own call
(``batch_workers._columnar_next``, run in this process): ``ColumnarRecords`` reads, checks and
binds a block at a time, and the stops it does not call clean are bound and validated by the
worker's ``Checker``.
The record path reads the file with ``read_items`` and validates every record. Stop by stop, in
file order: the same record number and rows; a stop called clean is one the record path finds
nothing in (no issue of any severity), stored as the same JSON text with the same fields for the
relational checks; every other stop gets exactly the record path's issues (code, severity, field
path, message, person number), or the same conversion error. The two are walked side by side,
a block at a time, so that no 100,000 records are held at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench.records import KINDS, Generator, dictionaries, load_domains

from jdx.codecs.batch import Format, Item, RawItem, read_items, row_span
from jdx.codecs.flat import ConversionError
from jdx.exchanges.stops import batch_workers
from jdx.exchanges.stops.columnar_files import Rest
from jdx.exchanges.stops.records import FAMILY, Prepared
from jdx.store.engine import json_text
from jdx.validation import ValidationService
from tests.codecs.test_columnar_read import write_bench_file

STOPS = 100_000
ERA = "2024"
SEED = 2026


def _columnar(path: Path) -> Iterator[tuple[int, str, Any]]:
    """Each stop as the columnar path hands it to the store, block by block from the reader
    worker's own call (``_columnar_next``, run here): (record number, rows, what), where what
    is ``("clean", fields, text)`` or the worker's ``Checker`` tuple for a referred stop."""
    dictionary_id = dictionaries()[ERA].id
    first = True
    while (
        got := batch_workers._columnar_next("differential", str(path), dictionary_id, 0, first)
    ) is not None:
        assert not isinstance(got, Rest), got  # the whole file is columnar
        first = False
        _, part, checked = got
        results = iter(checked)
        for r in part:
            if not isinstance(r, RawItem):
                seq, first_row, last_row, fields, text = r[:5]
                yield seq, row_span(first_row, last_row), ("clean", fields, text)
            elif isinstance(r.group, ConversionError):
                yield r.seq, r.rows, (0, r.group.message)
            else:
                yield r.seq, r.rows, next(results)


def _record_path(item: Item, validation: ValidationService) -> tuple[Any, ...]:
    """The record path's verdict on a stop, in the worker's terms."""
    if isinstance(item.record, ConversionError):
        return (0, item.record.message)
    outcome = validation.validate(FAMILY, item.record)
    issues = [(i.code, i.severity, i.field, i.message, i.person) for i in outcome.issues]
    return Prepared.fields_of(item.record), json_text(item.record), issues, outcome.dictionary_id


def test_a_100000_stop_file_comes_out_of_both_paths_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted: Counter[str] = Counter()
    path = write_bench_file(tmp_path / "stops.csv", ERA, STOPS, SEED, planted)
    eras = dictionaries()
    validation = ValidationService(load_domains())
    for dictionary in eras.values():
        validation.add(dictionary)
    # the worker's state, as its initializer (``_start``) leaves it
    monkeypatch.setattr(batch_workers, "_checker", batch_workers.Checker(validation))
    monkeypatch.setattr(batch_workers, "_readings", {})
    plantable = {k for k in KINDS if Generator(SEED).invalid[ERA].get(k)}
    assert set(planted) == plantable, planted  # every kind the era's fixtures have
    record_path = read_items(path, Format.DELIMITED, eras[ERA])
    clean = referred = with_issues = 0
    for (seq, rows, what), item in zip(_columnar(path), record_path, strict=True):
        assert (seq, rows) == (item.seq, item.rows)
        want = _record_path(item, validation)
        if what[0] == "clean":
            clean += 1
            fields, text, issues, _ = want
            assert issues == [], (seq, issues)  # called clean: the record path finds nothing
            assert (what[1], what[2]) == (fields, text), seq
        else:
            referred += 1
            got = what[:2] if what[0] == 0 else (what[1], what[2], what[3], what[4])
            assert got == want, seq
            with_issues += bool(what[0] and what[3])
    # (both gave the same number of records: ``strict``; a few fewer than STOPS, since a
    # planted "missing required field" can be the record id, which joins the stop's rows to
    # the one before: 56 of them with this seed)
    assert clean + referred > STOPS * 0.99
    assert with_issues >= sum(planted.values()) * 0.9  # the planted errors were found
    assert clean >= (STOPS - sum(planted.values())) * 0.95  # and valid stops mostly skip it
