"""The Nlets Rap Sheet 4.1 samples and fixtures hold what a rap-sheet reader decides from, and
keep it (issue 15, "rap sheets lose nothing"): every reference resolves, the full sample keeps
its elements and its size, the portions of one person overlap and the other person has no FBI
number. These checks need nothing beyond the repository; the check against the Nlets 4.1 XSD
itself is ``test_nlets41_schema.py``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

import jdx.exchanges.rapsheets

SAMPLES = Path(jdx.exchanges.rapsheets.__file__).parent / "samples"
FIXTURES = Path(__file__).parent / "fixtures"
FULL = SAMPLES / "nlets41-state-full.xml"
OJBC = SAMPLES / "ojbc-criminal-history.xml"
XSD_IN_SHARED = Path("reference/rapsheet/nlets-4.1-xsd/rapsheet.xsd")

NS = {
    "rap": "http://nlets.org/niem2/rapsheet/1.0",
    "nc": "http://niem.gov/niem/niem-core/2.0",
    "j": "http://niem.gov/niem/domains/jxdm/4.1",
    "s": "http://niem.gov/niem/structures/2.0",
    "fs": "http://niem.gov/niem/domains/familyServices/2.1",
    "ansi-nist": "http://niem.gov/niem/ansi-nist/2.0",
    "ch-doc": "http://ojbc.org/IEPD/Exchange/CriminalHistory/1.0",
    "ch-ext": "http://ojbc.org/IEPD/Extensions/CriminalHistory/1.0",
}
RAP_SHEET = f"{{{NS['rap']}}}RapSheet"
CHARGES = ("Arrest", "JuvenileActivity", "Prosecution", "Court", "Sentence", "Supervision")


def clark(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def parser() -> Any:
    """No network, no entities: the XSD's imports are files beside it, by relative path."""
    return etree.XMLParser(no_network=True, resolve_entities=False)


def rap_sheets() -> list[Path]:
    """Every XML document with a rap:RapSheet root among the samples and the test fixtures."""
    paths = sorted([*SAMPLES.glob("*.xml"), *FIXTURES.glob("*.xml")])
    return [p for p in paths if etree.parse(str(p), parser()).getroot().tag == RAP_SHEET]


@pytest.mark.parametrize("path", [*rap_sheets(), OJBC], ids=lambda p: p.name)
def test_every_reference_names_an_element_of_the_document(path: Path) -> None:
    """libxml2's XSD validation does not resolve IDREFs: a dangling s:ref or s:metadata would pass."""
    root = etree.parse(str(path), parser()).getroot()
    ids = {el.get(clark("s:id")) for el in root.iter() if el.get(clark("s:id"))}
    refs = [(el.tag, el.get(clark("s:ref"))) for el in root.iter() if el.get(clark("s:ref"))]
    refs += [
        (el.tag, name) for el in root.iter() for name in (el.get(clark("s:metadata")) or "").split()
    ]
    assert refs and [r for r in refs if r[1] not in ids] == []


# What a rap-sheet reader decides from; the full sample holds each at least once, so it cannot
# silently shrink. (4.1 has no j:ChargeEnhancingFactor, no j:SentenceTerm and no protection order:
# the sample uses j:ChargeSpecialAllegationText, j:SupervisionAssignedTerm and rap:ExtensionField.)
REQUIRED = [
    "rap:Metadata",
    "rap:Version",
    "rap:TripleIStatusText",
    "nc:ReportedDate",
    "nc:ReportingOrganizationText",
    "ansi-nist:TransactionControlIdentification",
    "rap:Introduction",
    "rap:Caveat",
    "nc:CaveatText",
    "rap:CaveatFormattedText",
    "rap:CaveatReferenceDate",
    "rap:CaveatIssuingAuthorityText",
    "rap:RapSheetRequest",
    "rap:PurposeCode",
    "rap:Attention",
    "rap:ControlData",
    "rap:RapSheetPerson",
    "nc:PersonName",
    "nc:PersonAlternateName",
    "nc:PersonGivenName",
    "nc:PersonMiddleName",
    "nc:PersonSurName",
    "nc:PersonNameSuffixText",
    "nc:PersonFullName",
    "nc:PersonBirthDate",
    "nc:PersonBirthLocation",
    "nc:PersonCitizenshipText",
    "nc:PersonSSNIdentification",
    "j:PersonAugmentation",
    "nc:DriverLicense",
    "nc:DriverLicenseIdentification",
    "j:IdentificationJurisdictionNCICLSTACode",
    "nc:PersonOtherIdentification",
    "rap:IdentificationCategoryText",
    "j:PersonFBIIdentification",
    "j:PersonStateFingerprintIdentification",
    "j:PersonRegisteredOffenderIndicator",
    "j:PersonFirearmSalesDisqualifiedCode",
    "rap:PersonCorrectionsIdentification",
    "rap:PersonSexText",
    "rap:PersonRaceText",
    "rap:PersonEthnicityText",
    "nc:PersonHeightMeasure",
    "nc:PersonWeightMeasure",
    "rap:PersonEyeColorText",
    "rap:PersonHairColorText",
    "rap:PersonSkinToneText",
    "rap:PersonBloodTypeText",
    "nc:PersonMaritalStatusText",
    "nc:PersonPhysicalFeature",
    "nc:PhysicalFeatureCategoryCode",
    "nc:PhysicalFeatureDescriptionText",
    "nc:PhysicalFeatureLocationText",
    "rap:SubjectCautionInformationText",
    "j:SubjectOffenderNoticeText",
    "nc:PersonEmploymentAssociation",
    "nc:Employer",
    "nc:EmployeeOccupationText",
    "rap:PersonBiometricsAssociation",
    "nc:Biometric",
    "rap:PersonBiometrics",
    "nc:PersonDigitalImage",
    "rap:PersonDNA",
    "rap:PersonFingerprintSet",
    "j:PersonPalmPrint",
    "nc:Location",
    "nc:StructuredAddress",
    "nc:AddressFullText",
    "nc:ResidenceAssociation",
    "nc:LocationReference",
    "rap:Court",
    "rap:Agency",
    "nc:OrganizationName",
    "j:OrganizationORIIdentification",
    "nc:TelephoneNumberFullID",
    "rap:RapSheetCycle",
    "rap:CycleCaveat",
    "rap:CycleEarliestDate",
    "rap:CycleTrackingIdentificationID",
    "rap:Incident",
    "rap:Arrest",
    "rap:ArrestCharge",
    "rap:JuvenileActivity",
    "rap:JuvenileActivityCharge",
    "rap:ChargeDisposition",
    "fs:JuvenileStatusOffenseIndicator",
    "j:JuvenileAsAdultIndicator",
    "rap:Booking",
    "j:BookingAgencyRecordIdentification",
    "rap:Prosecution",
    "rap:ProsecutionCharge",
    "rap:ProsecutionAgencyRecordIdentification",
    "rap:CourtAction",
    "rap:CourtCaseStatusText",
    "rap:CourtCharge",
    "rap:CourtRecordIdentification",
    "rap:Sentencing",
    "rap:Sentence",
    "j:SentenceDescriptionText",
    "rap:CourtCostAmount",
    "rap:SentenceCharge",
    "j:SupervisionAssignedTerm",
    "j:TermMaximumDuration",
    "j:TermMinimumDuration",
    "j:SupervisionDisciplinaryAction",
    "rap:SupervisionFineAmount",
    "rap:SentencingCourtRecordIdentification",
    "rap:Supervision",
    "nc:ActivityCategoryText",
    "rap:SupervisionCharge",
    "rap:SupervisionAgencyRecordIdentification",
    "nc:SupervisionCustodyStatus",
    "nc:StatusDescriptionText",
    "nc:SupervisionRelease",
    "rap:PostSentenceAction",
    "rap:PostSentenceEventText",
    "j:ChargeCountQuantity",
    "j:ChargeDescriptionText",
    "j:ChargeText",
    "j:ChargeSeverityText",
    "rap:ChargeSeverityDescriptionText",
    "j:ChargeNCICCode",
    "rap:ChargeNCICText",
    "j:ChargeDisposition",
    "nc:DispositionDescriptionText",
    "nc:DispositionDate",
    "j:ChargeDispositionOtherText",
    "j:ChargeSequenceID",
    "j:ChargeQualifierText",
    "j:ChargeReducingFactorText",
    "j:ChargeSpecialAllegationText",
    "j:ChargeApplicabilityText",
    "rap:ChargeStatute",
    "j:StatuteCodeIdentification",
    "j:StatuteJurisdiction",
    "j:StatuteText",
    "rap:StatuteOffenseStateCodeText",
    "rap:RapSheetNonCriminalInformation",
    "rap:FingerprintActivity",
    "rap:ArrestAgencyAssociation",
    "j:ArrestAgencyRecordIdentification",
    "rap:PrimaryAgencyIndicator",
    "rap:BookingAgencyAssociation",
    "rap:ChargeAgencyAssociation",
    "rap:ChargeAgencyRecordIdentification",
    "rap:CourtActionCourtAssociation",
    "rap:JuvenileActivityAgencyAssociation",
    "rap:ProsecutionAgencyAssociation",
    "rap:SentencingCourtAssociation",
    "rap:SupervisionAgencyAssociation",
    "rap:FingerprintActivityAgencyAssociation",
    "rap:ExtensionField",
    "rap:FieldName",
    "rap:FieldValue",
]


def figures(root: Any) -> dict[str, int]:
    """What the coverage test pins, counted in one document."""
    dispositions = root.findall(".//j:ChargeDisposition", NS) + root.findall(
        ".//rap:ChargeDisposition", NS
    )
    return {
        "cycles": len(root.findall("rap:RapSheetCycle", NS)),
        "arrests": len(root.findall(".//rap:Arrest", NS)),
        "charges": sum(len(root.findall(f".//rap:{kind}Charge", NS)) for kind in CHARGES),
        "statutes": len(root.findall(".//rap:ChargeStatute", NS)),
        "sentences": len(root.findall(".//rap:Sentence", NS)),
        "dispositions": len(dispositions),
        "disposition dates": len(
            {d.findtext("nc:DispositionDate/nc:Date", namespaces=NS) for d in dispositions} - {None}
        ),
    }


def test_the_full_sample_holds_every_element_a_reader_decides_from() -> None:
    root = etree.parse(str(FULL), parser()).getroot()
    present = Counter(el.tag for el in root.iter() if isinstance(el.tag, str))
    assert [name for name in REQUIRED if not present[clark(name)]] == []


def test_the_full_sample_keeps_its_size() -> None:
    """Floors at the sample's figures of issue 15 (the brief asked for ~10 cycles, >= 5 arrests,
    >= 60 charges); growing is fine, shrinking fails."""
    got = figures(etree.parse(str(FULL), parser()).getroot())
    floors = {
        "cycles": 10,
        "arrests": 9,
        "charges": 75,
        "statutes": 75,
        "sentences": 12,
        "dispositions": 36,
        "disposition dates": 22,
    }
    assert {k: v for k, v in got.items() if v < floors[k]} == {}, got


def test_the_portions_overlap_by_identical_cycles_and_the_other_person_has_no_fbi_number() -> None:
    """The merge's duplicate-cycle rule and its never-join-two-persons rule have inputs to bite on."""

    def cycles(name: str) -> dict[str, bytes]:
        root = etree.parse(str(SAMPLES / name), parser()).getroot()
        return {
            c.findtext("rap:CycleEarliestDate/nc:Date", namespaces=NS): etree.tostring(
                c, method="c14n"
            )
            for c in root.findall("rap:RapSheetCycle", NS)
        }

    tx, nc, fbi = (
        cycles(n) for n in ("nlets41-state-full.xml", "nlets41-state-nc.xml", "nlets41-fbi.xml")
    )
    assert tx["2003-10-05"] == fbi["2003-10-05"] and nc["1981-04-11"] == fbi["1981-04-11"]
    assert set(tx) & set(nc) == set()
    other = etree.parse(str(SAMPLES / "nlets41-other-person.xml"), parser()).getroot()
    assert other.findall(".//j:PersonFBIIdentification", NS) == []
