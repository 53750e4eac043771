"""XML Schema of the XML form of a record: the ICD's "Attachment A".

Like the JSON Schema, it is never stricter than the validator on what it states: structure,
required elements, code values, formats, lengths and patterns. Values are ``xs:token`` based,
so leading and trailing white space is allowed (the hub trims it); an element that is not
unconditionally required may be empty (the hub reads it as not sent). Conditional requirements,
list counts and cross-field rules are the hub's alone and are named in the annotations.

Elements of a group may come in any order (``xs:all``); a group holding a repeated element
without a list wrapper cannot say that in XML Schema 1.0 and uses a repeated choice instead.
"""

from __future__ import annotations

from lxml import etree

from jdx.dictionary.icd._common import (
    DATE_PATTERNS,
    TIME_PATTERNS,
    checks_text,
    field_notes,
    portable_pattern,
    requirement_text,
)
from jdx.dictionary.model import Dictionary, FieldSpec

XS = "http://www.w3.org/2001/XMLSchema"
_E = f"{{{XS}}}"
EMPTY_TYPE = "Empty"


def xsd(d: Dictionary) -> bytes:
    schema = etree.Element(_E + "schema", nsmap={"xs": XS}, elementFormDefault="qualified")
    _doc(schema, f"{d.title}. {d.description}".strip())
    empty = etree.SubElement(schema, _E + "simpleType", name=EMPTY_TYPE)
    etree.SubElement(
        etree.SubElement(empty, _E + "restriction", base="xs:token"), _E + "length", value="0"
    )
    root = etree.SubElement(schema, _E + "element", name=d.xml_root)
    if d.rules:
        _doc(
            root,
            "Cross-field rules checked by the hub: "
            + " ".join(f"{r.code}: {r.message.strip()}" for r in d.rules),
        )
    _Builder(d).group(root, d.fields)
    return bytes(etree.tostring(schema, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _doc(parent: etree._Element, text: str) -> None:
    annotation = etree.SubElement(parent, _E + "annotation")
    etree.SubElement(annotation, _E + "documentation").text = text


class _Builder:
    def __init__(self, d: Dictionary) -> None:
        self.d = d

    def group(self, element: etree._Element, fields: tuple[FieldSpec, ...]) -> None:
        complex_type = etree.SubElement(element, _E + "complexType")
        repeats = any(f.type == "list" and not f.item_name for f in fields)
        if repeats:
            holder = etree.SubElement(
                complex_type, _E + "choice", minOccurs="0", maxOccurs="unbounded"
            )
        else:
            holder = etree.SubElement(complex_type, _E + "all")
        for f in fields:
            self.field(holder, f, in_choice=repeats)

    def field(self, holder: etree._Element, f: FieldSpec, *, in_choice: bool) -> None:
        element = etree.SubElement(holder, _E + "element", name=f.name)
        if in_choice:
            pass  # a repeated choice says nothing of counts
        elif f.required is not True:
            element.set("minOccurs", "0")
        notes = [f.label + ".", requirement_text(f).capitalize() + "."]
        if checks := checks_text(f):
            notes.append(checks[0].upper() + checks[1:] + ".")
        notes.append(field_notes(f))
        _doc(element, " ".join(notes))
        if f.type == "group":
            self.group(element, f.fields)
        elif f.type == "list":
            assert f.item is not None
            if f.item_name:
                wrapper = etree.SubElement(element, _E + "complexType")
                sequence = etree.SubElement(wrapper, _E + "sequence")
                item = etree.SubElement(
                    sequence,
                    _E + "element",
                    name=f.item_name,
                    minOccurs="0",
                    maxOccurs="unbounded",
                )
                self.item(item, f.item)
            else:
                self.item(element, f.item)
        else:
            self.scalar(element, f)

    def item(self, element: etree._Element, item: FieldSpec) -> None:
        if item.type == "group":
            self.group(element, item.fields)
        else:
            self.scalar(element, item)

    def scalar(self, element: etree._Element, f: FieldSpec) -> None:
        """A restriction of xs:token, or'ed with the empty value unless the field is required."""
        simple = etree.SubElement(element, _E + "simpleType")
        if f.required is not True:
            union = etree.SubElement(simple, _E + "union", memberTypes=EMPTY_TYPE)
            simple = etree.SubElement(union, _E + "simpleType")
        restriction = etree.SubElement(simple, _E + "restriction", base="xs:token")
        for facet, value in self.facets(f):
            etree.SubElement(restriction, _E + facet, value=value)

    def facets(self, f: FieldSpec) -> list[tuple[str, str]]:
        if f.type == "code":
            if not f.table:
                return []  # a domain table, loaded by the operator
            return [("enumeration", v) for v in self.d.tables[f.table].values]
        if f.type == "flag":
            values = f.values or ("Y", "N")
            return [("enumeration", v) for c in values for v in dict.fromkeys((c, c.lower()))]
        if f.type in ("date", "time"):
            table = DATE_PATTERNS if f.type == "date" else TIME_PATTERNS
            return [("pattern", "|".join(f"({table[fmt]})" for fmt in f.formats))]
        if f.type == "integer":
            return [("pattern", "[0-9]+")]
        out: list[tuple[str, str]] = []
        if f.type == "decimal":
            out.append(("pattern", "-?[0-9]+(\\.[0-9]+)?|-?\\.[0-9]+"))
        if f.type == "string":
            if f.min_length is not None:
                out.append(("minLength", str(f.min_length)))
            if f.max_length is not None:
                out.append(("maxLength", str(f.max_length)))
        pattern = portable_pattern(f.pattern, xsd=True) if f.pattern else None
        if pattern is not None:
            out.append(("pattern", pattern))
        return out
