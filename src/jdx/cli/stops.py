"""``jdx validate`` and ``jdx icd``: check records offline and publish the ICD."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import typer

from jdx import offline
from jdx.cli._common import emit, emit_line, fail
from jdx.codecs.xmlform import XmlFormError, element_to_value, local_name, parse_xml
from jdx.exchanges.stops.records import STATUS_ERRORS, STATUS_OK
from jdx.settings import load_settings

FAMILIES = {"stops": "stop"}


def validate(
    kind: str = typer.Argument(..., help="Record kind: stops."),
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON (one record or a list), NDJSON or XML."
    ),
) -> None:
    """Validate records; one JSON line per record with the status it would get and its errors.

    Needs no database: the domain tables (cities, schools, offense codes, ORIs) are checked
    when a migrated database has them, and a note on stderr says which checks were skipped
    when not. Exit status 1 when any record has errors, 0 when all are clean.
    """
    family = FAMILIES.get(kind) or fail(f"unknown kind {kind!r}; known: {', '.join(FAMILIES)}")
    try:
        records = read_records(file.read_bytes(), root="Stop")
    except ValueError as exc:
        fail(f"{file.name}: {exc}")
    # The dictionaries alone, plus the domain tables when a migrated database is there: an
    # agency's developer checks a file with no hub set up, and nothing is created for it.
    validation = offline.builtin_validation()
    why = offline.read_domains(load_settings(), validation)
    skipped = validation.missing_domains(family)
    if skipped:  # once, on stderr: stdout stays one JSON line per record
        typer.echo(
            f"note: {why or 'domain tables not loaded (jdx tables load)'}: "
            f"{offline.skipped_note(skipped)}",
            err=True,
        )
    dirty = False
    for record in records:
        outcome = validation.validate(family, record)
        status = (
            "Rejected" if outcome.is_fatal else STATUS_ERRORS if outcome.has_errors else STATUS_OK
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
# ... and the kinds whose documents are not made from dictionaries: the rap sheets' kit.
ICD_KINDS = (*ICD_FAMILIES, "rapsheets")


def icd(
    kind: str = typer.Argument(
        ...,
        help="Record kind: stops (2018 and 2024 eras), cases (NamUs) or rapsheets "
        "(the participants' kit).",
    ),
    out: Path = typer.Option(Path("icd"), "--out", help="Folder to write the documents to."),
) -> None:
    """Write the Interface Control Document: HTML, JSON Schema, XSD, templates, samples, SQL,
    the transport chapter (endpoints, headers, statuses, error catalogue, SFTP, limits, test
    realm: transport.html) and index.html linking every document.

    For rapsheets, the participants' kit: the 2.00 XSD, its annotated reference, the Nlets 4.1
    samples with their 2.00 conversions, EL01/FL01 notifications and a README.
    """
    if kind not in ICD_KINDS:
        fail(f"unknown kind {kind!r}; known: {', '.join(ICD_KINDS)}")
    written, dictionaries = write_records_icd(kind, out)
    from jdx.channels.http.icd_transport import chapter_pages

    pages = chapter_pages(
        kind, hub_openapi(), load_settings(), dictionaries, [Path(p).name for p in written]
    )
    for name, content in pages.items():
        (out / name).write_bytes(content)
        written.append(str(out / name))
    emit({"written": written})


def write_records_icd(kind: str, out: Path) -> tuple[list[str], list[Any]]:
    """The record documents of ``kind`` in ``out``, and the dictionaries they describe."""
    if kind == "rapsheets":
        return write_rapsheet_kit(out), []
    from jdx.dictionary.icd import write_icd

    validation = offline.builtin_validation()  # the documents need no database
    written: list[str] = []
    dictionaries = [
        version[0]
        for family in ICD_FAMILIES[kind]
        for version in validation.families[family].versions
    ]
    for d in dictionaries:
        written += [str(p) for p in write_icd(d, out)]
    if kind == "cases":  # a job's upload templates: one row per case of any record type
        from jdx.exchanges.cases.upload import job_templates

        for name, content in job_templates().items():
            (out / name).write_bytes(content)
            written.append(str(out / name))
    return written, dictionaries


def hub_openapi() -> dict[str, Any]:
    """The OpenAPI document of a hub with this configuration, built in a temporary folder with
    its own empty SQLite database, so no data folder or database of the user's is touched (the
    document describes routes, which need no data)."""
    import tempfile

    from jdx.channels.http.app import create_app
    from jdx.hub import create_hub

    with tempfile.TemporaryDirectory(prefix="jdx-icd-") as folder:
        settings = load_settings().model_copy(update={"data_dir": Path(folder), "database_url": ""})
        hub = create_hub(settings)
        try:
            return create_app(hub=hub).openapi()
        finally:
            hub.dispose()


def write_rapsheet_kit(out: Path) -> list[str]:
    """The kit of ``kit.build_kit`` in ``out``; a sample the hub's reader refuses fails it."""
    from jdx.exchanges.rapsheets.kit import KitError, build_kit

    try:
        kit = build_kit()
    except KitError as exc:
        fail("the participants' kit was not written: " + "; ".join(exc.problems))
    out.mkdir(parents=True, exist_ok=True)
    for name, (content, _media) in kit.items():
        (out / name).write_bytes(content)
    return [str(out / name) for name in kit]
