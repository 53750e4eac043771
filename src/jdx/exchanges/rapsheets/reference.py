"""The annotated reference of the transmission format, generated from its XSD at run time.

Participants read the format in one HTML page: every element in document order, with its path,
type, cardinality, codes, patterns and the schema's own ``xs:documentation``, introduced by the
comment at the top of the XSD. Nothing is written by hand, so the page never says anything the
schema does not: a change to ``schema/rapsheet-2.00.xsd`` is in the next page served.

The walk follows the XSD constructs the schema uses (named and anonymous types, sequences,
choices, group references, simple content with attributes, restrictions with enumerations,
patterns and lengths) and says so plainly for any other (``xs:any``, unions, lists). Named types
or groups that no top-level element reaches are listed after the tree, so the page names every
element of the schema even then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
_COMPOSITORS = ("sequence", "choice", "all")
_ONCE = {("1", "1"): "required", ("0", "1"): "optional"}
_CHOICE = "one of: "
_MANY = {"1": "required, repeated", "0": "optional, repeated"}
# Our own file, read with comments (the introduction is one); no entities or network anyway.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=False)


def _xs(name: str) -> str:
    return f"{{{XS}}}{name}"


def _local(node: etree._Element) -> str:
    return str(etree.QName(node).localname)


def _children(node: etree._Element) -> list[etree._Element]:
    """The XSD children of ``node`` that carry structure (annotations and comments left out)."""
    return [c for c in node if isinstance(c.tag, str) and c.tag != _xs("annotation")]


def _docs(node: etree._Element | None) -> list[str]:
    if node is None:
        return []
    found = node.findall(f"{_xs('annotation')}/{_xs('documentation')}")
    return [" ".join("".join(d.itertext()).split()) for d in found if "".join(d.itertext()).strip()]


def cardinality(node: etree._Element) -> str:
    """``minOccurs``/``maxOccurs`` in words: required, optional, repeated, or the numbers."""
    low, high = node.get("minOccurs", "1"), node.get("maxOccurs", "1")
    if (low, high) in _ONCE:
        return _ONCE[(low, high)]
    if high == "unbounded" and low in _MANY:
        return _MANY[low]
    return f"{low} to {'any number' if high == 'unbounded' else high}"


@dataclass
class Row:
    """One element or attribute of the format, as the reference shows it."""

    path: str
    type: str
    cardinality: str
    values: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    depth: int = 0

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class _Facets:
    base: str
    values: list[str]
    docs: list[str]


class _Schema:
    """The named components of one XSD and the walk that turns them into :class:`Row` s."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        named = {(c.tag, c.get("name")): c for c in _children(root) if c.get("name")}
        self.simple = {n: c for (t, n), c in named.items() if t == _xs("simpleType")}
        self.complex = {n: c for (t, n), c in named.items() if t == _xs("complexType")}
        self.groups = {n: c for (t, n), c in named.items() if t == _xs("group")}
        self.elements = {n: c for (t, n), c in named.items() if t == _xs("element")}
        self.rows: list[Row] = []
        self.visited: set[str] = set()

    # --- names and simple types ------------------------------------------------------------

    def _ref(self, node: etree._Element, attribute: str) -> tuple[bool, str] | None:
        """The type or component ``node`` names in ``attribute``: (built in?, local name)."""
        value = node.get(attribute)
        if value is None:
            return None
        prefix, _, local = value.rpartition(":")
        return node.nsmap.get(prefix or None) == XS, local

    def facets(self, simple: etree._Element) -> _Facets:
        """Base, enumerations, patterns, lengths and docs of a simple type, its bases included."""
        docs = _docs(simple)
        restriction = simple.find(_xs("restriction"))
        if restriction is None:
            kind = _local(_children(simple)[0]) if _children(simple) else "simple"
            return _Facets(kind, [f"an XSD {kind}: see the schema"], docs)
        base, values = "string", []
        ref = self._ref(restriction, "base")
        if ref is not None:
            builtin, name = ref
            if builtin or name not in self.simple:
                base = name
            else:
                inherited = self.facets(self.simple[name])
                base, values, docs = inherited.base, inherited.values, docs + inherited.docs
        codes = [str(e.get("value")) for e in restriction.findall(_xs("enumeration"))]
        if codes:  # a restriction's enumeration replaces its base's
            values = [v for v in values if not v.startswith("codes: ")]
            values.append("codes: " + ", ".join(codes))
        values += [f"pattern: {p.get('value')}" for p in restriction.findall(_xs("pattern"))]
        for facet in ("length", "minLength", "maxLength", "minInclusive", "maxInclusive"):
            values += [f"{facet}: {f.get('value')}" for f in restriction.findall(_xs(facet))]
        return _Facets(base, values, docs)

    def _simple_type_of(self, node: etree._Element) -> tuple[str, _Facets] | None:
        """The label and facets of a simple type ``node`` names or holds, if it has one."""
        inline = node.find(_xs("simpleType"))
        if inline is not None:
            found = self.facets(inline)
            return found.base, found
        ref = self._ref(node, "type") or self._ref(node, "base")
        if ref is None:
            return None
        builtin, name = ref
        if builtin:
            return name, _Facets(name, [], [])
        if name in self.simple:
            found = self.facets(self.simple[name])
            return f"{name} ({found.base})", found
        return None

    # --- the walk ----------------------------------------------------------------------------

    def walk_element(
        self, node: etree._Element, parent: str, depth: int, notes: list[str], stack: set[str]
    ) -> None:
        ref = self._ref(node, "ref")
        target = self.elements.get(ref[1], node) if ref else node
        path = f"{parent}/{target.get('name', '?')}"
        occurs = cardinality(node)
        if occurs.startswith("required") and any(n.startswith(_CHOICE) for n in notes):
            occurs += ", when its alternative is the one sent"
        row = Row(path, "", occurs, notes=[*_docs(node), *notes], depth=depth)
        self.rows.append(row)
        simple = self._simple_type_of(target)
        if simple is not None:
            row.type, facets = simple
            row.values, row.notes = facets.values, row.notes + facets.docs
            return
        type_ref = self._ref(target, "type")
        type_name = type_ref[1] if type_ref else None
        complex_type = target.find(_xs("complexType"))
        if complex_type is None and type_name in self.complex:
            complex_type = self.complex[str(type_name)]
            row.notes += _docs(complex_type)
            self.visited.add(str(type_name))
        if type_name in stack:
            row.type = f"{type_name} (structure, recursive: as above)"
            return
        if complex_type is not None:
            inner = stack | {type_name} if type_name else stack
            self.walk_complex(complex_type, row, depth, inner)
        if row.type:  # simple content: the value's type, under the element's type name
            row.type = f"{type_name}: {row.type}" if type_name else row.type
        else:
            row.type = f"{type_name} (structure)" if type_name else "structure"

    def walk_complex(self, ct: etree._Element, row: Row, depth: int, stack: set[str]) -> None:
        """Attributes and content of a complex type; ``row`` is the element that has it."""
        contents = _children(ct)  # the element's attributes first, then its content
        for content in sorted(contents, key=lambda c: _local(c) != "attribute"):
            kind = _local(content)
            if kind in ("simpleContent", "complexContent"):
                derivation = _children(content)[0]
                base = self._ref(derivation, "base")
                if kind == "simpleContent":
                    simple = self._simple_type_of(derivation)
                    if simple is not None:
                        row.type, facets = simple
                        row.values, row.notes = facets.values, row.notes + facets.docs
                elif base and not base[0] and base[1] in self.complex and base[1] not in stack:
                    self.visited.add(base[1])
                    self.walk_complex(self.complex[base[1]], row, depth, stack | {base[1]})
                self.walk_complex(derivation, row, depth, stack)
            elif kind == "attribute":
                self.walk_attribute(content, row.path, depth + 1)
            elif kind in (*_COMPOSITORS, "group", "element", "any"):
                self.walk_particle(content, row.path, depth + 1, [], stack)

    def walk_attribute(self, node: etree._Element, parent: str, depth: int) -> None:
        use = node.get("use", "optional")
        values: list[str] = []
        if node.get("fixed") is not None:
            values.append(f"fixed: {node.get('fixed')}")
        if node.get("default") is not None:
            values.append(f"default: {node.get('default')}")
        simple = self._simple_type_of(node)
        label, docs = "string", _docs(node)
        if simple is not None:
            label, facets = simple
            values, docs = facets.values + values, docs + facets.docs
        row = Row(f"{parent}/@{node.get('name')}", label, f"attribute, {use}", values, docs, depth)
        self.rows.append(row)

    def walk_particle(
        self, node: etree._Element, parent: str, depth: int, notes: list[str], stack: set[str]
    ) -> None:
        kind = _local(node)
        if kind == "element":
            self.walk_element(node, parent, depth, notes, stack)
        elif kind == "group":
            ref = self._ref(node, "ref")
            key = f"group {ref[1] if ref else '?'}"
            group = self.groups.get(ref[1]) if ref else None
            if group is None or key in stack:
                return
            self.visited.add(key)
            inner = [*notes, *_docs(group)]
            for child in _children(group):
                self.walk_particle(child, parent, depth, inner, stack | {key})
        elif kind in _COMPOSITORS:
            inner = list(notes)
            if kind == "choice":
                inner.append(_CHOICE + " | ".join(self._alternative(c) for c in _children(node)))
            if cardinality(node) != "required":
                inner.append(f"the {kind} is {cardinality(node)}")
            for child in _children(node):
                self.walk_particle(child, parent, depth, inner, stack)
        elif kind == "any":
            self.rows.append(Row(f"{parent}/*", "any element", cardinality(node), [], [], depth))

    def _alternative(self, node: etree._Element) -> str:
        kind = _local(node)
        ref = self._ref(node, "ref")
        if kind == "element":
            return str(node.get("name") or (ref[1] if ref else "?"))
        if kind == "group":
            return f"group {ref[1] if ref else '?'}"
        return " + ".join(self._alternative(c) for c in _children(node))

    def walk(self) -> list[Row]:
        """Every top-level element's tree, then the named types and groups nothing reached."""
        for node in self.elements.values():
            self.walk_element(node, "", 0, [], set())
        for name, ct in self.complex.items():
            if name not in self.visited:
                row = Row(f"(type {name})", "structure", "not used by any element", [], _docs(ct))
                self.rows.append(row)
                self.walk_complex(ct, row, 0, {name})
        for name, group in self.groups.items():
            if f"group {name}" not in self.visited:
                self.rows.append(Row(f"(group {name})", "group", "not used", [], _docs(group)))
                for child in _children(group):
                    self.walk_particle(child, f"(group {name})", 1, [], {f"group {name}"})
        return self.rows


def schema_rows(xsd: bytes) -> list[Row]:
    """The rows of the reference: every element and attribute of the schema, in document order."""
    return _Schema(etree.fromstring(xsd, _PARSER)).walk()


def introduction(xsd: bytes) -> str:
    """The comment(s) before the schema element: the schema's own introduction."""
    root = etree.fromstring(xsd, _PARSER)
    comments = [c for c in root.itersiblings(preceding=True) if isinstance(c, etree._Comment)]
    return "\n\n".join(_dedent(str(c.text)) for c in reversed(comments))


def _dedent(text: str) -> str:
    lines = text.strip("\n").splitlines()
    indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
    return "\n".join(x[indent:] for x in lines).strip()


STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#f3f3f3;position:sticky;top:0}code{font-size:90%}
pre.intro{white-space:pre-wrap;background:#f8f8f8;padding:1rem;border:1px solid #ddd}
td.values{max-width:22rem}td.path{white-space:nowrap}
"""


def reference_html(xsd: bytes, *, title: str, schema_name: str) -> str:
    """The annotated reference page of the schema ``xsd`` (published as ``schema_name``)."""
    e = escape
    root = etree.fromstring(xsd, _PARSER)
    namespace, version = root.get("targetNamespace", ""), _version(root)
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>Generated from <code>{e(schema_name)}</code> when served: the schema is the "
        "authority, and this page says nothing it does not. Namespace "
        f"<code>{e(namespace)}</code>{f', version <code>{e(version)}</code>' if version else ''}."
        "</p><h2>Introduction (the schema's own comment)</h2>",
        f"<pre class='intro'>{e(introduction(xsd))}</pre>",
        "<h2>Elements, in document order</h2>",
        "<p><em>Required</em>: must be present (once); <em>optional</em>: may be left out; "
        "<em>repeated</em>: may occur any number of times, in a row. An element inside a choice "
        "is required only when its alternative is the one sent. Paths name elements by their "
        "local names; every element is in the namespace above.</p>",
        "<table><tr><th>Path</th><th>Type</th><th>Cardinality</th><th>Codes, patterns</th>"
        "<th>Documentation</th></tr>",
    ]
    ids: dict[str, int] = {}
    for row in schema_rows(xsd):
        ids[row.path] = ids.get(row.path, 0) + 1
        anchor = row.path if ids[row.path] == 1 else f"{row.path}~{ids[row.path]}"
        pad = f" style='padding-left:{0.5 + row.depth}rem'" if row.depth else ""
        out.append(
            f"<tr id='{e(anchor)}'><td class='path'{pad}><code>{e(row.path)}</code></td>"
            f"<td>{e(row.type)}</td><td>{e(row.cardinality)}</td>"
            f"<td class='values'>{'<br>'.join(f'<code>{e(v)}</code>' for v in row.values)}</td>"
            f"<td>{'<br>'.join(e(n) for n in dict.fromkeys(row.notes))}</td></tr>"
        )
    out.append("</table></body></html>")
    return "\n".join(out)


def _version(root: etree._Element) -> str | None:
    """The fixed ``version`` attribute of the top-level element, when the schema has one."""
    found = root.find(f"{_xs('element')}//{_xs('attribute')}[@name='version']")
    return found.get("fixed") if found is not None else None
