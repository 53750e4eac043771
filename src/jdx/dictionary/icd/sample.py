"""A valid sample record, built from the dictionary's examples and proved by its own validator.

The sample holds the required fields, filled with their examples (or the first code of their
table); then the validator is run: a field it misses (required in this combination) is added
from its example, a field it objects to is taken out, until the record passes. So the sample
is small, realistic and valid by construction. A dictionary whose examples cannot make a valid
record is a dictionary bug, reported as such.
"""

from __future__ import annotations

import re
from typing import Any

from jdx.dictionary.compiler import compile_validator
from jdx.dictionary.model import Dictionary, FieldSpec

_STEP = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")
MAX_ROUNDS = 50


class SampleError(ValueError):
    """The dictionary's examples do not make a valid record."""


def sample_record(
    d: Dictionary, domains: dict[str, frozenset[str]] | None = None, *, full: bool = False
) -> dict[str, Any]:
    """The smallest valid record; with ``full``, one that also holds every optional field that
    has an example (what an agency sending all it may send looks like)."""
    record = _group(d, d.fields, required_only=not full)
    validate = compile_validator(d, domains or {})
    for _ in range(MAX_ROUNDS):
        issues = [i for i in validate(record).issues if i.severity != "warning"]
        if not issues:
            return record
        changed = False
        for issue in issues:
            if not issue.field:
                continue
            spec = d.reported(issue.field)
            # An issue about a whole list names its element (``ListB.B``): the list is put at
            # its wrapper.
            path = issue.field
            if spec is not None and spec.item_name and not path.endswith("]"):
                path = path.removesuffix("." + spec.item_name)
            if _delete(record, path):
                changed = True
            elif spec is not None and (value := _value(d, spec)) is not None:
                changed = _put(record, path, value) or changed
        if not changed:
            break
    problems = "; ".join(f"{i.code} {i.field}: {i.message}" for i in validate(record).issues)
    raise SampleError(f"the examples of {d.id} do not make a valid record: {problems}")


def _group(
    d: Dictionary, fields: tuple[FieldSpec, ...], *, required_only: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        if required_only and f.required is not True:
            continue
        value = _value(d, f, required_only=required_only)
        if value is not None:
            out[f.name] = value
    return out


def _value(d: Dictionary, f: FieldSpec, *, required_only: bool = True) -> Any:
    if f.type == "group":
        inner = _group(d, f.fields, required_only=required_only)
        return inner or None
    if f.type == "list":
        assert f.item is not None
        item = (
            _value(d, f.item, required_only=required_only)
            if f.item.type == "group"
            else _example(d, f.item, f)
        )
        if item is None:
            return None
        items = [item]
        return {f.item_name: items} if f.item_name else items
    return _example(d, f, f)


def _example(d: Dictionary, f: FieldSpec, owner: FieldSpec) -> Any:
    example = owner.example if owner.example is not None else f.example
    if isinstance(example, list):
        return str(example[0]) if example else None
    if example is not None:
        return str(example)
    if f.type == "code" and f.table:
        table = d.tables[f.table].values
        if owner.exclusive is not None:
            return next((v for v in table if v != owner.exclusive), None)
        return next(iter(table), None)
    if f.type == "flag":
        return "N" if "N" in (f.values or ("Y", "N")) else f.values[0]
    return None


def _delete(record: dict[str, Any], path: str) -> bool:
    """Remove the value at a validator field path (``A.B[2].C``); False if there is none."""
    steps = _STEP.findall(path)
    obj: Any = record
    for i, (key, index) in enumerate(steps):
        if not isinstance(obj, dict) or key not in obj:
            return False
        last = i == len(steps) - 1
        if last and not index:
            del obj[key]
            return True
        value = obj[key]
        if index:
            position = int(index) - 1
            if not isinstance(value, list) or position >= len(value):
                return False
            if last:
                del value[position]
                return True
            obj = value[position]
        else:
            obj = value
    return False


def _put(record: dict[str, Any], path: str, value: Any) -> bool:
    """Set the value at a validator field path whose parent exists; False if it does not."""
    steps = _STEP.findall(path)
    obj: Any = record
    for key, index in steps[:-1]:
        obj = obj.get(key) if isinstance(obj, dict) else None
        if index:
            position = int(index) - 1
            obj = obj[position] if isinstance(obj, list) and position < len(obj) else None
    key, index = steps[-1]
    if not isinstance(obj, dict) or index or key in obj:
        return False
    obj[key] = value
    return True
