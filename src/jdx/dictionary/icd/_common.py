"""What the ICD generators share: field paths, condition targets, portable patterns, wording.

Every generator must describe exactly what the compiled validator does, and no more. The
validator trims values with ``str.strip()`` before checking them, treats blank values as absent
and reads a JSON number as its decimal text; the helpers here let the schemas say the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from jdx.dictionary.compiler import describe
from jdx.dictionary.model import Compare, Dictionary, FieldSpec

# The characters ``str.strip()`` removes (exactly those for which ``str.isspace()`` holds), as a
# regular-expression class that means the same in Python and ECMA-262 (JSON Schema), unlike \s.
WS_CLASS = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
# The same for XML Schema, which has no \x or \u escapes: literal characters, minus those XML 1.0
# forbids in a document (\v, \f, \x1c-\x1f can never reach the validator from XML).
XSD_WS_CLASS = "[\\t\\n\\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
INVISIBLE = (
    "\x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)

DATE_PATTERNS = {
    "MM/DD/YYYY": "(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])/[0-9]{4}",
    "YYYY-MM-DD": "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])",
    "CCYYMMDD": "[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])",
}
TIME_PATTERNS = {
    "HH:MM:SS": "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]",
    "HH:MM": "([01][0-9]|2[0-3]):[0-5][0-9]",
}

# A path of JSON keys from the record root; "*" stands for "each item of the list before".
KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """A condition's field seen from the object that holds the conditional field."""

    keys: KeyPath  # JSON keys from that object, through groups (and a list wrapper at the end)
    spec: FieldSpec  # the scalar field, or the list for has/has_any


def item_path(path: KeyPath, spec: FieldSpec) -> KeyPath:
    """The key path of the items of list ``spec`` found at ``path``."""
    return (*path, spec.item_name, "*") if spec.item_name else (*path, "*")


def scope_of(path: KeyPath) -> KeyPath:
    """The object relative field references start from: the innermost list item, else the root."""
    for i in range(len(path) - 1, -1, -1):
        if path[i] == "*":
            return path[: i + 1]
    return ()


def target(fields: tuple[FieldSpec, ...], container: KeyPath, cond: Compare) -> Target | None:
    """Where ``cond`` looks, if it looks inside the object at ``container`` without crossing a
    list (a list of scalars may end the path for has/has_any); None otherwise."""
    start = cond.ref.parts if cond.ref.from_root else (*scope_of(container), *cond.ref.parts)
    if start[: len(container)] != container:
        return None
    rel = start[len(container) :]
    current = fields
    for i, part in enumerate(rel):
        spec = next((f for f in current if f.name == part), None)
        if spec is None:
            return None
        rest = rel[i + 1 :]
        if spec.type == "group":
            current = spec.fields
            continue
        if spec.type == "list":
            if spec.item is None or spec.item.type == "group":
                return None
            if (spec.item_name and rest == (spec.item_name,)) or (not spec.item_name and not rest):
                return Target(rel, spec)
            return None
        return Target(rel, spec) if not rest else None
    return None


def walk_paths(d: Dictionary) -> Iterator[tuple[str, FieldSpec, bool]]:
    """(dotted path, field, inside a list item) for every field, list items included."""

    def walk(
        fields: tuple[FieldSpec, ...], prefix: str, in_list: bool
    ) -> Iterator[tuple[str, FieldSpec, bool]]:
        for f in fields:
            path = prefix + f.name
            yield path, f, in_list
            if f.type == "group":
                yield from walk(f.fields, path + ".", in_list)
            elif f.type == "list" and f.item is not None and f.item.type == "group":
                inner = f"{path}.{f.item_name}." if f.item_name else path + "."
                yield from walk(f.item.fields, inner, True)

    yield from walk(d.fields, "", False)


# --- portable patterns ------------------------------------------------------------------------

_SPECIAL = set("\\.^$|?*+()[]{}-")


def portable_pattern(pattern: str, *, xsd: bool) -> str | None:
    """The dictionary's (Python) pattern in a form that means the same in ECMA-262 (JSON Schema)
    or XML Schema, without anchors; None when it uses a construct that differs between them
    (\\d, \\w, \\s, anchors, look-arounds, lazy quantifiers...): the validator then checks it alone.
    """
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                return None
            e = pattern[i + 1]
            if e == "$" and xsd:
                out.append("$")  # not special in XML Schema, and \$ is not a valid escape there
            elif e in _SPECIAL or e in "nrt":
                out.append("\\" + e)
            elif e.isalnum() or e == "_":
                return None  # \d \w \s \b \A \Z \x.. \u.. and back-references differ
            else:
                out.append(e)  # an escaped punctuation character is that character
            i += 2
            continue
        if in_class:
            if c == "[" or (c == "-" and pattern[i + 1 : i + 2] == "["):
                return None  # nested class or XSD class subtraction
            if c == "]":
                in_class = False
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                out.append("\\]")
                i += 1
        elif c in "^$":
            return None
        elif c == "(":
            if pattern[i + 1 : i + 2] == "?":
                if pattern[i + 2 : i + 3] != ":":
                    return None
                out.append("(" if xsd else "(?:")
                i += 3
                continue
            out.append("(")
        elif c in "*+?}" and pattern[i + 1 : i + 2] in ("?", "+"):
            return None  # lazy or possessive quantifier
        elif c == "{":
            close = pattern.find("}", i)
            body = pattern[i + 1 : close] if close > 0 else ""
            lo, _, hi = body.partition(",")
            if not body or not (lo or hi) or not (lo + hi).isdigit():
                return None
            out.append("{" + (lo or "0") + ("," + hi if "," in body else "") + "}")
            i = close + 1
            continue
        elif c == ".":
            out.append("[^\\n]")  # Python's dot; ECMA's and XSD's also exclude \r
        elif c in "]}":
            out.append("\\" + c)  # literal in Python, must be escaped in XML Schema
        else:
            out.append(c)
        i += 1
    return None if in_class else "".join(out)


# --- wording ----------------------------------------------------------------------------------


def type_text(d: Dictionary, f: FieldSpec) -> str:
    """The type and format of a field in a few words."""
    if f.type == "list":
        item = f.item
        inner = type_text(d, item) if item is not None else "?"
        shape = f"list of {inner}"
        return f"{shape} in <{f.item_name}>" if f.item_name else shape
    if f.type == "code":
        if f.table:
            return f"code ({d.tables[f.table].label})"
        return f"code (domain table {d.domains[f.domain or ''].label})"
    if f.type in ("date", "time"):
        return f"{f.type} {' or '.join(f.formats)}"
    if f.type == "flag":
        return "flag " + "/".join(f.values or ("Y", "N"))
    return {"group": "group", "integer": "whole number", "decimal": "decimal number"}.get(
        f.type, "text"
    )


def requirement_text(f: FieldSpec) -> str:
    if f.required is True:
        text = "required"
    elif f.required is False:
        text = "optional"
    else:
        text = f"required when {describe(f.required)}"
    if f.forbidden is not None:
        text += f"; must be absent when {describe(f.forbidden)}"
    return text


def checks_text(f: FieldSpec) -> str:
    """Length, range, pattern and list checks in words."""
    parts: list[str] = []
    if f.min_length is not None or f.max_length is not None:
        parts.append(f"{_span(f.min_length, f.max_length)} characters")
    if f.min is not None or f.max is not None:
        parts.append(f"value {_span(f.min, f.max)}")
    if f.pattern:
        parts.append(
            f"pattern {f.pattern}" + (f" ({f.pattern_message})" if f.pattern_message else "")
        )
    if f.not_before is not None:
        parts.append(f"not before {f.not_before.isoformat()}")
    if f.not_future:
        parts.append("not in the future")
    if f.min_items is not None or f.max_items is not None:
        parts.append(f"{_span(f.min_items, f.max_items)} items")
    if f.unique:
        parts.append("no value twice")
    if f.unique_by:
        parts.append(f"no {f.unique_by} twice")
    if f.exclusive is not None:
        parts.append(f"{f.exclusive} stands alone")
    if f.type == "list" and f.item is not None and f.item.type != "group":
        inner = checks_text(f.item)
        if inner:
            parts.append(f"each item: {inner}")
    return "; ".join(parts)


def _span(lo: float | None, hi: float | None) -> str:
    lo_s = f"{lo:g}" if lo is not None else ""
    hi_s = f"{hi:g}" if hi is not None else ""
    if lo_s and hi_s:
        return f"{lo_s} to {hi_s}" if lo_s != hi_s else f"exactly {lo_s}"
    return f"at least {lo_s}" if lo_s else f"at most {hi_s}"


def field_notes(f: FieldSpec) -> str:
    """Description, regulation and error code, as one paragraph."""
    bits = [f.description] if f.description else []
    if f.regulation:
        bits.append(f"Regulation: {f.regulation}.")
    bits.append(f"Error code: {f.code}" + (" (core field: any error is fatal)." if f.core else "."))
    return " ".join(bits)
