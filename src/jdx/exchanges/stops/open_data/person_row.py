"""One person of one stop as a row of the open-data file: pure, from the record as stored.

DOJ's files give each multi-valued element as one 0/1 column per code (``RAE_ASIAN``,
``ADS_HANDCUFFED``...) plus, for race, gender and disability, a ``*_FULL`` summary code. The
columns of a group follow the codes of its code table in order (``RAE_*`` are race codes 1-7,
``ADS_*`` action codes 1-24...), so each group below is its code table's column names, code 1
first. Records of the 2018 dictionary and of the 2024 dictionary fill the columns their elements
exist in; the other era's columns stay empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Column groups, in the order of the codes of their tables (code 1 first).
RACE = (
    "RAE_ASIAN",
    "RAE_BLACK_AFRICAN_AMERICAN",
    "RAE_HISPANIC_LATINO",
    "RAE_MIDDLE_EASTERN_SOUTH_ASIAN",
    "RAE_NATIVE_AMERICAN",
    "RAE_PACIFIC_ISLANDER",
    "RAE_WHITE",
)
GENDER_2018 = ("G_MALE", "G_FEMALE", "G_TRANSGENDER_MAN", "G_TRANSGENDER_WOMAN")
GENDER_2024 = ("G_CISGENDER_MAN", "G_CISGENDER_WOMAN", "G_TRANSGENDER_MAN", "G_TRANSGENDER_WOMAN")
DISABILITY = (
    "PD_DEAFNESS_HEARING",
    "PD_SPEECH_IMPAIR",
    "PD_BLIND",
    "PD_MENTAL_HEALTH",
    "PD_DEVEL_DISAB",
    "PD_OTHER",
    "PD_HYPERACTIVITY_DISABILITY",
    "PD_NONE_DISABILITY",
)
SUSPICION = (
    "RFS_RS_OFF_WITNESS",
    "RFS_RS_MATCH_SUSPECT",
    "RFS_RS_WITNESS_ID",
    "RFS_RS_CARRY_SUS_OBJECT",
    "RFS_RS_ACTIONS_INDICATIVE",
    "RFS_RS_SUSPECT_LOOK",
    "RFS_RS_DRUG_TRANS",
    "RFS_RS_VIOLENT_CRIME",
    "RFS_RS_REASON_SUSP",
    "RFS_RS_MATCH_VEHICLE",  # 2024 only
)
PROBABLE_CAUSE = tuple(
    name.replace("RFS_RS_", "RFS_PC_") for name in SUSPICION
)  # 2024: the same circumstances, for reason 9 (probable cause)
REASON_GIVEN = (
    "RFS_RG_TRAFFIC_MOVING",
    "RFS_RG_TRAFFIC_EQUIPMENT",
    "RFS_RG_TRAFFIC_NON_MOVING",
    "RFS_RG_OFF_WITNESS",
    "RFS_RG_MATCH_SUSPECT",
    "RFS_RG_MATCH_VEHICLE",
    "RFS_RG_WITNESS_ID",
    "RFS_RG_CARRY_SUS_OBJECT",
    "RFS_RG_ACTIONS_INDICATIVE",
    "RFS_RG_SUSPECT_LOOK",
    "RFS_RG_DRUG_TRANS",
    "RFS_RG_VIOLENT_CRIME",
    "RFS_RG_REASON_SUSP",
    "RFS_RG_PROBABLE_CAUSE",
    "RFS_RG_WELFARE_AND_INST",
    "RFS_RG_KNOWN_PAROLE",
    "RFS_RG_OUTSTANDING_WARRANT",
    "RFS_RG_TRUANT",
    "RFS_RG_CONSENSUAL_SEARCH",
    "RFS_RG_DISCIPLINE",
    "RFS_RG_SCHOOL_POLICY",
    "RFS_RG_NOT_COMMUNICATED",
)
ACTIONS_2018 = (
    "ADS_REMOVED_VEHICLE_ORDER",
    "ADS_REMOVED_VEHICLE_PHYCONTACT",
    "ADS_SOBRIETY_TEST",
    "ADS_CURB_DETENT",
    "ADS_HANDCUFFED",
    "ADS_PATCAR_DETENT",
    "ADS_CANINE_SEARCH",
    "ADS_FIREARM_POINT",
    "ADS_FIREARM_DISCHARGE",
    "ADS_ELECT_DEVICE",
    "ADS_IMPACT_DISCHARGE",
    "ADS_CANINE_BITE",
    "ADS_BATON",
    "ADS_CHEM_SPRAY",
    "ADS_OTHER_CONTACT",
    "ADS_PHOTO",
    "ADS_ASKED_SEARCH_PER",
    "ADS_SEARCHED_PER",
    "ADS_ASKED_SEARCHED_PROP",
    "ADS_SEARCHED_PROP",
    "ADS_PROP_SEIZE",
    "ADS_VEHICLE_IMPOUND",
    "ADS_WRITTEN_STATEMENT",
    "ADS_NO_ACTIONS",
)
NONFORCE_ACTIONS = (
    "NFA_WRITTEN_STATEMENT",
    "NFA_ASKED_SEARCH_PER",
    "NFA_ASKED_SEARCH_PROP",
    "NFA_ASKED_ID_PASSENGER",
    "NFA_ASKED_PAROLE",
    "NFA_CURB_DETENT",
    "NFA_SOBRIETY_TEST",
    "NFA_PATCAR_DETENT",
    "NFA_CANINE_SEARCH",
    "NFA_PHOTO",
    "NFA_REMOVED_VEHICLE_ORDER",
    "NFA_PROP_SEIZE",
    "NFA_RAN_NAME_PASSENGER",
    "NFA_SEARCH_PERSON",
    "NFA_SEARCH_PROPERTY",
    "NFA_TERRY_FRISK",
    "NFA_VEHICLE_IMPOUND",
    "NFA_NONE",
)
FORCE_ACTIONS = (
    "OFA_HANDCUFFED",
    "OFA_BATON_DRAWN",
    "OFA_BATON_USED",
    "OFA_CHEM_SPRAY",
    "OFA_ELECT_DEVICE_POINT",
    "OFA_ELECT_DEVICE_STUN",
    "OFA_ELECT_DEVICE_DART",
    "OFA_FIREARM_UNHOLSTERED",
    "OFA_FIREARM_POINT",
    "OFA_FIREARM_DISCHARGE",
    "OFA_IMPACT_PROJECTILE_POINT",
    "OFA_IMPACT_PROJECTILE_DISCHARGE",
    "OFA_CANINE_COMPLIANCE",
    "OFA_CANINE_BITE",
    "OFA_REMOVED_VEHICLE_PHYCONTACT",
    "OFA_PHYSICAL_COMPLIANCE",
    "OFA_USE_VEHICLE",
    "OFA_NONE",
)
CONSENT_TYPE = ("CTP_VERBAL", "CTP_WRITTEN", "CTP_IMPLIED")
STOP_TYPE = ("TOS_VEHICULAR", "TOS_BICYCLE", "TOS_PEDESTRIAN")
ORIENTATION = ("SOR_LGB", "SOR_STRAIGHT")
SEARCH_BASIS = (
    "BFS_CONSENT_GIVEN",
    "BFS_OFFICER_SAFETY",
    "BFS_SEARCH_WARRANT",
    "BFS_PAROLE",
    "BFS_SUSPECT_WEAPON",
    "BFS_VISIBLE_CONTRABAND",
    "BFS_ODOR_CONTRABAND",
    "BFS_CANINE_DETECT",
    "BFS_EVIDENCE",
    "BFS_INCIDENT",
    "BFS_EXIGENT_CIRCUM",
    "BFS_VEHICLE_INVENT",
    "BFS_SCHOOL_POLICY",
)
CONTRABAND = (
    "CED_NONE_CONTRABAND",
    "CED_FIREARM",
    "CED_AMMUNITION",
    "CED_WEAPON",
    "CED_DRUGS",
    "CED_ALCOHOL",
    "CED_MONEY",
    "CED_DRUG_PARAPHERNALIA",
    "CED_STOLEN_PROPERTY",
    "CED_ELECT_DEVICE",
    "CED_OTHER_CONTRABAND",
)
SEIZURE_BASIS = (
    "BPS_SAFEKEEPING",
    "BPS_CONTRABAND",
    "BPS_EVIDENCE",
    "BPS_IMPOUND_VEHICLE",
    "BPS_ABANDON_PROP",
    "BPS_VIOLENT_SCHOOL",
)
PROPERTY_TYPE = (
    "TPS_FIREARM",
    "TPS_AMMUNITION",
    "TPS_WEAPON",
    "TPS_DRUGS",
    "TPS_ALCOHOL",
    "TPS_MONEY",
    "TPS_DRUG_PARAPHERNALIA",
    "TPS_STOLEN_PROPERTY",
    "TPS_CELLPHONE",
    "TPS_VEHICLE",
    "TPS_CONTRABAND",
)
RESULT = (
    "ROS_NO_ACTION",
    "ROS_WARNING",  # 2018 only: 2024 splits it into verbal (14) and written (15)
    "ROS_CITATION",
    "ROS_IN_FIELD_CITE_RELEASE",
    "ROS_CUSTODIAL_WARRANT",
    "ROS_CUSTODIAL_WITHOU_WARRANT",
    "ROS_FIELD_INTERVIEW_CARD",
    "ROS_NON_CRIMINAL_TRANSPORT",
    "ROS_CONTACT_LEGAL_GUARDIAN",
    "ROS_PSYCH_HOLD",
    "ROS_US_HOMELAND",
    "ROS_REFFERAL_SCHOOL_ADMIN",
    "ROS_REFFERAL_SCHOOL_COUNSELOR",
    "ROS_VERBAL_WARNING",
    "ROS_WRITTEN_WARNING",
)
# The results whose offence codes (Res_O_CD) have a column of their own.
RESULT_OFFENCE_CODES = {
    "2": "ROS_WARNING_CDS",
    "3": "ROS_CITATION_CDS",
    "4": "ROS_IN_FIELD_CITE_RELEASE_CDS",
    "6": "ROS_CUSTODIAL_WOUT_WARRANT_CDS",
    "14": "ROS_VERBAL_WARNING_CDS",
    "15": "ROS_WRITTEN_WARNING_CDS",
}
# Several offence codes of one result in one cell.
CODE_SEPARATOR = ";"
# Columns of codes one era's tables have and the other's do not.
ONLY_2018 = ("RAE_HISPANIC_LATINO", "ROS_WARNING", "ROS_WARNING_CDS")
ONLY_2024 = (
    "RAE_HISPANIC_LATINEX",
    "RFS_RS_MATCH_VEHICLE",
    "ROS_VERBAL_WARNING",
    "ROS_WRITTEN_WARNING",
)
# AGE_GROUP: the age bands of DOJ's RIPA reports, as their upper bounds (the last is open).
AGE_BANDS = (9, 14, 17, 24, 34, 44, 54, 64)
RACE_MULTIPLE = "8"  # RAE_FULL of a person perceived as more than one race
GENDER_MULTIPLE = "6"  # G_FULL of a person perceived as a gender and gender nonconforming
DISABILITY_MULTIPLE = "9"  # PD_FULL of a person perceived with more than one disability

Record = Mapping[str, Any]


def _get(record: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(record, dict):
            return None
        record = record.get(part)
    return record


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _codes(value: Any, item: str) -> list[str]:
    """A list element's codes: ``{"Ethn": ["1", "3"]}``, a lone code, or nothing."""
    if isinstance(value, dict):
        value = value.get(item)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)]


def _items(value: Any, item: str) -> list[Record]:
    """A list element's sub-records (``{"ActTak": [{...}, ...]}``)."""
    if isinstance(value, dict):
        value = value.get(item)
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _flag(value: Any) -> str:
    """A Y/N element as DOJ's 0/1; empty when it was not sent."""
    text = _text(value).upper()
    return "1" if text == "Y" else "0" if text == "N" else ""


def one_hot(codes: Iterable[str], names: tuple[str, ...]) -> dict[str, str]:
    """``names[i]`` is "1" when code ``i + 1`` is among ``codes``, else "0"."""
    cells = dict.fromkeys(names, "0")  # C-fast; the export makes nine of these a person
    for code in codes:
        if code.isdigit() and 0 < int(code) <= len(names):
            cells[names[int(code) - 1]] = "1"
    return cells


def summary(codes: list[str], multiple: str) -> str:
    """A ``*_FULL`` column: the one code, ``multiple`` for several, empty for none."""
    unique = sorted(set(codes), key=lambda c: (len(c), c))
    return unique[0] if len(unique) == 1 else multiple if unique else ""


def age_group(age: Any) -> str:
    text = _text(age)
    if not text.isdigit():
        return ""
    years = int(text)
    return str(next((i for i, top in enumerate(AGE_BANDS, 1) if years <= top), len(AGE_BANDS) + 1))


def stop_cells(
    stop: Record, *, doj_record_id: int, agency_name: str, school_name: str, era_2024: bool
) -> dict[str, str]:
    """The columns of a stop that every one of its persons' rows repeats."""
    location = _get(stop, "Location") or {}
    cells = {
        "DOJ_RECORD_ID": str(doj_record_id),
        "AGENCY_ORI": _text(stop.get("ORI")),
        "AGENCY_NAME": agency_name,
        "TIME_OF_STOP": _text(stop.get("STime")),
        "DATE_OF_STOP": _iso_date(_text(stop.get("SDate"))),
        "STOP_DURATION": _text(stop.get("SDur")),
        "LOC_CLOSEST_CITY" if era_2024 else "CLOSEST_CITY": _text(location.get("City")),
        "SCHOOL_CODE": _text(location.get("K12Code")),
        "SCHOOL_NAME": school_name,
        "K12_SCHOOL_GROUNDS": _flag(location.get("K12_Flag")),
        "CALL_FOR_SERVICE": _flag(stop.get("Is_ServCall")),
    }
    if era_2024:
        cells["WELFARE_WELLNESS_CHECK"] = _flag(stop.get("Is_WelfareCheck"))
        cells.update(one_hot(_codes(stop.get("StopType"), ""), STOP_TYPE))
    return cells


def _iso_date(text: str) -> str:
    """MM/DD/YYYY (the record's form) as YYYY-MM-DD, what spreadsheets and databases read."""
    month, _, rest = text.partition("/")
    day, _, year = rest.partition("/")
    if not (month.isdigit() and day.isdigit() and year.isdigit()):
        return text
    return f"{year}-{int(month):02d}-{int(day):02d}"


def person_cells(person: Record, *, era_2024: bool) -> dict[str, str]:
    """The columns of one person stopped, by the dictionary (era) the record was stored under."""
    perceived = _get(person, "Perc") or {}
    reason = _get(person, "PrimaryReason") or {}
    races = _codes(perceived.get("ListEthn"), "Ethn")
    disabilities = _codes(perceived.get("ListDisb"), "Disb")
    gender = _text(perceived.get("Gend"))
    nonconforming = _text(perceived.get("Nonbinary_Person" if era_2024 else "GendNC"))
    genders = [g for g in (gender, nonconforming) if g]
    cells = {
        "PERSON_NUMBER": _text(person.get("PID")),
        "STOP_STUDENT": _flag(person.get("Is_Stud")),
        "RAE_FULL": summary(races, RACE_MULTIPLE),
        **one_hot(races, RACE),
        "RAE_MULTI_RACIAL": "1" if len(set(races)) > 1 else "0",
        "G_FULL": GENDER_MULTIPLE if len(genders) > 1 else (genders[0] if genders else ""),
        "AGE": _text(perceived.get("Age")),
        "AGE_GROUP": age_group(perceived.get("Age")),
        "LIMITED_ENGLISH_FLUENCY": _flag(perceived.get("Is_LimEng")),
        "PD_FULL": summary(disabilities, DISABILITY_MULTIPLE),
        **one_hot(disabilities, DISABILITY),
        "PD_MULTI": "1" if len(set(disabilities)) > 1 else "0",
        "REASON_FOR_STOP": _text(reason.get("StReas")),
        "RFS_TRAFFIC_VIOLATION_TYPE": _text(reason.get("Tr_ID")),
        "RFS_TRAFFIC_VIOLATION_CODE": _text(reason.get("Tr_O_CD")),
        "RFS_RS_CODE": _text(reason.get("Susp_O_CD")),
        **one_hot(_codes(reason.get("ListSusp_T"), "Susp_T"), SUSPICION),
        "RFS_EC_DISCIPLINE": _text(reason.get("EDU_sec_CD")),
        "RFS_EC_DISCIPLINE_CODE": _text(reason.get("EDU_subDiv_CD")),
        **_searches(person),
        **one_hot(_codes(person.get("ListCB"), "Cb"), CONTRABAND),
        **one_hot(_codes(person.get("ListBasSeiz"), "BasSeiz"), SEIZURE_BASIS),
        **one_hot(_codes(person.get("ListPropType"), "PropType"), PROPERTY_TYPE),
        **_results(person),
    }
    if era_2024:
        cells.update(_cells_2024(person, perceived, reason, gender, nonconforming))
    else:
        cells.update(_cells_2018(person, perceived, gender, nonconforming))
    # A code the other era has no such column for stays empty, never "0" (it was not asked).
    for name in ONLY_2018 if era_2024 else ONLY_2024:
        cells.pop(name, None)
    return cells


def _cells_2018(
    person: Record, perceived: Record, gender: str, nonconforming: str
) -> dict[str, str]:
    actions = _items(person.get("ListActTak"), "ActTak")
    consent = {_text(a.get("Act_CD")): _text(a.get("Is_Con")).upper() for a in actions}
    return {
        **one_hot([gender], GENDER_2018),
        "G_GENDER_NONCONFORMING": "1" if nonconforming else "0",
        "G_MULTIGENDER": "1" if gender and nonconforming else "0",
        "LGBT": _flag(perceived.get("LGBT")),
        **one_hot((_text(a.get("Act_CD")) for a in actions), ACTIONS_2018),
        "ADS_SEARCH_PER_CONSENT": _consent(consent, "17"),
        "ADS_SEARCH_PROP_CONSENT": _consent(consent, "19"),
    }


def _searches(person: Record) -> dict[str, str]:
    """Search bases: empty when the person was not searched (DOJ leaves them blank then)."""
    bases = _codes(person.get("ListBasSearch"), "BasSearch")
    if not bases:
        return dict.fromkeys(SEARCH_BASIS, "")
    return one_hot(bases, SEARCH_BASIS)


def _results(person: Record) -> dict[str, str]:
    results = _items(person.get("ListResult"), "Result")
    cells = one_hot((_text(r.get("ResCD")) for r in results), RESULT)
    for result in results:
        column = RESULT_OFFENCE_CODES.get(_text(result.get("ResCD")))
        if column:
            cells[column] = CODE_SEPARATOR.join(_codes(result.get("Res_O_CD"), ""))
    return cells


def _consent(answers: dict[str, str], asked: str) -> str:
    """Whether consent was given to an asked-for-consent action; empty when it was not asked."""
    answer = answers.get(asked)
    return "" if answer is None else "1" if answer == "Y" else "0"


def _cells_2024(
    person: Record, perceived: Record, reason: Record, gender: str, nonbinary: str
) -> dict[str, str]:
    nonforce = _items(person.get("ListNonForceActTak"), "NonForceActTak")
    consent = {
        _text(a.get("NonForceAct_CD")): _text(a.get("NonForceConsent")).upper() for a in nonforce
    }
    return {
        # 2024 renames the column of race code 3 (Hispanic/Latine(x)).
        "RAE_HISPANIC_LATINEX": "1" if "3" in _codes(perceived.get("ListEthn"), "Ethn") else "0",
        **one_hot([gender], GENDER_2024),
        "G_NONBINARY_PERSON": "1" if nonbinary else "0",
        **one_hot(_codes(perceived.get("SexualOrientation"), ""), ORIENTATION),
        "PERSON_UNHOUSED": _flag(perceived.get("Is_Unhoused")),
        "PASSENGER_IN_VEHICLE": _flag(person.get("Is_Passenger")),
        "INSIDE_RESIDENCE": _flag(person.get("Is_Residence")),
        **one_hot(_codes(reason.get("ListProb_T"), "Prob_T"), PROBABLE_CAUSE),
        "RFS_PC_CODE": _text(reason.get("Prob_O_CD")),
        **one_hot(_codes(reason.get("ListStReas_Given"), "StReas_Given"), REASON_GIVEN),
        **one_hot((_text(a.get("NonForceAct_CD")) for a in nonforce), NONFORCE_ACTIONS),
        "NFA_SEARCH_PERS_CONSENT": _consent(consent, "2"),
        "NFA_SEARCH_PROP_CONSENT": _consent(consent, "3"),
        **one_hot(_codes(person.get("ListForceActTak"), "ForceActTak"), FORCE_ACTIONS),
        **one_hot(_codes(person.get("ConsentType"), ""), CONSENT_TYPE),
    }
