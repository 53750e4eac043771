"""JSON Schema (draft 2020-12) of the JSON form of a record: the ICD's "Attachment B".

The schema is never stricter than the validator: every record the validator accepts without
errors passes it. What it cannot say faithfully, it leaves to the validator and says so in the
``description``s. Hence, for every value:

- absent values (null, blank text, ``[]``, ``{}``) are allowed wherever the field is not
  unconditionally required, since the validator reads them as "not sent";
- text with leading or trailing white space is allowed unchecked, since the validator trims it
  before checking (JSON Schema cannot trim);
- JSON numbers are allowed where the validator reads them as their decimal text;
- list counts use ``contains``/``minContains``/``maxContains`` on the non-absent items, since the
  validator skips absent items; ``uniqueItems`` gives way when absent items repeat.

Conditional requirements and prohibitions become ``if``/``then`` when the condition is an
``eq``, ``in``, ``present`` (or ``has`` on a list of scalars), possibly combined with ``all``,
``any`` and ``not``, on fields of the same object; the ``if`` part is built to imply the
validator's condition, so a ``then`` never applies where the validator would not require.
The schema uses no ``$ref``, so it can be embedded as is (the OpenAPI document does).
"""

from __future__ import annotations

import math
from typing import Any

from jdx.dictionary.compiler import as_text, describe
from jdx.dictionary.icd._common import (
    DATE_PATTERNS,
    TIME_PATTERNS,
    WS_CLASS,
    KeyPath,
    field_notes,
    item_path,
    portable_pattern,
    target,
)
from jdx.dictionary.model import AllOf, AnyOf, Compare, Condition, Dictionary, FieldSpec, Not

Schema = dict[str, Any]

ABSENT: Schema = {
    "description": "Absent: null, blank text, an empty list or an empty object.",
    "anyOf": [
        {"type": "null"},
        {"type": "string", "pattern": f"^{WS_CLASS}*$"},
        {"type": "array", "maxItems": 0},
        {"type": "object", "maxProperties": 0},
    ],
}
PADDED: Schema = {
    "description": "Text with leading or trailing white space: the hub trims it, then checks it.",
    "type": "string",
    "pattern": f"^{WS_CLASS}|{WS_CLASS}$",
}
PRESENT: Schema = {"not": ABSENT}
_ASCII_WS = "[\\t-\\r\\x1c-\\x20]"


def json_schema(d: Dictionary) -> Schema:
    body = _Builder(d).group(d.fields, (), top=True)
    notes = [d.description]
    if d.era is not None:
        notes.append(
            f"Applies to records whose {d.era.field} is "
            f"{'on or after ' + d.era.start.isoformat() if d.era.start else 'any date'}"
            f"{' and before ' + d.era.end.isoformat() if d.era.end else ''}."
        )
    if d.rules:
        notes.append(
            "Cross-field rules checked by the hub, not by this schema: "
            + " ".join(f"{r.code}: {r.message.strip()}" for r in d.rules)
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": d.title,
        "description": "\n\n".join(n for n in notes if n),
        **body,
    }


class _Builder:
    def __init__(self, d: Dictionary) -> None:
        self.d = d

    # --- structure ----------------------------------------------------------------------------

    def group(self, fields: tuple[FieldSpec, ...], path: KeyPath, *, top: bool = False) -> Schema:
        properties = {f.name: self.field(f, path) for f in fields}
        out: Schema = {"type": "object", "properties": properties}
        required = [f.name for f in fields if f.required is True]
        if required:
            out["required"] = required
        out["additionalProperties"] = self.d.unknown_fields != "error"
        conditionals = [c for f in fields for c in self.conditionals(f, fields, path, top)]
        if conditionals:
            out["allOf"] = conditionals
        return out

    def field(self, f: FieldSpec, container: KeyPath) -> Schema:
        path = (*container, f.name)
        if f.type == "group":
            real = self.group(f.fields, path)
        elif f.type == "list":
            real = self.list_(f, path)
        else:
            real = self.scalar(f)
        branches = [] if f.required is True else [ABSENT]
        if f.type not in ("group", "list"):
            branches.append(PADDED)
        notes = field_notes(f)
        unexpressed = [
            text
            for cond, text, expressed in (
                (f.required, "Required when", self._expressible(f.required, container)),
                (f.forbidden, "Must be absent when", self._expressible(f.forbidden, container)),
            )
            if not isinstance(cond, bool) and cond is not None and not expressed
            for text in [f"{text} {describe(cond)} (checked by the hub, not by this schema)."]
        ]
        out: Schema = {"title": f.label, "description": " ".join([notes, *unexpressed])}
        out["x-error-code"] = f.code
        if branches:
            out["anyOf"] = [*branches, real]
        else:
            out.update(real)
        return out

    def list_(self, f: FieldSpec, path: KeyPath) -> Schema:
        item = f.item
        assert item is not None
        if item.type == "group":
            real = self.group(item.fields, item_path(path, f))
            one: Schema = real
        else:
            real = self.scalar(item)
            one = {"anyOf": [PADDED, real]}
        array: Schema = {"type": "array", "items": {"anyOf": [ABSENT, one]}}
        required = f.required is True
        at_least = max(1, f.min_items or 1) if required else 0
        if required or f.max_items is not None:
            array["contains"] = PRESENT
            if at_least != 1:
                array["minContains"] = at_least
            if f.max_items is not None:
                array["maxContains"] = f.max_items
        constraints: list[Schema] = []
        if not required and (f.min_items or 0) > 1:
            constraints.append(
                {"anyOf": [{"items": ABSENT}, {"contains": PRESENT, "minContains": f.min_items}]}
            )
        if f.unique and item.type != "group":
            # Two absent items are not a repeated value for the validator: it skips them.
            constraints.append(
                {"anyOf": [{"uniqueItems": True}, {"contains": ABSENT, "minContains": 2}]}
            )
        if f.exclusive is not None and item.type != "group":
            constraints.append(
                {
                    "if": {"contains": {"enum": _variants((f.exclusive,), fold=False)}},
                    "then": {"contains": PRESENT, "maxContains": 1},
                }
            )
        if constraints:
            array["allOf"] = constraints
        value: Schema = {"anyOf": [one, array] if required else [ABSENT, one, array]}
        if not f.item_name:
            return value
        wrapper: Schema = {
            "type": "object",
            "properties": {f.item_name: value},
            "additionalProperties": False,
        }
        if required:
            wrapper["required"] = [f.item_name]
        return wrapper

    def scalar(self, f: FieldSpec) -> Schema:
        if f.type == "code":
            if f.table:
                return {"enum": _variants(tuple(self.d.tables[f.table].values), fold=False)}
            domain = self.d.domains[f.domain or ""]
            return {
                "type": ["string", "number"],
                "description": f"A code of the domain table {domain.label} ({domain.name}), loaded "
                "by the hub's operator; not checked while the table is not loaded.",
            }
        if f.type == "flag":
            return {"enum": _variants(f.values or ("Y", "N"), fold=True, numbers=False)}
        if f.type == "integer":
            out: Schema = {"type": ["string", "integer"], "pattern": "^[0-9]+$"}
            out["minimum"] = f.min if f.min is not None else 0
            if f.max is not None:
                out["maximum"] = f.max
            return _ints(out)
        if f.type == "decimal":
            out = {"type": ["string", "number"]}
            pattern = portable_pattern(f.pattern, xsd=False) if f.pattern else None
            if pattern is not None:
                out["pattern"] = f"^(?:{pattern})$"
            if f.min is not None:
                out["minimum"] = f.min
            if f.max is not None:
                out["maximum"] = f.max
            return _ints(out)
        if f.type in ("date", "time"):
            table = DATE_PATTERNS if f.type == "date" else TIME_PATTERNS
            alternatives = "|".join(f"(?:{table[fmt]})" for fmt in f.formats)
            out = {"type": "string", "pattern": f"^(?:{alternatives})$"}
            if "CCYYMMDD" in f.formats:
                out.update(type=["string", "integer"], minimum=10000101, maximum=99991231)
            return out
        # string: a JSON number is read as its text, then checked like text
        out = {"type": ["string", "number"]}
        if f.min_length is not None:
            out["minLength"] = f.min_length
        if f.max_length is not None:
            out["maxLength"] = f.max_length
        pattern = portable_pattern(f.pattern, xsd=False) if f.pattern else None
        if pattern is not None:
            out["pattern"] = f"^(?:{pattern})$"
        return out

    # --- conditions ---------------------------------------------------------------------------

    def conditionals(
        self, f: FieldSpec, fields: tuple[FieldSpec, ...], path: KeyPath, top: bool
    ) -> list[Schema]:
        out: list[Schema] = []
        for cond, then in (
            (f.required, {"required": [f.name]}),
            (f.forbidden, {"properties": {f.name: ABSENT}}),
        ):
            if isinstance(cond, bool) or cond is None:
                continue
            sure = self.sure(cond, fields, path, negate=False)
            if sure is None:
                continue
            if not top:
                # An empty group or list item is absent: the validator checks nothing inside.
                sure = {"allOf": [{"minProperties": 1}, sure]}
            out.append({"if": sure, "then": then})
        return out

    def _expressible(self, cond: Condition | bool | None, container: KeyPath) -> bool:
        if isinstance(cond, bool) or cond is None:
            return True
        fields = self._fields_at(container)
        return fields is not None and self.sure(cond, fields, container, negate=False) is not None

    def _fields_at(self, path: KeyPath) -> tuple[FieldSpec, ...] | None:
        fields = self.d.fields
        i = 0
        while i < len(path):
            spec = next((f for f in fields if f.name == path[i]), None)
            if spec is None:
                return None
            if spec.type == "group":
                fields, i = spec.fields, i + 1
            elif spec.type == "list" and spec.item is not None and spec.item.type == "group":
                fields, i = spec.item.fields, i + (3 if spec.item_name else 2)
            else:
                return None
        return fields

    def sure(
        self, cond: Condition, fields: tuple[FieldSpec, ...], path: KeyPath, *, negate: bool
    ) -> Schema | None:
        """A schema that matches only where ``cond`` holds (or, negated, where it does not);
        None when no useful one can be written."""
        if isinstance(cond, Not):
            return self.sure(cond.condition, fields, path, negate=not negate)
        if isinstance(cond, AllOf | AnyOf):
            parts = [self.sure(c, fields, path, negate=negate) for c in cond.conditions]
            if isinstance(cond, AllOf) != negate:
                return None if any(p is None for p in parts) else {"allOf": parts}
            kept = [p for p in parts if p is not None]
            return {"anyOf": kept} if kept else None
        if not isinstance(cond, Compare):
            return None  # some: items of a list of groups
        where = target(fields, path, cond)
        if where is None:
            return None
        op = cond.op
        if op in ("present", "absent"):
            holds = (op == "present") != negate
            return _nest(where.keys, _PRESENT_VALUE if holds else _ABSENT_VALUE, not holds)
        if op in ("eq", "in") and where.spec.type != "list":
            if negate:
                return _nest(where.keys, _not_one_of(cond.values), missing_ok=True)
            return _nest(where.keys, {"enum": _variants(cond.values, fold=True)}, missing_ok=False)
        if op in ("has", "has_any") and where.spec.type == "list" and not negate:
            wanted = {"enum": _variants(cond.values, fold=True)}
            return _nest(
                where.keys, {"anyOf": [wanted, {"type": "array", "contains": wanted}]}, False
            )
        return None


_PRESENT_VALUE: Schema = {
    "anyOf": [
        {"type": "string", "pattern": "[!-~]"},
        {"type": ["number", "boolean"]},
        {"type": "object", "minProperties": 1},
    ]
}
_ABSENT_VALUE: Schema = ABSENT


def _nest(keys: KeyPath, value: Schema, missing_ok: bool) -> Schema:
    """``value`` for the field at ``keys`` (through objects); a missing field, or a key on the way
    that holds no object, matches only when ``missing_ok`` (the validator sees nothing there)."""
    key = keys[0]
    if len(keys) > 1:
        inner = {"type": "object", **_nest(keys[1:], value, missing_ok)}
        if missing_ok:
            inner = {"anyOf": [{"type": ["string", "number", "boolean", "null"]}, inner]}
        value = inner
    out: Schema = {"properties": {key: value}}
    if not missing_ok:
        out["required"] = [key]
    return out


def _variants(values: tuple[str, ...], *, fold: bool, numbers: bool = True) -> list[Any]:
    """The exact texts the validator matches (both cases when it compares case-insensitively),
    then the JSON numbers whose text is one of them."""
    wanted = {v.upper() for v in values} if fold else set(values)
    texts: list[Any] = []
    for v in values:
        for t in (v, v.upper(), v.lower()) if fold else (v,):
            key = t.upper() if fold else t
            if t and t == t.strip() and key in wanted and t not in texts:
                texts.append(t)
    nums: list[Any] = []
    for t in texts if numbers else ():
        n = _number(t)
        if n is not None and n not in nums:
            nums.append(n)
    return texts + nums


def _number(text: str) -> int | float | None:
    if text.isascii() and text.lstrip("-").isdigit():
        n = int(text)
        return n if str(n) == text else None
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) and as_text(x) == text else None


def _not_one_of(values: tuple[str, ...]) -> Schema:
    """Values that surely do not equal any of ``values`` for the validator (trimmed, any case)."""
    wanted = {v.upper() for v in values}
    ascii_wanted = sorted(w for w in wanted if w.isascii())
    text: Schema = {"type": "string", "pattern": "^[\\x00-\\x7f]*$"}
    if ascii_wanted:
        alternatives = "|".join(_fold_class(w) for w in ascii_wanted)
        text["not"] = {"pattern": f"^{_ASCII_WS}*(?:{alternatives}){_ASCII_WS}*$"}
    branches: list[Schema] = [
        {"type": ["null", "boolean", "object"]},
        {"type": "array", "maxItems": 0},
        text,
    ]
    if not any(_looks_numeric(w) for w in wanted if _number(w) is None):
        nums = [n for w in wanted if (n := _number(w)) is not None]
        branches.append({"type": "number", "not": {"enum": nums}} if nums else {"type": "number"})
    return {"anyOf": branches}


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _fold_class(text: str) -> str:
    out = []
    for c in text:
        if c.lower() != c.upper():
            out.append(f"[{c.upper()}{c.lower()}]")
        else:
            out.append("\\" + c if c in "\\.^$|?*+()[]{}/-" else c)
    return "".join(out)


def _ints(schema: Schema) -> Schema:
    """Whole bounds as integers, so that the published schema reads 1, not 1.0."""
    for key in ("minimum", "maximum"):
        value = schema.get(key)
        if isinstance(value, float) and value.is_integer():
            schema[key] = int(value)
    return schema
