"""The stop dictionary against python-jsonschema, jsonschema-rs and pydantic v2, in one run.

Every competitor gets the same in-memory Python dicts (as ``orjson.loads`` gives them) and
returns its complete list of errors for each record:

- ``jdx``: ``ValidationService.validate("stop", record)``, the public call every channel uses
  (it picks the era's dictionary itself);
- ``jsonschema``: ``Draft202012Validator(schema).iter_errors(record)`` on the JSON Schema jdx
  publishes (ICD Attachment B), one schema per era;
- ``jsonschema-rs``: ``jsonschema_rs.Draft202012Validator(schema).iter_errors(record)``, the
  same schemas; it takes the Python objects directly, so nothing is serialised for it;
- ``pydantic``: ``Model.model_validate(record)`` on the models ``bench.pydantic_stop``
  generates from the same dictionaries.

The three competitors pick the era's schema or model with ``era_of`` (inside the timed call, as
jdx does its own choice). Speed: records/s of the whole list, best of ``--repeat`` runs after
one warm-up run. Completeness: for each record with a planted error, whether some reported error
names the planted field (or a part of it); jdx must also give the planted error code. Valid
records must get no error at all (false positives are reported too).
"""

from __future__ import annotations

import gc
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.records import ERAS, KINDS, Sample, dictionaries, generate, load_domains

Validate = Callable[[dict[str, Any]], Any]
Paths = Callable[[Any], list[str]]  # a competitor's result -> the jdx-style paths it names

# What a JSON Schema cannot say about these records (and jdx's generated schema therefore
# leaves to the hub, saying so in its descriptions); the detection table shows the cost.
SCHEMA_LIMITS = [
    "cross-field rules (RV...): conditions across groups and list items",
    "conditional requirements whose condition is outside the object holding the field (e.g. "
    "Officer.ATOth on /Officer.AT, a person field on Location.K12_Flag) or on list items "
    "('action 12 taken'): jdx's generator writes if/then only within one object",
    "ranges of numbers sent as text, as every number of these records is (minimum/maximum "
    "apply to JSON numbers only): duration, age, experience, person number",
    "domain tables loaded from CSV (ORI, city, school, offense codes): the static schema "
    "accepts any text there, blank included (inlining them as enums is possible, not done)",
    "real calendar dates and 'not in the future' (a pattern accepts 02/30/2024)",
    "a unique key in a list of objects (person number, action code, result code)",
]


@dataclass
class Competitor:
    name: str
    validate: Validate  # the timed call: record -> complete result
    paths: Paths  # untimed: result -> jdx-style paths of every error it reports
    codes: Callable[[Any], set[tuple[str, str]]] | None = None  # jdx only: (code, path)
    checks: str = ""  # what it checks, in words


@dataclass
class Result:
    name: str
    checks: str
    records_timed: int
    seconds: list[float]
    cpu_seconds: list[float]
    records_per_s: float  # best wall-clock run
    records_per_cpu_s: float  # best run by this process's CPU time (robust on a shared machine)
    planted: int
    detected: int
    by_kind: dict[str, list[int]]  # kind -> [detected, planted]
    missed: dict[str, int]  # golden source (code field) -> times missed
    valid_checked: int
    false_positives: int
    false_positive_examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the era choice the competitors share -------------------------------------------------------


def era_of(record: dict[str, Any]) -> str:
    """The dictionary version of a record: 2018 for a readable stop date before 2024, else 2024
    (jdx's rule; an unreadable date is reported by either version)."""
    text = record.get("SDate")
    if text.__class__ is str and len(text) == 10 and text[6:10].isdigit():
        return "2018" if text[6:10] < "2024" else "2024"
    return "2024"


def jdx_path(parts: Iterable[Any]) -> str:
    """A JSON path as jdx writes it: ``a.b[1].c`` with 1-based list positions."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p + 1}]"
        else:
            out += f".{p}" if out else str(p)
    return out


# --- competitors --------------------------------------------------------------------------------


def jdx_competitor(domains: dict[str, frozenset[str]]) -> Competitor:
    from jdx.validation import ValidationService

    service = ValidationService(domains)
    for era in ERAS:
        service.add_file(f"stop-{era}")
    validate = service.validate

    def run(record: dict[str, Any]) -> Any:
        return validate("stop", record)

    def errors(outcome: Any) -> list[Any]:
        return [i for i in outcome.issues if i.severity != "warning"]

    return Competitor(
        "jdx",
        run,
        paths=lambda outcome: [i.field for i in errors(outcome)],
        codes=lambda outcome: {(i.code, i.field) for i in errors(outcome)},
        checks="every rule of the dictionary",
    )


def schemas() -> dict[str, dict[str, Any]]:
    from jdx.dictionary.icd.jsonschema import json_schema

    return {era: json_schema(d) for era, d in dictionaries().items()}


def _required_paths(base: list[Any], missing: Iterable[str]) -> list[str]:
    return [jdx_path([*base, name]) for name in missing]


def jsonschema_competitor() -> Competitor:
    from jsonschema import Draft202012Validator

    by_era = {era: Draft202012Validator(s) for era, s in schemas().items()}

    def run(record: dict[str, Any]) -> Any:
        return list(by_era[era_of(record)].iter_errors(record))

    def paths(errors: list[Any]) -> list[str]:
        out: list[str] = []
        for e in errors:
            where = list(e.absolute_path)
            out.append(jdx_path(where))
            if e.validator == "required" and isinstance(e.instance, dict):
                out += _required_paths(where, (p for p in e.validator_value if p not in e.instance))
            out += paths(list(e.context or ()))  # anyOf: why each branch failed
        return out

    return Competitor(
        "python-jsonschema",
        run,
        paths,
        checks="what the generated JSON Schema expresses (see limits)",
    )


def jsonschema_rs_competitor() -> Competitor:
    import jsonschema_rs

    by_era = {era: jsonschema_rs.Draft202012Validator(s) for era, s in schemas().items()}

    def run(record: dict[str, Any]) -> Any:
        return list(by_era[era_of(record)].iter_errors(record))

    def paths(errors: list[Any]) -> list[str]:
        out: list[str] = []
        for e in errors:
            where = list(e.instance_path)
            out.append(jdx_path(where))
            kind = e.kind
            if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
                out += _required_paths(where, [str(kind.property)])
            for branch in getattr(kind, "context", None) or ():
                out += paths(list(branch))
        return out

    return Competitor(
        "jsonschema-rs",
        run,
        paths,
        checks="what the generated JSON Schema expresses (see limits)",
    )


def pydantic_competitor(domains: dict[str, frozenset[str]]) -> Competitor:
    from pydantic import ValidationError

    from bench.pydantic_stop import build_model

    models = {era: build_model(d, domains) for era, d in dictionaries().items()}
    validators = {era: m.model_validate for era, m in models.items()}

    def run(record: dict[str, Any]) -> Any:
        try:
            return validators[era_of(record)](record)
        except ValidationError as e:
            return e

    def paths(result: Any) -> list[str]:
        if not isinstance(result, ValidationError):
            return []
        out: list[str] = []
        for err in result.errors(include_url=False, include_input=False):
            out.append(jdx_path(err["loc"]))
            if err["type"] == "jdx_rules":
                # The rule checks name their fields: "path (RVnnn)" or a conditional's path.
                out += [re.sub(r" \(.*\)$", "", f) for f in err["ctx"]["fields"]]
        return out

    return Competitor(
        "pydantic v2",
        run,
        paths,
        checks="every rule of the dictionary (generated models, bench/pydantic_stop.py)",
    )


# --- measuring ----------------------------------------------------------------------------------


def timed(validate: Validate, records: list[dict[str, Any]]) -> tuple[float, float, list[Any]]:
    """(wall seconds, CPU seconds of this process, results). The validators are single-threaded,
    so CPU time is their cost even when other processes share the cores; wall time is what a
    caller waits."""
    gc.collect()
    cpu, started = time.process_time(), time.perf_counter()
    results = [validate(r) for r in records]
    return time.perf_counter() - started, time.process_time() - cpu, results


def names_field(paths: list[str], expected: str) -> bool:
    """Some reported path is the planted field or lies inside it."""
    return any(p == expected or p.startswith((expected + ".", expected + "[")) for p in paths)


def measure(
    c: Competitor, samples: list[Sample], repeat: int, budget: float, log: Callable[[str], None]
) -> Result:
    """``repeat`` timed runs over the records (all of them, or the first as many as fit in
    ``budget`` seconds at the warm-up's speed: the records are drawn at random, so a prefix has
    the same mix), then completeness over the planted errors (all, or as many as fit)."""
    warm = [s.record for s in samples[:1000]]
    took, _, _ = timed(c.validate, warm)  # warm-up: caches, lazy compiles; gives the speed
    rate = len(warm) / max(took, 1e-9)
    count = min(len(samples), max(len(warm), int(rate * budget)))
    timed_samples = samples[:count]
    records = [s.record for s in timed_samples]
    seconds: list[float] = []
    cpu_seconds: list[float] = []
    results: list[Any] = []
    for _ in range(repeat):
        took, cpu, results = timed(c.validate, records)
        seconds.append(round(took, 3))
        cpu_seconds.append(round(cpu, 3))
        log(
            f"  {c.name}: {len(records):,} records, {len(records) / took:,.0f} records/s, "
            f"{len(records) / cpu:,.0f} records/CPU-s"
        )
    invalid = [(i, s) for i, s in enumerate(samples) if s.expected is not None]
    invalid = invalid[: max(int(rate * budget), sum(1 for i, _ in invalid if i < count))]
    by_kind = {k: [0, 0] for k in KINDS}
    missed: list[str] = []
    for i, s in invalid:
        assert s.expected is not None
        result = results[i] if i < count else c.validate(s.record)
        if c.codes is not None:
            found = (s.expected.code, s.expected.field) in c.codes(result)
        else:
            found = names_field(c.paths(result), s.expected.within or s.expected.field)
        by_kind[s.expected.kind][1] += 1
        by_kind[s.expected.kind][0] += found
        if not found:
            missed.append(f"{s.expected.source} ({s.expected.code} {s.expected.field})")
    fp = [i for i, s in enumerate(timed_samples) if s.expected is None and c.paths(results[i])]
    return Result(
        name=c.name,
        checks=c.checks,
        records_timed=count,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        records_per_s=round(count / min(seconds), 1),
        records_per_cpu_s=round(count / max(min(cpu_seconds), 1e-9), 1),
        planted=len(invalid),
        detected=len(invalid) - len(missed),
        by_kind={k: v for k, v in by_kind.items() if v[1]},
        missed=dict(sorted(Counter(missed).items())),
        valid_checked=sum(1 for s in timed_samples if s.expected is None),
        false_positives=len(fp),
        false_positive_examples=[f"record {i}: {c.paths(results[i])[:3]}" for i in fp[:5]],
    )


def run(
    n: int = 100_000,
    *,
    repeat: int = 3,
    seed: int = 2024,
    invalid_share: float = 0.05,
    only: list[str] | None = None,
    budget: float = 8.0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Generates the records, measures each competitor; a JSON-ready summary."""
    domains = load_domains()
    started = time.perf_counter()
    samples = generate(n, invalid_share=invalid_share, seed=seed, domains=domains)
    log(f"validators: {n:,} records generated in {time.perf_counter() - started:.1f} s")
    makers: dict[str, Callable[[], Competitor]] = {
        "jdx": lambda: jdx_competitor(domains),
        "pydantic": lambda: pydantic_competitor(domains),
        "jsonschema-rs": jsonschema_rs_competitor,
        "jsonschema": jsonschema_competitor,
    }
    results = []
    try:
        for key, make in makers.items():
            if only and key not in only:
                continue
            results.append(measure(make(), samples, repeat, budget, log))
    finally:
        gc.unfreeze()  # generate() froze the records for the timed runs; let them go now
    eras = Counter(s.era for s in samples)
    persons = Counter(
        len(s.record["ListPerson_Stopped"]["Person_Stopped"]) for s in samples if s.expected is None
    )
    return {
        "records": n,
        "invalid": sum(1 for s in samples if s.expected is not None),
        "eras": dict(eras),
        "persons_per_valid_stop": dict(sorted(persons.items())),
        "repeat": repeat,
        "seed": seed,
        "schema_limits": SCHEMA_LIMITS,
        "results": [r.as_dict() for r in results],
    }


def table(summary: dict[str, Any]) -> str:
    """The results as a Markdown table, the way docs/benchmarks.md shows them."""
    results = summary["results"]
    jdx = next((r for r in results if r["name"] == "jdx"), None)
    lines = [
        "| validator | records timed | records/s | records/CPU-s | vs jdx (CPU) "
        "| planted errors reported | false positives | checks |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        ratio = f"{r['records_per_cpu_s'] / jdx['records_per_cpu_s']:.2f}x" if jdx else "-"
        lines.append(
            f"| {r['name']} | {r['records_timed']:,} | {r['records_per_s']:,.0f} "
            f"| {r['records_per_cpu_s']:,.0f} | {ratio} "
            f"| {r['detected']:,} / {r['planted']:,} | {r['false_positives']} / "
            f"{r['valid_checked']:,} | {r['checks']} |"
        )
    kinds = [k for k in KINDS if any(k in r["by_kind"] for r in results)]
    lines += ["", "| planted error kind | " + " | ".join(r["name"] for r in results) + " |"]
    lines.append("|---|" + "---:|" * len(results))
    for k in kinds:
        cells = ["{}/{}".format(*r["by_kind"][k]) if k in r["by_kind"] else "-" for r in results]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
