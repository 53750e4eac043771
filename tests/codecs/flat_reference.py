"""The interpreted flat reader that the generated one replaced, kept as a test oracle.

``records(layout, header, rows)`` walks the layout's columns for every row, as ``FlatLayout``
did before it generated a reader per header (``jdx/codecs/_flatgen.py``); the tests check that
both give the same records, the same conversion errors and the same rows for any input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from jdx.codecs.flat import Column, ConversionError, FlatLayout, RecordRows, _set


def records(
    layout: FlatLayout, header: list[str], rows: Iterable[tuple[int, list[str]]]
) -> Iterator[RecordRows | ConversionError]:
    index = [(h.strip(), i) for i, h in enumerate(header) if h.strip() in layout.names]
    width = len(header)
    id_name = layout.id_column.name
    pending: list[tuple[int, dict[str, str]]] = []
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            if pending:
                yield _build(layout, pending)
                pending = []
            yield ConversionError(
                f"row {number} has {len(cells)} cells, the header {width}", (number,)
            )
            continue
        n = len(cells)
        values = {name: v for name, i in index if i < n and (v := cells[i].strip())}
        record_id = values.get(id_name, "")
        if pending and record_id and record_id != pending[0][1].get(id_name):
            yield _build(layout, pending)
            pending = []
        pending.append((number, values))
    if pending:
        yield _build(layout, pending)


def _build(
    layout: FlatLayout, rows: list[tuple[int, dict[str, str]]]
) -> RecordRows | ConversionError:
    numbers = tuple(n for n, _ in rows)
    first = rows[0][1]
    record_id = first.get(layout.id_column.name, "")
    record: dict[str, Any] = {}
    persons: list[dict[str, Any]] = []
    try:
        for col in layout.columns:
            if col.person:
                continue
            text = first.get(col.name, "")
            for number, other in rows[1:]:
                again = other.get(col.name, "")
                if again and again != text:
                    raise ConversionError(
                        f"row {number}, column {col.name}: {again!r} differs from "
                        f"{text!r} on row {numbers[0]} of the same record",
                        numbers,
                        record_id,
                    )
            if text:
                if key := _plain_key(col):
                    record[key] = text
                else:
                    layout._put(record, col, text, numbers[0])
        if layout.person_list is not None:
            for number, values in rows:
                person: dict[str, Any] = {}
                for col in layout.columns:
                    if not col.person:
                        continue
                    text = values.get(col.name, "")
                    if text:
                        if key := _plain_key(col):
                            person[key] = text
                        else:
                            layout._put(person, col, text, number)
                persons.append(person)
            item_name = layout.person_list.item_name
            _set(record, layout.person_keys, {item_name: persons} if item_name else persons)
    except ConversionError as exc:
        exc.rows, exc.record_id = numbers, record_id
        return exc
    return RecordRows(numbers, record)


def _plain_key(col: Column) -> str:
    """The key a column's text is stored under as it is, or "" when it needs ``_put``."""
    if col.groups is None and col.spec.type != "list" and len(col.keys) == 1:
        return col.keys[0]
    return ""
