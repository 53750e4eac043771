"""A real state's kind of 4.1 record read in full (issue 15): what a reader of the rap sheet
decides from lands in its own 2.00 element, not only somewhere in the source data."""

from __future__ import annotations

from importlib import resources

import pytest

from jdx.exchanges.rapsheets.identity import DifferentSubject
from jdx.exchanges.rapsheets.merge import merge_rap_sheets
from jdx.exchanges.rapsheets.model import RapSheet, Severity
from jdx.exchanges.rapsheets.portions import read_portion
from jdx.exchanges.rapsheets.summary import all_charges, summarize
from jdx.exchanges.rapsheets.transmission import read_rap_sheet, write_rap_sheet

SAMPLES = resources.files("jdx.exchanges.rapsheets").joinpath("samples")


def sample(name: str) -> RapSheet:
    sheet = read_portion(SAMPLES.joinpath(name).read_bytes())
    assert isinstance(sheet, RapSheet)
    return sheet


def test_every_charge_keeps_its_text_statutes_severity_class_and_dated_dispositions() -> None:
    sheet = sample("nlets41-state-full.xml")
    charges = list(all_charges(sheet))
    assert len(charges) >= 60
    assert not [c for c in charges if c.description == "(not stated)"]
    assert sum(len(c.statutes) for c in charges) >= 36
    assert all(c.severity is not Severity.UNKNOWN for c in charges if c.severity_class)
    dates = {d.date for c in charges for d in c.dispositions if d.date}
    assert len(dates) >= 14
    prosecution = [c for cy in sheet.cycles for p in cy.prosecutions for c in p.charges]
    assert {d.text for c in prosecution for d in c.dispositions} >= {"INDICTED", "DISMISSED"}
    notes = {(n.kind, n.text) for c in charges for n in c.notes}
    assert ("special allegation", "FAMILY VIOLENCE") in notes


def test_sentences_case_numbers_and_identifiers_have_their_own_elements() -> None:
    sheet = sample("nlets41-state-full.xml")
    sentences = [s for cy in sheet.cycles for sg in cy.sentencings for s in sg.sentences]
    assert len(sentences) >= 10
    assert any(t.minimum == "P2Y" and t.maximum == "P3Y" for s in sentences for t in s.terms)
    cycle = next(c for c in sheet.cycles if c.prosecutions)
    assert cycle.tracking_number and cycle.arrests[0].case_number  # OTN and ARN
    assert cycle.prosecutions[0].case_number and cycle.courts[0].case_number
    ident = sheet.identification
    assert ident.ssns[0] == "220565860"  # sent as 220-56-5860
    assert ident.drivers_licenses and ident.smts and ident.residences and ident.citizenships
    assert ident.offender_notices and ident.registered_offender == "false"
    extension = {i.path: i.value for i in sheet.source_data}
    assert extension["rap:ExtensionField/PROTECTIVE ORDER"].startswith("HARRIS CO 245TH DC")
    paths = {i.path for i in ident.source_data} | {
        i.path for c in sheet.cycles for i in c.source_data
    }
    specific = (
        "ChargeText",
        "StatuteCodeIdentification",
        "SentenceDescriptionText",
        "DispositionDescriptionText",
        "PersonSSNIdentification/nc:IdentificationID",
        "DriverLicenseIdentification/nc:IdentificationID",
        "ChargeSeverityText",
    )
    assert not [p for p in paths if p.endswith(specific)]


def test_twenty_felony_class_charges_count_as_felonies_in_the_summary() -> None:
    sheet = sample("nlets41-state-full.xml")
    arrest_charges = [c for cy in sheet.cycles for a in cy.arrests for c in a.charges]
    felonies = sum(1 for c in arrest_charges if c.severity is Severity.FELONY)
    summary = summarize(sheet, as_of="20261206")
    assert felonies > 0 and summary.total_charges.felony == felonies
    assert summary.total_convictions.felony > 0
    assert summary.unknown_severity_codes == ()


def test_the_ojbc_wrapper_is_accepted_and_its_extensions_carried() -> None:
    sheet = sample("ojbc-criminal-history.xml")
    assert sheet.cycles and sheet.identification.fbi_number
    sentences = [s for cy in sheet.cycles for sg in cy.sentencings for s in sg.sentences]
    assert sentences and sentences[0].description  # ch-ext:Sentence read as rap:Sentence
    classes = {c.severity_class for c in all_charges(sheet)}
    assert {"FA", "PM", "VL"} <= classes
    (order,) = sheet.identification.protection_orders
    assert (order.order_type, order.issuing_court) == ("TRO", "HONOLULU FAMILY COURT")
    assert (order.issued_date, order.expiration_date) == ("19900904", "19910904")
    assert order.case_number == "FC-DA 90-1-2231" and order.service == "SERVED"
    left = {i.path for i in sheet.source_data if i.path.startswith("ch-ext:Order")}
    assert left == {"ch-ext:Order/nc:ActivityIdentification/nc:IdentificationCategoryText"}
    assert read_rap_sheet(write_rap_sheet(sheet)) == sheet


def test_a_portion_of_another_person_without_an_fbi_number_is_refused() -> None:
    texas, other = sample("nlets41-state-full.xml"), sample("nlets41-other-person.xml")
    assert other.identification.fbi_number is None
    for portions in ([texas, other], [other, texas]):
        with pytest.raises(DifferentSubject):
            merge_rap_sheets(portions, as_of="20261206")
    merged = merge_rap_sheets(
        [texas, sample("nlets41-state-nc.xml"), sample("nlets41-fbi.xml")], as_of="20261206"
    )
    assert merged.identification.fbi_number == "901100"
