"""The HTML presentation written from the model in Python: the same page as ``xslt/rapsheet-html.xsl``.

Why two implementations of one presentation. The style sheet is the published presentation:
the participants' kit ships it and receivers start from it (seed Appendix C), so it stays, and
it stays the definition of the page. But the hub renders every HTML delivery itself, and issue
15's goal is 500 renders/s of the fuller records: through libxslt the merged real record
(three Nlets 4.1 samples, 15 cycles, 88 charges, 88 kB of HTML) took about 4.2 ms (model to
2.00 tree 1.0 ms, XSLT 2.3 ms, libxml2's HTML serialiser 0.5 ms, freeing the trees 0.3 ms),
about 200 renders/s per core, and tuning the templates gained 5 to 10 %. Writing the page
straight from the frozen model as a list of strings joined once, with no tree in between, does
the same record several times faster (docs/benchmarks.md, "Issue 15: one page, two renderers").

What keeps the two one presentation is ``tests/exchanges/rapsheets/test_html_page.py``: it
compares this module's page with the style sheet's, byte for byte, for ``full_sheet()``, every
package sample merged, the 75-cycle bench record, hostile text and hypothesis-generated
sheets. A change to either that the other does not follow fails it.

The module is shaped like the style sheet so that a reader can follow both: one function per
template, in the same order and with the same name (``identification`` for
``match="r:identification"``, ``charge`` for ``mode="charge"``, ``when_who`` for
``name="when-who"``...). The rules of XSLT that the page depends on are kept:

- ``xsl:if test="r:x"`` is "the element is there": a field that is not ``None`` (an empty
  string is an element with no text, and still counts); ``fact``'s ``string($value) != ''`` is
  a non-empty text.
- Text in the style sheet that holds more than white space is written as it stands there,
  new line and indentation included ("Requested:\\n        "); white space alone between two
  instructions is dropped.
- The HTML serialiser escapes ``&``, ``<`` and ``>`` in text and nothing else (quotes, a
  carriage return, any non-ASCII character are written as they are); no value ever lands in an
  attribute, so :func:`_e` is the only escaping there is.
- A value the 2.00 document cannot carry (a control character, U+FFFE, a lone surrogate) makes
  the style sheet's route fail when the document is parsed; this one refuses the same sheets
  with :class:`~jdx.exchanges.rapsheets.transmission.RapSheetFormatError`.
- Heights, ISO durations and summary totals outside the plain cases (digits, ``P2Y6M``, counts
  that fit an ``int``) go through the common templates themselves (:func:`_common`), so XPath's
  number rules (``NaN``, ``format-number``, a term with no unit) need no second implementation.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

from jdx.codecs.xmlform import parse_xml
from jdx.exchanges.rapsheets.model import (
    NAMESPACE,
    AgencyInfo,
    ArrestSegment,
    BookingSegment,
    Charge,
    CourtSegment,
    CustodySegment,
    Cycle,
    HeightInfo,
    Identification,
    Introduction,
    JuvenileSegment,
    PostSentenceSegment,
    ProsecutionSegment,
    ProtectionOrder,
    RapSheet,
    SentencingSegment,
    SeverityCounts,
    SourceItem,
    SubjectName,
    Summary,
    SupervisionSegment,
)
from jdx.exchanges.rapsheets.transmission import RapSheetFormatError, _escaped, _text, _writer

XSL_NS = "http://www.w3.org/1999/XSL/Transform"

# --- escaping ----------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """A value as text of the page: what ``xsl:value-of`` of its element writes, escaped as the
    HTML serialiser does (``&``, ``<``, ``>`` only). Most values need nothing: testing first is
    cheaper than replacing (measured against ``html.escape`` and a ``str.translate`` table)."""
    text: str = value if value.__class__ is str else _text(value)
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _o(value: Any) -> str:
    """``xsl:value-of`` of an optional element: nothing when it is not there."""
    return "" if value is None else _e(value)


# What XML 1.0 cannot carry: the 2.00 document of a sheet holding one is never made.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CONTROL = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])

# --- the common templates (rapsheet-common.xsl) ------------------------------------------------


def date(d: str | None) -> str:
    """``date``: CCYYMMDD as CCYY-MM-DD, anything else as sent (an absent date: nothing)."""
    if d is None:
        return ""
    if len(d) == 8:
        d = f"{d[:4]}-{d[4:6]}-{d[6:]}"
    return _e(d)


def ssn(s: str) -> str:
    """``ssn``: 220565860 as 220-56-5860."""
    if len(s) == 9:
        s = f"{s[:3]}-{s[3:5]}-{s[5:]}"
    return _e(s)


_DIGITS = re.compile(r"[0-9]{1,9}")


def height(h: HeightInfo) -> str:
    """``height``: 601 (feet-inches) and 73 (inches) as 6'01"."""
    value = h.height
    if value.__class__ is str and _DIGITS.fullmatch(value):
        number = int(value)
        inches = number if h.unit == "inches" else (number // 100) * 12 + number % 100
        return f"{inches // 12}'{inches % 12:02d}\""
    return _e(_common("height", h))


_DURATION = re.compile(r"P((?:[0-9]+[YMWD])*)(?:T((?:[0-9]+[HMS])*))?")
_DURATION_PART = re.compile(r"([0-9]+)([A-Z])")
_DATE_UNITS = {"Y": "year", "M": "month", "W": "week", "D": "day"}
_TIME_UNITS = {"H": "hour", "M": "minute", "S": "second"}


def duration(d: str) -> str:
    """``duration``: an ISO 8601 duration (P2Y6M) in words, other text as sent."""
    found = _DURATION.fullmatch(d) if len(d) > 2 else None
    if found is None:
        if d.startswith("P") and len(d) > 2:
            return _e(_common("duration", d))  # P1.5Y, PT1HT2M, P12...: as the template does
        return _e(d)
    words = [
        f"{n} {_DATE_UNITS[u]}{'' if n == '1' else 's'}"
        for n, u in _DURATION_PART.findall(found[1])
    ]
    words += [
        f"{n} {_TIME_UNITS[u]}{'' if n == '1' else 's'}"
        for n, u in _DURATION_PART.findall(found[2] or "")
    ]
    return " ".join(words)


COURT_ACTION_WORDS = {
    "310": "Convicted",
    "401": "Failure to appear",
    "501": "Probation revoked",
    "502": "Parole revoked",
    "503": "Conditional release revoked",
    "504": "Other supervision revoked",
}
PURPOSE_WORDS = {
    "A": "Administrative file maintenance",
    "C": "Criminal justice",
    "D": "Domestic violence and stalking, civil and criminal court cases",
    "F": "Firearms-related background checks",
    "H": "Public housing background checks",
    "I": "Interstate approved non-criminal justice licensing and employment background checks",
    "J": "Criminal justice employment background checks",
    "S": "National security background checks",
    "V": "Visa applications initiated by the US Department of State",
    "X": "Caregiver background checks, exigent circumstances",
}
IFFS_WORDS = {"D": "Disqualified (IFFS)", "F": "Felony flag (FIFS)"}


def court_action_words(c: str) -> str:
    return COURT_ACTION_WORDS.get(c, "Code without a meaning in the hub's table")


def yes_no(b: str) -> str:
    if b in ("true", "1"):
        return "Yes"
    if b in ("false", "0"):
        return "No"
    return _e(b)


def agency(ori: str | None, name: str | None) -> str:
    """``agency``: "NAME (ORI)", or whichever of the two was sent."""
    if name is not None and ori is not None:
        return f"{_e(name)} ({_e(ori)})"
    return f"{_o(name)}{_o(ori)}"


def name(n: SubjectName) -> str:
    """``name``: "LAST, FIRST MIDDLE SUFFIX"."""
    rest = [f" {_e(v)}" for v in (n.first, n.middle, n.suffix) if v is not None]
    return f"{_o(n.last)}{',' if rest else ''}{''.join(rest)}"


def protection_order(p: ProtectionOrder) -> str:
    out = [_o(p.order_type) if p.order_type is not None else "Order"]
    if p.order_number is not None:
        out.append(f" {_e(p.order_number)}")
    if p.issued_date is not None:
        out.append(f", issued {date(p.issued_date)}")
    if p.issuing_court is not None:
        out.append(f" by {_e(p.issuing_court)}")
    if p.case_number is not None:
        out.append(f" (case {_e(p.case_number)})")
    if p.service is not None:
        out.append(f"; {_e(p.service)}")
    if p.served_date is not None:
        out.append(f" {date(p.served_date)}")
    if p.expiration_date is not None:
        out.append(f"; expires {date(p.expiration_date)}")
    if p.description is not None:
        out.append(f"; {_e(p.description)}")
    return "".join(out)


# --- the page (match="/r:rapSheet") --------------------------------------------------------------


def render(sheet: RapSheet) -> str:
    """The sheet as the HTML page of ``xslt/rapsheet-html.xsl``, with the summary it holds
    (``present.render`` computes one first when it has none)."""
    ident = sheet.identification
    who = name(ident.names[0]) if ident is not None and ident.names else ""
    out = [_head(), who, "</title><style>", _css(), _BODY, who]
    append = out.append
    if ident is not None and ident.fbi_number is not None:
        append(f" · FBI {_e(ident.fbi_number)}")
    append("</th></tr></thead><tbody><tr><td><h1>Criminal history record</h1>")
    if sheet.introduction is not None:
        introduction(out, sheet.introduction)
    if ident is not None:
        identification(out, ident)
    append('<section id="history"><h2>Criminal history</h2>')
    if not sheet.cycles:
        append("<p>No criminal justice events reported.</p>")
    for position, item in enumerate(sheet.cycles, 1):
        cycle(out, item, position)
    append("</section>")
    if sheet.agencies:
        append('<section id="agencies"><h2>Agencies</h2><table class="agencies">')
        for info in sheet.agencies:
            agency_info(out, info)
        append("</table></section>")
    if sheet.source_data:
        append('<section id="source"><h2>Other information from the source</h2>')
        source(out, sheet.source_data)
        append("</section>")
    if sheet.summary is not None:
        summary(out, sheet.summary)
    append("</td></tr></tbody></table></body></html>\n")
    page = "".join(out)
    _refuse_what_xml_cannot_carry(page)
    return page


def _refuse_what_xml_cannot_carry(page: str) -> None:
    """Refuse the sheets whose 2.00 document libxml2 would not parse, so the style sheet's
    route would fail: a C0 control character, U+FFFE, U+FFFF, a lone surrogate. Deleting the
    control bytes from the UTF-8 page and comparing lengths costs a third of a regular
    expression over the page (which was a quarter of a render)."""
    data = page.encode()  # a lone surrogate: UnicodeEncodeError, a ValueError, as to_element
    if len(data.translate(None, _CONTROL)) != len(data) or "\ufffe" in page or "\uffff" in page:
        bad = _NOT_XML.search(page)
        code = ord(bad[0]) if bad is not None else 0
        raise RapSheetFormatError(f"the sheet holds U+{code:04X}, a character XML 1.0 cannot carry")


def _head() -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head>'
        '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Criminal history record: "
    )


_BODY = '</style></head><body><table class="layout"><thead><tr><th>Criminal history record · '


@cache
def _css() -> str:
    """The ``$css`` variable of the style sheet itself: one style for both renderers."""
    found = _style_sheet("rapsheet-html.xsl").find(f"{{{XSL_NS}}}variable[@name='css']")
    if found is None or found.text is None:
        raise LookupError("rapsheet-html.xsl has no $css variable")
    css: str = found.text
    return css


# --- introduction --------------------------------------------------------------------------------


def introduction(out: list[str], intro: Introduction) -> None:
    append = out.append
    if intro.caveats:
        append('<section id="caveats" class="caveats">')
        for c in intro.caveats:
            state = f" ({_e(c.state)})" if c.state is not None else ""
            append(f'<p class="caveat"><strong>Caveat{state}:</strong> {_o(c.caveat)}')
            if c.index is not None:
                append(f"Fixed caveat {_e(c.index)}")
            if c.authority is not None or c.date is not None:
                both = ", " if c.authority is not None and c.date is not None else ""
                append(f'<span class="when"> — {_o(c.authority)}{both}{date(c.date)}</span>')
            append("</p>")
        append("</section>")
    for r in intro.requests:
        append('<p class="request">Requested:\n        ')
        if r.name is not None:
            append(f" {_e(r.name)}")
        if r.fbi_number is not None:
            append(f" · FBI {_e(r.fbi_number)}")
        if r.sid_number is not None:
            append(f" · SID {_e(r.sid_number)}")
        if r.purpose_code is not None:
            words = PURPOSE_WORDS.get(r.purpose_code, "")
            append(f' · purpose: {words}<small class="code">{_e(r.purpose_code)}</small>')
        if r.attention is not None:
            append(f" · attention {_e(r.attention)}")
        append("</p>")


# --- identification ------------------------------------------------------------------------------


def _row(out: list[str], label: str, cells: str, cls: str = "") -> None:
    out.append(f"<tr><th>{label}</th><td{cls}>{cells}</td></tr>")


def _list(items: tuple[Any, ...]) -> str:
    """``list``: the values, comma-separated."""
    return ", ".join([_e(i) for i in items])


def _dates(items: tuple[str, ...]) -> str:
    return ", ".join([date(i) for i in items])


def reported(d: str | None) -> str:
    return "" if d is None else f'<span class="when"> (reported {date(d)})</span>'


def by_state(state: str | None, d: str | None) -> str:
    if state is None and d is None:
        return ""
    both = ", " if state is not None and d is not None else ""
    return f'<span class="when"> ({_o(state)}{both}{date(d)})</span>'


def holding(h: Any, smt: bool = False) -> str:
    """``holding``: who holds palm prints, a photo, DNA or an SMT image, in what format."""
    out = ['<span class="when">', " — " if smt else "", agency(h.agency_ori, h.agency_name)]
    if h.format is not None:
        out.append(f"; format {_e(h.format)}")
    if h.link is not None:
        out.append(f"; how to obtain: {_e(h.link)}")
    if h.date is not None:
        out.append(f"; {date(h.date)}")
    out.append("</span>")
    return "".join(out)


def source(out: list[str], items: tuple[SourceItem, ...]) -> None:
    out.append('<dl class="source">')
    out += [f"<dt>{_o(i.path)}</dt><dd>{_o(i.value)}</dd>" for i in items]
    out.append("</dl>")


def identification(out: list[str], i: Identification) -> None:
    append = out.append
    append('<section id="identification"><h2>Identification</h2><table class="ident">')
    _row(out, "Name", name(i.names[0]) if i.names else "")
    if len(i.names) > 1:
        _row(out, "Also known as", "<br>".join([name(n) for n in i.names[1:]]))
    if i.fbi_number is not None:
        _row(out, "FBI number", _e(i.fbi_number))
    if i.sid_numbers:
        _row(out, "State id (SID)", _list(i.sid_numbers))
    if i.ssns:
        _row(out, "Social security number", ", ".join([ssn(s) for s in i.ssns]))
    if i.drivers_licenses:
        cells = ", ".join([f"{_o(d.number)} ({_o(d.state)})" for d in i.drivers_licenses])
        _row(out, "Driver's license", cells)
    if i.birthdates:
        _row(out, "Date of birth", _dates(i.birthdates))
    if i.sexes:
        _row(out, "Sex", _list(i.sexes))
    if i.races:
        _row(out, "Race", _list(i.races))
    if i.ethnicities:
        _row(out, "Ethnicity", _list(i.ethnicities))
    if i.heights:
        _row(out, "Height", "<br>".join([height(h) + reported(h.date) for h in i.heights]))
    if i.weights:
        cells = "<br>".join([f"{_o(w.weight)} lb{reported(w.date)}" for w in i.weights])
        _row(out, "Weight", cells)
    if i.eye_colors:
        cells = "<br>".join([_o(c.eye_color) + reported(c.date) for c in i.eye_colors])
        _row(out, "Eyes", cells)
    if i.hair_colors:
        cells = "<br>".join([_o(c.hair_color) + reported(c.date) for c in i.hair_colors])
        _row(out, "Hair", cells)
    if i.skin_tones:
        _row(out, "Skin tone", _list(i.skin_tones))
    if i.blood_types:
        _row(out, "Blood type", _list(i.blood_types))
    if i.marital_statuses:
        _row(out, "Marital status", _list(i.marital_statuses))
    if i.birthplaces:
        _row(out, "Place of birth", _list(i.birthplaces))
    if i.citizenships:
        _row(out, "Citizenship", _list(i.citizenships))
    if i.fp_pattern_classes:
        _row(out, "Fingerprint class", _list(i.fp_pattern_classes))
    if i.smts:
        cells = "<br>".join(
            [
                _o(s.smt)
                + (f"NCIC code {_e(s.code)}" if s.code is not None else "")
                + holding(s, s.smt is not None or s.code is not None)
                for s in i.smts
            ]
        )
        _row(out, "Scars, marks, tattoos", cells)
    if i.palm_prints:
        _row(out, "Palm prints held by", "<br>".join([holding(h) for h in i.palm_prints]))
    if i.photos:
        _row(out, "Photo held by", "<br>".join([holding(h) for h in i.photos]))
    if i.dna:
        _row(out, "DNA held by", "<br>".join([holding(h) for h in i.dna]))
    if i.residences:
        cells = "<br>".join([_o(r.address) + reported(r.date) for r in i.residences])
        _row(out, "Residence", cells)
    if i.employments:
        cells = "<br>".join(
            [
                _o(e.occupation)
                + (", " if e.occupation is not None and e.employer is not None else "")
                + _o(e.employer)
                + reported(e.date)
                for e in i.employments
            ]
        )
        _row(out, "Employment", cells)
    if i.cautions:
        cells = "<br>".join([_o(c.caution) + by_state(c.state, c.date) for c in i.cautions])
        _row(out, "Caution", cells, ' class="flag"')
    if i.iffs_disqualified is not None:
        _row(out, "Firearm sales (IFFS)", _iffs(i.iffs_disqualified))
    if i.offender_notices:
        cells = "<br>".join(
            [
                _o(n.offender_notice)
                + (f"Fixed notice {_e(n.index)}" if n.index is not None else "")
                + by_state(n.state, None)
                for n in i.offender_notices
            ]
        )
        _row(out, "Offender notice", cells)
    if i.registered_offender is not None:
        _row(out, "Registered offender", yes_no(i.registered_offender))
    if i.death_dates:
        _row(out, "Date of death", _dates(i.death_dates))
    if i.protection_orders:
        cells = "<br>".join([protection_order(p) for p in i.protection_orders])
        _row(out, "Protection order", cells, ' class="flag"')
    if i.comments:
        cells = "<br>".join([_o(c.comment) + by_state(c.state, None) for c in i.comments])
        _row(out, "Comments", cells)
    if i.correctional_numbers:
        cells = ", ".join(
            [
                _o(c.number) + (f" ({_e(c.state)})" if c.state is not None else "")
                for c in i.correctional_numbers
            ]
        )
        _row(out, "Correctional number", cells)
    if i.misc_ids:
        cells = "<br>".join(
            [(f"{_e(m.type)}: " if m.type is not None else "") + _o(m.number) for m in i.misc_ids]
        )
        _row(out, "Other identifiers", cells)
    if i.source_data:
        append('<tr><th>Other information from the source</th><td class="source">')
        source(out, i.source_data)
        append("</td></tr>")
    append("</table></section>")


def _iffs(c: str) -> str:
    return f'{IFFS_WORDS.get(c, "")}<small class="code">{_e(c)}</small>'


# --- cycles --------------------------------------------------------------------------------------


def cycle(out: list[str], c: Cycle, position: int) -> None:
    append = out.append
    tcn = c.tracking_number
    append(
        f'<article class="cycle"><h3>Cycle {position}: {date(c.earliest_date)}'
        + (f'<span class="tcn">tracking number (OTN) {_e(tcn)}</span>' if tcn is not None else "")
        + "</h3>"
    )
    for cav in c.caveats:
        append(f'<p class="caveats"><strong>Cycle caveat:</strong> {_o(cav.caveat)}')
        if cav.authority is not None or cav.date is not None:
            both = ", " if cav.authority is not None and cav.date is not None else ""
            append(f'<span class="when"> — {_o(cav.authority)}{both}{date(cav.date)}</span>')
        append("</p>")
    # apply-templates over the segments in document order: the model's field order.
    for a in c.arrests:
        arrest_segment(out, a)
    for b in c.bookings:
        booking_segment(out, b)
    for j in c.juvenile:
        juvenile_or_prosecution_segment(out, j, "Juvenile")
    for p in c.prosecutions:
        juvenile_or_prosecution_segment(out, p, "Prosecution")
    for court in c.courts:
        court_segment(out, court)
    for s in c.sentencings:
        sentencing_segment(out, s)
    for cu in c.custody:
        custody_or_supervision_segment(out, cu, "Custody")
    for su in c.supervision:
        custody_or_supervision_segment(out, su, "Supervision")
    for ps in c.post_sentence:
        post_sentence_segment(out, ps)
    if c.source_data:
        append("<h4>Other information from the source</h4>")
        source(out, c.source_data)
    append("</article>")


def fact(label: str, value: Any) -> str:
    """``fact``: a labelled value, when it has text."""
    if value is None or value == "":
        return ""
    return f"<span><b>{label}</b> {_e(value)}</span>"


def when_who(d: str | None, ori: str | None, name_: str | None) -> str:
    return f"<span><b>Date</b> {date(d)}</span><span><b>Agency</b> {agency(ori, name_)}</span>"


def arrest_segment(out: list[str], s: ArrestSegment) -> None:
    out.append(
        '<section class="seg"><h4>Arrest</h4><p class="facts">'
        + when_who(s.date, s.agency_ori, s.agency_name)
        + fact("Arrest number", s.case_number)
        + fact("Name used", s.subject_name)
        + "</p>"
    )
    charges(out, s.charges)
    out.append("</section>")


def booking_segment(out: list[str], s: BookingSegment) -> None:
    out.append(
        '<section class="seg"><h4>Booking</h4><p class="facts">'
        + when_who(s.date, s.agency_ori, s.agency_name)
        + fact("Booking number", s.booking_number)
        + fact("Name used", s.subject_name)
        + "</p></section>"
    )


def juvenile_or_prosecution_segment(
    out: list[str], s: JuvenileSegment | ProsecutionSegment, heading: str
) -> None:
    out.append(
        f'<section class="seg"><h4>{heading}</h4><p class="facts">'
        + when_who(s.date, s.agency_ori, s.agency_name)
        + fact("Case number", s.case_number)
        + "</p>"
    )
    charges(out, s.charges)
    out.append("</section>")


def court_segment(out: list[str], s: CourtSegment) -> None:
    out.append(
        '<section class="seg"><h4>Court</h4><p class="facts">'
        + when_who(s.date, s.court_ori, s.court_name)
        + fact("Case number", s.case_number)
        + "".join([f"<span><b>Status</b> {_e(x)}</span>" for x in s.case_status])
        + "</p>"
    )
    charges(out, s.charges)
    out.append("</section>")


def sentencing_segment(out: list[str], s: SentencingSegment) -> None:
    append = out.append
    append(
        '<section class="seg"><h4>Sentencing</h4><p class="facts">'
        + when_who(s.date, s.court_ori, s.court_name)
        + fact("Case number", s.case_number)
        + "</p>"
    )
    for x in s.sentences:
        desc = f": {_e(x.description)}" if x.description is not None else ""
        when = f'<span class="when"> ({date(x.date)})</span>' if x.date is not None else ""
        append(
            f'<div class="charge sentence"><div><span class="desc">Sentence{desc}</span>{when}</div>'
        )
        for t in x.terms:
            append("<div><b>Term" + (f": {_e(t.kind)}" if t.kind is not None else "") + "</b>")
            if t.minimum is not None:
                append(f" minimum {duration(t.minimum)}")
            if t.minimum is not None and t.maximum is not None:
                append(",")
            if t.maximum is not None:
                append(f" maximum {duration(t.maximum)}")
            if t.description is not None:
                append(f" — {_e(t.description)}")
            append("</div>")
        if x.fine is not None:
            append(f"<div><b>Fine</b> {_e(x.fine)}</div>")
        if x.court_cost is not None:
            append(f"<div><b>Court costs</b> {_e(x.court_cost)}</div>")
        for cond in x.conditions:
            append(f"<div><b>Condition</b> {_e(cond)}</div>")
        if x.charges:
            append("<div><b>For the charges</b></div>")
            charges(out, x.charges)
        append("</div>")
    append("</section>")


def custody_or_supervision_segment(
    out: list[str], s: CustodySegment | SupervisionSegment, heading: str
) -> None:
    parts = [
        f'<section class="seg"><h4>{heading}</h4><p class="facts">',
        when_who(s.date, s.agency_ori, s.agency_name),
        fact("Status", s.status),
    ]
    if isinstance(s, CustodySegment):
        if s.release_date is not None:
            parts.append(f"<span><b>Released</b> {date(s.release_date)}</span>")
    elif s.end_date is not None:
        parts.append(f"<span><b>Ends</b> {date(s.end_date)}</span>")
    parts.append(fact("Offense", s.offense))
    parts += [f"<span><b>Case number</b> {_e(n)}</span>" for n in s.case_numbers]
    parts.append("</p>")
    out.append("".join(parts))
    charges(out, s.charges)
    out.append("</section>")


def post_sentence_segment(out: list[str], s: PostSentenceSegment) -> None:
    out.append(
        '<section class="seg"><h4>Post-sentence</h4><p class="facts">'
        + when_who(s.date, s.agency_ori, s.agency_name)
        + fact("Event", s.event)
        + fact("Details", s.description)
        + "</p></section>"
    )


# --- a charge, the same shape at every stage -----------------------------------------------------


def charges(out: list[str], items: tuple[Charge, ...]) -> None:
    if items:
        out.append('<ul class="charges">')
        for c in items:
            charge(out, c)
        out.append("</ul>")


def charge(out: list[str], c: Charge) -> None:
    """``mode="charge"``: runs once per charge, the hottest function of a long record."""
    e = _e
    sequence = f"<b>Charge {e(c.sequence)}: </b>" if c.sequence is not None else ""
    severity = "" if c.severity is None else e(c.severity)
    if c.severity_class is not None:
        text = f": {e(c.severity_text)}" if c.severity_text is not None else ""
        severity += f" (class {e(c.severity_class)}{text})"
    elif c.severity_text is not None:
        severity += f" ({e(c.severity_text)})"
    parts = [
        f'<li class="charge"><div>{sequence}<span class="desc">{_o(c.description)}</span>'
        f'<span class="sev">{severity}</span>'
    ]
    append = parts.append
    if c.counts is not None:
        append(f'<span class="when"> · {e(c.counts)} count{_plural(c.counts)}</span>')
    append("</div>")
    action = getattr(c, "action_type", None)
    if action is not None:
        append(
            f'<div class="action"><b>Court action</b> {court_action_words(action)}'
            f'<small class="code">{e(action)}</small></div>'
        )
    for n in c.notes:
        append(f'<div class="note"><b>{_o(n.kind)}</b> {_o(n.text)}</div>')
    for st in c.statutes:
        append(f'<div class="statute"><b>Statute</b> {_o(st.code)}')
        if st.jurisdiction is not None:
            append(f" ({e(st.jurisdiction)})")
        if st.text is not None:
            append(f" — {e(st.text)}")
        if st.offense_code is not None:
            append(f'<span class="when"> · offense code {e(st.offense_code)}</span>')
        if st.offense_id is not None:
            append(f'<span class="when"> · offense id {e(st.offense_id)}</span>')
        append("</div>")
    if c.ncic_code is not None or c.ncic_texts:
        append(f"<div><b>NCIC offense</b> {_o(c.ncic_code)}")
        first = c.ncic_code is None
        for t in c.ncic_texts:
            append(f"{e(t)}" if first else f" — {e(t)}")
            first = False
        append("</div>")
    for d in c.dispositions:
        when = f"{date(d.date)}: " if d.date is not None else ""
        detail = f" — {e(d.detail)}" if d.detail is not None else ""
        append(f'<div class="disp"><b>Disposition</b> {when}{_o(d.text)}{detail}</div>')
    sentence = getattr(c, "sentence", None)
    if sentence is not None:
        append(f"<div><b>Sentence</b> {e(sentence)}</div>")
    ident, tracking, record = c.identifier, c.tracking_number, c.agency_record
    if ident is not None or tracking is not None or record is not None:
        append('<div class="ids">')
        if ident is not None:
            append(f"Charge id {e(ident)}")
        if tracking is not None:
            append(f"{' · ' if ident is not None else ''}Charge tracking number {e(tracking)}")
        if record is not None:
            sep = " · " if ident is not None or tracking is not None else ""
            append(f"{sep}Agency record number {e(record)}")
        append("</div>")
    append("</li>")
    out.append("".join(parts))


def _plural(counts: Any) -> str:
    """``<xsl:if test=". != 1">s</xsl:if>``: a number comparison of the element's text."""
    if counts.__class__ is int:
        return "" if counts == 1 else "s"
    return "s" if _xpath_number(str(counts)) != 1 else ""


# --- agencies, summary ---------------------------------------------------------------------------


def agency_info(out: list[str], a: AgencyInfo) -> None:
    parts = [f"<tr><th>{_o(a.agency_ori)}</th><td>{_o(a.agency_name)}"]
    if a.address is not None:
        parts.append(f"<br>{_e(a.address)}")
    if a.phone is not None:
        parts.append(f"<br>Phone {_e(a.phone)}")
    if a.fax is not None:
        parts.append(f"<br>Fax {_e(a.fax)}")
    if a.internet is not None:
        parts.append(f"<br>{_e(a.internet)}")
    parts.append("</td></tr>")
    out.append("".join(parts))


_SUMMARY_HEAD = (
    '<section id="summary"><h2>Summary</h2><table class="summary"><tr><th></th><th>Felony</th>'
    "<th>Misdemeanor</th><th>Local ordinance</th><th>Other</th><th>Unknown</th><th>Total</th></tr>"
)


def _counts_row(label: str, c: SeverityCounts) -> str:
    values = (c.felony, c.misdemeanor, c.local_ordinance, c.other, c.unknown)
    cells = "".join([f"<td>{_o(v)}</td>" for v in values])
    return f"<tr><th>{label}</th>{cells}<td>{_total(values)}</td></tr>"


_INT_MAX = 2**31 - 1


def _total(values: tuple[Any, ...]) -> str:
    """``r:felony + r:misdemeanor + ...``: an XPath sum of the elements' text (a number, and
    how libxml2 writes one, only worked out here for the plain case of small integers)."""
    if all(v.__class__ is int for v in values):
        total = sum(values)
        if -_INT_MAX < total < _INT_MAX:
            return str(total)
    return _e(_xpath_sum(tuple(values)))


def summary(out: list[str], s: Summary) -> None:
    append = out.append
    append(_SUMMARY_HEAD)
    if s.total_charges is not None:
        append(_counts_row("Charges", s.total_charges))
    if s.total_convictions is not None:
        append(_counts_row("Convictions", s.total_convictions))
    append(
        '</table><table class="ident">'
        f"<tr><th>Arrests</th><td>{_o(s.total_arrests)}</td></tr>"
        f"<tr><th>Failures to appear</th><td>{_o(s.total_failures_to_appear)}</td></tr>"
        f"<tr><th>Revocations</th><td>{_o(s.total_revocations)}</td></tr>"
    )
    if s.first_event_date is not None:
        append(f"<tr><th>First event</th><td>{date(s.first_event_date)}</td></tr>")
    if s.last_event_date is not None:
        append(f"<tr><th>Last event</th><td>{date(s.last_event_date)}</td></tr>")
    if s.iffs_disqualified is not None:
        _row(out, "Firearm sales (IFFS)", _iffs(s.iffs_disqualified))
    if s.cautions:
        cells = "<br>".join([_o(c.caution) + by_state(None, c.date) for c in s.cautions])
        _row(out, "Cautions", cells, ' class="flag"')
    if s.unknown_severity_codes:
        _row(
            out,
            "Unknown severity codes",
            f"counted as Unknown: {_list(s.unknown_severity_codes)}",
            ' class="flag"',
        )
    append("</table></section>")


# --- the style sheets' own rules, for the values outside the plain cases -------------------------


def _style_sheet(name_: str) -> etree._Element:
    data = resources.files("jdx.exchanges.rapsheets").joinpath(f"xslt/{name_}").read_bytes()
    return parse_xml(data)


_FRAGMENTS = f"""<xsl:stylesheet version="1.0" xmlns:xsl="{XSL_NS}" xmlns:r="{NAMESPACE}">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:template match="/r:heightInfo"><xsl:call-template name="height"/></xsl:template>
  <xsl:template match="/r:duration">
    <xsl:call-template name="duration"><xsl:with-param name="d" select="."/></xsl:call-template>
  </xsl:template>
</xsl:stylesheet>"""


@cache
def _fragments() -> etree.XSLT:
    """A text style sheet that applies one template of ``rapsheet-common.xsl`` to one value."""
    sheet = parse_xml(_FRAGMENTS.encode())
    for template in _style_sheet("rapsheet-common.xsl").iterchildren(f"{{{XSL_NS}}}template"):
        sheet.append(template)
    return etree.XSLT(sheet, access_control=etree.XSLTAccessControl.DENY_ALL)


def _common(template: str, value: Any) -> str:
    """What the common template ``height`` (of a HeightInfo) or ``duration`` (of a text) of
    the style sheet writes: XPath numbers and recursion as libxslt runs them, errors included."""
    if template == "height":
        tag, inner = "heightInfo", [""]
        _writer(HeightInfo)(inner, value)
    else:
        tag, inner = "duration", [_escaped(value)]
    data = f'<{tag} xmlns="{NAMESPACE}">{"".join(inner)}</{tag}>'
    document = etree.fromstring(data.encode())
    return str(_fragments()(etree.ElementTree(document)))


@cache
def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression)


def _xpath_number(text: str) -> float:
    result: float = _xpath("number($t)")(_EMPTY, t=text)
    return result


def _xpath_sum(values: tuple[Any, ...]) -> str:
    names = [f"$v{i}" for i in range(len(values))]
    variables = {f"v{i}": str(v) for i, v in enumerate(values)}
    result: str = _xpath(f"string({' + '.join(names)})")(_EMPTY, **variables)
    return result


_EMPTY = etree.Element("empty")
