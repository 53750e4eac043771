"""The XML form of a record: the same shape as the JSON form, element for key.

``<ListEthn><Ethn>1</Ethn><Ethn>3</Ethn></ListEthn>`` is ``{"ListEthn": {"Ethn": ["1", "3"]}}``.
Reading needs no dictionary: repeated elements become lists and a single element stays a value,
which the validator reads as a list of one; :func:`jdx.dictionary.shape.canonical` then puts the
record in the dictionary's exact shape.

The parser is hardened: no DTD (so no entity expansion, no external entities), no network, no
huge trees, a depth limit. Hostile documents get an :class:`XmlFormError` naming the problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

from jdx.dictionary import Dictionary

MAX_DEPTH = 32


class XmlFormError(ValueError):
    """The bytes are not a well-formed, safe XML document."""


# lxml's options for a hostile document, the same for every parser of the hub.
HARDENED: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "load_dtd": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(dtd_validation=False, **HARDENED)


def safe_iterparse(source: Any, events: tuple[str, ...], tag: Any = None) -> Iterator[Any]:
    """``etree.iterparse`` with :data:`HARDENED` options (streamed files: XML stops, XLSX)."""
    parser: Iterator[Any] = etree.iterparse(source, events=events, tag=tag, **HARDENED)
    return parser


def parse_xml(
    data: bytes, *, max_bytes: int | None = None, max_depth: int | None = None
) -> etree._Element:
    """The root of a safe document; ``max_bytes`` and ``max_depth`` bound what is accepted."""
    if max_bytes is not None and len(data) > max_bytes:
        raise XmlFormError(f"the XML document is larger than {max_bytes} bytes")
    if not data.strip():
        raise XmlFormError("the XML document is empty")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        # A record never needs a DTD; refusing it outright closes entity expansion (billion
        # laughs) and external entities whatever the parser would have done with them.
        raise XmlFormError("DOCTYPE and ENTITY declarations are not allowed")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise XmlFormError(f"not well-formed XML: {exc.msg}") from None
    if root is None:
        raise XmlFormError("the XML document has no root element")
    if max_depth is not None:
        check_depth(root, max_depth)
    return root


def check_depth(root: etree._Element, limit: int) -> None:
    """Refuse a tree nested deeper than ``limit``: no real record needs it, a bomb does."""
    stack = [(root, 0)]
    while stack:
        element, depth = stack.pop()
        if depth > limit:
            raise XmlFormError(f"the XML document is nested deeper than {limit} levels")
        stack.extend((child, depth + 1) for child in element)


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def element_to_value(element: etree._Element, depth: int = 0) -> Any:
    """An element as a JSON-like value: text for a leaf, a dict for an element with children."""
    if depth > MAX_DEPTH:
        raise XmlFormError(f"the XML document is nested deeper than {MAX_DEPTH} levels")
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        return element.text or ""
    out: dict[str, Any] = {}
    for child in children:
        key = local_name(child)
        value = element_to_value(child, depth + 1)
        if key in out:
            existing = out[key]
            if isinstance(existing, list):
                existing.append(value)
            else:
                out[key] = [existing, value]
        else:
            out[key] = value
    return out


def record_from_xml(data: bytes) -> tuple[str, Any]:
    """(root element name, record) from an XML document."""
    root = parse_xml(data)
    return local_name(root), element_to_value(root)


def value_to_element(tag: str, value: Any) -> etree._Element:
    element = etree.Element(tag)
    _fill(element, value)
    return element


def _fill(element: etree._Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            if isinstance(child, list):
                for item in child:
                    _fill(etree.SubElement(element, key), item)
            elif child is not None:
                _fill(etree.SubElement(element, key), child)
    elif value is not None:
        element.text = value if isinstance(value, str) else str(value)


def to_xml(tag: str, value: Any) -> bytes:
    return bytes(
        etree.tostring(
            value_to_element(tag, value), xml_declaration=True, encoding="UTF-8", pretty_print=True
        )
    )


def record_to_xml(dictionary: Dictionary, record: dict[str, Any]) -> bytes:
    return to_xml(dictionary.xml_root, record)
