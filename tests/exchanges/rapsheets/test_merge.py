"""Content merging rules, seed 2.6 and Tables 1-3, one test per rule."""

from __future__ import annotations

import pytest

from jdx.exchanges.rapsheets.merge import (
    LIMITS,
    MergeError,
    add_timeout_caveat,
    merge_rap_sheets,
    over_limits,
)
from jdx.exchanges.rapsheets.model import (
    AgencyInfo,
    CautionInfo,
    CommentInfo,
    DriversLicense,
    EyeColorInfo,
    HairColorInfo,
    HeightInfo,
    Holding,
    MiscId,
    OffenderNoticeInfo,
    RapSheet,
    Residence,
    SmtInfo,
    SubjectName,
    WeightInfo,
)
from jdx.exchanges.rapsheets.notification import parse_notification
from tests.exchanges.rapsheets.builders import FBI, cycle, sheet

AS_OF = "20240101"


def merged(*portions: RapSheet) -> RapSheet:
    return merge_rap_sheets(portions, as_of=AS_OF)


def test_exact_duplicates_are_suppressed_and_different_items_kept() -> None:
    a = sheet("TX", "TX1", drivers_licenses=(DriversLicense("123", "TX"),), ssns=("220565860",))
    b = sheet(
        "NC",
        "NC2",
        drivers_licenses=(DriversLicense("123", "TX"), DriversLicense("123", "NC")),
        ssns=("220565860",),
    )
    ident = merged(a, b).identification
    assert ident.names == (SubjectName("JONES", "JOHN"),)
    assert ident.sid_numbers == ("NC2", "TX1")
    assert ident.ssns == ("220565860",)
    assert set(ident.drivers_licenses) == {DriversLicense("123", "TX"), DriversLicense("123", "NC")}


def test_names_differing_in_one_item_are_both_kept() -> None:
    a = sheet("TX", "TX1", names=(SubjectName("JONES", "JOHN", "P"),))
    b = sheet("NC", "NC2", names=(SubjectName("JONES", "JOHN"),))
    assert len(merged(a, b).identification.names) == 2


def test_one_fbi_number_and_two_are_refused() -> None:
    # Without its FBI number, the NC portion is the same person by name and date of birth.
    tx = sheet("TX", "TX1", birthdates=("19600101",))
    nc = sheet("NC", "NC2", fbi_number=None, birthdates=("19600101",))
    assert merged(tx, nc).identification.fbi_number == FBI
    with pytest.raises(MergeError, match="different FBI numbers"):
        merged(sheet("TX", "TX1"), sheet("NC", "NC2", fbi_number="123456"))


def test_misc_id_number_must_match_and_a_specified_type_is_retained() -> None:
    a = sheet("TX", "TX1", misc_ids=(MiscId(None, "24680357"), MiscId("Passport", "111")))
    b = sheet("NC", "NC2", misc_ids=(MiscId("Army Serial", "24680357"), MiscId("Visa", "111")))
    assert set(merged(a, b).identification.misc_ids) == {
        MiscId("Army Serial", "24680357"),
        MiscId("Passport", "111"),
        MiscId("Visa", "111"),
    }


def test_height_matches_on_value_across_units_and_keeps_the_most_recent_date() -> None:
    a = sheet("TX", "TX1", heights=(HeightInfo("601", "feetinches", "19940704"),))
    b = sheet(
        "NC", "NC2", heights=(HeightInfo("73", "inches", "19960311"), HeightInfo("75", "inches"))
    )
    heights = merged(a, b).identification.heights
    assert len(heights) == 2
    same = next(h for h in heights if h.inches == 73)
    assert same.date == "19960311"


def test_weight_matches_on_value_and_keeps_the_most_recent_date() -> None:
    a = sheet("TX", "TX1", weights=(WeightInfo("180", None, "19970321"),))
    b = sheet("NC", "NC2", weights=(WeightInfo("180", None, "20010101"), WeightInfo("000")))
    weights = merged(a, b).identification.weights
    assert WeightInfo("180", None, "20010101") in weights and len(weights) == 2


def test_eye_and_hair_colour_are_duplicates_if_either_item_matches() -> None:
    a = sheet(
        "TX",
        "TX1",
        eye_colors=(EyeColorInfo("Blue", "19880321"),),
        hair_colors=(HairColorInfo("Brown", "19890704"),),
    )
    b = sheet(
        "NC",
        "NC2",
        eye_colors=(
            EyeColorInfo("Blue", "19990101"),
            EyeColorInfo("Green", "19880321"),
            EyeColorInfo("Brown", "20000101"),
        ),
        hair_colors=(HairColorInfo("Brown"), HairColorInfo("Black", "19800101")),
    )
    ident = merged(a, b).identification
    # Blue matches Blue (colour), Green matches 19880321 (date): only Brown is new.
    assert {e.eye_color for e in ident.eye_colors} == {"Blue", "Brown"}
    assert {h.hair_color for h in ident.hair_colors} == {"Brown", "Black"}


def test_photo_is_a_duplicate_by_ori_or_agency_name_and_keeps_the_most_recent_date() -> None:
    a = sheet("TX", "TX1", photos=(Holding("CA0000012", "LAPD", "NIST", None, "19920704"),))
    b = sheet(
        "NC",
        "NC2",
        photos=(
            Holding("CA0000012", None, "HC", None, "19950101"),
            Holding(None, "LAPD", "TIFF", None, None),
            Holding("NC0000001", None, "NIST", None, None),
        ),
    )
    photos = merged(a, b).identification.photos
    assert len(photos) == 2
    ca = next(p for p in photos if p.agency_ori == "CA0000012")
    assert ca.date == "19950101"


def test_scars_are_duplicates_by_text_and_ori() -> None:
    a = sheet("TX", "TX1", smts=(SmtInfo("TX0000001", smt="SC L ARM", date="19900101"),))
    b = sheet(
        "NC",
        "NC2",
        smts=(
            SmtInfo("TX0000001", smt="SC L ARM", date="19950101"),
            SmtInfo("NC0000001", smt="SC L ARM"),
        ),
    )
    smts = merged(a, b).identification.smts
    assert len(smts) == 2
    assert next(s for s in smts if s.agency_ori == "TX0000001").date == "19950101"


def test_residence_by_address_and_date_a_lone_date_is_retained() -> None:
    a = sheet("TX", "TX1", residences=(Residence("1 MAIN ST"), Residence("2 OAK ST", "19900101")))
    b = sheet(
        "NC",
        "NC2",
        residences=(Residence("1 MAIN ST", "19950101"), Residence("2 OAK ST", "20000101")),
    )
    assert set(merged(a, b).identification.residences) == {
        Residence("1 MAIN ST", "19950101"),
        Residence("2 OAK ST", "19900101"),
        Residence("2 OAK ST", "20000101"),
    }


def test_cautions_notices_and_comments_are_never_deduplicated() -> None:
    same = {
        "cautions": (CautionInfo("ARMED"),),
        "offender_notices": (OffenderNoticeInfo("SEX OFFENDER", state="TX"),),
        "comments": (CommentInfo("NOTE"),),
    }
    ident = merged(sheet("TX", "TX1", **same), sheet("NC", "NC2", **same)).identification
    assert len(ident.cautions) == len(ident.offender_notices) == len(ident.comments) == 2


def test_caveats_are_not_deduplicated_and_keep_the_order_of_receipt() -> None:
    text = "Use governed by law."
    a, b = sheet("TX", "TX1", caveat=text), sheet("NC", "NC2", caveat=text)
    assert [c.state for c in merged(a, b).introduction.caveats] == ["TX", "NC"]
    assert [c.state for c in merged(b, a).introduction.caveats] == ["NC", "TX"]


def test_iffs_takes_the_highest_by_the_precedence_of_the_day() -> None:
    a, b = sheet("TX", "TX1", iffs_disqualified="X"), sheet("NC", "NC2", iffs_disqualified="D")
    assert merged(a, b).identification.iffs_disqualified == "D"
    c, d = sheet("TX", "TX1", iffs_disqualified="M"), sheet("NC", "NC2", iffs_disqualified="F")
    assert merge_rap_sheets([c, d], as_of="20010512").identification.iffs_disqualified == "F"


def test_agency_information_sorted_by_ori_first_occurrence_wins() -> None:
    a = sheet("TX", "TX1", agencies=(AgencyInfo("TX1010000", "AUSTIN PD", phone="1"),))
    b = sheet(
        "NC",
        "NC2",
        agencies=(
            AgencyInfo("TX1010000", "AUSTIN POLICE", phone="2"),
            AgencyInfo("NC0000001", "RALEIGH"),
        ),
    )
    agencies = merged(a, b).agencies
    assert [x.agency_ori for x in agencies] == ["NC0000001", "TX1010000"]
    assert agencies[1].agency_name == "AUSTIN PD"


def test_cycles_are_whole_and_ordered_by_earliest_event_date() -> None:
    a = sheet("TX", "TX1", cycles=(cycle("20050101"), cycle("19990101")))
    b = sheet("NC", "NC2", cycles=(cycle("20010101", ori="NC0000001"),))
    cycles = merged(a, b).cycles
    assert [c.earliest_date for c in cycles] == ["19990101", "20010101", "20050101"]
    assert cycles[1] == cycle("20010101", ori="NC0000001")


def test_the_same_portion_twice_is_merged_once() -> None:
    a = sheet("TX", "TX1", caveat="x", cycles=(cycle("19990101"),))
    assert merged(a, a) == merged(a)


def test_timeout_caveat_names_each_missing_portion() -> None:
    note = parse_notification(
        "EL01HEADERXXXX01234\nAKAST0100\nTHIS ... FOR FBI/901100 .\n"
        " NORTH CAROLINA - STATE ID/NC0142585A\n TEXAS - STATE ID/TX01346790\nEND\n"
    )
    received = sheet("NC", "NC0142585A", caveat="state caveat")
    missing = [r.label for r in note.expected if note.portion_of(received) != r]
    result = add_timeout_caveat(merged(received), missing)
    caveats = result.introduction.caveats
    assert caveats[0].caveat == "state caveat"
    assert len(caveats) == 2 and "TEXAS - STATE ID/TX01346790" in (caveats[1].caveat or "")


def test_limits_are_reported_never_enforced_by_dropping() -> None:
    many = tuple(f"{n:09d}" for n in range(LIMITS["ssns"] + 1))
    result = merged(sheet("TX", "TX1", ssns=many))
    assert len(result.identification.ssns) == 11
    assert over_limits(result) == {"ssns": 11}
