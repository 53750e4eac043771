"""The validator as it was before code generation: one closure per field. A test oracle only.

``tests/dictionary/test_codegen.py`` checks that the generated validator reports exactly what
this one does, on golden records and on random mutations of them. Kept as it was (the small
value helpers are imported from the hub), so that a change of behaviour in the generator shows;
changed with it where the behaviour changed on purpose (issue 14: list issues name the list's
element, with the position of the item at fault; rules count positions as sent).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from jdx.dictionary._codegen import span as _span
from jdx.dictionary._conditions import describe
from jdx.dictionary._runtime import (
    DATE_PARSERS,
    TIME_PARSERS,
    as_text,
    is_absent,
    resolve,
    scope_items,
)
from jdx.dictionary._runtime import kind as _kind
from jdx.dictionary._runtime import latest_today as _latest_today
from jdx.dictionary.model import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Dictionary,
    FieldSpec,
    Not,
    Ref,
    Rule,
    Severity,
    Some,
)
from jdx.dictionary.outcome import Issue, Outcome


class _Ctx:
    """Per-record state threaded through the closures."""

    __slots__ = ("issues", "person", "root", "scope")

    def __init__(self, root: dict[str, Any]) -> None:
        self.issues: list[Issue] = []
        self.root = root
        self.scope = root
        self.person: str | None = None


Check = Callable[[Any, _Ctx, str], None]  # (value, ctx, path) -> None; value is never None
Absent = Callable[[_Ctx, str], None]
Validator = Callable[[Any], Outcome]
Domains = Mapping[str, frozenset[str]]

_MISSING = object()


def compile_validator(dictionary: Dictionary, domains: Domains | None = None) -> Validator:
    """The dictionary as a function: record in, :class:`Outcome` out.

    ``domains`` maps a domain table name to its codes. The mapping is read at validation time,
    so a caller may swap a table's codes in place (after ``jdx tables load``) without
    recompiling; a domain that is not in the mapping is not checked.
    """
    compiler = _Compiler(dictionary, domains if domains is not None else {})
    root_check = compiler.group_body(dictionary.root, top=True)
    rules = compiler.rules(dictionary.rules)
    unknown_code = dictionary.unknown_code
    dictionary_id = dictionary.id

    def validate(record: Any) -> Outcome:
        if not isinstance(record, dict):
            return Outcome(
                [
                    Issue(
                        unknown_code,
                        "fatal",
                        "",
                        "The record must be an object "
                        "(a JSON object or one XML element with child elements).",
                    )
                ],
                dictionary_id,
            )
        ctx = _Ctx(record)
        root_check(record, ctx, "")
        for rule in rules:
            rule(ctx)
        return Outcome(ctx.issues, dictionary_id)

    return validate


class _Compiler:
    def __init__(self, dictionary: Dictionary, domains: Domains) -> None:
        self.d = dictionary
        self.domains = domains
        self.person_path = dictionary.person.path if dictionary.person else None
        self.person_field = dictionary.person.number_field if dictionary.person else None

    # --- groups -------------------------------------------------------------------------------

    def group_body(self, spec: FieldSpec, *, top: bool = False) -> Check:
        """Checks the children of a dict; the caller has already checked it is a dict."""
        children = [(f.name, self.field(f), self.absent(f)) for f in spec.fields]
        known = frozenset(f.name for f in spec.fields)
        policy = self.d.unknown_fields
        check_unknown = policy != "ignore"
        code = self.d.unknown_code
        severity: Severity = "error" if policy == "error" else "warning"

        names = [name for name, _, _ in children]
        # Child paths are built once per distinct prefix (a group outside lists has one), not
        # once per field per record; the cache is bounded so hostile input cannot grow it.
        path_cache: dict[str, list[tuple[str, Check, Absent | None]]] = {}

        def check(obj: dict[str, Any], ctx: _Ctx, path: str) -> None:
            get = obj.get
            plan = path_cache.get(path)
            if plan is None:
                plan = [(path + n, c, a) for n, (_, c, a) in zip(names, children, strict=True)]
                if len(path_cache) < 256:
                    path_cache[path] = plan
            for child_path, check_value, on_absent in plan:
                value = get(child_path[len(path) :])
                if value is None:
                    if on_absent is not None:
                        on_absent(ctx, child_path)
                else:
                    check_value(value, ctx, child_path)
            if check_unknown and not obj.keys() <= known:
                person = None if top else ctx.person
                for key in obj:
                    if key not in known:
                        ctx.issues.append(
                            Issue(
                                code,
                                severity,
                                path + str(key),
                                f"{key!s} is not a field of this record; "
                                + (
                                    "it is not accepted."
                                    if policy == "error"
                                    else "it was ignored."
                                ),
                                person,
                            )
                        )

        return check

    def field(self, spec: FieldSpec) -> Check:
        if spec.type == "group":
            inner = self.group_body(spec)
            return self._guard(spec, self._typed(spec, dict, "an object", inner))
        if spec.type == "list":
            return self._guard(spec, self.list_(spec))
        return self.scalar_field(spec)

    def scalar_field(self, spec: FieldSpec) -> Check:
        """Absent, forbidden, type and content checks of a scalar field in one closure.

        This is the hottest code of the hub (every field of every record), hence one closure
        with the common case (a non-blank string) first, instead of several layered ones.
        """
        on_absent = self.absent(spec)
        forbidden = self.condition(spec.forbidden) if spec.forbidden is not None else None
        forbidden_message = f"{spec.label} must not be given here: {describe(spec.forbidden)}."
        inner: Callable[[str, _Ctx, str], None] = getattr(self, f"_{spec.type}")(spec)
        accepts = self._accepts(spec)
        label = spec.label
        report = self.report

        def check(value: Any, ctx: _Ctx, path: str) -> None:
            cls = value.__class__
            if cls is str:
                text = value.strip()
                if not text:
                    if on_absent is not None:
                        on_absent(ctx, path)
                    return
            elif cls is int or cls is float:
                text = str(as_text(value))
            elif (cls is list or cls is dict) and not value:
                if on_absent is not None:
                    on_absent(ctx, path)
                return
            else:
                report(ctx, spec, path, f"{label} must be a single value, not {_kind(value)}.")
                return
            if forbidden is not None and forbidden(ctx.scope, ctx):
                report(ctx, spec, path, forbidden_message)
            elif accepts is None or not accepts(text):
                inner(text, ctx, path)

        return check

    def _accepts(self, spec: FieldSpec) -> Callable[[str], bool] | None:
        """A C-level membership test that accepts most valid values without a Python call."""
        if spec.type == "code" and spec.table:
            return frozenset(self.d.tables[spec.table].values).__contains__
        if spec.type == "flag":
            allowed = spec.values or ("Y", "N")
            return frozenset([*allowed, *(v.lower() for v in allowed)]).__contains__
        return None

    def _typed(self, spec: FieldSpec, kind: type, what: str, inner: Check) -> Check:
        def check(value: Any, ctx: _Ctx, path: str) -> None:
            if isinstance(value, kind):
                inner(value, ctx, path + ".")
            else:
                self.report(ctx, spec, path, f"{spec.label} must be {what}.")

        return check

    def _guard(self, spec: FieldSpec, present: Check) -> Check:
        """Blank values count as absent; ``forbidden`` fields must stay absent."""
        on_absent = self.absent(spec)
        forbidden = self.condition(spec.forbidden) if spec.forbidden is not None else None

        def check(value: Any, ctx: _Ctx, path: str) -> None:
            if is_absent(value):
                if on_absent is not None:
                    on_absent(ctx, path)
                return
            if forbidden is not None and forbidden(ctx.scope, ctx):
                self.report(
                    ctx,
                    spec,
                    _element(spec, path),
                    f"{spec.label} must not be given here: {describe(spec.forbidden)}.",
                )
                return
            present(value, ctx, path)

        return check

    def absent(self, spec: FieldSpec) -> Absent | None:
        if spec.required is True:

            def missing(ctx: _Ctx, path: str) -> None:
                self.report(ctx, spec, _element(spec, path), f"{spec.label} is required.")

            return missing
        if spec.required is False:
            return None
        condition = self.condition(spec.required)
        reason = describe(spec.required)

        def missing_when(ctx: _Ctx, path: str) -> None:
            if condition(ctx.scope, ctx):
                self.report(
                    ctx, spec, _element(spec, path), f"{spec.label} is required when {reason}."
                )

        return missing_when

    # --- lists --------------------------------------------------------------------------------

    def list_(self, spec: FieldSpec) -> Check:
        assert spec.item is not None
        item = spec.item
        item_name = spec.item_name
        is_person = self.person_path is not None and self._path_of(spec) == self.person_path
        number_field = self.person_field
        check_item: Check
        if item.type == "group":
            body = self.group_body(item)

            def check_group_item(value: Any, ctx: _Ctx, path: str) -> None:
                if not isinstance(value, dict):
                    self.report(ctx, spec, path, f"Each {spec.label} must be an object.")
                    return
                saved_scope, saved_person = ctx.scope, ctx.person
                ctx.scope = value
                if is_person:
                    pid = value.get(number_field) if number_field else None
                    ctx.person = as_text(pid) if pid is not None else path.rsplit("[", 1)[-1][:-1]
                try:
                    body(value, ctx, path + ".")
                finally:
                    ctx.scope, ctx.person = saved_scope, saved_person

            check_item = check_group_item
        else:
            check_item = self.scalar(item)
        min_items, max_items = spec.min_items, spec.max_items
        on_absent = self.absent(spec)
        unique, exclusive = spec.unique, spec.exclusive
        unique_by = spec.unique_by
        scalar_items = item.type != "group"

        def check(value: Any, ctx: _Ctx, path: str) -> None:
            if item_name is not None:
                if not isinstance(value, dict):
                    self.report(
                        ctx, spec, path, f"{spec.label} must be an object holding {item_name}."
                    )
                    return
                items = value.get(item_name)
                extra = [k for k in value if k != item_name]
                if extra:
                    self.report(
                        ctx,
                        spec,
                        path,
                        f"{spec.label} holds only {item_name}, not {', '.join(map(str, extra))}.",
                    )
                base = f"{path}.{item_name}"
            else:
                items, base = value, path
            if items is None:
                items = []
            elif not isinstance(items, list):
                items = [items]
            present = [x for x in items if not is_absent(x)]
            n = len(present)
            if n == 0:
                if on_absent is not None:
                    on_absent(ctx, path)
                return
            if min_items is not None and n < min_items:
                self.report(
                    ctx,
                    spec,
                    base,
                    f"{spec.label} needs at least {min_items} item{'s' if min_items > 1 else ''}.",
                )
            if max_items is not None and n > max_items:
                self.report(
                    ctx,
                    spec,
                    base,
                    f"{spec.label} allows at most {max_items} items, {n} were sent.",
                )
            for i, x in enumerate(items, 1):
                if not is_absent(x):
                    check_item(x, ctx, f"{base}[{i}]")
            if unique_by is not None and n > 1:
                keys = [
                    k
                    for x in present
                    if isinstance(x, dict) and (k := as_text(x.get(unique_by)) or "")
                ]
                if len(set(keys)) != len(keys):
                    repeated = sorted({k for k in keys if keys.count(k) > 1})
                    self.report(
                        ctx,
                        spec,
                        f"{base}[{_first_repeat(items, unique_by)}].{unique_by}",
                        f"{spec.label}: {unique_by} {', '.join(repeated)} appears more than once.",
                    )
            if scalar_items and (unique or exclusive is not None) and n > 1:
                texts = [(i, as_text(x)) for i, x in enumerate(items, 1) if not is_absent(x)]
                values = [t for _, t in texts]
                if unique and len(set(values)) != len(values):
                    k = next(i for j, (i, t) in enumerate(texts) if t in values[:j])
                    self.report(
                        ctx, spec, f"{base}[{k}]", f"{spec.label} lists the same value twice."
                    )
                if exclusive is not None and exclusive in values:
                    k = next(i for i, t in texts if t == exclusive)
                    self.report(
                        ctx,
                        spec,
                        f"{base}[{k}]",
                        f"{spec.label}: {exclusive} "
                        f"({self.label_of(item, exclusive)}) cannot be combined with "
                        "other values.",
                    )

        return check

    def _path_of(self, target: FieldSpec) -> str | None:
        for path, f in self.d.walk():
            if f is target:
                return path if not f.item_name else f"{path}.{f.item_name}"
        return None

    def label_of(self, spec: FieldSpec, code: str) -> str:
        if spec.table:
            return self.d.tables[spec.table].values.get(code, code)
        return code

    # --- scalars ------------------------------------------------------------------------------

    def scalar(self, spec: FieldSpec) -> Check:
        build = getattr(self, f"_{spec.type}")
        inner: Callable[[str, _Ctx, str], None] = build(spec)
        label = spec.label

        def check(value: Any, ctx: _Ctx, path: str) -> None:
            text = as_text(value)
            if text is None:
                self.report(ctx, spec, path, f"{label} must be a single value, not {_kind(value)}.")
            else:
                inner(text, ctx, path)

        return check

    def _string(self, spec: FieldSpec) -> Callable[[str, _Ctx, str], None]:
        lo, hi = spec.min_length, spec.max_length
        pattern = re.compile(spec.pattern).fullmatch if spec.pattern else None
        pattern_message = spec.pattern_message or f"{spec.label} has a form that is not allowed."
        label = spec.label
        span = _span(lo, hi, "characters")

        def check(text: str, ctx: _Ctx, path: str) -> None:
            n = len(text)
            if (lo is not None and n < lo) or (hi is not None and n > hi):
                self.report(ctx, spec, path, f"{label} must be {span}; {n} were sent.")
            elif pattern is not None and pattern(text) is None:
                self.report(ctx, spec, path, pattern_message)

        return check

    def _code(self, spec: FieldSpec) -> Callable[[str, _Ctx, str], None]:
        label = spec.label
        if spec.table:
            table = self.d.tables[spec.table]
            allowed = frozenset(table.values)
            listing = (
                ", ".join(table.values) if len(table.values) <= 30 else f"the {table.label} table"
            )

            def check(text: str, ctx: _Ctx, path: str) -> None:
                if text not in allowed:
                    self.report(
                        ctx,
                        spec,
                        path,
                        f"{label}: {text!r} is not a valid code; allowed: {listing}.",
                    )

            return check
        assert spec.domain is not None
        domain = self.d.domains[spec.domain]
        name, upper = domain.name, domain.normalize == "upper"
        domains = self.domains

        def check_domain(text: str, ctx: _Ctx, path: str) -> None:
            codes = domains.get(name)
            if codes is not None and (text.upper() if upper else text) not in codes:
                self.report(ctx, spec, path, f"{label}: {text!r} is not in the {domain.label}.")

        return check_domain

    def _flag(self, spec: FieldSpec) -> Callable[[str, _Ctx, str], None]:
        allowed = frozenset(spec.values or ("Y", "N"))
        listing = " or ".join(sorted(allowed, reverse=True))

        def check(text: str, ctx: _Ctx, path: str) -> None:
            if text.upper() not in allowed:
                self.report(ctx, spec, path, f"{spec.label} must be {listing}, not {text!r}.")

        return check

    def _integer(self, spec: FieldSpec) -> Callable[[str, _Ctx, str], None]:
        lo, hi = spec.min, spec.max
        span = _span(lo, hi, "")

        def check(text: str, ctx: _Ctx, path: str) -> None:
            if not (text.isdigit() and text.isascii()):
                self.report(ctx, spec, path, f"{spec.label} must be a whole number, not {text!r}.")
                return
            n = int(text)
            if (lo is not None and n < lo) or (hi is not None and n > hi):
                self.report(ctx, spec, path, f"{spec.label} must be {span}; {n} was sent.")

        return check

    def _decimal(self, spec: FieldSpec) -> Callable[[str, _Ctx, str], None]:
        lo, hi = spec.min, spec.max
        pattern = re.compile(spec.pattern).fullmatch if spec.pattern else None
        span = _span(lo, hi, "")

        def check(text: str, ctx: _Ctx, path: str) -> None:
            if pattern is not None and pattern(text) is None:
                self.report(
                    ctx,
                    spec,
                    path,
                    spec.pattern_message
                    or f"{spec.label} has a form that is not allowed: {text!r}.",
                )
                return
            try:
                x = float(text)
            except ValueError:
                self.report(ctx, spec, path, f"{spec.label} must be a number, not {text!r}.")
                return
            if (lo is not None and x < lo) or (hi is not None and x > hi):
                self.report(ctx, spec, path, f"{spec.label} must be {span}; {text} was sent.")

        return check

    def _date(self, spec: FieldSpec) -> Callable[[str, _Ctx, str], None]:
        parsers = [DATE_PARSERS[f] for f in spec.formats]
        formats = " or ".join(spec.formats)
        not_before, not_future = spec.not_before, spec.not_future

        def check(text: str, ctx: _Ctx, path: str) -> None:
            day = None
            for parse in parsers:
                day = parse(text)
                if day is not None:
                    break
            if day is None:
                self.report(
                    ctx,
                    spec,
                    path,
                    f"{spec.label} must be a real date written {formats}, not {text!r}.",
                )
            elif not_before is not None and day < not_before:
                self.report(
                    ctx, spec, path, f"{spec.label} cannot be before {not_before.isoformat()}."
                )
            elif not_future and day > _latest_today():
                self.report(ctx, spec, path, f"{spec.label} cannot be in the future.")

        return check

    def _time(self, spec: FieldSpec) -> Callable[[str, _Ctx, str], None]:
        parsers = [TIME_PARSERS[f] for f in spec.formats]
        formats = " or ".join(spec.formats)

        def check(text: str, ctx: _Ctx, path: str) -> None:
            if not any(parse(text) for parse in parsers):
                self.report(
                    ctx,
                    spec,
                    path,
                    f"{spec.label} must be a 24-hour time written {formats}, not {text!r}.",
                )

        return check

    # --- rules and conditions -----------------------------------------------------------------

    def rules(self, rules: tuple[Rule, ...]) -> list[Callable[[_Ctx], None]]:
        """One pass per scope: the persons are walked once for all the rules about persons."""
        by_scope: dict[str | None, list[Rule]] = {}
        for r in rules:
            by_scope.setdefault(r.scope, []).append(r)
        return [self._scope_rules(scope, group) for scope, group in by_scope.items()]

    def _scope_rules(self, scope_path: str | None, rules: list[Rule]) -> Callable[[_Ctx], None]:
        compiled = [
            (self.condition(r.when) if r.when is not None else None, self.condition(r.check), r)
            for r in rules
        ]
        scope = tuple(scope_path.split(".")) if scope_path else None
        is_person = scope is not None and scope_path == self.person_path
        number_field = self.person_field
        base = ".".join(scope) if scope else ""

        def apply(ctx: _Ctx, scope_obj: dict[str, Any], path: str) -> None:
            for when, check, rule in compiled:
                if (when is None or when(scope_obj, ctx)) and not check(scope_obj, ctx):
                    ctx.issues.append(
                        Issue(rule.code, rule.severity, path + rule.field, rule.message, ctx.person)
                    )

        def run(ctx: _Ctx) -> None:
            if scope is None:
                apply(ctx, ctx.root, "")
                return
            for i, item in enumerate(scope_items(ctx.root, scope), 1):
                if not isinstance(item, dict) or not item:
                    continue
                ctx.scope = item
                if is_person:
                    pid = item.get(number_field) if number_field else None
                    ctx.person = as_text(pid) if pid is not None else str(i)
                apply(ctx, item, f"{base}[{i}].")
            ctx.scope, ctx.person = ctx.root, None

        return run

    def condition(self, cond: Condition) -> Callable[[dict[str, Any], _Ctx], bool]:
        if isinstance(cond, AllOf):
            parts = [self.condition(c) for c in cond.conditions]
            return lambda scope, ctx: all(p(scope, ctx) for p in parts)
        if isinstance(cond, AnyOf):
            parts = [self.condition(c) for c in cond.conditions]
            return lambda scope, ctx: any(p(scope, ctx) for p in parts)
        if isinstance(cond, Not):
            inner = self.condition(cond.condition)
            return lambda scope, ctx: not inner(scope, ctx)
        if isinstance(cond, Some):
            getter = _getter(cond.ref)
            inner = self.condition(cond.condition)
            return lambda scope, ctx: any(
                isinstance(item, dict) and inner(item, ctx) for item in getter(scope, ctx)
            )
        return _compare(cond)

    # --- reporting ----------------------------------------------------------------------------

    @staticmethod
    def report(ctx: _Ctx, spec: FieldSpec, path: str, message: str) -> None:
        ctx.issues.append(Issue(spec.code, spec.severity, path, message, ctx.person))


def _element(spec: FieldSpec, path: str) -> str:
    """Where an issue about a whole list is reported: its element (``ListEthn.Ethn``)."""
    return f"{path}.{spec.item_name}" if spec.type == "list" and spec.item_name else path


def _first_repeat(items: list[Any], key: str) -> int:
    keys: list[str] = []
    for i, x in enumerate(items, 1):
        if isinstance(x, dict) and (k := as_text(x.get(key)) or ""):
            if k in keys:
                return i
            keys.append(k)
    return 0


# --- conditions -------------------------------------------------------------------------------


def _getter(ref: Ref) -> Callable[[dict[str, Any], _Ctx], list[Any]]:
    parts = ref.parts

    def walk(obj: Any) -> list[Any]:
        # Plain dict steps are the common case; a list on the way takes the general path.
        node = obj
        for i, part in enumerate(parts):
            if node.__class__ is not dict:
                return resolve(node, parts[i:]) if node.__class__ is list else []
            node = node.get(part)
            if node is None:
                return []
        if node.__class__ is list:
            return [v for v in node if not is_absent(v)]
        return [] if is_absent(node) else [node]

    if ref.from_root:
        return lambda scope, ctx: walk(ctx.root)
    return lambda scope, ctx: walk(scope)


def _texts(values: list[Any]) -> list[str]:
    out = []
    for v in values:
        t = as_text(v)
        if t is not None:
            out.append(t.upper())
    return out


def _compare(cond: Compare) -> Callable[[dict[str, Any], _Ctx], bool]:
    getter = _getter(cond.ref)
    op = cond.op
    wanted = frozenset(v.upper() for v in cond.values)
    if op == "present":
        return lambda scope, ctx: bool(getter(scope, ctx))
    if op == "absent":
        return lambda scope, ctx: not getter(scope, ctx)
    if op in ("eq", "in"):
        if len(cond.ref.parts) == 1 and not cond.ref.from_root:
            # The usual case, a sibling field: one dict lookup, no intermediate list.
            key = cond.ref.parts[0]

            def sibling_one_of(scope: dict[str, Any], ctx: _Ctx) -> bool:
                value = scope.get(key)
                if value.__class__ is str:
                    return value.strip().upper() in wanted
                text = as_text(value) if value is not None else None
                if text is not None:
                    return text.upper() in wanted
                return (
                    value.__class__ is list
                    and len(value) == 1
                    and sibling_one_of({key: value[0]}, ctx)
                )

            return sibling_one_of

        def one_of(scope: dict[str, Any], ctx: _Ctx) -> bool:
            texts = _texts(getter(scope, ctx))
            return len(texts) == 1 and texts[0] in wanted

        return one_of
    if op in ("has", "has_any"):

        def has(scope: dict[str, Any], ctx: _Ctx) -> bool:
            for value in getter(scope, ctx):
                text = value.strip() if value.__class__ is str else as_text(value)
                if text is not None and text.upper() in wanted:
                    return True
            return False

        return has
    bound = _comparable(cond.values[0])
    compare = _ORDER[op]

    def ordered(scope: dict[str, Any], ctx: _Ctx) -> bool:
        texts = _texts(getter(scope, ctx))
        if len(texts) != 1 or bound is None:
            return False
        left = _comparable(texts[0])
        # Numbers compare with numbers and dates with dates; anything else does not hold.
        return type(left) is type(bound) and compare(left, bound)

    return ordered


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def _comparable(text: str) -> float | dt.date | None:
    try:
        return float(text)
    except ValueError:
        pass
    for parse in DATE_PARSERS.values():
        day = parse(text)
        if day is not None:
            return day
    return None
