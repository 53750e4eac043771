"""Deterministic stop records for the benchmarks, built from the golden records of both eras.

Valid records are golden valid records (2024 era, and a share of 2018-era ones) with fresh
identifiers and varied values: date within the era, time, duration, officer experience, city,
perceived characteristics, offense codes, and extra persons cloned from the record's own, so
that multi-person stops are common, as they are in the field.

A share of the records (5 % by default) carries ONE planted error: an invalid golden record
(each holds one error and names it in ``_expect``) given fresh identifiers. The kind of error is
drawn first (see ``KINDS``), then a golden record of that kind, so that every kind is planted
about equally often whatever the number of golden files per kind. The same seed gives the same
records on every machine.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from jdx.dictionary import Dictionary, FieldSpec, load_dictionary
from jdx.exchanges.stops.domain_samples import DOMAIN_SAMPLES
from jdx.validation import DICTIONARY_DIR

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "stops"
# Domain -> the key column of its sample CSV (the files: jdx's own samples, as `jdx demo` loads).
DOMAIN_KEYS: dict[str, str] = {"city": "name", "school": "cdsCode", "offense": "offenseCode"}
UPPER_DOMAINS = frozenset({"city"})  # compared in upper case (the dictionary's normalize: upper)
ERAS: dict[str, tuple[dt.date, dt.date]] = {
    "2018": (dt.date(2018, 7, 1), dt.date(2023, 12, 31)),
    "2024": (dt.date(2024, 1, 1), dt.date(2025, 12, 31)),
}
SHARE_2018 = 0.2  # agencies still send (or correct) records of stops before 2024
PERSONS = (1, 1, 1, 1, 1, 2, 2, 2, 3, 4)  # persons per valid stop, drawn uniformly

# The kinds of planted errors, in report order.
KINDS = (
    "missing required field",
    "bad code",
    "too long",
    "bad date or time",
    "conditional rule",
    "list 'none' code with others",
    "cross-field rule",
    "person-level value",
    "record-level value",
)

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Expected:
    """The one planted error of an invalid record: jdx's error code and field path."""

    code: str
    field: str  # jdx notation: "ListPerson_Stopped.Person_Stopped[1].Perc.Age" (1-based)
    kind: str  # one of KINDS
    source: str  # the golden file it comes from
    # What another validator's error must name (or lie inside) to count as finding it: the
    # field, or for an error about a list the list's wrapper (see ``named_within``).
    within: str = ""


@dataclass(slots=True)
class Sample:
    record: Record
    era: str
    expected: Expected | None  # None: the record is valid


def domain_csv(name: str) -> Path:
    return DOMAIN_SAMPLES[name]


def load_domains() -> dict[str, frozenset[str]]:
    """The domain-table samples, as the hub would hold them after `jdx tables load`."""
    domains: dict[str, frozenset[str]] = {}
    for name, path in DOMAIN_SAMPLES.items():
        key = DOMAIN_KEYS[name]
        with path.open(encoding="utf-8-sig", newline="") as fh:
            codes = [(row.get(key) or "").strip() for row in csv.DictReader(fh)]
        domains[name] = frozenset(c.upper() if name in UPPER_DOMAINS else c for c in codes if c)
    return domains


def dictionaries() -> dict[str, Dictionary]:
    return {era: load_dictionary(DICTIONARY_DIR / f"stop-{era}.yaml") for era in ERAS}


def kind_of(expected_code: str, field: str, source: str, d: Dictionary) -> str:
    """Sorts a golden error into one of ``KINDS`` from its rule, field spec and file name."""
    if expected_code.startswith("RV"):
        return "cross-field rule"
    name = source.split("__", 1)[-1]
    # A list's element without a position (``ListSusp_T.Susp_T``) is the whole list.
    spec: FieldSpec | None = d.reported(field)
    if "none-with-other" in name:
        return "list 'none' code with others"
    if "duplicate" in name or "twice" in name:
        # A repeat is the list's error, named at the item that repeats (``BasSearch[2]``,
        # ``Result[2].ResCD``): not a bad code of that item.
        return "person-level value" if "Person_Stopped" in field else "record-level value"
    conditional = spec is not None and (
        not isinstance(spec.required, bool) or spec.forbidden is not None
    )
    if conditional and any(w in name for w in ("missing", "-on-", "without")):
        return "conditional rule"
    if "missing" in name or "no-person" in name:
        return "missing required field"
    if "too-long" in name:
        return "too long"
    if spec is not None and spec.type in ("date", "time"):
        return "bad date or time"
    if (spec is not None and spec.type in ("code", "flag")) or "unknown" in name:
        return "bad code"
    return "person-level value" if "Person_Stopped" in field else "record-level value"


def named_within(field: str, source: str, d: Dictionary) -> str:
    """Where a competitor's error counts as naming a planted one: its field, but for an error
    about a list (required, a repeat, the "none" code with others) anywhere in the list's
    wrapper. jdx names such an error at the element (``...ListBasSearch.BasSearch``) or at the
    item to fix (``...BasSearch[2]``, ``ListResult.Result[2].ResCD``); a JSON Schema or pydantic
    says ``uniqueItems`` or ``required`` of the list itself, which finds the same error."""
    name = source.split("__", 1)[-1]
    spec = d.reported(field)
    whole = spec is not None and spec.type == "list" and spec.item_name is not None
    if not (whole or any(w in name for w in ("duplicate", "twice", "none-with-other"))):
        return field
    steps = field.split(".")
    for end in range(len(steps), 0, -1):
        found = d.find(re.sub(r"\[\d+\]", "", ".".join(steps[:end])))
        if found is not None and found.type == "list" and found.item_name:
            return ".".join(steps[:end])
    return field


def golden(era: str, kind: str) -> list[Path]:
    return sorted((GOLDEN / era / kind).glob("*.json"))


def golden_invalid(era: str, d: Dictionary) -> list[tuple[Record, Expected]]:
    warnings = {r.code for r in d.rules if r.severity == "warning"}
    out = []
    for p in golden(era, "invalid"):
        record = orjson.loads(p.read_bytes())
        expect = record.pop("_expect")
        if expect["code"] in warnings:
            continue  # a warning is not an error: nothing to detect
        field = expect["field"]
        kind = kind_of(expect["code"], field, p.name, d)
        within = named_within(field, p.name, d)
        out.append((record, Expected(expect["code"], field, kind, f"{era}/{p.name}", within)))
    return out


class Generator:
    """Makes record ``i`` of a run; the seed and ``i`` decide everything."""

    def __init__(self, seed: int = 2024, domains: Mapping[str, frozenset[str]] | None = None):
        self.rng = random.Random(seed)
        self.dicts = dictionaries()
        self.valid = {
            era: [orjson.loads(p.read_bytes()) for p in golden(era, "valid")] for era in ERAS
        }
        self.invalid: dict[str, dict[str, list[tuple[Record, Expected]]]] = {}
        for era, d in self.dicts.items():
            by_kind: dict[str, list[tuple[Record, Expected]]] = {}
            for record, expected in golden_invalid(era, d):
                by_kind.setdefault(expected.kind, []).append((record, expected))
            self.invalid[era] = by_kind
        domains = domains if domains is not None else load_domains()
        self.cities = sorted(domains.get("city", frozenset({"SAN DIEGO"})))
        self.offenses = sorted(domains.get("offense", frozenset({"54106"})))

    # --- identifiers --------------------------------------------------------------------------

    @staticmethod
    def lea_record_id(i: int) -> str:
        return f"BENCH-{i:09d}"

    @staticmethod
    def officer_uid(i: int) -> str:
        return f"B{i:08d}"  # 9 letters or digits

    def stop_time(self, like: str) -> str:
        h, m, s = self.rng.randrange(24), self.rng.randrange(60), self.rng.randrange(60)
        return f"{h:02d}:{m:02d}" if len(like) == 5 else f"{h:02d}:{m:02d}:{s:02d}"

    def stop_date(self, era: str) -> str:
        first, last = ERAS[era]
        day = first + dt.timedelta(days=self.rng.randrange((last - first).days + 1))
        return day.strftime("%m/%d/%Y")

    # --- records ------------------------------------------------------------------------------

    def valid_record(self, i: int, era: str = "2024") -> Record:
        rng = self.rng
        r = _copy(rng.choice(self.valid[era]))
        r["LEARecordID"] = self.lea_record_id(i)
        r["Officer"]["UID"] = self.officer_uid(i)
        r["STime"] = self.stop_time(r["STime"])
        r["SDate"] = self.stop_date(era)
        r["SDur"] = str(rng.randint(1, 240))
        r["Officer"]["ExpYears"] = str(rng.randint(1, 50))
        r["Location"]["City"] = rng.choice(self.cities)
        persons: list[Record] = r["ListPerson_Stopped"]["Person_Stopped"]
        wanted = rng.choice(PERSONS)
        while len(persons) < wanted:  # a companion stopped alike (same reason, other looks)
            persons.append(_copy(rng.choice(persons)))
        for number, person in enumerate(persons, 1):
            person["PID"] = str(number)
            self._vary_person(person)
        return r

    def _vary_person(self, person: Record) -> None:
        rng = self.rng
        perc = person["Perc"]
        perc["Age"] = str(rng.randint(1, 120))
        perc["ListEthn"]["Ethn"] = sorted(rng.sample("1234567", rng.choice((1, 1, 1, 2, 3))))
        if perc.get("Gend") in ("1", "2"):  # 3 and 4 tie in with other fields in 2018
            perc["Gend"] = rng.choice("12")
        if "SexualOrientation" in perc:  # 2024 era only
            perc["SexualOrientation"] = rng.choice("12")
            perc["Is_Unhoused"] = rng.choice("NNNNY")
        perc["Is_LimEng"] = rng.choice("NNNY")
        reason = person["PrimaryReason"]
        if reason.get("Tr_O_CD"):
            reason["Tr_O_CD"] = rng.choice(self.offenses)
        for result in person["ListResult"]["Result"]:
            offenses = result.get("Res_O_CD")
            if offenses:
                result["Res_O_CD"] = rng.sample(self.offenses, len(offenses))

    def invalid_record(self, i: int, era: str = "2024") -> tuple[Record, Expected]:
        by_kind = self.invalid[era]
        kind = self.rng.choice([k for k in KINDS if k in by_kind])
        base, expected = self.rng.choice(by_kind[kind])
        r = _copy(base)
        target = expected.field
        # Fresh identifiers, except where the planted error is (or needs the value as it is).
        if r.get("LEARecordID") and target != "LEARecordID":
            r["LEARecordID"] = self.lea_record_id(i)
        officer = r.get("Officer")
        if isinstance(officer, dict) and officer.get("UID") and not target.startswith("Officer"):
            officer["UID"] = self.officer_uid(i)
        if isinstance(r.get("STime"), str) and target != "STime":
            r["STime"] = self.stop_time(r["STime"])
        return r, expected

    def sample(self, i: int, invalid_share: float) -> Sample:
        era = "2018" if self.rng.random() < SHARE_2018 else "2024"
        if self.rng.random() < invalid_share:
            record, expected = self.invalid_record(i, era)
            return Sample(record, era, expected)
        return Sample(self.valid_record(i, era), era, None)


def _copy(record: Record) -> Record:
    """A deep copy (orjson round trip: several times faster than copy.deepcopy)."""
    copied: Record = orjson.loads(orjson.dumps(record))
    return copied


def generate(
    n: int,
    *,
    invalid_share: float = 0.05,
    seed: int = 2024,
    domains: Mapping[str, frozenset[str]] | None = None,
) -> list[Sample]:
    """``n`` records; each is invalid (one planted error) with probability ``invalid_share``."""
    gen = Generator(seed, domains)
    # Millions of long-lived objects: the cyclic GC would rescan them over and over while they
    # are built. They are frozen afterwards so that no timed run pays for scanning them either.
    enabled = gc.isenabled()
    gc.disable()
    try:
        samples = [gen.sample(i, invalid_share) for i in range(n)]
    finally:
        if enabled:
            gc.enable()
    gc.freeze()
    return samples


def iter_valid(seed: int = 2024, era: str = "2024") -> Iterator[Record]:
    """Endless valid records (the HTTP bench uses the first few as wrk body templates)."""
    gen = Generator(seed)
    i = 0
    while True:
        yield gen.valid_record(i, era)
        i += 1
