"""Generate, once per header row, the Python function that binds a record's rows to a record.

Why generate code: the interpreted reader walked the layout's ~70 columns for every row, with a
dictionary of the row's filled cells, a call per nested field and a split helper per list; it
was the largest cost of a batch file (about 200 µs of 480 per stop record). The generated
function reads each cell by its position in this file's header into a local, and writes it into
the record with the nesting, split and key of its column spelled out. What a column does is
decided here, once; the result is the record (and the conversion errors) that the interpreted
reader gave, which ``tests/codecs/flat_reference.py`` keeps as the oracle.

``bind(rows)`` takes the rows of one record, each ``(row number, cells)`` with the cells padded
to the header's width, and returns the record or raises :class:`ConversionError`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jdx.codecs.flat import INNER_SEP, ITEM_SEP, Column, ConversionError

if TYPE_CHECKING:
    from jdx.codecs.flat import FlatLayout

Binder = Callable[[list[tuple[int, list[str]]]], dict[str, Any]]


def _differs(rows: list[tuple[int, list[str]]], at: int, text: str, name: str) -> None:
    """A record column must read the same on every row of the record (or be left blank)."""
    for number, cells in rows[1:]:
        again = cells[at].strip()
        if again and again != text:
            raise ConversionError(
                f"row {number}, column {name}: {again!r} differs from "
                f"{text!r} on row {rows[0][0]} of the same record",
                (),
            )


def _repeated(rows: list[tuple[int, list[str]]], cells: Callable[[list[str]], Any]) -> bool:
    """Whether each row after the first holds the first's record columns (``cells`` gives
    them) exactly, or none of them: so none can differ, and :func:`_differs` need not look
    column by column. Most records of several rows repeat them (measured on the bench's sheet:
    4,977 rows of 4,978), and one comparison costs less than a call per column."""
    first = cells(rows[0][1])
    return all((again := cells(c)) == first or not "".join(again).strip() for _, c in rows[1:])


def compile_binder(layout: FlatLayout, header: list[str]) -> Binder:
    """The binder of ``layout`` for a file whose header row is ``header``."""
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        if h.strip() in layout.names:
            index[h.strip()] = i  # a name given twice: the last one, as the reader always did
    record_columns = [index[c.name] for c in layout.columns if not c.person and c.name in index]
    lines = [
        "def bind(rows):",
        "    number, c = rows[0]",
        "    record = {}",
        "    more = len(rows) > 1 and not _repeated(rows, _record_cells)",
    ]
    # a tuple of the record columns' cells, even of one column or none: what _repeated
    # compares (itemgetter gives a tuple from two on)
    record_cells: Callable[[list[str]], Any] = (
        operator.itemgetter(*record_columns)
        if len(record_columns) > 1
        else lambda cells: tuple(cells[i] for i in record_columns)
    )
    namespace: dict[str, Any] = {
        "_differs": _differs,
        "_repeated": _repeated,
        "_record_cells": record_cells,
        "ConversionError": ConversionError,
    }
    for col in layout.columns:
        if not col.person and col.name in index:
            at = index[col.name]
            lines.append(f"    t = c[{at}].strip()")
            lines.append(f"    if more: _differs(rows, {at}, t, {col.name!r})")
            lines += _store(col, "record", "number", indent="    ")
    if layout.person_list is not None:
        lines += ["    persons = []", "    for number, c in rows:", "        person = {}"]
        for col in layout.columns:
            if col.person and col.name in index:
                lines.append(f"        t = c[{index[col.name]}].strip()")
                lines += _store(col, "person", "number", indent="        ")
        lines.append("        persons.append(person)")
        item = layout.person_list.item_name
        value = f"{{{item!r}: persons}}" if item else "persons"
        lines += _nested("record", layout.person_keys, value, "    ")
    lines.append("    return record")
    code = compile("\n".join(lines) + "\n", f"<jdx flat binder {layout.dictionary.id}>", "exec")
    exec(code, namespace)  # noqa: S102 - source generated above from the dictionary alone
    binder: Binder = namespace["bind"]
    return binder


def _store(col: Column, target: str, number: str, *, indent: str) -> list[str]:
    """The lines that put a column's stripped text ``t`` into ``target`` when it is not blank."""
    inner = indent + "    "
    lines = [f"{indent}if t:"]
    if col.groups is not None:
        return lines + _store_in_groups(col, target, number, inner)
    if col.spec.type == "list":
        values = f"[x.strip() for x in t.split({ITEM_SEP!r})]"
        value = f"{{{col.spec.item_name!r}: {values}}}" if col.spec.item_name else values
    else:
        value = "t"
    return lines + _nested(target, col.keys, value, inner)


def _store_in_groups(col: Column, target: str, number: str, indent: str) -> list[str]:
    """A column of a list of groups: its ``;``-separated parts go into the list's items by
    position (``ResCD`` = ``3;14`` fills the first two results), creating the items."""
    groups = col.groups
    assert groups is not None
    item_name = groups.item_name
    lines = [f"{indent}parts = t.split({ITEM_SEP!r})"]
    *path, last = col.keys
    holder = target
    if path:
        lines += _nested(target, col.keys, "None", indent)[:-1]  # the groups on the way
        holder = f"g{len(path) - 1}"
    empty = f"{{{item_name!r}: []}}" if item_name else "[]"
    lines += [
        f"{indent}h = {holder}.get({last!r})",
        f"{indent}if h is None:",
        f"{indent}    h = {holder}[{last!r}] = {empty}",
        f"{indent}items = h[{item_name!r}]" if item_name else f"{indent}items = h",
    ]
    if groups.max_items is not None:
        limit = max(groups.max_items, 1) * 4
        message = (
            f"f'row {{{number}}}, column {col.name}: {{len(parts)}} items is far more than the "
            f"{groups.max_items} allowed'"
        )
        lines += [
            f"{indent}if len(parts) > {limit}:",
            f"{indent}    raise ConversionError({message}, ({number},))",
        ]
    lines += [
        f"{indent}while len(items) < len(parts):",
        f"{indent}    items.append({{}})",
        f"{indent}for item, part in zip(items, parts):",
        f"{indent}    x = part.strip()",
    ]
    if col.spec.type == "list":
        # An item's list is set even when blank (an empty list), as the reader always did.
        values = f"([y.strip() for y in x.split({INNER_SEP!r})] if x else [])"
        value = f"{{{col.spec.item_name!r}: {values}}}" if col.spec.item_name else values
        return lines + _nested("item", col.within, value, indent + "    ")
    lines.append(f"{indent}    if x:")
    return lines + _nested("item", col.within, "x", indent + "        ")


def _nested(target: str, keys: tuple[str, ...], value: str, indent: str) -> list[str]:
    """``target[k1][k2]... = value``, creating the groups on the way as they are first filled."""
    lines: list[str] = []
    holder = target
    for depth, key in enumerate(keys[:-1]):
        var = f"g{depth}"
        lines.append(f"{indent}{var} = {holder}.get({key!r})")
        lines.append(f"{indent}if {var} is None:")
        lines.append(f"{indent}    {var} = {holder}[{key!r}] = {{}}")
        holder = var
    lines.append(f"{indent}{holder}[{keys[-1]!r}] = {value}")
    return lines
