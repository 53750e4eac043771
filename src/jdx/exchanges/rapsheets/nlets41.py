"""Reader for Nlets Rap Sheet 4.1 (NIEM 2.0) portions into the same model as the 2.00 format.

Version 4.1 has no summary, no charge-severity code list and no numeric court action codes
(``docs/conformance.md``); the reader maps what it carries onto the 2.00 model:

- dates ``CCYY-MM-DD`` (``nc:Date``) become ``CCYYMMDD``;
- codes outside the 2.00 tables (e.g. sex "Other") become "Unknown";
- ``j:ChargeSeverityText`` "Felony"/"Misdemeanor"/"Local Ordinance" map to the severity, other
  text to Other, none to Unknown;
- the free-text disposition (``nc:DispositionDescriptionText``) gives the court action type:
  GUILTY/CONVICTED 310, FAILURE TO APPEAR 401, probation/parole revoked or violated 501/502,
  another revocation 504; the text itself is always kept as the disposition;
- ``rap:Supervision`` is a custody segment when its custody status speaks of custody, jail,
  prison or incarceration, a supervision segment otherwise;
- segments get their agency (ORI, name) through the ``...Association`` elements' ``s:ref``.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from jdx.exchanges.rapsheets.model import (
    AgencyInfo,
    ArrestSegment,
    CautionInfo,
    CaveatInfo,
    Charge,
    ChargeDisposition,
    CourtCharge,
    CourtSegment,
    CustodySegment,
    Cycle,
    EyeColorInfo,
    HairColorInfo,
    HeightInfo,
    Identification,
    Introduction,
    RapSheet,
    RequestRef,
    Severity,
    SubjectName,
    SupervisionSegment,
    WeightInfo,
)
from jdx.exchanges.rapsheets.transmission import RapSheetFormatError, codes

RAP = "http://nlets.org/niem2/rapsheet/1.0"
NS = {
    "rap": RAP,
    "nc": "http://niem.gov/niem/niem-core/2.0",
    "j": "http://niem.gov/niem/domains/jxdm/4.1",
    "s": "http://niem.gov/niem/structures/2.0",
}
_S_ID = f"{{{NS['s']}}}id"
_S_REF = f"{{{NS['s']}}}ref"
_CUSTODY = re.compile(r"CUSTODY|JAIL|PRISON|INCARCERAT", re.IGNORECASE)


def is_nlets41(root: etree._Element) -> bool:
    return bool(root.tag == f"{{{RAP}}}RapSheet")


def _text(node: etree._Element | None, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path, NS)
    if found is None or not (found.text or "").strip():
        return None
    return (found.text or "").strip()


def _all(node: etree._Element, path: str) -> list[str]:
    return [(e.text or "").strip() for e in node.findall(path, NS) if (e.text or "").strip()]


def _date(value: str | None) -> str | None:
    if not value:
        return None
    digits = value[:10].replace("-", "")
    return digits if re.fullmatch(r"\d{8}", digits) else None


def _code(value: str | None, table: str) -> str:
    return value if value in codes(table) else "Unknown"


def _severity(text: str | None) -> Severity:
    if not text:
        return Severity.UNKNOWN
    for severity in Severity:
        if text.strip().lower() == severity.value.lower():
            return severity
    return Severity.OTHER


def court_action_type(disposition: str | None) -> str | None:
    """A 2.00 Court Action Type from a 4.1 free-text disposition, where it says one."""
    text = (disposition or "").upper()
    if not text:
        return None
    if "FAIL" in text and "APPEAR" in text:
        return "401"
    if "REVOK" in text or "VIOLAT" in text:
        return "501" if "PROBATION" in text else "502" if "PAROLE" in text else "504"
    if ("GUILTY" in text and "NOT GUILTY" not in text) or "CONVICT" in text:
        return "310"
    return None


def _names(person: etree._Element) -> tuple[SubjectName, ...]:
    out = []
    for name in [
        *person.findall("nc:PersonName", NS),
        *person.findall("nc:PersonAlternateName", NS),
    ]:
        last = _text(name, "nc:PersonSurName")
        if last:
            out.append(
                SubjectName(
                    last=last,
                    first=_text(name, "nc:PersonGivenName"),
                    middle=_text(name, "nc:PersonMiddleName"),
                    suffix=_text(name, "nc:PersonNameSuffixText"),
                )
            )
    return tuple(out)


def _identification(person: etree._Element) -> Identification:
    aug = "j:PersonAugmentation/"
    heights = _all(person, "nc:PersonHeightMeasure/nc:MeasurePointValue")
    weights = _all(person, "nc:PersonWeightMeasure/nc:MeasurePointValue")
    return Identification(
        names=_names(person),
        fbi_number=_text(person, aug + "j:PersonFBIIdentification/nc:IdentificationID"),
        sid_numbers=tuple(
            _all(person, aug + "j:PersonStateFingerprintIdentification/nc:IdentificationID")
        ),
        ssns=tuple(_all(person, "nc:PersonSSNIdentification/nc:IdentificationID")),
        birthdates=tuple(d for d in map(_date, _all(person, "nc:PersonBirthDate/nc:Date")) if d),
        sexes=tuple(_code(v, "Sex") for v in _all(person, "rap:PersonSexText")),
        races=tuple(_code(v, "Race") for v in _all(person, "rap:PersonRaceText")),
        heights=tuple(HeightInfo(h.zfill(2), "inches") for h in heights if h.isdigit()),
        weights=tuple(WeightInfo(w.zfill(3)) for w in weights if w.isdigit()),
        eye_colors=tuple(
            EyeColorInfo(_code(v, "EyeColor")) for v in _all(person, "rap:PersonEyeColorText")
        ),
        hair_colors=tuple(
            HairColorInfo(_code(v, "HairColor")) for v in _all(person, "rap:PersonHairColorText")
        ),
        skin_tones=tuple(_code(v, "SkinTone") for v in _all(person, "rap:PersonSkinToneText")),
        cautions=tuple(
            CautionInfo(caution=text) for text in _all(person, "rap:SubjectCautionInformationText")
        ),
    )


def _introduction(intro: etree._Element | None) -> Introduction:
    if intro is None:
        return Introduction()
    caveats = []
    for caveat in intro.findall("rap:Caveat", NS):
        authority = _text(caveat, "rap:CaveatIssuingAuthorityText")
        text = _text(caveat, "nc:CaveatText") or _text(caveat, "rap:CaveatFormattedText")
        state = authority if authority and re.fullmatch(r"[A-Z]{2}", authority) else None
        if text:
            caveats.append(CaveatInfo(state=state, caveat=text))
    requests = []
    for request in intro.findall("rap:RapSheetRequest", NS):
        person = request.find("rap:RapSheetPerson", NS)
        names = _names(person) if person is not None else ()
        requests.append(
            RequestRef(
                fbi_number=_text(
                    person, "j:PersonAugmentation/j:PersonFBIIdentification/nc:IdentificationID"
                ),
                sid_number=_text(
                    person,
                    "j:PersonAugmentation/j:PersonStateFingerprintIdentification/nc:IdentificationID",
                ),
                name=f"{names[0].last}, {names[0].first or ''}".strip(", ") if names else None,
                purpose_code=_text(request, "rap:PurposeCode"),
                attention=_text(request, "rap:Attention"),
            )
        )
    return Introduction(requests=tuple(requests), caveats=tuple(caveats))


def _organizations(root: etree._Element) -> dict[str, tuple[str | None, str | None]]:
    """``s:id`` → (ORI, name) of every agency and court in the directory."""
    out = {}
    for org in [*root.findall("rap:Agency", NS), *root.findall("rap:Court", NS)]:
        ori = _text(
            org, "j:OrganizationAugmentation/j:OrganizationORIIdentification/nc:IdentificationID"
        )
        name = _text(org, "nc:OrganizationName") or _text(org, "nc:CourtName")
        if org.get(_S_ID):
            out[str(org.get(_S_ID))] = (ori, name)
    return out


def _links(root: etree._Element) -> dict[str, str]:
    """Segment ``s:id`` → organisation ``s:id``, from the association elements."""
    out = {}
    for assoc in root:
        if isinstance(assoc.tag, str) and assoc.tag.endswith("Association"):
            refs = [str(c.get(_S_REF)) for c in assoc if c.get(_S_REF)]
            if len(refs) >= 2:
                out[refs[0]] = refs[1]
    return out


def _charges(segment: etree._Element, path: str) -> list[dict[str, Any]]:
    out = []
    for charge in segment.findall(path, NS):
        counts = _text(charge, "j:ChargeCountQuantity")
        out.append(
            {
                "sequence": _text(charge, "j:ChargeSequenceID/nc:IdentificationID")
                or _text(charge, "j:ChargeSequenceID"),
                "description": _text(charge, "j:ChargeDescriptionText")
                or _text(charge, "rap:ChargeNCICText")
                or "(not stated)",
                "severity": _severity(
                    _text(charge, "j:ChargeSeverityText")
                    or _text(charge, "rap:ChargeSeverityDescriptionText")
                ),
                "counts": int(counts) if counts and counts.isdigit() and int(counts) > 0 else None,
                "dispositions": tuple(
                    ChargeDisposition(text=t)
                    for t in _all(charge, "j:ChargeDisposition/nc:DispositionDescriptionText")
                ),
            }
        )
    return out


def _cycle(
    cycle: etree._Element, orgs: dict[str, tuple[str | None, str | None]], links: dict[str, str]
) -> Cycle:
    def agency(segment: etree._Element) -> tuple[str | None, str | None]:
        ori, name = orgs.get(links.get(str(segment.get(_S_ID)), ""), (None, None))
        # 2.00 wants an ORI or a name for every segment; 4.1 may link none.
        return ori, name or (None if ori else "(not stated)")

    def when(segment: etree._Element) -> str:
        return _date(_text(segment, "nc:ActivityDate/nc:Date")) or earliest

    found = _date(_text(cycle, "rap:CycleEarliestDate/nc:Date"))
    if found is None:
        # Cycles are ordered by this date (seed 2.6.3); a cycle without one cannot be placed.
        raise RapSheetFormatError("a 4.1 rap:RapSheetCycle has no rap:CycleEarliestDate/nc:Date")
    earliest = found
    arrests, courts, custody, supervision = [], [], [], []
    for seg in cycle.findall("rap:Arrest", NS):
        ori, name = agency(seg)
        charges = tuple(Charge(**c) for c in _charges(seg, "rap:ArrestCharge"))
        arrests.append(ArrestSegment(ori, name, when(seg), charges=charges))
    for seg in cycle.findall("rap:CourtAction", NS):
        ori, name = agency(seg)
        court_charges = tuple(
            CourtCharge(
                action_type=court_action_type(
                    c["dispositions"][-1].text if c["dispositions"] else None
                ),
                **c,
            )
            for c in _charges(seg, "rap:CourtCharge")
        )
        courts.append(CourtSegment(ori, name, when(seg), charges=court_charges))
    for seg in cycle.findall("rap:Supervision", NS):
        ori, name = agency(seg)
        status = _text(seg, "nc:SupervisionCustodyStatus/nc:StatusDescriptionText")
        if status and _CUSTODY.search(status):
            custody.append(CustodySegment(ori, name, when(seg), status))
        else:
            supervision.append(SupervisionSegment(ori, name, when(seg), status))
    return Cycle(
        earliest_date=earliest,
        tracking_number=_text(cycle, "rap:CycleTrackingIdentificationID"),
        arrests=tuple(arrests),
        courts=tuple(courts),
        custody=tuple(custody),
        supervision=tuple(supervision),
    )


def read_nlets41(root: etree._Element) -> RapSheet:
    """A 4.1 ``rap:RapSheet`` (already parsed by the hardened parser) as the model."""
    if not is_nlets41(root):
        raise RapSheetFormatError("not an Nlets Rap Sheet 4.1 document (rap:RapSheet)")
    person = root.find("rap:RapSheetPerson", NS)
    if person is None:
        raise RapSheetFormatError("the 4.1 rap sheet has no rap:RapSheetPerson")
    orgs = _organizations(root)
    links = _links(root)
    agencies = {
        ori: AgencyInfo(agency_ori=ori, agency_name=name) for ori, name in orgs.values() if ori
    }
    return RapSheet(
        introduction=_introduction(root.find("rap:Introduction", NS)),
        identification=_identification(person),
        cycles=tuple(_cycle(c, orgs, links) for c in root.findall("rap:RapSheetCycle", NS)),
        agencies=tuple(agencies[o] for o in sorted(agencies)),
    )
