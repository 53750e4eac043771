"""Pydantic v2 models of the stop record, generated from the same dictionary jdx compiles.

The competitor a Python team would reach for first. The models are generated, not written by
hand, so that they check exactly the dictionary's rules in both eras and cannot drift from it;
each rule is expressed the way pydantic expresses it:

- field types and constraints: ``Literal`` for inline code tables, ``StringConstraints``
  (lengths, patterns), ``Field(ge=, le=)`` for integers, ``AfterValidator`` for domain tables
  (CSV-loaded codes), decimals and real dates;
- "blank means not sent" and "a JSON number is its text": a ``BeforeValidator`` on every field
  (the records arrive exactly as agencies send them, see the ICD);
- lists: an ``AfterValidator`` for item counts, unique values and the "none" code;
- conditional requirements and prohibitions and the cross-field rules: one
  ``model_validator(mode="after")`` on the record, which walks the validated models.

Pydantic's own semantics limit completeness: a model validator runs only when every field of
its model (and of the models inside it) is valid, so a record with a field error gets no
conditional or cross-field checks; and it reports all of its rule violations as one error.
The planted-error bench has one error per record, so these limits do not cost it detections.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Optional

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from jdx.dictionary import Dictionary, FieldSpec
from jdx.dictionary.model import AllOf, AnyOf, Compare, Condition, Not, Rule, Some

Domains = Mapping[str, frozenset[str]]
_CONFIG = ConfigDict(extra="ignore", frozen=False)
_WRAPPER_CONFIG = ConfigDict(extra="forbid")  # jdx: a List… wrapper holds only its items
_DATES = {
    "MM/DD/YYYY": (r"^(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])/[0-9]{4}$", "%m/%d/%Y"),
    "YYYY-MM-DD": (r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", "%Y-%m-%d"),
    "CCYYMMDD": (r"^[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$", "%Y%m%d"),
}
_TIMES = {
    "HH:MM:SS": "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]",
    "HH:MM": "([01][0-9]|2[0-3]):[0-5][0-9]",
}


# --- "blank means not sent" --------------------------------------------------------------------


def _text(value: Any) -> Any:
    """A scalar as jdx reads it: trimmed text, None when blank; numbers as their text."""
    cls = value.__class__
    if cls is str:
        return value.strip() or None
    if cls is int or cls is float:
        return str(value)
    if value is None or ((cls is list or cls is dict) and not value):
        return None
    raise PydanticCustomError("single_value", "must be a single value")


def _object(value: Any) -> Any:
    """An object or list wrapper: blank text, {} and [] mean not sent."""
    cls = value.__class__
    if cls is dict or cls is list:
        return value or None
    if value is None or (cls is str and not value.strip()):
        return None
    return value


def _items(value: Any) -> Any:
    """A list may arrive as one bare value (XML with one item); absent means no items."""
    if value is None:
        return []
    return value if value.__class__ is list else [value]


# --- scalars ------------------------------------------------------------------------------------


def _scalar(spec: FieldSpec, d: Dictionary, domains: Domains) -> Any:
    """The annotation of a present (non-blank) value of a scalar field."""
    if spec.type == "code" and spec.table:
        return Literal[tuple(d.tables[spec.table].values)]
    if spec.type == "code":
        return Annotated[str, AfterValidator(_domain_check(spec, d, domains))]
    if spec.type == "flag":
        allowed = spec.values or ("Y", "N")
        return Literal[(*allowed, *(v.lower() for v in allowed))]
    if spec.type == "integer":
        return Annotated[int, Field(ge=spec.min, le=spec.max), BeforeValidator(_digits)]
    if spec.type == "decimal":
        pattern = f"^(?:{spec.pattern})$" if spec.pattern else None
        return Annotated[
            str, StringConstraints(pattern=pattern), AfterValidator(_range(spec.min, spec.max))
        ]
    if spec.type == "date":
        return Annotated[str, AfterValidator(_date_check(spec))]
    if spec.type == "time":
        alternatives = "|".join(f"(?:{_TIMES[f]})" for f in spec.formats)
        return Annotated[str, StringConstraints(pattern=f"^(?:{alternatives})$")]
    pattern = f"^(?:{spec.pattern})$" if spec.pattern else None
    return Annotated[
        str,
        StringConstraints(min_length=spec.min_length, max_length=spec.max_length, pattern=pattern),
    ]


def _digits(value: str) -> str:
    if not value.isdigit():  # jdx integers are unsigned digits: no "+1", "1.0" or "1e3"
        raise PydanticCustomError("digits", "must be written with digits only")
    return value


def _domain_check(spec: FieldSpec, d: Dictionary, domains: Domains) -> Callable[[str], str]:
    domain = d.domains[spec.domain or ""]
    name, upper = domain.name, domain.normalize == "upper"

    def check(value: str) -> str:
        codes = domains.get(name)  # read per call: a reloaded table applies at once
        if codes is not None and (value.upper() if upper else value) not in codes:
            raise PydanticCustomError("domain", "not a code of the {table} table", {"table": name})
        return value

    return check


def _range(low: float | None, high: float | None) -> Callable[[str], str]:
    def check(value: str) -> str:
        x = float(value)
        if (low is not None and x < low) or (high is not None and x > high):
            raise PydanticCustomError("range", "out of range")
        return value

    return check


def _date_check(spec: FieldSpec) -> Callable[[str], str]:
    import re

    formats = [(re.compile(_DATES[f][0]), _DATES[f][1]) for f in spec.formats]
    not_before, not_future = spec.not_before, spec.not_future

    def check(value: str) -> str:
        for pattern, fmt in formats:
            if pattern.match(value):
                try:
                    day = dt.datetime.strptime(value, fmt).date()
                except ValueError:
                    continue
                if not_before is not None and day < not_before:
                    raise PydanticCustomError("date_early", "too early")
                if not_future and day > dt.date.today() + dt.timedelta(days=1):
                    raise PydanticCustomError("date_future", "in the future")
                return value
        raise PydanticCustomError("date", "not a real date in the expected format")

    return check


# --- lists --------------------------------------------------------------------------------------


def _list_check(spec: FieldSpec) -> Callable[[list[Any]], list[Any]]:
    required = spec.required is True
    low, high, unique, exclusive, unique_by = (
        spec.min_items,
        spec.max_items,
        spec.unique,
        spec.exclusive,
        spec.unique_by,
    )

    def check(items: list[Any]) -> list[Any]:
        present = [x for x in items if x is not None]
        n = len(present)
        if n == 0:
            if required:
                raise PydanticCustomError("missing", "at least one item is required")
            return present
        if low is not None and n < low:
            raise PydanticCustomError("too_short", "too few items")
        if high is not None and n > high:
            raise PydanticCustomError("too_long", "too many items")
        if unique and len(set(present)) != n:
            raise PydanticCustomError("unique", "the same value twice")
        if exclusive is not None and n > 1 and exclusive in present:
            raise PydanticCustomError("exclusive", "{code} cannot be combined", {"code": exclusive})
        if unique_by is not None and n > 1:
            keys = [getattr(x, unique_by) for x in present]
            if len(set(keys)) != len(keys):
                raise PydanticCustomError("unique_by", "{key} repeated", {"key": unique_by})
        return present

    return check


# --- the generator ------------------------------------------------------------------------------


class _Builder:
    def __init__(self, d: Dictionary, domains: Domains) -> None:
        self.d = d
        self.domains = domains
        self.count = 0

    def name(self, base: str) -> str:
        self.count += 1
        return f"{base or 'Item'}_{self.count}"

    def group(self, name: str, fields: tuple[FieldSpec, ...], **extra: Any) -> type[BaseModel]:
        definitions: dict[str, Any] = {f.name: self.field(f) for f in fields}
        return create_model(self.name(name), __config__=_CONFIG, **definitions, **extra)

    def field(self, f: FieldSpec) -> tuple[Any, Any]:
        """(annotation, default) of one field; required fields have no default."""
        required = f.required is True
        if f.type == "group":
            inner: Any = self.group(f.name, f.fields)
            before = BeforeValidator(_object)
        elif f.type == "list":
            inner, before = self.list_(f), BeforeValidator(_object)
        else:
            inner, before = _scalar(f, self.d, self.domains), BeforeValidator(_text)
        if required:
            return Annotated[inner, before], ...
        return Annotated[Optional[inner], before], None  # noqa: UP045 (a runtime type object)

    def list_(self, f: FieldSpec) -> Any:
        item = f.item
        assert item is not None
        if item.type == "group":
            item_type: Any = Annotated[
                Optional[self.group(f.item_name or f.name, item.fields)],  # noqa: UP045
                BeforeValidator(_object),
            ]
        else:
            item_type = Annotated[
                Optional[_scalar(item, self.d, self.domains)],  # noqa: UP045
                BeforeValidator(_text),
            ]
        items = Annotated[
            list[item_type],
            BeforeValidator(_items),
            AfterValidator(_list_check(f)),
        ]
        if not f.item_name:
            return items
        return create_model(  # type: ignore[call-overload]
            self.name(f.name), __config__=_WRAPPER_CONFIG, **{f.item_name: (items, [])}
        )


def build_model(d: Dictionary, domains: Domains) -> type[BaseModel]:
    """The record model of one dictionary version; ``domains`` is read at validation time."""
    rules = _RuleSet(d)

    @model_validator(mode="after")
    def cross_checks(self: BaseModel) -> BaseModel:
        broken = rules.broken(self)
        if broken:
            raise PydanticCustomError(
                "jdx_rules",
                "{count} conditional or cross-field rule(s) broken: {detail}",
                {"count": len(broken), "detail": "; ".join(broken), "fields": broken},
            )
        return self

    return _Builder(d, domains).group(d.id, d.fields, __validators__={"cross": cross_checks})


# --- conditions over the validated models ---------------------------------------------------------


Scope = Any  # a model instance (the record or a list item)
Test = Callable[[Scope, Scope], bool]  # (scope, root) -> holds


class _RuleSet:
    """The dictionary's conditional requirements/prohibitions and rules, as closures over the
    validated models. Each check yields the jdx field path it reports on, 1-based, so that the
    bench can see which field it names."""

    def __init__(self, d: Dictionary) -> None:
        # scope path (a list of groups, or () for the record) -> [(label, test)]
        self.by_scope: dict[tuple[str, ...], list[tuple[str, Callable[[Scope, Scope], bool]]]] = {}
        self._fields(d.fields, (), ())
        for rule in d.rules:
            if rule.severity != "warning":  # pydantic has no warnings; jdx's do not fail
                self._rule(rule)

    def _add(
        self, scope: tuple[str, ...], label: str, test: Callable[[Scope, Scope], bool]
    ) -> None:
        self.by_scope.setdefault(scope, []).append((label, test))

    def _fields(
        self, fields: tuple[FieldSpec, ...], scope: tuple[str, ...], rel: tuple[str, ...]
    ) -> None:
        for f in fields:
            at = (*rel, f.name)
            if f.required not in (True, False):
                when = _condition(f.required)  # type: ignore[arg-type]
                self._add(scope, ".".join(at), _required_when(at, when))
            if f.forbidden is not None:
                when = _condition(f.forbidden)
                self._add(scope, ".".join(at), _forbidden_when(at, when))
            if f.type == "group":
                self._fields(f.fields, scope, at)
            elif f.type == "list" and f.item is not None and f.item.type == "group":
                inner = (*scope, *at, *((f.item_name,) if f.item_name else ()))
                self._fields(f.item.fields, inner, ())

    def _rule(self, rule: Rule) -> None:
        scope = tuple(rule.scope.split(".")) if rule.scope else ()
        when = _condition(rule.when) if rule.when is not None else None
        check = _condition(rule.check)

        def test(obj: Scope, root: Scope) -> bool:
            return (when is None or when(obj, root)) and not check(obj, root)

        self._add(scope, f"{rule.field} ({rule.code})", test)

    def broken(self, root: BaseModel) -> list[str]:
        out: list[str] = []
        for scope, tests in self.by_scope.items():
            for prefix, obj in _scopes(root, scope):
                for label, test in tests:
                    if test(obj, root):
                        out.append(prefix + label)
        return out


def _scopes(root: BaseModel, scope: tuple[str, ...]) -> list[tuple[str, Scope]]:
    """(jdx path prefix, object) of every item of a scope; the record itself for ()."""
    found: list[tuple[str, Scope]] = [("", root)]
    for part in scope:
        nxt: list[tuple[str, Scope]] = []
        for prefix, obj in found:
            value = getattr(obj, part, None)
            if isinstance(value, list):
                nxt += [(f"{prefix}{part}[{i}].", x) for i, x in enumerate(value, 1)]
            elif value is not None:
                nxt.append((f"{prefix}{part}.", value))
        found = nxt
    return [(p, o) for p, o in found if o is not None]


def _values(obj: Any, parts: tuple[str, ...]) -> list[Any]:
    """The present values at a path; lists on the way are flattened."""
    current = obj if isinstance(obj, list) else [obj]
    for part in parts:
        nxt: list[Any] = []
        for node in current:
            value = getattr(node, part, None)
            if isinstance(value, list):
                nxt += [v for v in value if v is not None]
            elif value is not None:
                nxt.append(value)
        current = nxt
    return [v for v in current if not (isinstance(v, BaseModel) and _empty_wrapper(v))]


def _empty_wrapper(model: BaseModel) -> bool:
    fields = type(model).model_fields
    return len(fields) == 1 and getattr(model, next(iter(fields))) == []


def _condition(cond: Condition) -> Test:
    if isinstance(cond, AllOf):
        parts = [_condition(c) for c in cond.conditions]
        return lambda obj, root: all(p(obj, root) for p in parts)
    if isinstance(cond, AnyOf):
        parts = [_condition(c) for c in cond.conditions]
        return lambda obj, root: any(p(obj, root) for p in parts)
    if isinstance(cond, Not):
        inner = _condition(cond.condition)
        return lambda obj, root: not inner(obj, root)
    if isinstance(cond, Some):
        ref, test = cond.ref, _condition(cond.condition)
        return lambda obj, root: any(
            test(x, root) for x in _values(root if ref.from_root else obj, ref.parts)
        )
    return _compare(cond)


def _compare(cond: Compare) -> Test:
    parts, from_root, op = cond.ref.parts, cond.ref.from_root, cond.op
    wanted = frozenset(v.upper() for v in cond.values)

    def values(obj: Scope, root: Scope) -> list[Any]:
        return _values(root if from_root else obj, parts)

    if op == "present":
        return lambda obj, root: bool(values(obj, root))
    if op == "absent":
        return lambda obj, root: not values(obj, root)
    if op in ("eq", "in"):

        def one_of(obj: Scope, root: Scope) -> bool:
            found = values(obj, root)
            return len(found) == 1 and str(found[0]).upper() in wanted

        return one_of
    if op in ("has", "has_any"):
        return lambda obj, root: any(str(v).upper() in wanted for v in values(obj, root))
    raise NotImplementedError(f"condition {op} is not used by the stop dictionaries")


def _required_when(at: tuple[str, ...], when: Test) -> Test:
    parent, name = at[:-1], at[-1]

    def test(obj: Scope, root: Scope) -> bool:
        holder = _holder(obj, parent)
        return holder is not None and _absent(getattr(holder, name)) and when(obj, root)

    return test


def _forbidden_when(at: tuple[str, ...], when: Test) -> Test:
    parent, name = at[:-1], at[-1]

    def test(obj: Scope, root: Scope) -> bool:
        holder = _holder(obj, parent)
        return holder is not None and not _absent(getattr(holder, name)) and when(obj, root)

    return test


def _holder(obj: Scope, parent: tuple[str, ...]) -> Scope:
    for part in parent:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _absent(value: Any) -> bool:
    if value is None or value == []:
        return True
    return isinstance(value, BaseModel) and _empty_wrapper(value)
