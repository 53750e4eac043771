"""A rap sheet in which every field of every model class holds a value (issue 15).

``full_sheet()`` is what the presentation tests render and what other tests can reuse when they
need "everything at once": it is valid against the 2.00 XSD and round-trips through
``transmission.write_rap_sheet`` / ``read_rap_sheet`` exactly. ``test_full_sheet.py`` walks the
model's fields to prove that none is left empty; a field added to the model without a value
here fails that test.

Values are distinctive on purpose (no two leaves share a text where it can be helped), so a test
that looks for a value in a rendering finds that value and not another one.
"""

from __future__ import annotations

import dataclasses

from jdx.exchanges.rapsheets.model import (
    AgencyInfo,
    ArrestSegment,
    BookingSegment,
    CautionInfo,
    CaveatInfo,
    Charge,
    ChargeDisposition,
    ChargeNote,
    CommentInfo,
    CorrectionalNumber,
    CourtCharge,
    CourtSegment,
    CustodySegment,
    Cycle,
    CycleCaveat,
    DriversLicense,
    Employment,
    EyeColorInfo,
    HairColorInfo,
    HeightInfo,
    Holding,
    Identification,
    Introduction,
    JuvenileSegment,
    MiscId,
    OffenderNoticeInfo,
    PostSentenceSegment,
    ProsecutionSegment,
    ProtectionOrder,
    RapSheet,
    RequestRef,
    Residence,
    Sentence,
    SentenceTerm,
    SentencingSegment,
    Severity,
    SmtInfo,
    SourceItem,
    Statute,
    SubjectName,
    SupervisionSegment,
    WeightInfo,
)
from jdx.exchanges.rapsheets.summary import summarize

AS_OF = "20240601"


def _charge(tag: str, severity: Severity, severity_class: str, date: str) -> Charge:
    """A charge with every item of :class:`Charge`, its texts marked by ``tag``."""
    return Charge(
        sequence="1",
        identifier=f"{tag}-CHARGE-ID",
        tracking_number=f"{tag}-CTN-0001",
        description=f"{tag} ASSAULT CAUSING BODILY INJURY",
        notes=(
            ChargeNote(kind="special allegation", text=f"{tag} Domestic Violence Involved"),
            ChargeNote(kind="qualifier", text=f"{tag} ATTEMPTED"),
        ),
        statutes=(
            Statute(
                code=f"{tag} PC 22.01(a)(1)",
                jurisdiction="TX",
                text=f"{tag} INTENTIONALLY, KNOWINGLY, OR RECKLESSLY CAUSES BODILY INJURY",
                offense_code=f"{tag}-13990031",
                offense_id=f"{tag}-OFFENSE-ID",
            ),
        ),
        ncic_code="1399",
        ncic_texts=(f"{tag} ASSAULT - SEE REMARKS",),
        severity=severity,
        severity_class=severity_class,
        severity_text=f"{tag} SEVERITY IN THE STATE'S WORDS",
        counts=2,
        dispositions=(
            ChargeDisposition(
                date=date, text=f"{tag} DISPOSITION TEXT", detail=f"{tag} DISPOSITION DETAIL"
            ),
        ),
        agency_record=f"{tag}-AGENCY-RECORD",
    )


def _court_charge(
    tag: str, severity: Severity, severity_class: str, action: str, date: str
) -> CourtCharge:
    charge = _charge(tag, severity, severity_class, date)
    items = {f.name: getattr(charge, f.name) for f in dataclasses.fields(charge)}
    return CourtCharge(**items, action_type=action, sentence=f"{tag} SENTENCE IN WORDS")


def _identification() -> Identification:
    return Identification(
        names=(
            SubjectName("JONES", "JOHN", "PAUL", "JR"),
            SubjectName("SMITH", "JACK"),
        ),
        fbi_number="62660CA12",
        sid_numbers=("TX01346790", "NC0142585A"),
        correctional_numbers=(CorrectionalNumber("IL742786", "IL"),),
        ssns=("220565860",),
        misc_ids=(MiscId("Army Serial", "24680357"),),
        drivers_licenses=(DriversLicense("D7654321", "CA"),),
        birthplaces=("CA",),
        birthdates=("19530212",),
        citizenships=("UNITED STATES",),
        sexes=("Male",),
        races=("White",),
        heights=(
            HeightInfo("601", "feetinches", "19940704"),
            HeightInfo("75", "inches", "19960311"),
        ),
        weights=(WeightInfo("180", "pounds", "19970321"),),
        eye_colors=(EyeColorInfo("Blue", "19880321"),),
        hair_colors=(HairColorInfo("Auburn", "19890704"),),
        skin_tones=("Ruddy",),
        fp_pattern_classes=("LLLWLAWWRA",),
        palm_prints=(
            Holding(
                "CA0000041", "CA DOJ PALM UNIT", "HC", "http://example.org/palm/123", "19920704"
            ),
        ),
        photos=(Holding("CA0000012", "CA DOJ PHOTO UNIT", "NIST", "FAX REQUEST", "19920705"),),
        dna=(Holding("CA0000013", "CA DOJ DNA LAB", "CODIS", "CALL THE LAB", "19920706"),),
        smts=(
            SmtInfo(
                agency_ori="TX2270000",
                agency_name="TRAVIS COUNTY JAIL",
                smt="TATTOO OF AN EAGLE",
                format="JPEG",
                link="IMG 77",
                date="20000101",
            ),
            SmtInfo(agency_ori="TX2270000", code="TAT L ARM"),
        ),
        employments=(Employment("WELDER", "ACME STEEL WORKS", "20010102"),),
        residences=(Residence("123 MAIN STREET, AUSTIN TX 78701", "20020203"),),
        cautions=(CautionInfo("ARMED AND DANGEROUS", "20030304", "TX"),),
        iffs_disqualified="D",
        offender_notices=(
            OffenderNoticeInfo(offender_notice="REGISTERED SEX OFFENDER IN TEXAS", state="TX"),
            OffenderNoticeInfo(index="OFFENDER-INDEX-12", state="NC"),
        ),
        comments=(CommentInfo("SUBJECT USES A SECOND NAME IN NC", "NC"),),
        ethnicities=("Not Hispanic",),
        blood_types=("AB negative",),
        marital_statuses=("Married",),
        registered_offender="true",
        death_dates=("20231130",),
        protection_orders=(
            ProtectionOrder(
                order_type="TRO",
                order_number="TRO1990-004412",
                issued_date="19900904",
                issuing_court="HONOLULU FAMILY COURT",
                case_number="FC-DA 90-1-2231",
                served_date="19900906",
                service="SERVED",
                expiration_date="19910904",
                description="NO CONTACT WITH THE PROTECTED PERSON",
            ),
        ),
        source_data=(SourceItem("rap:RapSheetPerson/nc:PersonEyewearText", "WEARS GLASSES"),),
    )


def _juvenile_cycle() -> Cycle:
    return Cycle(
        earliest_date="19690405",
        juvenile=(
            JuvenileSegment(
                agency_ori="CA0190000",
                agency_name="FRESNO COUNTY PROBATION",
                date="19690405",
                case_number="J-69-0012",
                charges=(_charge("JUVENILE", Severity.OTHER, "JV", "19690406"),),
            ),
        ),
    )


def _adult_cycle() -> Cycle:
    court_date = "19990601"
    return Cycle(
        earliest_date="19990210",
        tracking_number="TX99123456",
        caveats=(
            CycleCaveat("PART OF THIS CYCLE IS SEALED", "19990301", "TRAVIS COUNTY DISTRICT COURT"),
        ),
        arrests=(
            ArrestSegment(
                agency_ori="TX2270100",
                agency_name="AUSTIN POLICE DEPARTMENT",
                date="19990210",
                case_number="APD-99-000123",
                subject_name="JONES, JOHN P",
                charges=(
                    _charge("ARREST", Severity.FELONY, "FA", "19990211"),
                    Charge(description="RESISTING ARREST", severity=Severity.MISDEMEANOR),
                ),
            ),
        ),
        bookings=(
            BookingSegment(
                agency_ori="TX2270000",
                agency_name="TRAVIS COUNTY SHERIFF",
                date="19990210",
                booking_number="BK-99-5550",
                subject_name="JONES, JOHN PAUL",
            ),
        ),
        prosecutions=(
            ProsecutionSegment(
                agency_ori="TX227015A",
                agency_name="TRAVIS COUNTY DISTRICT ATTORNEY",
                date="19990315",
                case_number="DA-99-0042",
                charges=(_charge("PROSECUTION", Severity.FELONY, "F3", "19990316"),),
            ),
        ),
        courts=(
            CourtSegment(
                court_ori="TX227025J",
                court_name="TRAVIS COUNTY DISTRICT COURT",
                date=court_date,
                case_number="D-1-DC-99-000100",
                case_status=("CLOSED",),
                charges=(
                    _court_charge("COURT", Severity.FELONY, "F3", "310", court_date),
                    CourtCharge(
                        description="FAILURE TO APPEAR AT HEARING",
                        severity=Severity.MISDEMEANOR,
                        severity_class="M1",
                        action_type="401",
                    ),
                    CourtCharge(
                        description="VIOLATION OF PROBATION",
                        severity=Severity.LOCAL_ORDINANCE,
                        severity_class="PM",
                        action_type="501",
                    ),
                    CourtCharge(
                        description="CHARGE OF AN UNKNOWN CLASS",
                        severity=Severity.UNKNOWN,
                        severity_class="ZZ",
                        action_type="999",
                    ),
                ),
            ),
        ),
        sentencings=(
            SentencingSegment(
                court_ori="TX227025J",
                court_name="TRAVIS COUNTY DISTRICT COURT",
                date=court_date,
                case_number="D-1-DC-99-000100",
                sentences=(
                    Sentence(
                        description="CONFINEMENT, PROBATED",
                        date=court_date,
                        terms=(
                            SentenceTerm("CONFINEMENT", "P2Y6M", "P5Y", "TO RUN CONCURRENTLY"),
                            SentenceTerm("COMMUNITY SERVICE", "PT40H", "P1Y2M10D", None),
                        ),
                        court_cost="$250.00",
                        fine="$1,500.00",
                        conditions=("NO CONTACT WITH THE VICTIM", "ANGER MANAGEMENT COURSE"),
                        charges=(_charge("SENTENCE", Severity.FELONY, "F3", court_date),),
                    ),
                ),
            ),
        ),
        custody=(
            CustodySegment(
                agency_ori="TX0000004",
                agency_name="TEXAS DEPARTMENT OF CRIMINAL JUSTICE",
                date="19990701",
                status="INCARCERATED",
                release_date="20011231",
                offense="AGGRAVATED ASSAULT (CUSTODY)",
                case_numbers=("TDCJ-0123456",),
                charges=(_charge("CUSTODY", Severity.FELONY, "F3", "19990702"),),
            ),
        ),
        supervision=(
            SupervisionSegment(
                agency_ori="TX2270200",
                agency_name="TRAVIS COUNTY SUPERVISION DEPARTMENT",
                date="20020101",
                status="ON PAROLE",
                end_date="20040101",
                offense="AGGRAVATED ASSAULT (SUPERVISION)",
                case_numbers=("PAR-00555",),
                charges=(_charge("SUPERVISION", Severity.FELONY, "F3", "20020102"),),
            ),
        ),
        post_sentence=(
            PostSentenceSegment(
                agency_ori="TX0000005",
                agency_name="TEXAS BOARD OF PARDONS AND PAROLES",
                date="20030505",
                event="PAROLE REVOKED",
                description="TECHNICAL VIOLATION OF THE TERMS OF PAROLE",
            ),
        ),
        source_data=(SourceItem("rap:Arrest/nc:ActivityDescriptionText", "ARRESTED AT HOME"),),
    )


def full_sheet() -> RapSheet:
    """Every field of every class populated; valid 2.00; the summary made by the hub's rules
    plus one unknown severity code (``ZZ``, the class of the fourth court charge)."""
    sheet = RapSheet(
        introduction=Introduction(
            requests=(
                RequestRef(
                    fbi_number="62660CA12",
                    sid_number="TX01346790",
                    name="JONES, JOHN P",
                    purpose_code="C",
                    attention="AL 911137",
                ),
            ),
            caveats=(
                CaveatInfo(
                    state="TX",
                    caveat="FOR CRIMINAL JUSTICE USE ONLY",
                    authority="TEXAS DPS CRIME RECORDS SERVICE",
                    date="20240105",
                ),
                CaveatInfo(state="NC", index="CAVEAT-INDEX-07"),
            ),
        ),
        identification=_identification(),
        cycles=(_juvenile_cycle(), _adult_cycle()),
        agencies=(
            AgencyInfo(
                agency_ori="TX2270100",
                agency_name="AUSTIN POLICE DEPARTMENT",
                address="715 E 8TH ST, AUSTIN TX 78701",
                phone="512-555-0100",
                fax="512-555-0101",
                internet="https://police.example.org",
            ),
        ),
        source_data=(SourceItem("rap:ControlData/rap:ControlDataText", "RESPONSE 1 OF 1"),),
    )
    summary = summarize(sheet, as_of=AS_OF)
    return dataclasses.replace(
        sheet, summary=dataclasses.replace(summary, unknown_severity_codes=("ZZ",))
    )
