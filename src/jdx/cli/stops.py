"""``jdx validate`` and ``jdx icd``: check records offline and publish the ICD."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import typer

from jdx.cli._common import emit, emit_line, fail, open_hub
from jdx.codecs.xmlform import XmlFormError, element_to_value, local_name, parse_xml
from jdx.exchanges.stops.records import STATUS_ERRORS, STATUS_OK

FAMILIES = {"stops": "stop"}


def validate(
    kind: str = typer.Argument(..., help="Record kind: stops."),
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON (one record or a list), NDJSON or XML."
    ),
) -> None:
    """Validate records; one JSON line per record with the status it would get and its errors.

    Exit status 1 when any record has errors, 0 when all are clean.
    """
    family = FAMILIES.get(kind) or fail(f"unknown kind {kind!r}; known: {', '.join(FAMILIES)}")
    with open_hub() as h:
        h.refresh_domains(force=True)
        try:
            records = read_records(file.read_bytes(), root="Stop")
        except ValueError as exc:
            fail(f"{file.name}: {exc}")
        dirty = False
        for record in records:
            outcome = h.validation.validate(family, record)
            status = (
                "Rejected"
                if outcome.is_fatal
                else STATUS_ERRORS
                if outcome.has_errors
                else STATUS_OK
            )
            dirty |= outcome.has_errors
            emit_line(
                {
                    "LEARecordID": record.get("LEARecordID") if isinstance(record, dict) else None,
                    "status": status,
                    "dictionary": outcome.dictionary_id,
                    "errors": [i.as_dict() for i in outcome.issues],
                }
            )
        raise typer.Exit(1 if dirty else 0)


def read_records(data: bytes, *, root: str) -> list[Any]:
    """Records from JSON (object or array), NDJSON or XML (one record or a wrapper of many)."""
    text = data.lstrip()
    if text.startswith(b"<"):
        try:
            element = parse_xml(data)
        except XmlFormError as exc:
            raise ValueError(str(exc)) from None
        if local_name(element) == root:
            return [element_to_value(element)]
        return [element_to_value(child) for child in element if local_name(child) == root]
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        records = []
        for number, line in enumerate(data.splitlines(), 1):
            if line.strip():
                try:
                    records.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    raise ValueError(f"line {number} is not JSON: {exc}") from None
        return records
    return value if isinstance(value, list) else [value]


# The record families each ICD covers: stops in their eras, NamUs' three case record types.
ICD_FAMILIES = {
    "stops": ("stop",),
    "cases": ("case-missing", "case-unidentified", "case-cancellation"),
}


def icd(
    kind: str = typer.Argument(
        ..., help="Record kind: stops (2018 and 2024 eras) or cases (NamUs)."
    ),
    out: Path = typer.Option(Path("icd"), "--out", help="Folder to write the documents to."),
) -> None:
    """Write the Interface Control Document: HTML, JSON Schema, XSD, templates, samples, SQL."""
    from jdx.dictionary.icd import write_icd

    families = ICD_FAMILIES.get(kind) or fail(
        f"unknown kind {kind!r}; known: {', '.join(ICD_FAMILIES)}"
    )
    with open_hub() as h:
        written: list[str] = []
        for family in families:
            for version in h.validation.families[family].versions:
                written += [str(p) for p in write_icd(version[0], out)]
        if kind == "cases":  # a job's upload templates: one row per case of any record type
            from jdx.exchanges.cases.upload import job_templates

            for name, content in job_templates().items():
                (out / name).write_bytes(content)
                written.append(str(out / name))
        emit({"written": written})
