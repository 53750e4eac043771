"""The flat form of a job of mixed record types: one row per record, columns named by path.

The first column, ``recordType``, names each row's record type; the others are the field paths
of the record types' dictionaries (``subjectIdentification.lastName``), list items numbered from
1 (``investigatingAgencies[2].caseNumber``). The columns of a layout are the union of its types'
fields, lists up to their ``max_items``: a row fills the columns of its own type and leaves the
rest empty. An empty cell is an absent field. Unlike :mod:`jdx.codecs.flat` (stops, one row per
person, list items joined in one cell) every value has a cell of its own, which is what a person
filling a spreadsheet by hand gets right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jdx.codecs.flat import neutralize_cell
from jdx.codecs.paths import PathError, flatten, unflatten
from jdx.dictionary.model import Dictionary, FieldSpec

RECORD_TYPE = "recordType"
DEFAULT_ITEMS = 3  # a list without max_items gets this many items of columns


def dictionary_columns(d: Dictionary) -> list[str]:
    """The path of every scalar of a dictionary, lists expanded to their largest size."""
    return _columns(d.fields, "")


def _columns(fields: Sequence[FieldSpec], prefix: str) -> list[str]:
    out: list[str] = []
    for f in fields:
        path = f"{prefix}.{f.name}" if prefix else f.name
        if f.type == "group":
            out += _columns(f.fields, path)
        elif f.type == "list" and f.item is not None:
            for n in range(1, (f.max_items or DEFAULT_ITEMS) + 1):
                if f.item.type == "group":
                    out += _columns(f.item.fields, f"{path}[{n}]")
                else:
                    out.append(f"{path}[{n}]")
        else:
            out.append(path)
    return out


class PathLayout:
    """The columns of a job file of the given record types (name -> dictionary)."""

    def __init__(self, dictionaries: Mapping[str, Dictionary]) -> None:
        self.types = tuple(dictionaries)
        names: dict[str, None] = {RECORD_TYPE: None}
        for d in dictionaries.values():
            names.update(dict.fromkeys(dictionary_columns(d)))
        self.names = list(names)
        self._known = frozenset(self.names)

    def to_row(self, record_type: str, record: Mapping[str, Any]) -> list[str]:
        """One record as a row of cells (a template's sample); ValueError for a value that has
        no column."""
        values = flatten(record)
        extra = [p for p in values if p not in self._known]
        if extra:
            raise ValueError(f"no column for {', '.join(extra)}")
        cells = {RECORD_TYPE: record_type, **{p: _text(v) for p, v in values.items()}}
        return [neutralize_cell(cells.get(name, "")) for name in self.names]

    def check_header(self, header: Sequence[str]) -> list[str]:
        """What is wrong with a header row ([] when nothing): each problem names the column."""
        problems: list[str] = []
        seen: set[str] = set()
        for n, raw in enumerate(header, 1):
            name = raw.strip()
            if not name:
                continue
            if name in seen:
                problems.append(f"column {n} {name!r} is given twice")
            elif name not in self._known:
                problems.append(f"column {n} {name!r} is not a field of any record type")
            seen.add(name)
        if RECORD_TYPE not in seen:
            problems.insert(0, f"the header has no {RECORD_TYPE!r} column")
        return problems

    def read_row(self, header: Sequence[str], cells: Sequence[str]) -> tuple[str, dict[str, Any]]:
        """(record type, record) of one row under a checked header; PathError names the cell."""
        values: dict[str, str] = {}
        record_type = ""
        for name, cell in zip(header, cells, strict=True):
            name, text = name.strip(), cell.strip()
            if not name or not text:
                continue
            if name == RECORD_TYPE:
                record_type = text
            else:
                values[name] = text
        if record_type not in self.types:
            raise PathError(f"{RECORD_TYPE} must be one of {', '.join(self.types)}")
        return record_type, unflatten(values)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
