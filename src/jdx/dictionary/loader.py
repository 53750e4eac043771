"""Read a dictionary YAML file into the model, rejecting anything the format does not define.

A mistake in a dictionary is a mistake in the interface agencies build against, so the loader is
strict: an unknown key, a table that does not exist or a condition on a field that does not exist
stops the load with the file and the place named.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import yaml

from jdx.dictionary.model import (
    SCALAR_TYPES,
    AllOf,
    AnyOf,
    CodeTable,
    Compare,
    Condition,
    Dictionary,
    DomainTable,
    Era,
    FieldSpec,
    FieldType,
    Not,
    PersonSpec,
    Ref,
    Rule,
    Some,
)

DATE_FORMATS = ("MM/DD/YYYY", "YYYY-MM-DD", "CCYYMMDD")
TIME_FORMATS = ("HH:MM:SS", "HH:MM")
_FIELD_KEYS = {
    "name",
    "type",
    "label",
    "code",
    "core",
    "required",
    "forbidden",
    "description",
    "regulation",
    "example",
    "min_length",
    "max_length",
    "pattern",
    "pattern_message",
    "min",
    "max",
    "table",
    "domain",
    "format",
    "formats",
    "not_future",
    "not_before",
    "values",
    "fields",
    "item",
    "item_name",
    "min_items",
    "max_items",
    "unique",
    "unique_by",
    "exclusive",
}
_TOP_KEYS = {
    "id",
    "family",
    "version",
    "title",
    "description",
    "era",
    "xml_root",
    "unknown_fields",
    "unknown_code",
    "person",
    "tables",
    "domains",
    "fields",
    "rules",
}
_RULE_KEYS = {"code", "scope", "field", "message", "when", "check", "severity"}
_COMPARE_OPS = ("eq", "in", "present", "has", "has_any", "lt", "le", "gt", "ge")


class DictionaryError(ValueError):
    """A dictionary file breaks the format; the message names the file and the place."""


def load_dictionary(path: str | Path) -> Dictionary:
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    try:
        return parse_dictionary(data, base=path.parent)
    except DictionaryError as exc:
        raise DictionaryError(f"{path.name}: {exc}") from None


def parse_dictionary(data: Any, *, base: Path | None = None) -> Dictionary:
    """``base`` is the folder that ``csv:`` table files are relative to (the YAML file's)."""
    top = _mapping(data, "the file", _TOP_KEYS)
    tables = {
        name: CodeTable(
            name=name, label=str(t.get("label", name)), values=_table_values(name, t, base)
        )
        for name, t in _mapping(top.get("tables", {}), "tables").items()
    }
    domains = {
        name: DomainTable(
            name=name,
            label=str(d.get("label", name)),
            csv_key=str(d["csv_key"]),
            normalize=d.get("normalize", "none"),
        )
        for name, d in _mapping(top.get("domains", {}), "domains").items()
    }
    fields = tuple(
        _field(f, f"fields[{i}]", tables, domains)
        for i, f in enumerate(_list(top["fields"], "fields"))
    )
    era = None
    if "era" in top:
        e = _mapping(top["era"], "era", {"field", "from", "until"})
        era = Era(
            field=str(e["field"]),
            start=_date(e.get("from"), "era.from"),
            end=_date(e.get("until"), "era.until"),
        )
    person = None
    if "person" in top:
        p = _mapping(top["person"], "person", {"path", "number_field"})
        person = PersonSpec(path=str(p["path"]), number_field=p.get("number_field"))
    dictionary = Dictionary(
        id=str(top["id"]),
        family=str(top["family"]),
        version=str(top["version"]),
        title=str(top.get("title", top["id"])),
        description=str(top.get("description", "")).strip(),
        xml_root=str(top.get("xml_root", top["family"])),
        fields=fields,
        rules=tuple(
            _rule(r, f"rules[{i}]") for i, r in enumerate(_list(top.get("rules", []), "rules"))
        ),
        tables=tables,
        domains=domains,
        era=era,
        person=person,
        unknown_fields=top.get("unknown_fields", "warn"),
        unknown_code=str(top.get("unknown_code", "DV000")),
    )
    _check_references(dictionary)
    return dictionary


def _table_values(name: str, raw: Any, base: Path | None) -> dict[str, str]:
    """A code table's values: inline, or from CSV files (``code,description``) shipped beside
    the dictionary. Published tables such as NCIC's (hundreds of codes) stay verbatim copies of
    their source instead of being retyped into YAML; they are read once, when the dictionary is
    loaded, and from then on are ordinary code tables (validator, schemas and ICD see no
    difference)."""
    where = f"tables.{name}"
    t = _mapping(raw, where, {"label", "values", "csv"})
    if ("values" in t) == ("csv" in t):
        raise DictionaryError(f"{where}: give either values or csv")
    if "values" in t:
        return {_text(k): str(v) for k, v in _mapping(t["values"], f"{where}.values").items()}
    if base is None:
        raise DictionaryError(f"{where}: csv tables need the dictionary's folder")
    files = t["csv"] if isinstance(t["csv"], list) else [t["csv"]]
    values: dict[str, str] = {}
    for file in files:
        path = base / str(file)
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
        except OSError as exc:
            raise DictionaryError(f"{where}: cannot read {file}: {exc.strerror}") from None
        if not rows or not {"code", "description"} <= set(rows[0]):
            raise DictionaryError(f"{where}: {file} needs the columns code and description")
        for row in rows:
            values[row["code"].strip()] = row["description"].strip()
    return values


# --- fields -----------------------------------------------------------------------------------


def _field(
    raw: Any,
    where: str,
    tables: Mapping[str, CodeTable],
    domains: Mapping[str, DomainTable],
    *,
    inherit: FieldSpec | None = None,
) -> FieldSpec:
    f = _mapping(raw, where, _FIELD_KEYS)
    name = _text(f.get("name", ""))
    if inherit is None and not name:
        raise DictionaryError(f"{where}: a field needs a name")
    where = f"{where} ({name})" if name else where
    ftype = f.get("type")
    if ftype not in SCALAR_TYPES | {"group", "list"}:
        raise DictionaryError(f"{where}: unknown type {ftype!r}")
    code = f.get("code", inherit.code if inherit else None)
    if not code:
        raise DictionaryError(f"{where}: every field needs an error code")
    label = str(f.get("label", inherit.label if inherit else name))
    formats = tuple(f.get("formats", [f["format"]] if "format" in f else []))
    if ftype == "date":
        formats = formats or ("MM/DD/YYYY",)
        _known(formats, DATE_FORMATS, where)
    elif ftype == "time":
        formats = formats or ("HH:MM:SS",)
        _known(formats, TIME_FORMATS, where)
    if ftype == "code" and not (f.get("table") or f.get("domain")):
        raise DictionaryError(f"{where}: a code field needs a table or a domain")
    if f.get("table") and f["table"] not in tables:
        raise DictionaryError(f"{where}: no code table {f['table']!r}")
    if f.get("domain") and f["domain"] not in domains:
        raise DictionaryError(f"{where}: no domain table {f['domain']!r}")
    if f.get("pattern"):
        try:
            re.compile(f["pattern"])
        except re.error as exc:
            raise DictionaryError(f"{where}: bad pattern: {exc}") from None
    required = f.get("required", False)
    spec = FieldSpec(
        name=name,
        type=cast(FieldType, ftype),
        label=label,
        code=str(code),
        core=bool(f.get("core", inherit.core if inherit else False)),
        required=required if isinstance(required, bool) else _when(required, f"{where}.required"),
        forbidden=_when(f["forbidden"], f"{where}.forbidden") if "forbidden" in f else None,
        description=str(f.get("description", "")).strip(),
        regulation=str(f.get("regulation", "")),
        example=f.get("example"),
        min_length=f.get("min_length"),
        max_length=f.get("max_length"),
        pattern=f.get("pattern"),
        pattern_message=f.get("pattern_message"),
        min=f.get("min"),
        max=f.get("max"),
        table=f.get("table"),
        domain=f.get("domain"),
        formats=formats,
        not_future=bool(f.get("not_future", False)),
        not_before=_date(f.get("not_before"), f"{where}.not_before"),
        values=tuple(_text(v) for v in f.get("values", ())),
        item_name=f.get("item_name"),
        min_items=f.get("min_items"),
        max_items=f.get("max_items"),
        unique=bool(f.get("unique", False)),
        unique_by=f.get("unique_by"),
        exclusive=_text(f["exclusive"]) if f.get("exclusive") is not None else None,
    )
    if ftype == "group":
        children = tuple(
            _field(c, f"{where}.fields[{i}]", tables, domains)
            for i, c in enumerate(_list(f.get("fields"), f"{where}.fields"))
        )
        _unique_names(children, where)
        spec = _replace(spec, fields=children)
    elif ftype == "list":
        if "item" not in f:
            raise DictionaryError(f"{where}: a list needs an item")
        item = _field(f["item"], f"{where}.item", tables, domains, inherit=spec)
        if spec.unique_by is not None and (item.type != "group" or not item.child(spec.unique_by)):
            raise DictionaryError(f"{where}: unique_by names no field of the list's items")
        spec = _replace(spec, item=item)
    return spec


def _replace(spec: FieldSpec, **changes: Any) -> FieldSpec:
    from dataclasses import replace

    return replace(spec, **changes)


def _unique_names(fields: tuple[FieldSpec, ...], where: str) -> None:
    seen: set[str] = set()
    for f in fields:
        if f.name in seen:
            raise DictionaryError(f"{where}: field {f.name!r} twice")
        seen.add(f.name)


# --- rules and conditions ---------------------------------------------------------------------


def _rule(raw: Any, where: str) -> Rule:
    r = _mapping(raw, where, _RULE_KEYS)
    for key in ("code", "field", "message", "check"):
        if key not in r:
            raise DictionaryError(f"{where}: a rule needs {key!r}")
    severity = r.get("severity", "error")
    if severity not in ("fatal", "error", "warning"):
        raise DictionaryError(f"{where}: unknown severity {severity!r}")
    return Rule(
        code=str(r["code"]),
        message=str(r["message"]).strip(),
        check=_condition(r["check"], f"{where}.check"),
        field=str(r["field"]),
        when=_condition(r["when"], f"{where}.when") if "when" in r else None,
        scope=r.get("scope"),
        severity=severity,
    )


def _when(raw: Any, where: str) -> Condition:
    m = _mapping(raw, where, {"when"})
    if "when" not in m:
        raise DictionaryError(f"{where}: expected {{when: <condition>}}")
    return _condition(m["when"], f"{where}.when")


def _condition(raw: Any, where: str) -> Condition:
    c = _mapping(raw, where)
    if "all" in c or "any" in c:
        key = "all" if "all" in c else "any"
        parts = tuple(
            _condition(x, f"{where}.{key}[{i}]") for i, x in enumerate(_list(c[key], where))
        )
        return AllOf(parts) if key == "all" else AnyOf(parts)
    if "not" in c:
        return Not(_condition(c["not"], f"{where}.not"))
    if "field" not in c:
        raise DictionaryError(f"{where}: a condition needs field, all, any or not")
    ref = _ref(str(c["field"]))
    if "some" in c:
        return Some(ref, _condition(c["some"], f"{where}.some"))
    ops = [op for op in _COMPARE_OPS if op in c]
    if len(ops) != 1 or len(c) != 2:
        raise DictionaryError(
            f"{where}: a condition on a field takes exactly one of {_COMPARE_OPS}"
        )
    op = ops[0]
    value = c[op]
    if op == "present":
        return Compare(ref, "present" if value else "absent")
    if isinstance(value, dict):
        # {field: A, lt: {field: B}}: an ordering between two fields of the record.
        other = _mapping(value, f"{where}.{op}", {"field"})
        if op not in ("lt", "le", "gt", "ge") or "field" not in other:
            raise DictionaryError(f"{where}: only lt, le, gt and ge compare with {{field: ...}}")
        return Compare(ref, op, other=_ref(str(other["field"])))  # type: ignore[arg-type]
    values = tuple(_text(v) for v in value) if isinstance(value, list) else (_text(value),)
    return Compare(ref, op, values)  # type: ignore[arg-type]


def _ref(path: str) -> Ref:
    from_root = path.startswith("/")
    return Ref(tuple(path.lstrip("/").split(".")), from_root)


def _check_references(d: Dictionary) -> None:
    """Every path named by a rule or a person spec must exist, so a typo cannot silence a rule."""
    for r in d.rules:
        base = f"{r.scope}." if r.scope else ""
        if r.scope and d.find(r.scope) is None:
            raise DictionaryError(f"rule {r.code}: no field {r.scope!r}")
        spec = d.find(base + r.field)
        if spec is None:
            raise DictionaryError(f"rule {r.code}: no field {base + r.field!r}")
        if spec.type == "list" and spec.item_name:
            # Errors name what a client fixes: the list's element, not its wrapper (issue 14).
            raise DictionaryError(
                f"rule {r.code}: field {r.field!r} is a list wrapper; name its element "
                f"{r.field + '.' + spec.item_name!r}"
            )
    if d.person and d.find(d.person.path) is None:
        raise DictionaryError(f"person: no field {d.person.path!r}")


# --- small readers ----------------------------------------------------------------------------


def _mapping(raw: Any, where: str, allowed: set[str] | None = None) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DictionaryError(f"{where}: expected a mapping")
    if allowed is not None and (unknown := set(raw) - allowed):
        raise DictionaryError(f"{where}: unknown keys {sorted(unknown)}")
    return raw


def _list(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise DictionaryError(f"{where}: expected a list")
    return raw


def _text(value: Any) -> str:
    """Codes are text as sent: YAML's 1 and "1" are the same code."""
    return str(value)


def _date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DictionaryError(f"{where}: expected an ISO date, got {value!r}") from None


def _known(formats: tuple[str, ...], allowed: tuple[str, ...], where: str) -> None:
    for fmt in formats:
        if fmt not in allowed:
            raise DictionaryError(f"{where}: unknown format {fmt!r}; known: {allowed}")
