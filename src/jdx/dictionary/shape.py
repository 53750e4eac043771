"""Put a record in its dictionary's exact shape: lists where the dictionary has lists.

A record read from XML has a single ``<Ethn>`` as a value, not a list of one; a client may send a
number where the dictionary has text. The validator accepts both; what is stored and returned is
the canonical form, so that every channel stores the same record the same way.
"""

from __future__ import annotations

from typing import Any

from jdx.dictionary.compiler import as_text
from jdx.dictionary.model import Dictionary, FieldSpec


def canonical(dictionary: Dictionary, record: dict[str, Any]) -> dict[str, Any]:
    return _group(dictionary.fields, record)


def _group(fields: tuple[FieldSpec, ...], obj: dict[str, Any]) -> dict[str, Any]:
    specs = {f.name: f for f in fields}
    out: dict[str, Any] = {}
    for key, value in obj.items():
        spec = specs.get(key)
        out[key] = value if spec is None else _value(spec, value)
    return out


def _value(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.type == "group":
        return _group(spec.fields, value) if isinstance(value, dict) else value
    if spec.type == "list":
        assert spec.item is not None
        if spec.item_name is not None:
            if not isinstance(value, dict):
                return value
            inner = value.get(spec.item_name)
            if inner is None or inner == "":
                return {**value, spec.item_name: []}
            return {**value, spec.item_name: [_value(spec.item, v) for v in _as_list(inner)]}
        if value == "":
            return []
        return [_value(spec.item, v) for v in _as_list(value)]
    text = as_text(value)
    return text if text is not None else value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
