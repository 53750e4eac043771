"""Generate the Python source of a dictionary's validator.

Why generate code: a validator built from closures pays a Python call, a context object and a
path string per field of every record; the stop record has ~40 fields per person, so those costs
were most of the time. The generated function instead reads each field with one ``dict.get`` into
a local variable, accepts the usual value (a string of the right shape) with one test, and builds
a path or a message only when it appends an issue. What a check does is decided here, once; the
generated code holds no interpretation of the dictionary.

Shape of the output (``compiler.source_of(dictionary)`` shows it whole):

* ``validate(record)``: the record's fields, nested groups inlined, then the cross-field rules.
* ``item_<n>(obj, p, person, root, append)``: one item of a list of groups (a person, an action).
  ``obj`` is the item and the scope of its conditions, ``p`` the path prefix of its fields
  (``"ListPerson_Stopped.Person_Stopped[2]."``), ``person`` the person number for its issues.
* Constants (code tables as frozensets, bound ``re.fullmatch``, dates) are module globals named
  after what they hold; domain tables are looked up in the shared ``domains`` mapping on each
  use, so a table reloaded at run time is seen without recompiling.

Conditions (``required: {when: ...}``, ``forbidden``, rules) become expressions in
``_conditions.py``. The checks, their order and their messages are those of the closure validator
this replaced (kept as a test oracle in ``tests/dictionary/closure_compiler.py``): each emitter
below names the old behaviour it reproduces where that is not obvious.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from jdx.dictionary import _runtime
from jdx.dictionary._conditions import (
    ConditionEmitter,
    Lines,
    describe,
    field_conditions,
)
from jdx.dictionary.model import (
    Dictionary,
    FieldSpec,
    Rule,
)
from jdx.dictionary.outcome import Issue, Outcome

Domains = Mapping[str, frozenset[str]]

# The run-time helpers the generated code may call, by the names it uses.
_HELPERS: dict[str, object] = {
    "Issue": Issue,
    "Outcome": Outcome,
    "is_absent": _runtime.is_absent,
    "as_text": _runtime.as_text,
    "scalar_text": _runtime.scalar_text,
    "present_items": _runtime.present_items,
    "to_float": _runtime.to_float,
    "kind": _runtime.kind,
    "person_number": _runtime.person_number,
    "resolve": _runtime.resolve,
    "values_at": _runtime.values_at,
    "one_text": _runtime.one_text,
    "sibling_text": _runtime.sibling_text,
    "has_any": _runtime.has_any,
    "ordered": _runtime.ordered,
    "fields_ordered": _runtime.fields_ordered,
    "report_unknown": _runtime.report_unknown,
    "extra_keys": _runtime.extra_keys,
    "repeated_keys": _runtime.repeated_keys,
    "repeat_position": _runtime.repeat_position,
    "key_repeat_position": _runtime.key_repeat_position,
    "position_of": _runtime.position_of,
    "scope_items": _runtime.scope_items,
    "latest_today": _runtime.latest_today,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
_DATE_HELPERS = {"MM/DD/YYYY": "parse_mdy", "YYYY-MM-DD": "parse_iso", "CCYYMMDD": "parse_ccyymmdd"}
_TIME_HELPERS = {"HH:MM:SS": "is_hms", "HH:MM": "is_hm"}
for _fmt, _name in _DATE_HELPERS.items():
    _HELPERS[_name] = _runtime.DATE_PARSERS[_fmt]
for _fmt, _name in _TIME_HELPERS.items():
    _HELPERS[_name] = _runtime.TIME_PARSERS[_fmt]


class _Code(str):
    """A piece of a message that is an expression (``repr(t)``), not literal text."""


def _message(*parts: str) -> str:
    """The expression of a message: literal parts quoted, ``_Code`` parts as they are."""
    merged: list[str] = []
    text = ""
    for part in parts:
        if isinstance(part, _Code):
            if text:
                merged.append(repr(text))
                text = ""
            merged.append(part)
        else:
            text += part
    if text or not merged:
        merged.append(repr(text))
    return " + ".join(merged)


@dataclass(frozen=True)
class _Where:
    """Where the emitted code stands: which variables hold the group, its scope and person."""

    obj: str  # the dict whose fields are being read
    get: str  # its bound ``get``
    prefix: str  # path of the group's fields, after the dynamic prefix (e.g. "Officer.")
    dynamic: bool  # inside a list item: paths start with the variable ``p``
    scope: str  # the dict that relative condition paths start from
    person: str  # expression of the person number for issues ("None" or "person")
    depth: int = 0

    def path(self, name: str) -> str:
        """The expression of a field's path; built only where an issue is appended."""
        if self.dynamic:
            return f"p + {self.prefix + name!r}" if self.prefix + name else "p"
        return repr(self.prefix + name)

    def inside(self, name: str) -> _Where:
        """The same place, one nested group down."""
        depth = self.depth + 1
        return _Where(
            obj=f"o{depth}",
            get=f"g{depth}",
            prefix=f"{self.prefix}{name}.",
            dynamic=self.dynamic,
            scope=self.scope,
            person=self.person,
            depth=depth,
        )


class Generator(ConditionEmitter):
    """Emits the source of one dictionary's validator and the globals it runs with."""

    def __init__(self, dictionary: Dictionary, domains: Domains) -> None:
        super().__init__({**_HELPERS, "domains": domains})
        self.d = dictionary
        self._items = 0
        person = dictionary.person
        self.person_path = person.path if person else None
        self.person_field = person.number_field if person else None
        # The dotted path of every list (with its item name), to tell the list of persons.
        self._list_paths = {
            id(f): (f"{path}.{f.item_name}" if f.item_name else path)
            for path, f in dictionary.walk()
            if f.type == "list"
        }

    # --- driver -------------------------------------------------------------------------------

    def source(self) -> str:
        d = self.d
        main = Lines()
        self.out = main
        unknown, ident = repr(d.unknown_code), repr(d.id)
        with main.block("def validate(record):"):
            main(f'"""{d.id}: {d.title}"""')
            with main.block("if not isinstance(record, dict):"):
                message = (
                    "The record must be an object "
                    "(a JSON object or one XML element with child elements)."
                )
                main(f"return Outcome([Issue({unknown}, 'fatal', '', {message!r})], {ident})")
            main("issues = []")
            main("append = issues.append")
            main("root = record")
            main("g0 = root.get")
            where = _Where("root", "g0", "", dynamic=False, scope="root", person="None")
            with self.hoist("root", field_conditions(d.fields)):
                self.group_body(d.fields, where, name="record", top=True)
            self.rules(d.rules)
            main(f"return Outcome(issues, {ident})")
        header = f"# Validator of {d.id}, generated by jdx.dictionary._codegen. Globals:\n"
        return "\n\n".join([header + self.constants(), *self._functions, main.text()])

    @staticmethod
    def issue(spec: FieldSpec, path: str, message: str, person: str, sink: str = "append") -> str:
        return f"{sink}(Issue({spec.code!r}, {spec.severity!r}, {path}, {message}, {person}))"

    # --- groups -------------------------------------------------------------------------------

    def group_body(
        self, fields: tuple[FieldSpec, ...], where: _Where, *, name: str, top: bool = False
    ) -> None:
        """The fields of a dict in order, then the keys the dictionary does not know."""
        for f in fields:
            self.out(f"# {f.name}: {f.type}")
            self.out(f"v = {where.get}({f.name!r})")
            if f.type == "group":
                self.nested_group(f, where)
            elif f.type == "list":
                self.list_field(f, where)
            else:
                self.scalar_field(f, where)
        self.unknown_keys(fields, where, name=name, top=top)

    def unknown_keys(
        self, fields: tuple[FieldSpec, ...], where: _Where, *, name: str, top: bool
    ) -> None:
        policy = self.d.unknown_fields
        if policy == "ignore":
            return
        known = self.const(frozenset(f.name for f in fields), f"KNOWN_{name}")
        severity = "error" if policy == "error" else "warning"
        outcome = "it is not accepted." if policy == "error" else "it was ignored."
        person = "None" if top else where.person
        with self.out.block(f"if not {where.obj}.keys() <= {known}:"):
            self.out(
                f"report_unknown({where.obj}, {known}, {where.path('')}, {person}, append, "
                f"{self.d.unknown_code!r}, {severity!r}, {outcome!r})"
            )

    def nested_group(self, spec: FieldSpec, where: _Where) -> None:
        """A group outside lists: its fields are inlined, their paths are constants."""
        out = self.out
        path = where.path(spec.name)
        self.absent_or_forbidden(spec, where, path)
        with out.block("elif not isinstance(v, dict):"):
            out(self.issue(spec, path, _message(f"{spec.label} must be an object."), where.person))
        with out.block("else:"):
            inner = where.inside(spec.name)
            out(f"{inner.obj} = v")
            out(f"{inner.get} = {inner.obj}.get")
            self.group_body(spec.fields, inner, name=spec.name)

    def absent_or_forbidden(self, spec: FieldSpec, where: _Where, path: str) -> None:
        """``if`` absent / ``elif`` forbidden, for groups and lists (scalars inline their own)."""
        with self.out.block(f"if {_absent_test('v')}:"):
            self.absent(spec, where, path)
        if spec.forbidden is not None:
            with self.out.block(f"elif {self.condition(spec.forbidden, where.scope)}:"):
                self.out(self.issue(spec, path, self.forbidden_message(spec), where.person))

    def absent(self, spec: FieldSpec, where: _Where, path: str) -> None:
        """What an absent field gets: nothing, "is required", or "is required when ..."."""
        if spec.required is True:
            self.out(self.issue(spec, path, _message(f"{spec.label} is required."), where.person))
        elif spec.required is False:
            self.out("pass")
        else:
            message = _message(f"{spec.label} is required when {describe(spec.required)}.")
            with self.out.block(f"if {self.condition(spec.required, where.scope)}:"):
                self.out(self.issue(spec, path, message, where.person))

    def forbidden_message(self, spec: FieldSpec) -> str:
        return _message(f"{spec.label} must not be given here: {describe(spec.forbidden)}.")

    # --- scalars ------------------------------------------------------------------------------

    def scalar_field(self, spec: FieldSpec, where: _Where) -> None:
        """One field: fast path, absent, not a scalar, forbidden, then the checks of its type."""
        out = self.out
        path = where.path(spec.name)
        fast = self.fast_accept(spec, "v") if spec.forbidden is None else None
        if fast is not None:
            # The usual value, a valid code or flag exactly as sent, costs one set lookup.
            with out.block(f"if v.__class__ is str and {fast}:"):
                out("pass")
            opener = "elif"
        else:
            opener = "if"
        # "" is how most clients send an absent field: no need to strip it.
        with out.block(f"{opener} v is None or v == '':"):
            self.absent(spec, where, path)
        with out.block("else:"):
            out("t = v.strip() if v.__class__ is str else scalar_text(v)")
            with out.block("if not t:"):
                with out.block("if t is None:"):
                    out(self.not_scalar(spec, "v", path, where.person))
                if spec.required is not False:
                    with out.block("else:"):
                        self.absent(spec, where, path)
            if spec.forbidden is not None:
                with out.block(f"elif {self.condition(spec.forbidden, where.scope)}:"):
                    out(self.issue(spec, path, self.forbidden_message(spec), where.person))
            self.content_checks(spec, path, where.person)

    def not_scalar(
        self, spec: FieldSpec, var: str, path: str, person: str, sink: str = "append"
    ) -> str:
        message = _message(f"{spec.label} must be a single value, not ", _Code(f"kind({var})"), ".")
        return self.issue(spec, path, message, person, sink)

    def fast_accept(self, spec: FieldSpec, var: str) -> str | None:
        """A test that accepts most valid values as sent (unstripped), or None.

        Only for sets whose members are exactly what the full check accepts after stripping, so
        that the fast path never accepts what the full check would reject.
        """
        if spec.type == "code" and spec.table:
            codes = frozenset(self.d.tables[spec.table].values)
            stem = f"CODES_{spec.table}"  # the same set as the full check's
        elif spec.type == "flag":
            allowed = spec.values or ("Y", "N")
            codes = frozenset([*allowed, *(v.lower() for v in allowed)])
            stem = "ACCEPT_" + "".join(sorted(allowed, reverse=True))
        else:
            return None
        if any(not c or c != c.strip() for c in codes):
            return None
        return f"{var} in {self.const(codes, stem)}"

    def content_checks(self, spec: FieldSpec, path: str, person: str, sink: str = "append") -> None:
        """The ``elif`` chain of a scalar's type checks on its stripped, non-empty text ``t``."""
        checks: list[tuple[str, str]] = getattr(self, f"checks_{spec.type}")(spec)
        for test, message in checks:
            with self.out.block(f"elif {test}:"):
                self.out(self.issue(spec, path, message, person, sink))

    def checks_string(self, spec: FieldSpec) -> list[tuple[str, str]]:
        checks = []
        lo, hi = spec.min_length, spec.max_length
        if lo is not None or hi is not None:
            length = _Code("str(size)")
            span_text = span(lo, hi, "characters")
            message = _message(f"{spec.label} must be {span_text}; ", length, " were sent.")
            checks.append((_outside("(size := len(t))", lo, hi, "size"), message))
        if spec.pattern:
            match = self.const(re.compile(spec.pattern), f"MATCH_{spec.name}")
            pattern_message = (
                spec.pattern_message or f"{spec.label} has a form that is not allowed."
            )
            checks.append((f"{match}(t) is None", _message(pattern_message)))
        return checks

    def checks_code(self, spec: FieldSpec) -> list[tuple[str, str]]:
        label = spec.label
        if spec.table:
            table = self.d.tables[spec.table]
            codes = self.const(frozenset(table.values), f"CODES_{table.name}")
            listing = (
                ", ".join(table.values) if len(table.values) <= 30 else f"the {table.label} table"
            )
            message = _message(
                f"{label}: ", _Code("repr(t)"), f" is not a valid code; allowed: {listing}."
            )
            return [(f"t not in {codes}", message)]
        assert spec.domain is not None
        domain = self.d.domains[spec.domain]
        # Looked up per record: ``domains`` is the service's shared mapping (tables reload).
        text = "t.upper()" if domain.normalize == "upper" else "t"
        test = f"(c := domains.get({domain.name!r})) is not None and {text} not in c"
        return [(test, _message(f"{label}: ", _Code("repr(t)"), f" is not in the {domain.label}."))]

    def checks_flag(self, spec: FieldSpec) -> list[tuple[str, str]]:
        allowed = frozenset(spec.values or ("Y", "N"))
        listing = " or ".join(sorted(allowed, reverse=True))
        message = _message(f"{spec.label} must be {listing}, not ", _Code("repr(t)"), ".")
        flags = self.const(allowed, "FLAG_" + "".join(sorted(allowed, reverse=True)))
        return [(f"t.upper() not in {flags}", message)]

    def checks_integer(self, spec: FieldSpec) -> list[tuple[str, str]]:
        label = spec.label
        checks = [
            (
                "not (t.isdigit() and t.isascii())",
                _message(f"{label} must be a whole number, not ", _Code("repr(t)"), "."),
            )
        ]
        if spec.min is not None or spec.max is not None:
            message = _message(
                f"{label} must be {span(spec.min, spec.max, '')}; ", _Code("str(num)"), " was sent."
            )
            # int() refuses more than 4,300 digits (a guard against quadratic conversion): a
            # number that long is out of any range, and is reported without being converted.
            too_long = _message(
                f"{label} must be {span(spec.min, spec.max, '')}; a number of ",
                _Code("str(len(t))"),
                " digits was sent.",
            )
            checks.append(("len(t) > 4000", too_long))
            checks.append((_outside("(num := int(t))", spec.min, spec.max, "num"), message))
        return checks

    def checks_decimal(self, spec: FieldSpec) -> list[tuple[str, str]]:
        label = spec.label
        checks = []
        if spec.pattern:
            match = self.const(re.compile(spec.pattern), f"MATCH_{spec.name}")
            message = spec.pattern_message or None
            checks.append(
                (
                    f"{match}(t) is None",
                    _message(message)
                    if message
                    else _message(
                        f"{label} has a form that is not allowed: ", _Code("repr(t)"), "."
                    ),
                )
            )
        checks.append(
            (
                "(num := to_float(t)) is None",
                _message(f"{label} must be a number, not ", _Code("repr(t)"), "."),
            )
        )
        if spec.min is not None or spec.max is not None:
            message = _message(
                f"{label} must be {span(spec.min, spec.max, '')}; ", _Code("t"), " was sent."
            )
            checks.append((_outside("num", spec.min, spec.max, "num"), message))
        return checks

    def checks_date(self, spec: FieldSpec) -> list[tuple[str, str]]:
        label = spec.label
        formats = " or ".join(spec.formats)
        # The first format that parses gives the day, as a loop over the formats would.
        parse = " and ".join(f"(day := {_DATE_HELPERS[f]}(t)) is None" for f in spec.formats)
        checks = [
            (
                parse or "True",
                _message(
                    f"{label} must be a real date written {formats}, not ", _Code("repr(t)"), "."
                ),
            )
        ]
        if spec.not_before is not None:
            bound = self.const(spec.not_before, "EARLIEST")
            message = _message(f"{label} cannot be before {spec.not_before.isoformat()}.")
            checks.append((f"day < {bound}", message))
        if spec.not_future:
            checks.append(("day > latest_today()", _message(f"{label} cannot be in the future.")))
        return checks

    def checks_time(self, spec: FieldSpec) -> list[tuple[str, str]]:
        formats = " or ".join(spec.formats)
        test = " or ".join(f"{_TIME_HELPERS[f]}(t)" for f in spec.formats) or "False"
        message = _message(
            f"{spec.label} must be a 24-hour time written {formats}, not ", _Code("repr(t)"), "."
        )
        return [(f"not ({test})", message)]

    # --- lists --------------------------------------------------------------------------------

    def list_field(self, spec: FieldSpec, where: _Where) -> None:
        """A list: wrapper, count, each item, then uniqueness; issues in that order.

        Issues name the list's element (``Perc.ListEthn.Ethn``), what a client fixes: with the
        item's position where one item is at fault (a bad or repeated value, the exclusive
        code), without one where the list as a whole is (required, forbidden, counts). Only a
        wrapper of the wrong shape is named as the wrapper (``Perc.ListEthn``).
        """
        assert spec.item is not None
        out = self.out
        path = where.path(spec.name)
        item_name = spec.item_name
        element = where.path(f"{spec.name}.{item_name}") if item_name is not None else path
        self.absent_or_forbidden(spec, where, element)
        if item_name is not None:
            with out.block("elif not isinstance(v, dict):"):
                message = _message(f"{spec.label} must be an object holding {item_name}.")
                out(self.issue(spec, path, message, where.person))
        with out.block("else:"):
            if item_name is not None:
                # Any key besides the item name is reported, then the items are checked anyway.
                with out.block(f"if len(v) != 1 or {item_name!r} not in v:"):
                    extra = _Code(f"extra_keys(v, {item_name!r})")
                    message = _message(f"{spec.label} holds only {item_name}, not ", extra, ".")
                    out(self.issue(spec, path, message, where.person))
                out(f"xs = v.get({item_name!r})")
            else:
                out("xs = v")
            # A single value is a list of one (XML and many clients send it so).
            with out.block("if not isinstance(xs, list):"):
                out("xs = [] if xs is None else [xs]")
            if spec.item.type == "group":
                self.group_items(spec, element, where)
            else:
                self.scalar_items(spec, element, where)

    @staticmethod
    def at(element: str, position: str) -> str:
        """The expression of an item's path: the element and the position ``position`` holds."""
        return f"{element} + '[' + str({position}) + ']'"

    def group_items(self, spec: FieldSpec, path: str, where: _Where) -> None:
        """Count the present items, then check each with the item's function."""
        out = self.out
        out("present = present_items(xs)")
        out("n = len(present)")
        with self.unless_empty(spec, path, where):
            self.list_counts(spec, path, where)
            with out.block("for i, x in enumerate(xs, 1):"):
                self.group_item(spec, self.at(path, "i"), where)
            self.list_uniqueness(spec, path, where)

    def scalar_items(self, spec: FieldSpec, path: str, where: _Where) -> None:
        """One pass counts and checks the items; the item issues wait for the count's issues.

        The count's issues come first (as they always have), but counting in a separate pass
        would cost a second walk over every list of every record.
        """
        assert spec.item is not None
        out = self.out
        out("n = 0")
        out("bad = []")
        with out.block("for i, x in enumerate(xs, 1):"):
            self.scalar_item(spec.item, self.at(path, "i"), where)
        with self.unless_empty(spec, path, where):
            self.list_counts(spec, path, where)
            with out.block("if bad:"), out.block("for issue in bad:"):
                out("append(issue)")
            self.list_uniqueness(spec, path, where)

    @contextmanager
    def unless_empty(self, spec: FieldSpec, path: str, where: _Where) -> Iterator[None]:
        """A list without a present item is absent; the block runs for one with items."""
        if spec.required is not False:
            with self.out.block("if not n:"):
                self.absent(spec, where, path)
            with self.out.block("else:"):
                yield
        else:
            with self.out.block("if n:"):
                yield

    def list_counts(self, spec: FieldSpec, path: str, where: _Where) -> None:
        lo, hi = spec.min_items, spec.max_items
        if lo is not None:
            message = _message(f"{spec.label} needs at least {lo} item{'s' if lo > 1 else ''}.")
            with self.out.block(f"if n < {lo!r}:"):
                self.out(self.issue(spec, path, message, where.person))
        if hi is not None:
            message = _message(
                f"{spec.label} allows at most {hi} items, ", _Code("str(n)"), " were sent."
            )
            with self.out.block(f"if n > {hi!r}:"):
                self.out(self.issue(spec, path, message, where.person))

    def scalar_item(self, item: FieldSpec, item_path: str, where: _Where) -> None:
        """Counts a present item in ``n``; its issues go to ``bad``."""
        out = self.out
        fast = self.fast_accept(item, "x")
        if fast is not None:
            with out.block(f"if x.__class__ is str and {fast}:"):
                out("n += 1")
                out("continue")
        out("t = scalar_text(x)")
        with out.block("if t == '':"):  # an absent item: neither counted nor checked
            out("continue")
        out("n += 1")
        with out.block("if t is None:"):
            out(self.not_scalar(item, "x", item_path, where.person, sink="bad.append"))
        self.content_checks(item, item_path, where.person, sink="bad.append")

    def group_item(self, spec: FieldSpec, item_path: str, where: _Where) -> None:
        """Calls the item's function; a list of persons gives each item its person number."""
        assert spec.item is not None
        out = self.out
        function = self.item_function(spec)
        if self._list_paths.get(id(spec)) == self.person_path:
            person = f"person_number(x, {self.person_field!r}, i)"
        else:
            person = where.person
        with out.block(f"if {_absent_test('x')}:"):
            out("continue")
        with out.block("elif isinstance(x, dict):"):
            out(f"{function}(x, {item_path} + '.', {person}, root, append)")
        with out.block("else:"):
            message = _message(f"Each {spec.label} must be an object.")
            out(self.issue(spec, item_path, message, where.person))

    def item_function(self, spec: FieldSpec) -> str:
        """Emits ``item_<n>`` for the items of a list of groups; returns its name."""
        assert spec.item is not None
        self._items += 1
        list_path = self._list_paths.get(id(spec), spec.name)
        name = f"item_{self._items}_" + re.sub(r"\W", "_", list_path.rsplit(".", 1)[-1])
        saved, saved_hoisted = self.out, self._hoisted
        self.out, self._hoisted = Lines(), {}
        with self.out.block(f"def {name}(obj, p, person, root, append):"):
            self.out(f'"""One item of {list_path}."""')
            self.out("g0 = obj.get")
            where = _Where("obj", "g0", "", dynamic=True, scope="obj", person="person")
            with self.hoist("obj", field_conditions(spec.item.fields)):
                self.group_body(spec.item.fields, where, name=spec.item_name or spec.name)
        lines = self.out
        self.out, self._hoisted = saved, saved_hoisted
        self._functions.append(lines.text())
        return name

    def list_uniqueness(self, spec: FieldSpec, path: str, where: _Where) -> None:
        """Repeats and the exclusive code; each names the item to fix by its position: the
        first item that repeats an earlier one (its key field for ``unique_by``), the item that
        holds the exclusive code."""
        assert spec.item is not None
        out = self.out
        scalar_items = spec.item.type != "group"
        if spec.unique_by is None and not (scalar_items and (spec.unique or spec.exclusive)):
            return
        with out.block("if n > 1:"):
            if spec.unique_by is not None:
                key = spec.unique_by
                repeated = _Code("r")
                message = _message(f"{spec.label}: {key} ", repeated, " appears more than once.")
                with out.block(f"if r := repeated_keys(present, {key!r}):"):
                    at = self.at(path, f"key_repeat_position(xs, {key!r})") + f" + {'.' + key!r}"
                    out(self.issue(spec, at, message, where.person))
            if scalar_items and spec.unique:
                message = _message(f"{spec.label} lists the same value twice.")
                with out.block("if k := repeat_position(xs):"):
                    out(self.issue(spec, self.at(path, "k"), message, where.person))
            if scalar_items and spec.exclusive is not None:
                code = spec.exclusive
                label = self.label_of(spec.item, code)
                message = _message(
                    f"{spec.label}: {code} ({label}) cannot be combined with other values."
                )
                with out.block(f"if k := position_of(xs, {code!r}):"):
                    out(self.issue(spec, self.at(path, "k"), message, where.person))

    def label_of(self, spec: FieldSpec, code: str) -> str:
        if spec.table:
            return self.d.tables[spec.table].values.get(code, code)
        return code

    # --- rules --------------------------------------------------------------------------------

    def rules(self, rules: tuple[Rule, ...]) -> None:
        """After the fields, one pass per scope: the persons are walked once for all their rules."""
        by_scope: dict[str | None, list[Rule]] = {}
        for r in rules:
            by_scope.setdefault(r.scope, []).append(r)
        out = self.out
        for scope, group in by_scope.items():
            if scope is None:
                out("# rules on the record")
                for rule in group:
                    self.rule(rule, "root", repr(rule.field), "None")
                continue
            out(f"# rules once per item of {scope}")
            parts = self.const(tuple(scope.split(".")), "SCOPE")
            with out.block(f"for i, s in enumerate(scope_items(root, {parts}), 1):"):
                with out.block("if not isinstance(s, dict) or not s:"):
                    out("continue")
                # Paths count the items as sent, blank ones too, as the field checks do.
                if scope == self.person_path:
                    person = f"person_number(s, {self.person_field!r}, i)"
                else:
                    person = "None"
                conditions = [c for r in group for c in (r.when, r.check) if c is not None]
                with self.hoist("s", conditions):
                    for rule in group:
                        path = f"{scope + '['!r} + str(i) + {'].' + rule.field!r}"
                        self.rule(rule, "s", path, person)

    def rule(self, rule: Rule, scope: str, path: str, person: str) -> None:
        check = f"not {self.condition(rule.check, scope)}"
        test = check if rule.when is None else f"{self.condition(rule.when, scope)} and {check}"
        with self.out.block(f"if {test}:"):
            issue = f"Issue({rule.code!r}, {rule.severity!r}, {path}, {rule.message!r}, {person})"
            self.out(f"append({issue})")


def _absent_test(var: str) -> str:
    """``is_absent(var)`` inlined: groups and list items are tested on every record."""
    return (
        f"{var} is None or (not {var}.strip() if {var}.__class__ is str "
        f"else ({var}.__class__ is dict or {var}.__class__ is list) and not {var})"
    )


def _outside(first: str, lo: float | None, hi: float | None, then: str) -> str:
    """``x < lo or x > hi``; ``first`` computes x (``(n := int(t))``), ``then`` reuses it.

    Not ``not lo <= x <= hi``: a NaN is inside the range, as it always was.
    """
    tests = []
    if lo is not None:
        tests.append(f"{first} < {lo!r}")
    if hi is not None:
        tests.append(f"{then if tests else first} > {hi!r}")
    return " or ".join(tests)


def span(lo: float | None, hi: float | None, unit: str) -> str:
    unit = f" {unit}" if unit else ""
    lo_s = f"{lo:g}" if lo is not None else None
    hi_s = f"{hi:g}" if hi is not None else None
    if lo_s and hi_s:
        return f"{lo_s} to {hi_s}{unit}" if lo != hi else f"exactly {lo_s}{unit}"
    if lo_s:
        return f"at least {lo_s}{unit}"
    return f"at most {hi_s}{unit}"
