"""Presentation (XSLT 1.0 to HTML and text) and the transmission envelope: what a reader sees.

The generic check walks every leaf of ``full_sheet()`` and looks for it in both renderings,
in the form a reader is shown (docs/conformance.md, "Issue 15: presentation"): dates
CCYY-MM-DD, SSN 123-45-6789, heights in feet and inches, ISO durations in words, the
registered-offender flag as Yes/No; codes stay visible next to their words.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import lxml.html
import pytest
from lxml import etree

from jdx.exchanges.rapsheets.model import (
    COURT_ACTIONS,
    CaveatInfo,
    ChargeNote,
    HeightInfo,
    Introduction,
    RapSheet,
    Severity,
    SourceItem,
)
from jdx.exchanges.rapsheets.present import (
    ENVELOPE_NS,
    SOAP_NS,
    EnvelopeHeader,
    render,
    write_envelope,
)
from jdx.exchanges.rapsheets.transmission import from_element, schema
from tests.exchanges.rapsheets.builders import cycle, sheet
from tests.exchanges.rapsheets.full_sheet import full_sheet

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
# The ISO 8601 durations of full_sheet() and the words a reader gets.
DURATIONS = {
    "P2Y6M": "2 years 6 months",
    "P5Y": "5 years",
    "PT40H": "40 hours",
    "P1Y2M10D": "1 year 2 months 10 days",
}
PURPOSES = {"C": "Criminal justice"}
# Digits, not word boundaries: text_content() joins the lines of a <br/> without a space.
EIGHT_DIGIT_DATE = re.compile(
    r"(?<!\d)(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)"
)
SHOWN_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _html_text(html: str) -> str:
    """What a reader sees of the page: the body's text (no CSS, no title)."""
    return _flat(lxml.html.fromstring(html).body.text_content())


def _leaves(value: Any) -> Iterator[tuple[Any, str, Any]]:
    """(owner, field name, value) for every scalar in the sheet."""
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        for one in item if isinstance(item, tuple) else (item,):
            if dataclasses.is_dataclass(one):
                yield from _leaves(one)
            elif one is not None:
                yield value, f.name, one


def _shown(owner: Any, name: str, value: Any) -> list[str]:
    """The forms in which a leaf must appear in both renderings."""
    if isinstance(value, Enum):
        return [str(value.value)]
    if isinstance(value, int):
        return [str(value)]
    if name == "unit":
        return []  # absorbed: heights are shown in feet and inches, weights in lb
    if isinstance(owner, HeightInfo) and name == "height":
        return [f"{owner.inches // 12}'{owner.inches % 12:02d}\""]
    if "date" in name:
        return [f"{value[:4]}-{value[4:6]}-{value[6:]}"]
    if name == "ssns":
        return [f"{value[:3]}-{value[3:5]}-{value[5:]}"]
    if name in ("minimum", "maximum"):
        return [DURATIONS[value]]
    if name == "registered_offender":
        return ["Yes"]
    if name == "action_type":
        return [value, COURT_ACTIONS.get(value, "Code without a meaning")]
    if name == "purpose_code":
        return [value, PURPOSES[value]]
    return [value]


@pytest.fixture(scope="module")
def full() -> RapSheet:
    return full_sheet()


@pytest.fixture(scope="module")
def html(full: RapSheet) -> str:
    return render(full, "html")


@pytest.fixture(scope="module")
def text(full: RapSheet) -> str:
    return render(full, "text")


def test_every_value_of_the_full_sheet_is_shown_in_html_and_text(
    full: RapSheet, html: str, text: str
) -> None:
    seen = {"html": _html_text(html), "text": _flat(text)}
    missing = [
        (kind, type(owner).__name__, name, form)
        for owner, name, value in _leaves(full)
        for form in _shown(owner, name, value)
        for kind, rendered in seen.items()
        if _flat(form) not in rendered
    ]
    assert missing == []


def test_caveats_then_identification_then_cycles_then_summary(html: str, text: str) -> None:
    page = lxml.html.fromstring(html)
    order = [s.get("id") for s in page.iter("section") if s.get("id")]
    assert order == ["caveats", "identification", "history", "agencies", "source", "summary"]
    marks = [
        "CAVEAT (TX)",
        "IDENTIFICATION",
        "\nCRIMINAL HISTORY\n",
        "CYCLE 1",
        "CYCLE 2",
        "AGENCIES",
        "OTHER INFORMATION FROM THE SOURCE\n===",
        "SUMMARY",
    ]
    positions = [text.index(m) for m in marks]
    assert positions == sorted(positions)


def test_no_empty_identification_rows() -> None:
    for rendered in (render(full_sheet(), "html"), render(SHEET, "html", as_of="20240101")):
        rows = lxml.html.fromstring(rendered).xpath("//section[@id='identification']//tr")
        assert rows and all(r.xpath("td")[0].text_content().strip() for r in rows)
    small = lxml.html.fromstring(render(SHEET, "html", as_of="20240101"))
    labels = [th.text_content() for th in small.xpath("//section[@id='identification']//th")]
    assert labels == ["Name", "FBI number", "State id (SID)"]


def test_the_same_dates_in_html_and_text_and_none_as_ccyymmdd(html: str, text: str) -> None:
    shown = _html_text(html)
    assert set(SHOWN_DATE.findall(shown)) == set(SHOWN_DATE.findall(text))
    assert "1999-02-10" in text and "2003-05-05" in text
    assert EIGHT_DIGIT_DATE.findall(shown) == [] and EIGHT_DIGIT_DATE.findall(text) == []


def test_codes_are_decoded_and_kept(html: str, text: str) -> None:
    page = lxml.html.fromstring(html)
    actions = [_flat(a.text_content()) for a in page.xpath("//div[@class='action']")]
    assert actions == [
        "Court action Convicted310",
        "Court action Failure to appear401",
        "Court action Probation revoked501",
        "Court action Code without a meaning in the hub's table999",
    ]
    assert page.xpath("(//div[@class='action'])[1]/small[@class='code']/text()") == ["310"]
    assert "COURT ACTION: Convicted [310]" in text
    assert "purpose: Criminal justice [C]" in _flat(text)
    assert "Felony (class FA: ARREST SEVERITY IN THE STATE'S WORDS)" in _html_text(html)


def test_text_fits_80_columns(text: str) -> None:
    assert max(len(line) for line in text.splitlines()) <= 80


HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_hostile_text_stays_inert() -> None:
    base = full_sheet()
    arrest = base.cycles[1].arrests[0]
    charge = dataclasses.replace(
        arrest.charges[0], description=HOSTILE, notes=(ChargeNote(HOSTILE, HOSTILE),)
    )
    hostile = dataclasses.replace(
        base,
        introduction=Introduction(
            caveats=(CaveatInfo(state="TX", caveat=HOSTILE, authority=HOSTILE),)
        ),
        cycles=(
            base.cycles[0],
            dataclasses.replace(
                base.cycles[1],
                arrests=(dataclasses.replace(arrest, charges=(charge,), subject_name=HOSTILE),),
            ),
        ),
        source_data=(SourceItem(HOSTILE, HOSTILE),),
    )
    html = render(hostile, "html")
    page = lxml.html.fromstring(html)
    assert page.xpath("//script | //img | //*[@onerror]") == []
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE in page.body.text_content()
    assert HOSTILE in render(hostile, "text")  # plain text: shown as written, nothing runs


def test_html_has_the_cycles_and_the_conviction_counts() -> None:
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


def test_text_has_the_conviction_counts() -> None:
    text = render(SHEET, "text", as_of="20240101")
    assert "CYCLE 2: 2005-01-01" in text
    assert re.search(r"^CONVICTIONS +1 +1 +0 +0 +0 +2$", text, re.M)
    assert re.search(r"^ARRESTS +2$", text, re.M)


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


def test_a_malformed_duration_is_shown_as_sent() -> None:
    """A term a responder sent without a unit at its end (not an ISO 8601 duration) once made
    the style sheet recurse without end and the delivery fail; it is shown as sent."""
    base = full_sheet()
    cycle = next(c for c in base.cycles if c.sentencings)
    sentencing = cycle.sentencings[0]
    sentence = sentencing.sentences[0]
    term = dataclasses.replace(sentence.terms[0], minimum="P12", maximum="P1.5")
    odd = dataclasses.replace(
        base,
        cycles=tuple(
            dataclasses.replace(
                c,
                sentencings=(
                    dataclasses.replace(
                        sentencing,
                        sentences=(dataclasses.replace(sentence, terms=(term,)),),
                    ),
                ),
            )
            if c is cycle
            else c
            for c in base.cycles
        ),
    )
    for kind in ("html", "text"):
        page = render(odd, kind)  # type: ignore[arg-type]
        assert "P12" in page and "P1.5" in page
