"""The rap sheet in memory: one typed model that every format reads into and writes from.

The model follows the element dictionary of the transmission format 2.00 (seed 002, section 3).
Each field names its XML element in ``metadata["xml"]`` (``"height/@unit"`` is the ``unit``
attribute of the ``height`` child), so that :mod:`jdx.exchanges.rapsheets.transmission` reads and
writes every class with one generic walk, and the field order *is* the element order of
``schema/rapsheet-2.00.xsd``.

Everything is frozen and built from tuples: the merge compares, hashes and sorts items, and a
value that cannot change under it is what makes "merge is independent of arrival order" a
property that can be tested. Dates stay ``CCYYMMDD`` strings, as transmitted: the format is fixed
by the seed, compares chronologically as text, and round-trips byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

VERSION = "2.00"
NAMESPACE = "http://www.nlets.org/formats/rapsheet"


def el(name: str, default: Any = None) -> Any:
    """A field stored as the XML element (or ``child/@attribute``) ``name``."""
    return field(default=default, metadata={"xml": name})


class Severity(StrEnum):
    """Charge Severity (seed Table 4): the counts of the summary are kept by these."""

    FELONY = "Felony"
    MISDEMEANOR = "Misdemeanor"
    LOCAL_ORDINANCE = "Local Ordinance"
    OTHER = "Other"
    UNKNOWN = "Unknown"


# Court Action Types the summary counts (seed Table 4). The seed's full code table is not in the
# public text; any three-digit code is accepted and carried, these are the ones given a meaning.
CONVICTED = "310"
FAILURE_TO_APPEAR = "401"
REVOCATIONS = frozenset({"501", "502", "503", "504"})
COURT_ACTIONS = {
    CONVICTED: "Convicted",
    FAILURE_TO_APPEAR: "Failure to appear",
    "501": "Probation revoked",
    "502": "Parole revoked",
    "503": "Conditional release revoked",
    "504": "Other supervision revoked",
}


# --- introduction (seed 3.1) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestRef:
    """Rap Sheet Request Reference: what the request transaction (QR, IQ, FQ) asked for."""

    fbi_number: str | None = el("fbiNumber")
    sid_number: str | None = el("sidNumber")
    name: str | None = el("name")
    purpose_code: str | None = el("purposeCode")
    attention: str | None = el("attention")


@dataclass(frozen=True, slots=True)
class CaveatInfo:
    """A record caveat: the reporting state and either a narrative or a fixed-caveat index."""

    state: str | None = el("state")
    caveat: str | None = el("caveat")
    index: str | None = el("index")
    # Issue 15: 4.1 caveats name an authority that is not always a state, and a date.
    authority: str | None = el("authority")
    date: str | None = el("date")


@dataclass(frozen=True, slots=True)
class Introduction:
    requests: tuple[RequestRef, ...] = el("request", ())
    caveats: tuple[CaveatInfo, ...] = el("caveatInfo", ())


@dataclass(frozen=True, slots=True)
class SourceItem:
    """A leaf of the source document that the 2.00 format has no element of its own for,
    carried as its path (``rap:Arrest/nc:ActivityDescriptionText``) and its text, so that
    nothing a responder sent is lost (docs/conformance.md, issue 15)."""

    path: str = el("path", "")
    value: str = el("value", "")


# --- identification (seed 3.2) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubjectName:
    last: str = el("last", "")
    first: str | None = el("first")
    middle: str | None = el("middle")
    suffix: str | None = el("suffix")


@dataclass(frozen=True, slots=True)
class CorrectionalNumber:
    number: str = el("number", "")
    state: str | None = el("state")


@dataclass(frozen=True, slots=True)
class MiscId:
    type: str | None = el("type")
    number: str = el("number", "")


@dataclass(frozen=True, slots=True)
class DriversLicense:
    number: str = el("number", "")
    state: str = el("state", "")


@dataclass(frozen=True, slots=True)
class HeightInfo:
    """Height as reported: ``601`` feet-inches (6 ft 1 in) or ``73`` inches."""

    height: str = el("height", "")
    unit: str | None = el("height/@unit")
    date: str | None = el("date")

    @property
    def inches(self) -> int:
        """The height in inches, so that 601 (feet-inches) and 73 (inches) are one height."""
        value = int(self.height)
        if self.unit == "inches":
            return value
        return (value // 100) * 12 + value % 100


@dataclass(frozen=True, slots=True)
class WeightInfo:
    weight: str = el("weight", "")
    unit: str | None = el("weight/@unit")
    date: str | None = el("date")


@dataclass(frozen=True, slots=True)
class EyeColorInfo:
    eye_color: str = el("eyeColor", "")
    date: str | None = el("date")


@dataclass(frozen=True, slots=True)
class HairColorInfo:
    hair_color: str = el("hairColor", "")
    date: str | None = el("date")


@dataclass(frozen=True, slots=True)
class Holding:
    """Palm prints, photo or DNA held by an agency (ORI preferred, name when there is none)."""

    agency_ori: str | None = el("agencyORI")
    agency_name: str | None = el("agencyName")
    format: str | None = el("format")
    link: str | None = el("link")
    date: str | None = el("date")


@dataclass(frozen=True, slots=True)
class SmtInfo:
    """A scar, mark or tattoo: free text (``smt``) or an NCIC code."""

    agency_ori: str | None = el("agencyORI")
    agency_name: str | None = el("agencyName")
    smt: str | None = el("smt")
    code: str | None = el("code")
    format: str | None = el("format")
    link: str | None = el("link")
    date: str | None = el("date")


@dataclass(frozen=True, slots=True)
class Employment:
    occupation: str | None = el("occupation")
    employer: str | None = el("employer")
    date: str | None = el("date")


@dataclass(frozen=True, slots=True)
class Residence:
    address: str = el("address", "")
    date: str | None = el("date")


@dataclass(frozen=True, slots=True)
class CautionInfo:
    caution: str = el("caution", "")
    date: str | None = el("date")
    state: str | None = el("state")


@dataclass(frozen=True, slots=True)
class OffenderNoticeInfo:
    offender_notice: str | None = el("offenderNotice")
    index: str | None = el("index")
    state: str | None = el("state")


@dataclass(frozen=True, slots=True)
class CommentInfo:
    comment: str = el("comment", "")
    state: str | None = el("state")


@dataclass(frozen=True, slots=True)
class ProtectionOrder:
    """A protection (restraining) order against the subject, as the Open Justice Broker's
    ``ch-ext:Order`` carries it: a reader deciding on a firearm or a release needs it."""

    order_type: str | None = el("orderType")
    order_number: str | None = el("orderNumber")
    issued_date: str | None = el("issuedDate")
    issuing_court: str | None = el("issuingCourt")
    case_number: str | None = el("caseNumber")
    served_date: str | None = el("servedDate")
    service: str | None = el("service")
    expiration_date: str | None = el("expirationDate")
    description: str | None = el("description")


@dataclass(frozen=True, slots=True)
class Identification:
    names: tuple[SubjectName, ...] = el("subjectName", ())
    fbi_number: str | None = el("fbiNumber")
    sid_numbers: tuple[str, ...] = el("sidNumber", ())
    correctional_numbers: tuple[CorrectionalNumber, ...] = el("correctionalNumber", ())
    ssns: tuple[str, ...] = el("ssn", ())
    misc_ids: tuple[MiscId, ...] = el("miscId", ())
    drivers_licenses: tuple[DriversLicense, ...] = el("driversLicense", ())
    birthplaces: tuple[str, ...] = el("birthplace", ())
    birthdates: tuple[str, ...] = el("birthdate", ())
    citizenships: tuple[str, ...] = el("citizenship", ())
    sexes: tuple[str, ...] = el("sex", ())
    races: tuple[str, ...] = el("race", ())
    heights: tuple[HeightInfo, ...] = el("heightInfo", ())
    weights: tuple[WeightInfo, ...] = el("weightInfo", ())
    eye_colors: tuple[EyeColorInfo, ...] = el("eyeColorInfo", ())
    hair_colors: tuple[HairColorInfo, ...] = el("hairColorInfo", ())
    skin_tones: tuple[str, ...] = el("skinTone", ())
    fp_pattern_classes: tuple[str, ...] = el("fpPatternClass", ())
    palm_prints: tuple[Holding, ...] = el("palmPrints", ())
    photos: tuple[Holding, ...] = el("photo", ())
    dna: tuple[Holding, ...] = el("dna", ())
    smts: tuple[SmtInfo, ...] = el("smtInfo", ())
    employments: tuple[Employment, ...] = el("employment", ())
    residences: tuple[Residence, ...] = el("residence", ())
    cautions: tuple[CautionInfo, ...] = el("cautionInfo", ())
    iffs_disqualified: str | None = el("iffsDisqualified")
    offender_notices: tuple[OffenderNoticeInfo, ...] = el("offenderNoticeInfo", ())
    comments: tuple[CommentInfo, ...] = el("commentsInfo", ())
    # Issue 15: what 4.1 records carry that the seed's list has no element for.
    ethnicities: tuple[str, ...] = el("ethnicity", ())
    blood_types: tuple[str, ...] = el("bloodType", ())
    marital_statuses: tuple[str, ...] = el("maritalStatus", ())
    registered_offender: str | None = el("registeredOffender")
    death_dates: tuple[str, ...] = el("deathDate", ())
    protection_orders: tuple[ProtectionOrder, ...] = el("protectionOrder", ())
    source_data: tuple[SourceItem, ...] = el("sourceData", ())


# --- cycles (project design: the seed's text stops inside identification) ----------------
#
# Issue 15: a 4.1 record carries far more than the first design held (charge text next to its
# modifiers, statutes, dispositions at every stage with their dates, sentences with terms,
# prosecution, booking, juvenile and post-sentence segments, case numbers). Every charge of every
# segment has one shape, :class:`Charge`, so a reader of the sheet finds the same items wherever
# a charge appears.


@dataclass(frozen=True, slots=True)
class Statute:
    """A statute the charge cites: the code (citation), its jurisdiction and its words."""

    code: str | None = el("code")
    jurisdiction: str | None = el("jurisdiction")
    text: str | None = el("text")
    offense_code: str | None = el("offenseCode")
    offense_id: str | None = el("offenseId")


@dataclass(frozen=True, slots=True)
class ChargeDisposition:
    """What became of a charge at one stage (arrest, prosecution, court), when, in words."""

    date: str | None = el("date")
    text: str = el("text", "")
    detail: str | None = el("detail")


@dataclass(frozen=True, slots=True)
class ChargeNote:
    """A modifier or qualifier of a charge ("Domestic Violence Involved", "ATTEMPTED").

    ``kind`` says which: description (a second description next to the charge text),
    qualifier, applicability, special allegation, reducing factor, juvenile as adult...
    """

    kind: str = el("kind", "")
    text: str = el("text", "")


@dataclass(frozen=True, slots=True)
class Charge:
    """A charge at any stage. ``counts`` is carried but never counted (seed Table 4).

    ``severity`` is the seed's class for Table 4; ``severity_class`` is the code the state sent
    (``FA``, ``M1``, ``PM``...) and ``severity_text`` its words, kept whatever the mapping.
    """

    sequence: str | None = el("chargeSequence")
    identifier: str | None = el("chargeId")
    tracking_number: str | None = el("chargeTrackingNumber")
    description: str = el("chargeDescription", "")
    notes: tuple[ChargeNote, ...] = el("chargeNote", ())
    statutes: tuple[Statute, ...] = el("statute", ())
    ncic_code: str | None = el("ncicCode")
    ncic_texts: tuple[str, ...] = el("ncicText", ())
    severity: Severity = el("chargeSeverity", Severity.UNKNOWN)
    severity_class: str | None = el("severityClass")
    severity_text: str | None = el("severityText")
    counts: int | None = el("counts")
    dispositions: tuple[ChargeDisposition, ...] = el("disposition", ())
    agency_record: str | None = el("agencyRecordNumber")


@dataclass(frozen=True, slots=True)
class CourtCharge(Charge):
    """A charge as the court disposed of it: the Court Action Type drives the summary."""

    action_type: str | None = el("courtActionType")
    sentence: str | None = el("sentence")


@dataclass(frozen=True, slots=True)
class ArrestSegment:
    agency_ori: str | None = el("agencyORI")
    agency_name: str | None = el("agencyName")
    date: str = el("arrestDate", "")
    case_number: str | None = el("caseNumber")
    subject_name: str | None = el("subjectName")
    charges: tuple[Charge, ...] = el("arrestCharge", ())


@dataclass(frozen=True, slots=True)
class BookingSegment:
    agency_ori: str | None = el("agencyORI")
    agency_name: str | None = el("agencyName")
    date: str = el("bookingDate", "")
    booking_number: str | None = el("bookingNumber")
    subject_name: str | None = el("subjectName")


@dataclass(frozen=True, slots=True)
class JuvenileSegment:
    """Juvenile activity: the charges of a juvenile proceeding and what became of them."""

    agency_ori: str | None = el("agencyORI")
    agency_name: str | None = el("agencyName")
    date: str = el("juvenileDate", "")
    case_number: str | None = el("caseNumber")
    charges: tuple[Charge, ...] = el("juvenileCharge", ())


@dataclass(frozen=True, slots=True)
class ProsecutionSegment:
    agency_ori: str | None = el("agencyORI")
    agency_name: str | None = el("agencyName")
    date: str = el("prosecutionDate", "")
    case_number: str | None = el("caseNumber")
    charges: tuple[Charge, ...] = el("prosecutionCharge", ())


@dataclass(frozen=True, slots=True)
class CourtSegment:
    court_ori: str | None = el("courtORI")
    court_name: str | None = el("courtName")
    date: str = el("courtDate", "")
    case_number: str | None = el("caseNumber")
    case_status: tuple[str, ...] = el("caseStatus", ())
    charges: tuple[CourtCharge, ...] = el("courtCharge", ())


@dataclass(frozen=True, slots=True)
class SentenceTerm:
    """A term of a sentence: durations as sent (ISO 8601 ``P2Y6M`` in 4.1), or in words."""

    kind: str | None = el("kind")
    minimum: str | None = el("minimum")
    maximum: str | None = el("maximum")
    description: str | None = el("description")


@dataclass(frozen=True, slots=True)
class Sentence:
    description: str | None = el("sentenceDescription")
    date: str | None = el("date")
    terms: tuple[SentenceTerm, ...] = el("term", ())
    court_cost: str | None = el("courtCost")
    fine: str | None = el("fine")
    conditions: tuple[str, ...] = el("condition", ())
    charges: tuple[Charge, ...] = el("sentenceCharge", ())


@dataclass(frozen=True, slots=True)
class SentencingSegment:
    court_ori: str | None = el("courtORI")
    court_name: str | None = el("courtName")
    date: str = el("sentencingDate", "")
    case_number: str | None = el("caseNumber")
    sentences: tuple[Sentence, ...] = el("sentence", ())


@dataclass(frozen=True, slots=True)
class CustodySegment:
    agency_ori: str | None = el("agencyORI")
    agency_name: str | None = el("agencyName")
    date: str = el("custodyDate", "")
    status: str | None = el("custodyStatus")
    release_date: str | None = el("releaseDate")
    offense: str | None = el("offense")
    case_numbers: tuple[str, ...] = el("caseNumber", ())
    charges: tuple[Charge, ...] = el("custodyCharge", ())


@dataclass(frozen=True, slots=True)
class SupervisionSegment:
    agency_ori: str | None = el("agencyORI")
    agency_name: str | None = el("agencyName")
    date: str = el("supervisionDate", "")
    status: str | None = el("supervisionStatus")
    end_date: str | None = el("endDate")
    offense: str | None = el("offense")
    case_numbers: tuple[str, ...] = el("caseNumber", ())
    charges: tuple[Charge, ...] = el("supervisionCharge", ())


@dataclass(frozen=True, slots=True)
class PostSentenceSegment:
    agency_ori: str | None = el("agencyORI")
    agency_name: str | None = el("agencyName")
    date: str = el("actionDate", "")
    event: str | None = el("event")
    description: str | None = el("description")


@dataclass(frozen=True, slots=True)
class CycleCaveat:
    caveat: str = el("caveat", "")
    date: str | None = el("date")
    authority: str | None = el("authority")


@dataclass(frozen=True, slots=True)
class Cycle:
    """One criminal justice event cycle: never subdivided by the merge (seed 2.6.3)."""

    earliest_date: str = el("earliestDate", "")
    tracking_number: str | None = el("trackingNumber")
    caveats: tuple[CycleCaveat, ...] = el("cycleCaveat", ())
    arrests: tuple[ArrestSegment, ...] = el("arrestSegment", ())
    bookings: tuple[BookingSegment, ...] = el("bookingSegment", ())
    juvenile: tuple[JuvenileSegment, ...] = el("juvenileSegment", ())
    prosecutions: tuple[ProsecutionSegment, ...] = el("prosecutionSegment", ())
    courts: tuple[CourtSegment, ...] = el("courtSegment", ())
    sentencings: tuple[SentencingSegment, ...] = el("sentencingSegment", ())
    custody: tuple[CustodySegment, ...] = el("custodySegment", ())
    supervision: tuple[SupervisionSegment, ...] = el("supervisionSegment", ())
    post_sentence: tuple[PostSentenceSegment, ...] = el("postSentenceSegment", ())
    source_data: tuple[SourceItem, ...] = el("sourceData", ())


# --- agency information, summary, the sheet --------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgencyInfo:
    agency_ori: str = el("agencyORI", "")
    agency_name: str | None = el("agencyName")
    address: str | None = el("agencyAddress")
    phone: str | None = el("agencyPhone")
    fax: str | None = el("agencyFax")
    internet: str | None = el("agencyInternetAddress")


@dataclass(frozen=True, slots=True)
class SeverityCounts:
    felony: int = el("felony", 0)
    misdemeanor: int = el("misdemeanor", 0)
    local_ordinance: int = el("localOrdinance", 0)
    other: int = el("other", 0)
    unknown: int = el("unknown", 0)

    @property
    def total(self) -> int:
        return self.felony + self.misdemeanor + self.local_ordinance + self.other + self.unknown


@dataclass(frozen=True, slots=True)
class SummaryCaution:
    caution: str = el("caution", "")
    date: str | None = el("date")


@dataclass(frozen=True, slots=True)
class Summary:
    """Seed Table 4: made by the hub on delivery, never merged."""

    cautions: tuple[SummaryCaution, ...] = el("cautionInfo", ())
    iffs_disqualified: str | None = el("iffsDisqualified")
    total_arrests: int = el("totalArrests", 0)
    total_charges: SeverityCounts = el("totalCharges", SeverityCounts())
    total_convictions: SeverityCounts = el("totalConvictions", SeverityCounts())
    total_failures_to_appear: int = el("totalFailuresToAppear", 0)
    total_revocations: int = el("totalRevocations", 0)
    first_event_date: str | None = el("firstEventDate")
    last_event_date: str | None = el("lastEventDate")
    # Severity codes no row of the severity table knows: counted as Unknown, and said so.
    unknown_severity_codes: tuple[str, ...] = el("unknownSeverityCode", ())


@dataclass(frozen=True, slots=True)
class RapSheet:
    introduction: Introduction = el("introduction", Introduction())
    identification: Identification = el("identification", Identification())
    cycles: tuple[Cycle, ...] = el("cycle", ())
    agencies: tuple[AgencyInfo, ...] = el("agencyInfo", ())
    source_data: tuple[SourceItem, ...] = el("sourceData", ())
    summary: Summary | None = el("summary")

    @property
    def key_numbers(self) -> tuple[str | None, tuple[str, ...]]:
        """FBI number and SIDs: what a notification's Rap-Merge entry matches a portion by."""
        return self.identification.fbi_number, self.identification.sid_numbers
