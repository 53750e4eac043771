"""One HTML presentation, two renderers: ``html_page.render`` is the style sheet's page, byte for
byte (``present.render_xslt``: ``xslt/rapsheet-html.xsl`` through libxslt and libxml2's HTML
serialiser). No normalisation: the strings are compared as they are.

The records are the ones the presentation is written for (``full_sheet()``, every package
sample, their merge, the 75-cycle bench record), hostile text, and generated sheets: the merge
property tests' portions, and sheets in which every field of every model class is drawn from
values that reach each branch of the templates (dates of eight characters and not, heights and
durations XPath has to make sense of, codes with and without words, markup, quotes, carriage
returns, non-ASCII). Where the style sheet's route fails (a value XML cannot carry), this one
must fail too.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from enum import Enum
from functools import cache
from importlib import resources
from typing import Any

import pytest
from bench.rapsheets import portion
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jdx.exchanges.rapsheets import html_page
from jdx.exchanges.rapsheets.merge import merge_rap_sheets
from jdx.exchanges.rapsheets.model import (
    ArrestSegment,
    CaveatInfo,
    Charge,
    ChargeNote,
    CourtCharge,
    CourtSegment,
    Cycle,
    HeightInfo,
    Identification,
    Introduction,
    RapSheet,
    Sentence,
    SentenceTerm,
    SentencingSegment,
    Severity,
    SeverityCounts,
    SourceItem,
    SubjectName,
    Summary,
)
from jdx.exchanges.rapsheets.portions import read_portion
from jdx.exchanges.rapsheets.present import render, render_xslt
from jdx.exchanges.rapsheets.summary import with_summary
from tests.exchanges.rapsheets.full_sheet import full_sheet
from tests.exchanges.rapsheets.test_properties import AS_OF, portions

SAMPLES = resources.files("jdx.exchanges.rapsheets").joinpath("samples")
SAMPLE_NAMES = sorted(p.name for p in SAMPLES.iterdir() if p.name.endswith(".xml"))
REAL = ("nlets41-state-full.xml", "nlets41-state-nc.xml", "nlets41-fbi.xml")


def assert_same_page(sheet: RapSheet) -> None:
    """The Python page is the style sheet's page, or both refuse the sheet."""
    try:
        expected = render_xslt(sheet, "html")
    except Exception:
        with pytest.raises(Exception):  # noqa: B017 - the same refusal, in its own words
            html_page.render(sheet)
        return
    actual = html_page.render(sheet)
    if actual != expected:
        at = next(
            (i for i, (a, b) in enumerate(zip(actual, expected, strict=False)) if a != b),
            min(len(actual), len(expected)),
        )
        pytest.fail(
            f"pages differ at {at}:\n xslt:   {expected[at - 120 : at + 120]!r}\n"
            f" python: {actual[at - 120 : at + 120]!r}"
        )


def summarised(sheet: RapSheet) -> RapSheet:
    return with_summary(sheet, as_of=AS_OF)


def _sample(name: str) -> RapSheet:
    read = read_portion(SAMPLES.joinpath(name).read_bytes())
    assert isinstance(read, RapSheet)
    return read


# --- the records ---------------------------------------------------------------------------


def test_full_sheet() -> None:
    assert_same_page(summarised(full_sheet()))


def test_full_sheet_without_a_summary() -> None:
    assert_same_page(full_sheet())


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_sample(name: str) -> None:
    assert_same_page(summarised(_sample(name)))


def test_the_merged_real_record() -> None:
    merged = summarised(merge_rap_sheets([_sample(n) for n in REAL], as_of=AS_OF))
    assert len(merged.cycles) == 15
    assert_same_page(merged)


def test_the_75_cycle_bench_record() -> None:
    merged = summarised(merge_rap_sheets([portion(i) for i in range(3)], as_of=AS_OF))
    assert len(merged.cycles) == 75
    assert_same_page(merged)


def test_an_empty_sheet() -> None:
    assert_same_page(RapSheet())
    assert_same_page(summarised(RapSheet()))
    assert_same_page(RapSheet(introduction=None, identification=None))  # type: ignore[arg-type]


def test_present_render_writes_html_in_python_and_text_by_xslt() -> None:
    sheet = dataclasses.replace(full_sheet(), summary=None)
    html = render(sheet, "html", as_of=AS_OF)
    assert html == render_xslt(summarised(sheet), "html")
    assert render(sheet, "text", as_of=AS_OF) == render_xslt(summarised(sheet), "text")


# --- hostile text --------------------------------------------------------------------------

HOSTILE = (
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "AT&T & SONS &amp; &#65; &{x}",
    "\"double\" and 'single' quotes",
    "]]> --> <!-- <![CDATA[",
    "line one\r\nline two\rthree\n\tfour  ",
    "\xa0non-breaking\x85\x7f\u2028\ufffd€ é 😀",
    "   ",
    "",
)


def _everywhere(sheet: RapSheet, text: str) -> RapSheet:
    """``sheet`` with ``text`` in every string of the model (codes, dates and numbers too)."""

    def replace(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {f.name: replace(getattr(value, f.name)) for f in dataclasses.fields(value)}
            return dataclasses.replace(value, **changes)
        if isinstance(value, tuple):
            return tuple(replace(v) for v in value)
        if isinstance(value, str) and not isinstance(value, Enum):
            return text
        return value

    result: RapSheet = replace(sheet)
    return result


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_every_field(text: str) -> None:
    assert_same_page(_everywhere(summarised(full_sheet()), text))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_next_to_plain_values(text: str) -> None:
    sheet = summarised(full_sheet())
    caveat = CaveatInfo(state=text, caveat=text, authority=text, date=text)
    name = SubjectName(text, text, None, text)
    ident = dataclasses.replace(sheet.identification, names=(name, *sheet.identification.names))
    intro = dataclasses.replace(sheet.introduction, caveats=(caveat,))
    source = (SourceItem(text, text),)
    assert_same_page(
        dataclasses.replace(sheet, identification=ident, introduction=intro, source_data=source)
    )


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1f", "\ufffe", "\uffff", "\ud800"])
def test_a_character_xml_cannot_carry_is_refused_by_both(char: str) -> None:
    sheet = RapSheet(identification=Identification(names=(SubjectName(f"A{char}B"),)))
    with pytest.raises((ValueError, SyntaxError)):
        render_xslt(sheet, "html")
    with pytest.raises(ValueError, match=r"XML 1\.0|surrogates not allowed"):
        html_page.render(sheet)


# --- the values the common templates compute ------------------------------------------------

HEIGHTS = ("601", "73", "0", "511", "1000", "999999999", "6.5", "-601", " 601", "", "abc", "5'11")
DURATIONS = (
    "P2Y6M", "PT40H", "P1Y2M10D", "P1Y", "P01Y", "P1W", "PT1M", "P1M", "PT1H1M1S", "P1YT", "PT",
    "P", "P1", "P1.5Y", "PT1HT2M", "P1Y1Y", "2 YEARS", "LIFE", "P-1Y", "p1y", "PY", "P12",
)  # fmt: skip


@pytest.mark.parametrize("unit", [None, "inches", "feetinches", "cm"])
@pytest.mark.parametrize("value", HEIGHTS)
def test_heights(value: str, unit: str | None) -> None:
    ident = Identification(heights=(HeightInfo(value, unit, "20000101"),))
    assert_same_page(RapSheet(identification=ident))


@pytest.mark.parametrize("value", DURATIONS)
def test_durations(value: str) -> None:
    term = SentenceTerm(kind="CONFINEMENT", minimum=value, maximum=value, description=value)
    segment = SentencingSegment(sentences=(Sentence(terms=(term,)),))
    assert_same_page(RapSheet(cycles=(Cycle("20000101", sentencings=(segment,)),)))


@pytest.mark.parametrize("counts", [0, 1, 2, -1, 10**20])
def test_counts_and_totals(counts: int) -> None:
    charge = CourtCharge(description="THEFT", counts=counts)
    totals = SeverityCounts(counts, counts, 2**31, 1, 0)
    summary = Summary(total_arrests=counts, total_charges=totals, total_convictions=totals)
    sheet = RapSheet(
        cycles=(Cycle("20000101", courts=(CourtSegment(charges=(charge,)),)),), summary=summary
    )
    assert_same_page(sheet)


# --- generated sheets ----------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.lists(portions(), min_size=1, max_size=3))
def test_merged_generated_portions(parts: list[RapSheet]) -> None:
    assert_same_page(merge_rap_sheets(parts, as_of=AS_OF))


# Values that reach each branch of the templates, and text of any kind XML can carry.
SPECIAL = (
    *HEIGHTS, *DURATIONS, *HOSTILE, "19990101", "1999-01-01", "2024010", "220565860",
    "310", "401", "501", "504", "999", "A", "C", "R", "D", "F", "X", "true", "false", "1", "0",
    "inches",
)  # fmt: skip
XML_TEXT = st.characters(
    exclude_categories=["Cs"],
    exclude_characters="".join(
        chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)
    ),
)
TEXT = st.one_of(st.sampled_from(SPECIAL), st.text(XML_TEXT, max_size=10))


@cache
def _strategy(kind: Any) -> st.SearchStrategy[Any]:
    """Any value of a model type: every field of a class drawn, optional ones sometimes None."""
    if kind is str:
        return TEXT
    if kind is int:
        return st.integers(min_value=-(2**40), max_value=2**40)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return st.sampled_from(list(kind))
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        fields = {f.name: _field(hints[f.name]) for f in dataclasses.fields(kind)}
        return st.builds(kind, **fields)
    raise AssertionError(kind)


def _field(hint: Any) -> st.SearchStrategy[Any]:
    if typing.get_origin(hint) is tuple:
        return st.lists(st.deferred(lambda: _strategy(typing.get_args(hint)[0])), max_size=2).map(
            tuple
        )
    if isinstance(hint, types.UnionType):
        inner = next(a for a in typing.get_args(hint) if a is not type(None))
        return st.none() | st.deferred(lambda: _strategy(inner))
    return st.deferred(lambda: _strategy(hint))


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(_strategy(RapSheet))
def test_generated_sheets(sheet: RapSheet) -> None:
    assert_same_page(sheet)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_strategy(CourtCharge), _strategy(ChargeNote), _strategy(Introduction))
def test_generated_charges(charge: CourtCharge, note: ChargeNote, intro: Introduction) -> None:
    charge = dataclasses.replace(charge, notes=(note, *charge.notes))
    court = CourtSegment(court_ori="TX101015J", date="20000101", charges=(charge,))
    cycle = Cycle("20000101", courts=(court,))
    assert_same_page(RapSheet(introduction=intro, cycles=(cycle,)))


def test_every_severity() -> None:
    charges = tuple(Charge(description=s.name, severity=s) for s in Severity)
    court = CourtSegment(charges=tuple(CourtCharge(description="X", severity=s) for s in Severity))
    arrest = ArrestSegment(agency_ori="TX1010000", date="20000101", charges=charges)
    cycle = Cycle("20000101", arrests=(arrest,), courts=(court,))
    assert_same_page(summarised(RapSheet(cycles=(cycle,))))
