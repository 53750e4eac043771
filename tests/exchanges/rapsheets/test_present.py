"""Presentation (XSLT 1.0 to HTML and text) and the transmission envelope."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from jdx.exchanges.rapsheets.model import Severity
from jdx.exchanges.rapsheets.present import (
    ENVELOPE_NS,
    SOAP_NS,
    EnvelopeHeader,
    render,
    write_envelope,
)
from jdx.exchanges.rapsheets.transmission import from_element, schema
from tests.exchanges.rapsheets.builders import cycle, sheet

F, M = Severity.FELONY, Severity.MISDEMEANOR
SHEET = sheet(
    "TX",
    "TX1",
    caveat="<script>alert(1)</script>",
    cycles=(
        cycle("19990101", actions=((F, "310"), (M, "310"))),
        cycle("20050101", charges=(("DUI", M, None),), actions=((M, "401"),)),
    ),
)


def test_html_has_the_cycles_and_the_conviction_counts_and_escapes_text() -> None:
    html = render(SHEET, "html", as_of="20240101")
    page = etree.fromstring(html.encode(), etree.HTMLParser())
    assert len(page.findall(".//article[@class='cycle']")) == 2
    rows = {
        r.findtext("th"): [td.text for td in r.findall("td")]
        for r in page.iterfind(".//table[@class='summary']/tr")
    }
    assert rows["Convictions"] == ["1", "1", "0", "0", "0", "2"]
    facts = {
        r.findtext("th"): r.findtext("td")
        for r in page.iterfind(".//section[@id='summary']/table[@class='ident']/tr")
    }
    assert facts["Failures to appear"] == "1"
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_text_has_the_conviction_counts() -> None:
    text = render(SHEET, "text", as_of="20240101")
    assert "CYCLE 2 20050101" in text
    assert "CONVICTIONS: FELONY 1 MISDEMEANOR 1 LOCAL ORDINANCE 0 OTHER 0 UNKNOWN 0" in text
    assert "TOTAL ARRESTS: 2" in text


def test_envelope_header_and_summary_last() -> None:
    header = EnvelopeHeader(
        "KEY1", "NLETSHUB0", "CA0190000", "MSG1", created_at=datetime(2024, 1, 1, tzinfo=UTC)
    )
    env = etree.fromstring(write_envelope(SHEET, header, as_of="20240101"))
    routing = env.find(f"{{{SOAP_NS}}}Header/{{{ENVELOPE_NS}}}routing")
    assert routing is not None
    values = {etree.QName(e).localname: e.text for e in routing}
    assert values == {
        "messageKey": "KEY1",
        "transactionType": "STDRAP",
        "originatingId": "NLETSHUB0",
        "destinationId": "CA0190000",
        "messageId": "MSG1",
        "createdAt": "2024-01-01T00:00:00+00:00",
    }
    body = env.find(f"{{{SOAP_NS}}}Body")
    assert body is not None
    rap = body[0]
    assert schema().validate(rap)
    assert etree.QName(rap[-1]).localname == "summary"
    assert from_element(rap).summary is not None
