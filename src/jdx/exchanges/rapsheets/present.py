"""Delivery formats (seed 2.7): the transmission envelope and the presentation style sheets.

Presentation is defined by the project's XSLT 1.0 (``xslt/``) applied by lxml to the 2.00
document, so a receiver that wants another layout can take the same style sheets as a start, as
the seed's Appendix C intends. The transforms are compiled once per process and given no access
to files or the network. The hub writes its own HTML deliveries with
:mod:`jdx.exchanges.rapsheets.html_page`, the same page byte for byte without a tree in between
(issue 15: the style sheet's route was too slow for 500 renders/s); text stays on XSLT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Literal

from lxml import etree

from jdx.codecs.xmlform import local_name, parse_xml
from jdx.exchanges.rapsheets import html_page
from jdx.exchanges.rapsheets.model import RapSheet
from jdx.exchanges.rapsheets.summary import with_summary
from jdx.exchanges.rapsheets.transmission import RapSheetFormatError, to_element

Presentation = Literal["html", "text"]
SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"
ENVELOPE_NS = "urn:jdx:chri:envelope:1"
STDRAP = "STDRAP"
XSL_NS = "http://www.w3.org/1999/XSL/Transform"


def _style_sheet(name: str) -> etree._Element:
    source = resources.files("jdx.exchanges.rapsheets").joinpath(f"xslt/{name}")
    return parse_xml(source.read_bytes())


@cache
def _transform(kind: Presentation) -> etree.XSLT:
    """The compiled style sheet: ``rapsheet-{kind}.xsl`` with the templates of
    ``rapsheet-common.xsl`` (dates, SSN, height, durations, code tables) appended, so both
    presentations show a value the same way."""
    sheet = _style_sheet(f"rapsheet-{kind}.xsl")
    common = _style_sheet("rapsheet-common.xsl")
    for template in list(common.iterchildren(f"{{{XSL_NS}}}template")):
        sheet.append(template)
    # A style sheet reads nothing beyond its input: no document(), no xsl:include from disk.
    access = etree.XSLTAccessControl.DENY_ALL
    return etree.XSLT(sheet, access_control=access)


def render(sheet: RapSheet, kind: Presentation, *, as_of: str | None = None) -> str:
    """The sheet in presentation format, with its summary (the conviction counts) computed.

    HTML is written by :mod:`jdx.exchanges.rapsheets.html_page`, the style sheet's page made in
    Python several times faster (its docstring says why, and its test that the page is the
    style sheet's byte for byte); text goes through ``xslt/rapsheet-text.xsl``.
    """
    if sheet.summary is None:
        sheet = with_summary(sheet, as_of=as_of or _today())
    if kind == "html":
        return html_page.render(sheet)
    return render_xslt(sheet, kind)


def render_xslt(sheet: RapSheet, kind: Presentation) -> str:
    """The sheet through the published style sheet ``xslt/rapsheet-{kind}.xsl``, as it is (no
    summary is added): the presentation's definition, which receivers start from."""
    result = _transform(kind)(etree.ElementTree(to_element(sheet)))
    return str(result)


def _today() -> str:
    return datetime.now(UTC).strftime("%Y%m%d")


@dataclass(frozen=True, slots=True)
class EnvelopeHeader:
    """The hub's message key, routing and identification content (seed 2.7)."""

    message_key: str
    originating_id: str
    destination_id: str
    message_id: str
    transaction_type: str = STDRAP
    created_at: datetime | None = None


def write_envelope(sheet: RapSheet, header: EnvelopeHeader, *, as_of: str | None = None) -> bytes:
    """The sheet in transmission format inside a SOAP-style envelope, its summary the last
    record of the body (made here when the sheet has none yet)."""
    if sheet.summary is None:
        sheet = with_summary(sheet, as_of=as_of or _today())
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"env": SOAP_NS, "jdx": ENVELOPE_NS})
    head = etree.SubElement(env, f"{{{SOAP_NS}}}Header")
    routing = etree.SubElement(head, f"{{{ENVELOPE_NS}}}routing")
    created = header.created_at or datetime.now(UTC)
    for tag, value in (
        ("messageKey", header.message_key),
        ("transactionType", header.transaction_type),
        ("originatingId", header.originating_id),
        ("destinationId", header.destination_id),
        ("messageId", header.message_id),
        ("createdAt", created.isoformat()),
    ):
        etree.SubElement(routing, f"{{{ENVELOPE_NS}}}{tag}").text = value
    etree.SubElement(env, f"{{{SOAP_NS}}}Body").append(to_element(sheet))
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def envelope_body(root: etree._Element) -> etree._Element | None:
    """The ``rapSheet`` inside the hub's own delivery envelope (:func:`write_envelope`), or
    ``None`` when ``root`` is not an envelope. An envelope whose body holds anything but one
    rapSheet is refused with :class:`RapSheetFormatError`, never searched for something to show.
    """
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        return None
    bodies = root.findall(f"{{{SOAP_NS}}}Body")
    content = [c for c in bodies[0] if isinstance(c.tag, str)] if len(bodies) == 1 else []
    if len(content) != 1 or local_name(content[0]) != "rapSheet":
        raise RapSheetFormatError("a delivery envelope must hold one Body with one rapSheet in it")
    return content[0]
