"""The conditions of a dictionary as Python expressions, for the validator's generated source.

Part of the code generator (``_codegen.py``): the constants and helper functions the generated
code shares, and the condition language of ``required``, ``forbidden`` and rules (see
docs/dev/dictionary-format.md, "Conditions") turned into expressions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jdx.dictionary import _runtime
from jdx.dictionary.model import AllOf, AnyOf, Compare, Condition, FieldSpec, Not, Some


class Lines:
    """Indented source lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self(header)
        self.depth += 1
        yield
        self.depth -= 1

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class ConditionEmitter:
    """Constants, shared functions and conditions of one generated module."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        self.out = Lines()
        self._const_names: dict[tuple[str, object], str] = {}
        self._functions: list[str] = []  # sources of the functions ``validate`` calls
        self._somes: dict[Some, str] = {}
        self._hoisted: dict[tuple[str, str, tuple[str, ...]], str] = {}

    def const(self, value: object, stem: str) -> str:
        """A module global holding ``value``: tables, patterns and dates are built once."""
        key = (stem, value.pattern if isinstance(value, re.Pattern) else value)
        name = self._const_names.get(key)
        if name is None:
            # Named after what it holds (``CODES_stop_type``); numbered only when that is taken.
            name = re.sub(r"\W", "_", stem)
            if name in self.namespace:
                name = f"{name}_{len(self._const_names)}"
            self._const_names[key] = name
            # A pattern is used only as a full match: bind the method once.
            self.namespace[name] = value.fullmatch if isinstance(value, re.Pattern) else value
        return name

    def constants(self) -> str:
        """The globals as comments, so that the generated source reads on its own."""
        lines = []
        for name in self._const_names.values():
            value = self.namespace[name]
            if isinstance(value, frozenset):
                text = f"frozenset({sorted(value)!r})"
            elif callable(value):  # a bound fullmatch
                text = f"re.compile({value.__self__.pattern!r}).fullmatch"
            else:
                text = repr(value)
            lines.append(f"# {name} = {text[:100]}{'...' if len(text) > 100 else ''}")
        return "\n".join(lines) + "\n"

    # --- conditions ---------------------------------------------------------------------------

    def condition(self, cond: Condition, scope: str, depth: int = 0) -> str:
        """A condition as one Python expression over the dict in ``scope``."""
        if isinstance(cond, AllOf):
            parts = [self.condition(c, scope, depth) for c in cond.conditions]
            return f"({' and '.join(parts)})" if parts else "True"
        if isinstance(cond, AnyOf):
            parts = [self.condition(c, scope, depth) for c in cond.conditions]
            return f"({' or '.join(parts)})" if parts else "False"
        if isinstance(cond, Not):
            return f"(not {self.condition(cond.condition, scope, depth)})"
        if isinstance(cond, Some):
            obj = "root" if cond.ref.from_root else scope
            return f"{self.some_function(cond)}({self.values(cond.ref.parts, obj)}, root)"
        if cond.other is not None:
            return self.compare_fields(cond, scope)
        return self.compare(cond, "root" if cond.ref.from_root else scope)

    def compare_fields(self, cond: Compare, scope: str) -> str:
        """An ordering between two fields (date of birth before last contact, from <= to)."""
        assert cond.other is not None
        left, right = (
            f"one_text({'root' if ref.from_root else scope}, {self.path_const(ref.parts)})"
            for ref in (cond.ref, cond.other)
        )
        return f"fields_ordered({left}, {right}, {cond.op})"

    def some_function(self, cond: Some) -> str:
        """``some``: a function over the items (faster than ``any(generator)``), one per condition."""
        name = self._somes.get(cond)
        if name is None:
            name = self._somes[cond] = f"some_{len(self._somes) + 1}"
            saved_hoisted, self._hoisted = self._hoisted, {}
            lines = Lines()
            with lines.block(f"def {name}(items, root):"):
                lines(f'"""Some item has {describe(cond.condition)}."""')
                with lines.block("for it in items:"):
                    test = self.condition(cond.condition, "it")
                    with lines.block(f"if isinstance(it, dict) and {test}:"):
                        lines("return True")
                lines("return False")
            self._hoisted = saved_hoisted
            self._functions.append(lines.text())
        return name

    def values(self, parts: tuple[str, ...], obj: str) -> str:
        """The present values at a path; a list hoisted by ``hoist_items`` is read once."""
        hoisted = self._hoisted.get(("items", obj, parts))
        return hoisted or f"values_at({obj}, {self.path_const(parts)})"

    @contextmanager
    def hoist(self, scope: str, conditions: list[Condition]) -> Iterator[None]:
        """Values that several conditions of one scope read are read once, into a local.

        A person's required fields and rules ask up to ten questions about the same few values
        (the reason for stop, the list of actions, the K-12 flag); reading each once at the top
        of the function is cheaper than once per question, even when some are never asked.
        """
        counts: dict[tuple[str, str, tuple[str, ...]], int] = {}
        for cond in conditions:
            for key in _shared_reads(cond, scope):
                counts[key] = counts.get(key, 0) + 1
        hoisted = {}
        for key, count in counts.items():
            if count < 2:
                continue
            what, obj, parts = key
            local = f"{what}_{obj}_" + "_".join(re.sub(r"\W", "_", part) for part in parts)
            if what == "items":
                read = f"values_at({obj}, {self.path_const(parts)})"
            elif what == "sibling":
                read = f"sibling_text({obj}.get({parts[0]!r}))"
            else:
                read = f"one_text({obj}, {self.path_const(parts)})"
            self.out(f"{local} = {read}")
            hoisted[key] = local
        self._hoisted.update(hoisted)
        yield
        for key in hoisted:
            del self._hoisted[key]

    @staticmethod
    def dig(obj: str, parts: tuple[str, ...]) -> str:
        """True when ``obj[a][b]...`` are dicts down to a string, which is then in ``c``."""
        steps = [f"(c := {obj}.get({parts[0]!r}))"] + [f"(c := c.get({p!r}))" for p in parts[1:]]
        tests = [f"{step}.__class__ is dict" for step in steps[:-1]]
        return " and ".join([*tests, f"{steps[-1]}.__class__ is str"])

    def path_const(self, parts: tuple[str, ...]) -> str:
        return self.const(parts, "AT_" + "_".join(parts))

    def compare(self, cond: Compare, obj: str) -> str:
        parts = cond.ref.parts
        sibling = len(parts) == 1 and not cond.ref.from_root
        op = cond.op
        if op in ("present", "absent"):
            if sibling:
                # One sibling value, usually a string: present unless blank.
                key = parts[0]
                given = (
                    f"(bool(c.strip()) if (c := {obj}.get({key!r})).__class__ is str "
                    f"else bool({self.values(parts, obj)}))"
                )
            else:
                given = (
                    f"(c.strip() != '' if {self.dig(obj, parts)} "
                    f"else bool({self.values(parts, obj)}))"
                )
            return given if op == "present" else f"(not {given})"
        wanted = frozenset(v.upper() for v in cond.values)
        if op in ("eq", "in"):
            codes = self.const(wanted, "IN_" + "_".join(sorted(wanted)))
            hoisted = self._hoisted.get(("sibling" if sibling else "text", obj, parts))
            if hoisted:
                return f"{hoisted} in {codes}"
            if sibling:
                key = parts[0]
                return (
                    f"(c.strip().upper() in {codes} if (c := {obj}.get({key!r})).__class__ is str "
                    f"else sibling_text(c) in {codes})"
                )
            general = f"one_text({obj}, {self.path_const(parts)}) in {codes}"
            if "" in wanted:
                return general
            # Dicts all the way down to a string (the usual case): no call.
            return f"(c.strip().upper() in {codes} if {self.dig(obj, parts)} else {general})"
        if op in ("has", "has_any"):
            codes = self.const(wanted, "IN_" + "_".join(sorted(wanted)))
            return f"has_any({self.values(parts, obj)}, {codes})"
        bound = self.const(_runtime.comparable(cond.values[0]), "BOUND")
        return f"ordered(one_text({obj}, {self.path_const(parts)}), {bound}, {op})"


def field_conditions(fields: tuple[FieldSpec, ...]) -> list[Condition]:
    """The conditions of fields read in one scope: through groups, not into lists of groups."""
    out: list[Condition] = []
    for f in fields:
        out += [c for c in (f.required, f.forbidden) if c is not None and not isinstance(c, bool)]
        if f.type == "group":
            out += field_conditions(f.fields)
    return out


def _shared_reads(cond: Condition, scope: str) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """What a condition reads from its scope, as keys for ``Generator.hoist``.

    ``("items", obj, path)`` for the list ``some`` or ``has`` walks, ``("text", obj, path)`` for the value
    an ``eq``/``in`` compares. Not what is read inside a ``some``: that is per item.
    """
    if isinstance(cond, AllOf | AnyOf):
        for c in cond.conditions:
            yield from _shared_reads(c, scope)
    elif isinstance(cond, Not):
        yield from _shared_reads(cond.condition, scope)
    elif isinstance(cond, Some) or cond.op in ("has", "has_any"):
        yield ("items", "root" if cond.ref.from_root else scope, cond.ref.parts)
    elif cond.op in ("eq", "in"):
        # A sibling's value is compared a little differently from a path's: see ``compare``.
        sibling = len(cond.ref.parts) == 1 and not cond.ref.from_root
        what = "sibling" if sibling else "text"
        yield (what, "root" if cond.ref.from_root else scope, cond.ref.parts)


def describe(cond: Condition | bool | None) -> str:
    """A condition in words, for messages and the ICD."""
    if cond is None or isinstance(cond, bool):
        return ""
    if isinstance(cond, AllOf):
        return " and ".join(describe(c) for c in cond.conditions)
    if isinstance(cond, AnyOf):
        return "either " + " or ".join(describe(c) for c in cond.conditions)
    if isinstance(cond, Not):
        return f"not ({describe(cond.condition)})"
    if isinstance(cond, Some):
        return f"some {cond.ref} has {describe(cond.condition)}"
    name = str(cond.ref)
    values = str(cond.other) if cond.other is not None else ", ".join(cond.values)
    return {
        "eq": f"{name} is {values}",
        "in": f"{name} is one of {values}",
        "present": f"{name} is given",
        "absent": f"{name} is not given",
        "has": f"{name} includes {values}",
        "has_any": f"{name} includes any of {values}",
        "lt": f"{name} is below {values}",
        "le": f"{name} is at most {values}",
        "gt": f"{name} is above {values}",
        "ge": f"{name} is at least {values}",
    }[cond.op]
