"""Reader for Nlets Rap Sheet 4.1 (NIEM 2.0) portions into the same model as the 2.00 format.

Issue 15's rule: nothing a responder sent is lost. Every leaf the 2.00 format has an element for
is read into it (charge text and its modifiers, statutes, dispositions with their dates at every
stage, sentences and their terms, case numbers, identifiers...); every other leaf with text is
carried as a ``sourceData`` item (its path and text) of the cycle, the identification or the
sheet it belongs to. Only the leaves on :data:`NOT_CARRIED` are left out, each for a stated
reason, and the sheet then carries a caveat saying how many were. The reader records which
elements it has *taken*; what is left is the source data, so a new element in a state's record
is carried before anyone writes a line for it.

Mappings (``docs/conformance.md``, issue 15):

- dates ``CCYY-MM-DD`` (``nc:Date``, or the date part of ``nc:DateTime``) become ``CCYYMMDD``;
- a code that is not exactly a 2.00 code (sex "Other", hair "Blonde Or Strawberry") becomes the
  nearest 2.00 code or "Unknown", and the code as sent is kept in the source data;
- ``j:ChargeSeverityText`` goes through the severity table (:mod:`.severity`): the seed's class
  for Table 4 and the state's code, both kept;
- the last disposition of a court charge gives the court action type (GUILTY/CONVICTED 310,
  FAILURE TO APPEAR 401, probation/parole revoked or violated 501/502, another revocation 504);
- ``rap:Supervision`` is a custody segment when its custody status or category speaks of custody,
  jail, prison or incarceration, a supervision segment otherwise;
- segments get their agency (ORI, name) and record numbers (ARN, charge agency record) through
  the ``...Association`` elements' ``s:ref``;
- identifiers are normalised (:mod:`.identifiers`): SSN digits, FBI/UCN and SIDs without spaces
  or dashes, a SID without its state prefix given the responding state's;
- the Open Justice Broker's wrapper (``ch-doc:CriminalHistory`` holding ``ch-ext:RapSheet``) is
  unwrapped; its replacements of 4.1 elements are read as those elements and its own extension
  elements are read where 2.00 has a place, carried as source data otherwise.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from lxml import etree

from jdx.exchanges.rapsheets import identifiers
from jdx.exchanges.rapsheets import severity as severity_table
from jdx.exchanges.rapsheets.model import (
    AgencyInfo,
    ArrestSegment,
    BookingSegment,
    CautionInfo,
    CaveatInfo,
    Charge,
    ChargeDisposition,
    ChargeNote,
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
    SmtInfo,
    SourceItem,
    Statute,
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
    "fs": "http://niem.gov/niem/domains/familyServices/2.1",
    "ansi-nist": "http://niem.gov/niem/ansi-nist/2.0",
    "scr": "http://niem.gov/niem/domains/screening/2.1",
}
_PREFIX = {uri: prefix for prefix, uri in NS.items()}
_S_ID = f"{{{NS['s']}}}id"
_S_REF = f"{{{NS['s']}}}ref"
_CUSTODY = re.compile(r"CUSTODY|JAIL|PRISON|INCARCERAT", re.IGNORECASE)
# The OJBC wrapper's elements that stand for a 4.1 element of the same local name.
_OJBC_REPLACES = frozenset({"RapSheet", "RapSheetCycle", "Sentencing", "Sentence"})

# Leaves left out of the 2.00 record, each with its reason; a sheet that had any carries a
# caveat saying how many. Everything else is carried, in an element or as source data.
NOT_CARRIED = {
    "BinaryBase64Object": (
        "an image or print in base64: the rap sheet names where biometrics are held "
        "(photo, palm prints, DNA), it does not carry them"
    ),
}

# 4.1 codes whose 2.00 code has another spelling (rap-code.xsd against the 2.00 XSD's tables).
_NEAREST = {
    "HairColor": {
        "Blonde Or Strawberry": "Blonde",
        "Gray Or Partially Gray": "Gray",
        "Red Or Auburn": "Red",
    },
}

_NOTE_KINDS = (
    ("j:ChargeQualifierText", "qualifier"),
    ("j:ChargeApplicabilityText", "applicability"),
    ("j:ChargeSpecialAllegationText", "special allegation"),
    ("j:ChargeReducingFactorText", "reducing factor"),
    ("j:JuvenileAsAdultIndicator", "juvenile as adult"),
    ("fs:JuvenileStatusOffenseIndicator", "status offense"),
)


def is_nlets41(root: etree._Element) -> bool:
    return bool(root.tag == f"{{{RAP}}}RapSheet") or is_ojbc(root)


def is_ojbc(root: etree._Element) -> bool:
    """The Open Justice Broker's ``CriminalHistory`` document around a 4.1 rap sheet."""
    return etree.QName(root).localname == "CriminalHistory" and _ojbc_sheet(root) is not None


def _ojbc_sheet(root: etree._Element) -> etree._Element | None:
    found = (c for c in root.iter() if c is not root and isinstance(c.tag, str))
    return next((c for c in found if etree.QName(c).localname == "RapSheet"), None)


def _unwrap(root: etree._Element) -> etree._Element:
    """The 4.1 ``rap:RapSheet`` of a document: itself, or the one an OJBC document wraps, with
    the wrapper's stand-ins (``ch-ext:RapSheetCycle``...) renamed to the 4.1 elements."""
    if root.tag == f"{{{RAP}}}RapSheet":
        return root
    sheet = _ojbc_sheet(root)
    if sheet is None:
        raise RapSheetFormatError("not an Nlets Rap Sheet 4.1 document (rap:RapSheet)")
    extension = etree.QName(sheet).namespace
    for element in sheet.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element)
        if name.namespace == extension and name.localname in _OJBC_REPLACES:
            element.tag = f"{{{RAP}}}{name.localname}"
    return sheet


def _date(value: str | None) -> str | None:
    if not value:
        return None
    digits = value.strip()[:10].replace("-", "")
    return digits if re.fullmatch(r"\d{8}", digits) else None


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


class _Reading:
    """One 4.1 document being read: its directory of agencies and links, and the elements
    taken so far (kept alive in the set, so lxml hands out the same proxy each time)."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.taken: set[etree._Element] = set()
        self.by_id = {str(e.get(_S_ID)): e for e in root.iter() if e.get(_S_ID)}
        self.orgs: dict[str, tuple[str | None, str | None]] = {}
        self.agency_of: dict[str, str] = {}  # segment or charge s:id -> organisation s:id
        self.record_of: dict[str, str] = {}  # segment or charge s:id -> record number
        self.state = ""

    # --- taking text ------------------------------------------------------------------------

    def each(self, node: etree._Element, path: str) -> Iterator[tuple[etree._Element, str]]:
        """(element, text) of each non-empty text at ``path``, *not* taken: the caller takes
        what it can use, and the rest is carried as source data."""
        for element in node.iterfind(path, NS):
            text = (element.text or "").strip()
            if text:
                yield element, text

    def take(self, element: etree._Element, value: str) -> str:
        self.taken.add(element)
        return value

    def one(
        self,
        node: etree._Element | None,
        path: str,
        accept: Callable[[str], bool] = lambda _: True,
    ) -> str | None:
        """The first non-empty text at ``path`` that ``accept`` takes, taken; a text it refuses
        stays untaken, and so is carried as sent in the source data."""
        if node is None:
            return None
        return next((self.take(e, t) for e, t in self.each(node, path) if accept(t)), None)

    def reference_date(self, caveat: etree._Element) -> str | None:
        """A caveat's ``rap:CaveatReferenceDate`` (the date itself, no ``nc:Date`` under it)."""
        return _date(self.one(caveat, "rap:CaveatReferenceDate", lambda t: _date(t) is not None))

    def many(self, node: etree._Element, path: str) -> list[str]:
        """Every non-empty text at ``path``, taken."""
        return [self.take(e, t) for e, t in self.each(node, path)]

    def date(self, node: etree._Element | None, path: str) -> str | None:
        """A date at ``path`` (``nc:Date`` or ``nc:DateTime`` under it), taken if it reads."""
        if node is None:
            return None
        for element in node.iterfind(f"{path}/*", NS):
            value = _date(element.text)
            if value:
                self.taken.add(element)
                return value
        return None

    def coded(self, node: etree._Element, path: str, table: str) -> list[str]:
        """Codes mapped to the 2.00 table; a code that is not exactly a 2.00 code stays untaken
        and so is kept, as sent, in the source data."""
        known, nearest = codes(table), _NEAREST.get(table, {})
        return [
            self.take(e, t) if t in known else nearest.get(t, "Unknown")
            for e, t in self.each(node, path)
        ]

    # --- directory ----------------------------------------------------------------------------

    def read_directory(self) -> tuple[AgencyInfo, ...]:
        agencies: dict[str, AgencyInfo] = {}
        for org in [*self.root.findall("rap:Agency", NS), *self.root.findall("rap:Court", NS)]:
            ori = self.one(
                org,
                "j:OrganizationAugmentation/j:OrganizationORIIdentification/nc:IdentificationID",
            )
            name = self.one(org, "nc:OrganizationName")
            if ori and not re.fullmatch(r"[A-Z0-9]{9}", ori):
                # Not an ORI the 2.00 format can carry as one: the name says it instead.
                name, ori = f"{name or 'AGENCY'} (ORI {ori})", None
            if org.get(_S_ID):
                self.orgs[str(org.get(_S_ID))] = (ori, name)
            if ori and ori not in agencies:
                location = "nc:OrganizationLocation/"
                contact = location + "nc:LocationContactInformation/"
                agencies[ori] = AgencyInfo(
                    agency_ori=ori,
                    agency_name=name,
                    address=self.one(org, location + "nc:LocationAddress/nc:AddressFullText")
                    or self._structured_address(org.find(location + "nc:LocationAddress", NS)),
                    phone=self.one(
                        org,
                        contact + "nc:ContactTelephoneNumber/nc:FullTelephoneNumber/"
                        "nc:TelephoneNumberFullID",
                    ),
                    internet=self.one(org, contact + "nc:ContactEmailID"),
                )
        self.state = _responding_state(self.root, agencies)
        return tuple(agencies[o] for o in sorted(agencies))

    def _structured_address(self, address: etree._Element | None) -> str | None:
        if address is None:
            return None
        parts = self.many(address, "nc:StructuredAddress//*")
        return ", ".join(parts) or None

    def read_links(self) -> None:
        """Segment or charge → agency and record number, from the association elements."""
        for assoc in self.root:
            if not isinstance(assoc.tag, str) or not assoc.tag.endswith("Association"):
                continue
            if etree.QName(assoc).namespace != RAP:
                continue  # nc:ResidenceAssociation and the like are read with the person
            refs = [str(c.get(_S_REF)) for c in assoc if c.get(_S_REF)]
            targets = [r for r in refs if r not in self.orgs]
            orgs = [r for r in refs if r in self.orgs]
            if not targets:
                continue
            if orgs:
                self.agency_of.setdefault(targets[0], orgs[0])
            number = self.one(assoc, "*/nc:IdentificationID")
            if number:
                self.record_of.setdefault(targets[0], number)

    def agency(self, segment: etree._Element) -> tuple[str | None, str | None]:
        ori, name = self.orgs.get(self.agency_of.get(str(segment.get(_S_ID)), ""), (None, None))
        # 2.00 wants an ORI or a name for every segment; 4.1 may link none.
        return ori, name or (None if ori else "(not stated)")

    # --- identification ------------------------------------------------------------------------

    def names(self, person: etree._Element) -> tuple[SubjectName, ...]:
        out = []
        for name in [
            *person.findall("nc:PersonName", NS),
            *person.findall("nc:PersonAlternateName", NS),
        ]:
            last = self.one(name, "nc:PersonSurName") or self.one(name, "nc:PersonFullName")
            if last:
                out.append(
                    SubjectName(
                        last=last,
                        first=self.one(name, "nc:PersonGivenName"),
                        middle=self.one(name, "nc:PersonMiddleName"),
                        suffix=self.one(name, "nc:PersonNameSuffixText"),
                    )
                )
        return tuple(out)

    def identification(self, person: etree._Element) -> Identification:
        aug = "j:PersonAugmentation/"
        ssns: list[str] = []
        odd_ssns: list[str] = []
        for value in self.many(person, "nc:PersonSSNIdentification/nc:IdentificationID"):
            digits = identifiers.normal_ssn(value)
            (ssns if digits else odd_ssns).append(digits or value)
        return Identification(
            names=self.names(person),
            fbi_number=next(self.fbi_numbers(person), None),
            sid_numbers=tuple(self.sids(person)),
            correctional_numbers=tuple(
                CorrectionalNumber(number=n, state=self.state or None)
                for n in self.many(
                    person, "rap:PersonCorrectionsIdentification/nc:IdentificationID"
                )
            ),
            ssns=tuple(ssns),
            misc_ids=tuple(
                [MiscId(type="SSN (as reported)", number=v) for v in odd_ssns]
                + list(self.misc_ids(person))
            ),
            drivers_licenses=tuple(self.licenses(person)),
            birthplaces=tuple(self.birthplaces(person)),
            birthdates=tuple(
                d for e in person.findall("nc:PersonBirthDate", NS) if (d := self.date(e, "."))
            ),
            citizenships=tuple(self.many(person, "nc:PersonCitizenshipText")),
            sexes=tuple(self.coded(person, "rap:PersonSexText", "Sex")),
            races=tuple(self.coded(person, "rap:PersonRaceText", "Race")),
            heights=tuple(self.heights(person)),
            weights=tuple(self.weights(person)),
            eye_colors=tuple(
                EyeColorInfo(c) for c in self.coded(person, "rap:PersonEyeColorText", "EyeColor")
            ),
            hair_colors=tuple(
                HairColorInfo(c) for c in self.coded(person, "rap:PersonHairColorText", "HairColor")
            ),
            skin_tones=tuple(self.coded(person, "rap:PersonSkinToneText", "SkinTone")),
            smts=tuple(self.smts(person)),
            employments=tuple(self.employments()),
            residences=tuple(self.residences()),
            cautions=tuple(
                CautionInfo(caution=t, state=self.state or None)
                for t in self.many(person, "rap:SubjectCautionInformationText")
            ),
            iffs_disqualified=self.one(person, aug + "j:PersonFirearmSalesDisqualifiedCode"),
            offender_notices=tuple(
                OffenderNoticeInfo(offender_notice=t, state=self.state or None)
                for t in self.many(person, "j:SubjectOffenderNoticeText")
            ),
            ethnicities=tuple(self.many(person, "rap:PersonEthnicityText")),
            blood_types=tuple(self.many(person, "rap:PersonBloodTypeText")),
            marital_statuses=tuple(
                self.many(person, "rap:PersonMaritalStatusText")
                + self.many(person, "nc:PersonMaritalStatusText")
            ),
            registered_offender=_boolean(
                self.one(person, aug + "j:PersonRegisteredOffenderIndicator")
            ),
            protection_orders=tuple(self.protection_orders()),
            death_dates=tuple(
                d for e in person.findall("nc:PersonDeathDate", NS) if (d := self.date(e, "."))
            ),
        )

    def fbi_numbers(self, person: etree._Element) -> Iterator[str]:
        """FBI numbers as 2.00 writes them; one that cannot be one stays in the source data."""
        path = "j:PersonAugmentation/j:PersonFBIIdentification/nc:IdentificationID"
        for element, value in self.each(person, path):
            number = identifiers.normal_fbi_number(value) or ""
            if identifiers.is_fbi_number(number):
                yield self.take(element, number)

    def sids(self, person: etree._Element) -> Iterator[str]:
        path = "j:PersonAugmentation/j:PersonStateFingerprintIdentification/nc:IdentificationID"
        for element, value in self.each(person, path):
            number = identifiers.state_sid(value, self.state)
            if identifiers.is_sid(number):
                yield self.take(element, number)

    def protection_orders(self) -> Iterator[ProtectionOrder]:
        """The OJBC wrapper's ``ch-ext:Order`` elements (4.1 itself has none)."""
        for order in self.root:
            if not isinstance(order.tag, str) or not order.tag.endswith("}Order"):
                continue
            found = ProtectionOrder(
                order_type=self.one(order, "nc:ActivityCategoryText"),
                order_number=self.one(order, "nc:ActivityIdentification/nc:IdentificationID"),
                issued_date=self.date(order, "nc:ActivityDate"),
                issuing_court=self.one(order, "j:CourtOrderIssuingCourt/nc:OrganizationName"),
                case_number=self.one(order, "*/nc:ActivityIdentification/nc:IdentificationID"),
                served_date=self.date(order, "j:CourtOrderServiceDate"),
                service=self.one(order, "j:CourtOrderServiceDescriptionText"),
                expiration_date=self._expiration(order),
                description=self.one(order, "nc:ActivityDescriptionText"),
            )
            if found != ProtectionOrder():
                yield found

    def _expiration(self, order: etree._Element) -> str | None:
        for child in order:
            if isinstance(child.tag, str) and child.tag.endswith("}ProtectionOrderExpirationDate"):
                return self.date(child, ".")
        return None

    def misc_ids(self, person: etree._Element) -> Iterator[MiscId]:
        for other in person.findall("nc:PersonOtherIdentification", NS):
            number = self.one(other, "nc:IdentificationID")
            if number:
                kind = self.one(other, "rap:IdentificationCategoryText") or self.one(
                    other, "nc:IdentificationCategoryText"
                )
                yield MiscId(type=kind, number=number)

    def licenses(self, person: etree._Element) -> Iterator[DriversLicense]:
        for licence in person.findall("j:PersonAugmentation/nc:DriverLicense", NS):
            ident = licence.find("nc:DriverLicenseIdentification", NS)
            if ident is None:
                continue
            state = self.state
            for path in (
                "j:IdentificationJurisdictionNCICLSTACode",
                "nc:IdentificationJurisdictionText",
            ):
                for element, value in self.each(ident, path):
                    if re.fullmatch(r"[A-Z]{2}", value):
                        state = self.take(element, value)
            # Without an issuing state 2.00 has no licence to write: the number stays untaken
            # and is carried as source data.
            if state:
                number = self.one(ident, "nc:IdentificationID")
                if number:
                    yield DriversLicense(number=number, state=state)

    def birthplaces(self, person: etree._Element) -> Iterator[str]:
        for place in person.findall("nc:PersonBirthLocation", NS):
            for element in place.iter():
                text = (element.text or "").strip()
                if len(element) == 0 and re.fullmatch(r"[A-Z0-9]{1,2}", text):
                    self.taken.add(element)  # a code the 2.00 birthplace can hold
                    yield text

    def heights(self, person: etree._Element) -> Iterator[HeightInfo]:
        for element, value in self.each(person, "nc:PersonHeightMeasure/nc:MeasurePointValue"):
            inches = value.lstrip("0")
            if value.isdigit() and 2 <= len(inches) <= 3:
                yield HeightInfo(self.take(element, inches), "inches")

    def weights(self, person: etree._Element) -> Iterator[WeightInfo]:
        for element, value in self.each(person, "nc:PersonWeightMeasure/nc:MeasurePointValue"):
            pounds = value.lstrip("0")
            if value.isdigit() and len(pounds) <= 3:
                yield WeightInfo(self.take(element, pounds.zfill(3)))

    def smts(self, person: etree._Element) -> Iterator[SmtInfo]:
        for feature in person.findall("nc:PersonPhysicalFeature", NS):
            words = [
                self.one(feature, "nc:PhysicalFeatureCategoryText"),
                self.one(feature, "nc:PhysicalFeatureDescriptionText"),
                self.one(feature, "nc:PhysicalFeatureLocationText"),
            ]
            text = " - ".join(w for w in words if w)
            # 2.00 holds an SMT's words or its NCIC code: with words, the code stays untaken
            # and travels as source data.
            code = None if text else self.one(feature, "nc:PhysicalFeatureCategoryCode")
            if text or code:
                yield SmtInfo(
                    agency_name=f"STATE OF {self.state}" if self.state else "(not stated)",
                    smt=text or None,
                    code=code,
                    link=self.one(feature, "nc:PhysicalFeatureImage/nc:BinaryLocationURI"),
                    date=self.date(feature, "nc:PhysicalFeatureImage/nc:BinaryCaptureDate"),
                )

    def employments(self) -> Iterator[Employment]:
        for assoc in self.root.findall("nc:PersonEmploymentAssociation", NS):
            occupation = self.one(assoc, "nc:EmployeeOccupation") or self.one(
                assoc, "nc:EmployeeOccupationText"
            )
            employer = self.one(assoc, "nc:Employer//nc:OrganizationName")
            if occupation or employer:
                yield Employment(
                    occupation=occupation,
                    employer=employer,
                    date=self.date(assoc, "nc:AssociationBeginDate"),
                )

    def residences(self) -> Iterator[Residence]:
        locations = {str(loc.get(_S_ID)): loc for loc in self.root.findall("nc:Location", NS)}
        for assoc in self.root.findall("nc:ResidenceAssociation", NS):
            ref = next((str(c.get(_S_REF)) for c in assoc if c.get(_S_REF) in locations), None)
            location = locations.get(ref or "")
            if location is None:
                continue
            address = self.one(location, "nc:LocationAddress/nc:AddressFullText") or (
                self._structured_address(location.find("nc:LocationAddress", NS))
            )
            if address:
                yield Residence(address=address, date=self.date(assoc, "nc:AssociationBeginDate"))

    # --- introduction ---------------------------------------------------------------------------

    def introduction(self, intro: etree._Element | None) -> Introduction:
        if intro is None:
            return Introduction()
        caveats = []
        for caveat in intro.findall("rap:Caveat", NS):
            authority = self.one(caveat, "rap:CaveatIssuingAuthorityText")
            date = self.reference_date(caveat)
            for text in self.many(caveat, "nc:CaveatText") + self.many(
                caveat, "rap:CaveatFormattedText"
            ):
                is_state = bool(authority and re.fullmatch(r"[A-Z]{2}", authority))
                caveats.append(
                    CaveatInfo(
                        state=authority if is_state else None,
                        caveat=text,
                        authority=None if is_state else authority,
                        date=date,
                    )
                )
        requests = []
        for request in intro.findall("rap:RapSheetRequest", NS):
            person = request.find("rap:RapSheetPerson", NS)
            names = self.names(person) if person is not None else ()
            fbi = next(self.fbi_numbers(person), None) if person is not None else None
            sid = next(self.sids(person), None) if person is not None else None
            purpose = self.one(request, "rap:PurposeCode", codes("PurposeCode").__contains__)
            requests.append(
                RequestRef(
                    fbi_number=fbi,
                    sid_number=sid,
                    name=", ".join(p for p in (names[0].last, names[0].first) if p)
                    if names
                    else None,
                    purpose_code=purpose,
                    attention=self.one(request, "rap:Attention"),
                )
            )
        return Introduction(requests=tuple(requests), caveats=tuple(caveats))

    # --- charges and segments -----------------------------------------------------------------

    def charge(self, node: etree._Element, *, court: bool = False) -> Charge:
        charge_text = self.one(node, "j:ChargeText")
        descriptions = self.many(node, "j:ChargeDescriptionText")
        ncic_texts = self.many(node, "rap:ChargeNCICText")
        statutes = tuple(self.statute(s) for s in node.findall("rap:ChargeStatute", NS))
        description = (
            charge_text
            or (descriptions[0] if descriptions else None)
            or next((s.text for s in statutes if s.text), None)
            or (ncic_texts[0] if ncic_texts else None)
            or "(not stated)"
        )
        extra = descriptions if charge_text else descriptions[1:]
        notes = [ChargeNote("description", d) for d in extra]
        for path, kind in _NOTE_KINDS:
            notes += [ChargeNote(kind, t) for t in self.many(node, path)]
        # The OJBC wrapper's alert (ch-ext:ChargeAlertDescriptionText), whatever its namespace.
        for child in node:
            alert = isinstance(child.tag, str) and child.tag.endswith("}ChargeAlertDescriptionText")
            if alert and (child.text or "").strip():
                self.taken.add(child)
                notes.append(ChargeNote("alert", (child.text or "").strip()))
        severity_code = self.one(node, "j:ChargeSeverityText")
        severity_words = self.one(node, "rap:ChargeSeverityDescriptionText")
        mapped = severity_table.classify(severity_code or severity_words, self.state)
        # A count 2.00 can hold (a positive integer) is taken; any other stays source data.
        counts = self.one(node, "j:ChargeCountQuantity", lambda t: t.isdigit() and int(t) > 0)
        dispositions = tuple(
            ChargeDisposition(
                date=self.date(d, "nc:DispositionDate"),
                text=text,
                detail=self.one(d, "j:ChargeDispositionOtherText"),
            )
            for d in [
                *node.findall("j:ChargeDisposition", NS),
                *node.findall("rap:ChargeDisposition", NS),
            ]
            if (
                text := self.one(d, "nc:DispositionDescriptionText")
                or self.one(d, "j:ChargeDispositionOtherText")
            )
        )
        own_id = str(node.get(_S_ID) or "")
        fields: dict[str, Any] = {
            "sequence": self.one(node, "j:ChargeSequenceID/nc:IdentificationID"),
            "identifier": self.one(node, "j:ChargeIdentification/nc:IdentificationID"),
            "tracking_number": self.one(node, "j:ChargeTrackingIdentification/nc:IdentificationID"),
            "description": description,
            "notes": tuple(notes),
            "statutes": statutes,
            "ncic_code": self.one(node, "j:ChargeNCICCode"),
            "ncic_texts": tuple(t for t in ncic_texts if t != description),
            "severity": mapped.severity,
            "severity_class": severity_code if severity_code else None,
            # The state's words, else the severity table's ("Third-degree felony" for F3), so a
            # reader of the record needs no table of the state's classes.
            "severity_text": severity_words
            or (
                mapped.label
                if mapped.label and severity_code and mapped.label.upper() != severity_code.upper()
                else None
            ),
            "counts": int(counts) if counts else None,
            "dispositions": dispositions,
            "agency_record": self.record_of.get(own_id),
        }
        if not court:
            return Charge(**fields)
        last = dispositions[-1].text if dispositions else None
        return CourtCharge(**fields, action_type=court_action_type(last))

    def statute(self, node: etree._Element) -> Statute:
        jurisdiction = self.one(node, "j:StatuteJurisdiction/nc:LocationStateUSPostalServiceCode")
        return Statute(
            code=self.one(node, "j:StatuteCodeIdentification/nc:IdentificationID"),
            jurisdiction=jurisdiction or self.one(node, "j:StatuteJurisdiction/*"),
            text=self.one(node, "j:StatuteText"),
            offense_code=self.one(node, "rap:StatuteOffenseStateCodeText"),
            offense_id=self.one(node, "j:StatuteOffenseIdentification/nc:IdentificationID"),
        )

    def charges(
        self, segment: etree._Element, path: str, *, court: bool = False
    ) -> tuple[Any, ...]:
        return tuple(self.charge(c, court=court) for c in segment.findall(path, NS))

    def number(self, segment: etree._Element, path: str) -> str | None:
        return self.one(segment, f"{path}/nc:IdentificationID") or self.record_of.get(
            str(segment.get(_S_ID) or "")
        )

    def cycle(self, node: etree._Element) -> Cycle:
        earliest = self.date(node, "rap:CycleEarliestDate")
        if earliest is None:
            # Cycles are ordered by this date (seed 2.6.3); a cycle without one cannot be placed.
            raise RapSheetFormatError(
                "a 4.1 rap:RapSheetCycle has no rap:CycleEarliestDate/nc:Date"
            )

        def when(segment: etree._Element) -> str:
            return self.date(segment, "nc:ActivityDate") or earliest or ""

        arrests = [
            ArrestSegment(
                *self.agency(seg),
                when(seg),
                case_number=self.number(seg, "j:ArrestAgencyRecordIdentification"),
                charges=self.charges(seg, "rap:ArrestCharge"),
            )
            for seg in node.findall("rap:Arrest", NS)
        ]
        bookings = [
            BookingSegment(
                *self.agency(seg),
                when(seg),
                booking_number=self.number(seg, "j:BookingAgencyRecordIdentification"),
            )
            for seg in node.findall("rap:Booking", NS)
        ]
        juvenile = [
            JuvenileSegment(
                *self.agency(seg),
                when(seg),
                case_number=self.number(seg, "rap:JuvenileActivityAgencyRecordIdentification"),
                charges=self.charges(seg, "rap:JuvenileActivityCharge"),
            )
            for seg in node.findall("rap:JuvenileActivity", NS)
        ]
        prosecutions = [
            ProsecutionSegment(
                *self.agency(seg),
                when(seg),
                case_number=self.number(seg, "rap:ProsecutionAgencyRecordIdentification"),
                charges=self.charges(seg, "rap:ProsecutionCharge"),
            )
            for seg in node.findall("rap:Prosecution", NS)
        ]
        courts = [
            CourtSegment(
                *self.agency(seg),
                when(seg),
                case_number=self.number(seg, "rap:CourtRecordIdentification"),
                case_status=tuple(self.many(seg, "rap:CourtCaseStatusText")),
                charges=self.charges(seg, "rap:CourtCharge", court=True),
            )
            for seg in node.findall("rap:CourtAction", NS)
        ]
        sentencings = [
            SentencingSegment(
                *self.agency(seg),
                when(seg),
                case_number=self.number(seg, "rap:SentencingCourtRecordIdentification"),
                sentences=tuple(self.sentence(s) for s in seg.findall("rap:Sentence", NS)),
            )
            for seg in node.findall("rap:Sentencing", NS)
        ]
        custody, supervision = self.supervisions(node, when)
        post = [
            PostSentenceSegment(
                *self.agency(seg),
                when(seg),
                event=self.one(seg, "rap:PostSentenceEventText"),
                description=self.one(seg, "nc:ActivityDescriptionText"),
            )
            for seg in node.findall("rap:PostSentenceAction", NS)
        ]
        return Cycle(
            earliest_date=earliest,
            tracking_number=self.one(node, "rap:CycleTrackingIdentificationID"),
            caveats=tuple(self.cycle_caveats(node)),
            arrests=tuple(arrests),
            bookings=tuple(bookings),
            juvenile=tuple(juvenile),
            prosecutions=tuple(prosecutions),
            courts=tuple(courts),
            sentencings=tuple(sentencings),
            custody=tuple(custody),
            supervision=tuple(supervision),
            post_sentence=tuple(post),
        )

    def cycle_caveats(self, node: etree._Element) -> Iterator[CycleCaveat]:
        for caveat in node.findall("rap:CycleCaveat", NS):
            authority = self.one(caveat, "rap:CaveatIssuingAuthorityText")
            date = self.reference_date(caveat)
            for text in self.many(caveat, "nc:CaveatText") + self.many(
                caveat, "rap:CaveatFormattedText"
            ):
                yield CycleCaveat(caveat=text, date=date, authority=authority)

    def sentence(self, node: etree._Element) -> Sentence:
        terms = [
            SentenceTerm(
                kind=self.one(t, "nc:ActivityCategoryText"),
                minimum=self.one(t, "j:TermMinimumDuration"),
                maximum=self.one(t, "j:TermMaximumDuration"),
                description=self.one(t, "nc:ActivityDescriptionText"),
            )
            for t in node.findall("j:SupervisionAssignedTerm", NS)
        ]
        return Sentence(
            description=self.one(node, "j:SentenceDescriptionText")
            or self.one(node, "nc:ActivityDescriptionText"),
            date=self.date(node, "nc:ActivityDate"),
            terms=tuple(t for t in terms if t != SentenceTerm()),
            court_cost=self.one(node, "rap:CourtCostAmount"),
            fine=self.one(node, "rap:SupervisionFineAmount"),
            conditions=tuple(
                self.many(node, "j:SupervisionDisciplinaryAction/nc:ActivityDescriptionText")
            ),
            charges=self.charges(node, "rap:SentenceCharge"),
        )

    def supervisions(
        self, node: etree._Element, when: Any
    ) -> tuple[list[CustodySegment], list[SupervisionSegment]]:
        custody, supervision = [], []
        for seg in node.findall("rap:Supervision", NS):
            status = self.one(seg, "nc:SupervisionCustodyStatus/nc:StatusDescriptionText")
            category = seg.find("nc:ActivityCategoryText", NS)
            kind = (category.text or "") if category is not None else ""
            numbers = tuple(
                self.many(seg, "rap:SupervisionAgencyRecordIdentification/nc:IdentificationID")
                + self.many(seg, "rap:SupervisionCourtRecordIdentification/nc:IdentificationID")
            )
            ended = self.date(seg, "nc:SupervisionRelease/nc:ActivityDate")
            charges = self.charges(seg, "rap:SupervisionCharge")
            if _CUSTODY.search(f"{kind} {status or ''}"):
                custody.append(
                    CustodySegment(
                        *self.agency(seg),
                        when(seg),
                        status,
                        ended,
                        case_numbers=numbers,
                        charges=charges,
                    )
                )
            else:
                supervision.append(
                    SupervisionSegment(
                        *self.agency(seg),
                        when(seg),
                        status,
                        ended,
                        case_numbers=numbers,
                        charges=charges,
                    )
                )
        return custody, supervision

    def extension_fields(self) -> Iterator[SourceItem]:
        """``rap:ExtensionField`` name and value as one item, so the pair stays together."""
        for field in self.root.findall("rap:ExtensionField", NS):
            name, value = field.find("rap:FieldName", NS), field.find("rap:FieldValue", NS)
            if name is None or value is None:
                continue  # half a pair: left to the source data as it is
            label, text = (name.text or "").strip(), (value.text or "").strip()
            if label and text:
                self.taken.update((name, value))
                yield SourceItem(path=f"rap:ExtensionField/{label}", value=text)

    # --- what is left -----------------------------------------------------------------------

    def leftovers(
        self, cycles: dict[int, etree._Element], person: etree._Element
    ) -> tuple[dict[int, list[SourceItem]], list[SourceItem], list[SourceItem], int]:
        """Every leaf with text not taken: as source data of its cycle (an association's
        leaves go with the cycle of the segment it links), of the person, or of the sheet;
        with the count of leaves not carried (:data:`NOT_CARRIED`)."""
        of_cycle: dict[int, list[SourceItem]] = {}
        of_person: list[SourceItem] = []
        of_sheet: list[SourceItem] = []
        dropped = 0
        # Keyed by the elements themselves: holding them keeps lxml's proxies (and so their
        # identity) alive; an id() of a proxy that was freed could be reused by another.
        cycle_of_element = {e: i for i, c in cycles.items() for e in c.iter()}
        for element in self.root.iter():
            if not isinstance(element.tag, str) or len(element) or element in self.taken:
                continue
            text = (element.text or "").strip()
            if not text:
                continue
            if etree.QName(element).localname in NOT_CARRIED:
                dropped += 1
                continue
            anchor, index = self._anchor(element, cycle_of_element, person)
            item = SourceItem(path=_path(element, anchor), value=text)
            if index is not None:
                of_cycle.setdefault(index, []).append(item)
            elif anchor is person:
                of_person.append(item)
            else:
                of_sheet.append(item)
        return of_cycle, of_person, of_sheet, dropped

    def _anchor(
        self, element: etree._Element, cycle_of: dict[etree._Element, int], person: etree._Element
    ) -> tuple[etree._Element, int | None]:
        top = element
        while top.getparent() is not None and top.getparent() is not self.root:
            top = top.getparent()
        if element in cycle_of:
            return top, cycle_of[element]
        if top is person:
            return person, None
        # An association's leaf belongs with the segment it links.
        for ref in (c.get(_S_REF) for c in top if c.get(_S_REF)):
            target = self.by_id.get(str(ref))
            if target is not None and target in cycle_of:
                return self.root, cycle_of[target]
        return self.root, None


def _path(element: etree._Element, anchor: etree._Element) -> str:
    names = []
    node: etree._Element | None = element
    while node is not None and node is not anchor:
        names.append(_prefixed(node))
        node = node.getparent()
    return "/".join(reversed(names))


def _prefixed(element: etree._Element) -> str:
    name = etree.QName(element)
    prefix = _PREFIX.get(name.namespace or "") or element.prefix or ""
    return f"{prefix}:{name.localname}" if prefix else name.localname


def _boolean(value: str | None) -> str | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    return lowered if lowered in ("true", "false") else ("true" if lowered == "1" else "false")


def _responding_state(root: etree._Element, agencies: dict[str, AgencyInfo]) -> str:
    """The state that sent the record: the one most of its agencies' ORIs begin with (an ORI
    begins with its state's code), else the issuing authority of its first caveat."""
    counts: dict[str, int] = {}
    for ori in agencies:
        counts[ori[:2]] = counts.get(ori[:2], 0) + 1
    if counts:
        return max(sorted(counts), key=lambda s: counts[s])
    for authority in root.iterfind(
        "rap:Introduction/rap:Caveat/rap:CaveatIssuingAuthorityText", NS
    ):
        text = (authority.text or "").strip()
        if re.fullmatch(r"[A-Z]{2}", text):
            return text
    return ""


def read_nlets41(document: etree._Element) -> RapSheet:
    """A 4.1 ``rap:RapSheet`` (or the OJBC document around one), already parsed by the hardened
    parser, as the model."""
    if not is_nlets41(document):
        raise RapSheetFormatError("not an Nlets Rap Sheet 4.1 document (rap:RapSheet)")
    root = _unwrap(document)
    person = root.find("rap:RapSheetPerson", NS)
    if person is None:
        raise RapSheetFormatError("the 4.1 rap sheet has no rap:RapSheetPerson")
    reading = _Reading(root)
    agencies = reading.read_directory()
    reading.read_links()
    introduction = reading.introduction(root.find("rap:Introduction", NS))
    identification = reading.identification(person)
    cycle_nodes = dict(enumerate(root.findall("rap:RapSheetCycle", NS)))
    cycles = {i: reading.cycle(node) for i, node in cycle_nodes.items()}
    extensions = list(reading.extension_fields())
    of_cycle, of_person, of_sheet, dropped = reading.leftovers(cycle_nodes, person)
    for index, items in of_cycle.items():
        cycles[index] = _with_source(cycles[index], items)
    identification = _with_source(identification, of_person)
    if dropped:
        introduction = _with_caveat(introduction, dropped, reading.state)
    return RapSheet(
        introduction=introduction,
        identification=identification,
        cycles=tuple(cycles[i] for i in sorted(cycles)),
        agencies=agencies,
        source_data=tuple(extensions + of_sheet),
    )


def _with_source(item: Any, extra: Iterable[SourceItem]) -> Any:
    extra = tuple(extra)
    return dataclasses.replace(item, source_data=item.source_data + extra) if extra else item


def _with_caveat(intro: Introduction, dropped: int, state: str) -> Introduction:
    reasons = "; ".join(f"{name}: {why}" for name, why in NOT_CARRIED.items())
    caveat = CaveatInfo(
        caveat=(
            f"NOT CARRIED: {dropped} element(s) of the portion"
            f"{' from ' + state if state else ''} are not part of this record ({reasons})."
        ),
        authority="JDX",
    )
    return dataclasses.replace(intro, caveats=(*intro.caveats, caveat))
