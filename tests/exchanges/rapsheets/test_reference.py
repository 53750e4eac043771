"""The annotated reference of format 2.00 is generated from the XSD and names all of it."""

from __future__ import annotations

from html import escape, unescape
from importlib import resources

from lxml import etree

from jdx.exchanges.rapsheets.reference import cardinality, introduction, reference_html, schema_rows

XS = "http://www.w3.org/2001/XMLSchema"
XSD = (
    resources.files("jdx.exchanges.rapsheets").joinpath("schema", "rapsheet-2.00.xsd").read_bytes()
)


def page() -> str:
    return reference_html(XSD, title="Rap sheet 2.00", schema_name="rapsheet-2.00.xsd")


def test_every_element_of_the_xsd_is_in_the_reference() -> None:
    html = page()
    names = {str(e.get("name")) for e in etree.fromstring(XSD).iter(f"{{{XS}}}element")}
    names.discard("None")
    assert names and [n for n in sorted(names) if f"/{n}</code>" not in html] == []


def test_codes_patterns_and_documentation_come_from_the_xsd() -> None:
    html = unescape(page())
    root = etree.fromstring(XSD)
    for enumeration in root.iter(f"{{{XS}}}enumeration"):
        assert str(enumeration.get("value")) in html
    for pattern in root.iter(f"{{{XS}}}pattern"):
        assert f"pattern: {pattern.get('value')}" in html
    for doc in root.iter(f"{{{XS}}}documentation"):
        assert " ".join("".join(doc.itertext()).split()) in html


def test_the_schema_comment_is_the_introduction() -> None:
    intro = introduction(XSD)
    assert intro.startswith("Interstate Criminal History Transmission Specification")
    assert escape(intro.splitlines()[-1]) in page()


def test_paths_types_and_cardinalities_in_document_order() -> None:
    rows = {r.path: r for r in schema_rows(XSD)}
    paths = list(rows)
    assert paths[:2] == ["/rapSheet", "/rapSheet/@version"]
    assert paths.index("/rapSheet/introduction") < paths.index("/rapSheet/identification")
    assert paths.index("/rapSheet/identification") < paths.index("/rapSheet/summary")
    assert rows["/rapSheet/identification/subjectName"].cardinality == "required, repeated"
    assert rows["/rapSheet/identification/subjectName/first"].cardinality == "optional"
    assert rows["/rapSheet/cycle"].cardinality == "optional, repeated"
    assert rows["/rapSheet/identification/sex"].values == ["codes: Male, Female, Unknown"]
    assert rows["/rapSheet/identification/birthdate"].type == "Date: Date8 (token)"
    assert "fixed: 2.00" in rows["/rapSheet/@version"].values
    ori = rows["/rapSheet/cycle/arrestSegment/agencyORI"]
    assert ori.cardinality == "required, when its alternative is the one sent"
    assert "one of: agencyORI + agencyName | agencyName" in ori.notes


SMALL = b"""<?xml version="1.0"?>
<!-- A small schema. -->
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="urn:t" targetNamespace="urn:t">
  <xs:element name="node" type="Node"/>
  <xs:complexType name="Node">
    <xs:sequence minOccurs="0">
      <xs:element name="child" type="Node" minOccurs="2" maxOccurs="5"/>
      <xs:any/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="Orphan"><xs:sequence><xs:element name="lost" type="xs:int"/></xs:sequence>
  </xs:complexType>
</xs:schema>"""


def test_recursive_and_unreached_types_and_other_constructs() -> None:
    rows = {r.path: r for r in schema_rows(SMALL)}
    assert rows["/node/child"].type == "Node (structure, recursive: as above)"
    assert rows["/node/child"].cardinality == "2 to 5"
    assert "the sequence is optional" in rows["/node/child"].notes
    assert rows["/node/*"].type == "any element"
    assert rows["(type Orphan)/lost"].type == "int"
    assert introduction(SMALL) == "A small schema."


def test_cardinality_in_words() -> None:
    def of(**occurs: str) -> str:
        node = etree.Element("e", dict(occurs))
        return cardinality(node)

    assert of() == "required"
    assert of(minOccurs="0") == "optional"
    assert of(maxOccurs="unbounded") == "required, repeated"
    assert of(minOccurs="0", maxOccurs="unbounded") == "optional, repeated"
    assert of(minOccurs="3", maxOccurs="unbounded") == "3 to any number"
