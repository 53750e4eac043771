"""The transmission format 2.00: read and write ``<rapSheet version="2.00">`` with lxml.

One generic walk over the model's field metadata does every element, so reader, writer and
``schema/rapsheet-2.00.xsd`` share a single description of the format. Reading is hardened the
way every XML channel of the hub is (:func:`jdx.codecs.xmlform.parse_xml`: no DTD, no entities,
no network) plus a size and a depth limit, then validated against the XSD, so a malformed portion
is refused with the schema's message and line before any rule sees it.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cache
from importlib import resources
from typing import Any, TypeVar
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from jdx.codecs.xmlform import XmlFormError, local_name, parse_xml
from jdx.exchanges.rapsheets.model import NAMESPACE, VERSION, RapSheet

# A rap sheet of hundreds of cycles is well under a megabyte; NLETS "may regulate the total
# maximum size of a transmitted document" (seed 2.7) and this is the hub's regulation.
MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 16

T = TypeVar("T")


class RapSheetFormatError(ValueError):
    """The document is not a safe, valid rap sheet; the message names the line and the element."""


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    tag: str
    attr: str | None
    kind: type
    repeated: bool
    optional: bool
    default: Any


_FIELDS: dict[type, tuple[_Field, ...]] = {}


def _fields(cls: type) -> tuple[_Field, ...]:
    """Per model class: element name, value kind and cardinality of each field (memoised)."""
    if cls in _FIELDS:
        return _FIELDS[cls]
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        spec: str = f.metadata["xml"]
        tag, _, attr = spec.partition("/@")
        hint = hints[f.name]
        repeated = typing.get_origin(hint) is tuple
        optional = False
        if repeated:
            hint = typing.get_args(hint)[0]
        elif isinstance(hint, types.UnionType):
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            hint, optional = args[0], True
        out.append(_Field(f.name, tag, attr or None, hint, repeated, optional, f.default))
    _FIELDS[cls] = tuple(out)
    return _FIELDS[cls]


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


# --- writing ---------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value.value if isinstance(value, Enum) else str(value)


def _escaped(value: Any) -> str:
    text = value if value.__class__ is str else _text(value)
    # Most values need no escaping; testing first is cheaper than always replacing.
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        return escape(text, _CR)
    return text


def _attribute(name: str, value: Any) -> str:
    return "" if value is None else f" {name}={quoteattr(_text(value))}"


_WRITE_FUNCTIONS: dict[type, Callable[[list[str], Any], None]] = {}


def _writer(cls: type) -> Callable[[list[str], Any], None]:
    """A function that appends the XML of a ``cls`` instance to a list of strings, generated
    once per model class from its fields. Delivery and presentation spend most of their time
    writing the 2.00 document, and straight-line code per class does it in a third of the time
    of a loop interpreting the field specs (``python -m bench rapsheets``)."""
    known = _WRITE_FUNCTIONS.get(cls)
    if known is not None:
        return known
    specs = _fields(cls)
    env: dict[str, Any] = {"_escaped": _escaped, "_attribute": _attribute}
    lines = ["def write(out, obj):", "    append = out.append"]
    for i, spec in enumerate(specs):
        if spec.attr:
            continue  # an attribute is written with the element that carries it
        attrs = [a for a in specs if a.attr and a.tag == spec.tag]
        lines += [f"    v = obj.{spec.name}", "    if v is not None:"]
        lines.append("        for item in v:" if spec.repeated else "        item = v")
        pad = "            " if spec.repeated else "        "
        if attrs:
            opened = " + ".join(f"_attribute({a.attr!r}, obj.{a.name})" for a in attrs)
            lines.append(f"{pad}append({'<' + spec.tag!r} + {opened} + '>')")
        else:
            lines.append(f"{pad}append({'<' + spec.tag + '>'!r})")
        if dataclasses.is_dataclass(spec.kind):
            env[f"w{i}"] = _writer(spec.kind)
            lines.append(f"{pad}w{i}(out, item)")
        else:
            # The common case, a string with nothing to escape, tested inline: a call to
            # _escaped per value was a third of the writer's time.
            lines.append(
                f"{pad}append(item if item.__class__ is str and not ('&' in item or '<' in item"
                " or '>' in item or '\\r' in item) else _escaped(item))"
            )
        lines.append(f"{pad}append({'</' + spec.tag + '>'!r})")
    # The source is ours alone: the tags and field names of the model, nothing a sender wrote.
    code = compile("\n".join(lines), f"<jdx 2.00 writer {cls.__name__}>", "exec")
    exec(code, env)  # noqa: S102 - our own generated code
    function: Callable[[list[str], Any], None] = env["write"]
    _WRITE_FUNCTIONS[cls] = function
    return function


def to_element(sheet: RapSheet) -> etree._Element:
    """The sheet as a 2.00 element tree.

    Written as text (:func:`_writer`) and parsed once by libxml2, rather than built element by
    element: one lxml ``SubElement`` call per element cost several times as much.
    """
    out = [f'<rapSheet xmlns="{NAMESPACE}" version="{VERSION}">']
    _writer(RapSheet)(out, sheet)
    out.append("</rapSheet>")
    # UTF-8 bytes: libxml2 reads them directly, where a str is handed over in Python's internal
    # form and decoded again (about a third slower on a long record).
    return etree.fromstring("".join(out).encode(), _WRITE_PARSER)


# A carriage return in a value must survive parsing (a raw one would be read as a newline).
_CR = {"\r": "&#13;"}
# Our own text only: no entities or network to fear, but huge trees are normal for a long record.
_WRITE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def write_rap_sheet(sheet: RapSheet) -> bytes:
    """The sheet as a 2.00 document, UTF-8 with an XML declaration."""
    return bytes(
        etree.tostring(to_element(sheet), xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )


# --- reading ---------------------------------------------------------------------------------


def _convert(kind: type, element: etree._Element) -> Any:
    if dataclasses.is_dataclass(kind):
        return _build(kind, element)
    text = (element.text or "").strip()
    if kind is int:
        return int(text)
    return kind(text)


def _build(cls: type[T], element: etree._Element) -> T:
    children: dict[str, list[etree._Element]] = {}
    for child in element:
        if isinstance(child.tag, str):
            children.setdefault(local_name(child), []).append(child)
    kwargs: dict[str, Any] = {}
    for spec in _fields(cls):
        found = children.get(spec.tag, [])
        if spec.attr:
            value = found[0].get(spec.attr) if found else None
            if value is not None:
                kwargs[spec.name] = value
        elif spec.repeated:
            kwargs[spec.name] = tuple(_convert(spec.kind, c) for c in found)
        elif found:
            kwargs[spec.name] = _convert(spec.kind, found[0])
    return cls(**kwargs)


@cache
def schema() -> etree.XMLSchema:
    """The project's XSD of the format, loaded once per process."""
    return etree.XMLSchema(schema_document())


def validate(root: etree._Element) -> None:
    """Raise :class:`RapSheetFormatError` with the first schema errors, by line."""
    checker = schema()
    if checker.validate(root):
        return
    problems = [f"line {e.line}: {e.message}" for e in list(checker.error_log)[:5]]
    raise RapSheetFormatError("not a valid rap sheet 2.00: " + "; ".join(problems))


def parse_root(data: bytes) -> etree._Element:
    """A safe root element (any format), or :class:`RapSheetFormatError`."""
    try:
        return parse_xml(data, max_bytes=MAX_BYTES, max_depth=MAX_DEPTH)
    except XmlFormError as exc:
        raise RapSheetFormatError(str(exc)) from None


def _adopt_namespace(root: etree._Element) -> None:
    """Put a namespace-less sheet in the format's namespace: the seed says one "should (but
    need not) be specified" (section 3), so a sender that leaves it out is still understood."""
    for element in root.iter():
        if isinstance(element.tag, str) and not element.tag.startswith("{"):
            element.tag = _q(element.tag)


def from_element(root: etree._Element) -> RapSheet:
    if root.tag == "rapSheet":
        _adopt_namespace(root)
    if root.tag != _q("rapSheet"):
        raise RapSheetFormatError(
            f"the root element is {local_name(root)!r}, not rapSheet in namespace {NAMESPACE}"
        )
    validate(root)
    return _build(RapSheet, root)


def read_rap_sheet(data: bytes) -> RapSheet:
    """A 2.00 document as the model; hostile or invalid documents raise RapSheetFormatError."""
    return from_element(parse_root(data))


@cache
def codes(type_name: str) -> frozenset[str]:
    """The enumerated values of a simple type of the XSD (Sex, Race, EyeColor, ...): the code
    tables live once, in the schema, and readers of other formats map onto them."""
    xs = "http://www.w3.org/2001/XMLSchema"
    doc = schema_document()
    found = doc.findall(f"{{{xs}}}simpleType[@name='{type_name}']//{{{xs}}}enumeration")
    return frozenset(str(e.get("value")) for e in found)


@cache
def pattern(type_name: str) -> re.Pattern[str]:
    """The pattern of a simple type of the XSD (FbiNumber, SidNumber, ...), for ``fullmatch``:
    a reader that checks a value before writing it asks the schema, not a copy of its rule."""
    xs = "http://www.w3.org/2001/XMLSchema"
    found = schema_document().find(f"{{{xs}}}simpleType[@name='{type_name}']//{{{xs}}}pattern")
    if found is None:
        raise KeyError(f"no pattern for the simple type {type_name!r} in the 2.00 XSD")
    return re.compile(str(found.get("value")))


@cache
def schema_document() -> etree._Element:
    source = resources.files("jdx.exchanges.rapsheets").joinpath("schema/rapsheet-2.00.xsd")
    return parse_xml(source.read_bytes())
