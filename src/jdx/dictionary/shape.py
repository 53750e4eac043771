"""Put a record in its dictionary's exact shape: lists where the dictionary has lists.

A record read from XML has a single ``<Ethn>`` as a value, not a list of one; a client may send a
number where the dictionary has text. The validator accepts both; what is stored and returned is
the canonical form, so that every channel stores the same record the same way.

Every stored record passes through here, so the shaping is built once per dictionary as a tree of
small functions (one per field), kept with the dictionary, rather than re-read from the field
specs on every call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jdx.dictionary.compiler import as_text
from jdx.dictionary.model import Dictionary, FieldSpec

Shape = Callable[[Any], Any]

# Dictionaries are immutable and few; the entry keeps the dictionary alive, so its id is not
# reused while the entry exists.
_shapers: dict[int, tuple[Dictionary, Shape]] = {}


def canonical(dictionary: Dictionary, record: dict[str, Any]) -> dict[str, Any]:
    entry = _shapers.get(id(dictionary))
    if entry is None or entry[0] is not dictionary:
        entry = _shapers[id(dictionary)] = (dictionary, _group(dictionary.fields))
    shaped: dict[str, Any] = entry[1](record)
    return shaped


def _group(fields: tuple[FieldSpec, ...]) -> Shape:
    shapes = {f.name: _field(f) for f in fields}
    get = shapes.get

    def shape(obj: Any) -> Any:
        if obj.__class__ is not dict:
            return obj
        out: dict[str, Any] = {}
        for key, value in obj.items():
            of = get(key)
            out[key] = value if of is None or value is None else of(value)
        return out

    return shape


def _field(spec: FieldSpec) -> Shape:
    if spec.type == "group":
        return _group(spec.fields)
    if spec.type == "list":
        return _list(spec)
    return _scalar


def _scalar(value: Any) -> Any:
    if value.__class__ is str:  # nearly every value of a record as real clients send it
        return value.strip()
    text = as_text(value)
    return text if text is not None else value


def _list(spec: FieldSpec) -> Shape:
    assert spec.item is not None
    item = _field(spec.item)
    name = spec.item_name

    def items(value: Any) -> list[Any]:
        return [
            None if v is None else item(v) for v in (value if value.__class__ is list else [value])
        ]

    if name is None:
        return lambda value: [] if value == "" else items(value)

    def wrapped(value: Any) -> Any:
        if value.__class__ is not dict:
            return value
        inner = value.get(name)
        return {**value, name: [] if inner is None or inner == "" else items(inner)}

    return wrapped
