"""The participants' kit (issue 15): what a state, the FBI or a receiver builds against.

:func:`build_kit` is the one place the kit is made; ``jdx icd rapsheets --out DIR`` writes it and
``/chri/v1/icd`` serves it. It holds:

- ``rapsheet-2.00.xsd``: the project's schema of the transmission format, byte for byte;
- ``rapsheet-2.00.html``: the annotated reference, generated from that XSD (``reference.py``);
- every Nlets 4.1 sample of the package folder ``samples/`` (``nlets41-*.xml``, ``ojbc-*.xml``),
  each with ``<sample>.rapsheet-2.00.xml``: the same record converted by the hub's own reader and
  writer (``read_portion``, ``with_summary``, ``write_rap_sheet``) when the kit is built, and
  checked against the XSD, so a sample can never show what the hub does not do;
- ``notification-fl01.txt`` and ``notification-el01.txt``: the seed's notifications (2.3);
- ``README.txt``: what each file is and how to submit.

A sample the reader refuses is not skipped: :class:`KitError` names every one. The Nlets 4.1 XSD
is not in the kit (its licence keeps it out of the repository); the README says to get it from
Nlets.
"""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime
from importlib import resources

from jdx.exchanges.rapsheets.portions import PlainTextRapSheet, read_portion
from jdx.exchanges.rapsheets.reference import reference_html
from jdx.exchanges.rapsheets.summary import with_summary
from jdx.exchanges.rapsheets.tables import FORMATS
from jdx.exchanges.rapsheets.transmission import (
    RapSheetFormatError,
    read_rap_sheet,
    write_rap_sheet,
)

SCHEMA = "rapsheet-2.00.xsd"
REFERENCE = "rapsheet-2.00.html"
README = "README.txt"
NOTIFICATIONS = ("notification-fl01.txt", "notification-el01.txt")
SAMPLE_PATTERNS = ("nlets41-*.xml", "ojbc-*.xml")
CONVERTED = ".rapsheet-2.00.xml"

XML = "application/xml"
HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

Document = tuple[bytes, str]  # content, media type

_PACKAGE = "jdx.exchanges.rapsheets"


class KitError(ValueError):
    """One or more samples of the package cannot be read or converted by the hub."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def schema_bytes() -> bytes:
    return resources.files(_PACKAGE).joinpath("schema", SCHEMA).read_bytes()


def _package_files(patterns: tuple[str, ...]) -> dict[str, bytes]:
    folder = resources.files(_PACKAGE).joinpath("samples")
    names = sorted(
        f.name for f in folder.iterdir() if any(fnmatch.fnmatch(f.name, p) for p in patterns)
    )
    return {name: folder.joinpath(name).read_bytes() for name in names}


def sample_files() -> dict[str, bytes]:
    """The Nlets 4.1 samples of the package folder, by file name, in name order."""
    return _package_files(SAMPLE_PATTERNS)


def notification_files() -> dict[str, bytes]:
    return _package_files(NOTIFICATIONS)


def converted_name(sample: str) -> str:
    """``nlets41-minimal.xml`` → ``nlets41-minimal.rapsheet-2.00.xml``."""
    return sample.removesuffix(".xml") + CONVERTED


def to_transmission(data: bytes, *, as_of: str) -> bytes:
    """A 4.1 (or 2.00) sample as the hub delivers it: format 2.00 with its summary, valid."""
    portion = read_portion(data)
    if isinstance(portion, PlainTextRapSheet):
        raise RapSheetFormatError("not XML: a sample must be an XML rap sheet")
    converted = write_rap_sheet(with_summary(portion, as_of=as_of))
    read_rap_sheet(converted)  # parsed and checked against the XSD: the kit shows only valid 2.00
    return converted


def describe(name: str) -> str:
    """What the kit's file ``name`` is: one line, for the README and the HTTP index."""
    if name == SCHEMA:
        return "XML Schema of format 2.00: what the hub validates against"
    if name == REFERENCE:
        return "every element of format 2.00, annotated: generated from the XSD"
    if name == README:
        return "this file"
    if name.endswith(CONVERTED):
        source = name.removesuffix(CONVERTED) + ".xml"
        return f"{source} converted to 2.00 by the hub, with its summary"
    if name.startswith("notification-"):
        kind = name.removeprefix("notification-").removesuffix(".txt").upper()
        who = "the FBI responds, states too" if kind == "FL01" else "states respond, not the FBI"
        return f"FBI/III {kind} notification ({who}), the seed's layout"
    return "an Nlets Rap Sheet 4.1 portion, as a state or the FBI sends one"


def build_kit(
    *, samples: dict[str, bytes] | None = None, as_of: str | None = None
) -> dict[str, Document]:
    """The kit's files, {name: (content, media type)}, the README last.

    ``samples`` defaults to the package's (:func:`sample_files`); ``as_of`` (CCYYMMDD, default
    today in UTC) is the day the converted samples are summarised for, as a delivery would be.
    """
    samples = sample_files() if samples is None else samples
    day = as_of or datetime.now(UTC).strftime("%Y%m%d")
    kit: dict[str, Document] = {SCHEMA: (schema_bytes(), XML)}
    kit[REFERENCE] = (
        reference_html(
            kit[SCHEMA][0], title="Rap sheet transmission format 2.00", schema_name=SCHEMA
        ).encode(),
        HTML,
    )
    problems: list[str] = []
    for name, data in samples.items():
        try:
            converted = to_transmission(data, as_of=day)
        except RapSheetFormatError as exc:
            problems.append(f"sample {name} is refused by the hub's reader: {exc}")
            continue
        kit[name] = (data, XML)
        kit[converted_name(name)] = (converted, XML)
    if problems:
        raise KitError(problems)
    kit |= {name: (data, TEXT) for name, data in notification_files().items()}
    kit[README] = (readme([*kit, README]).encode(), TEXT)
    return kit


def readme(names: list[str]) -> str:
    """The kit's README: its files, then how to submit over the hub's criminal history API."""
    files = "\n".join(f"  {name}\n      {describe(name)}" for name in names)
    formats = ", ".join(FORMATS)
    return f"""\
Interstate criminal history (rap sheets): the participants' kit
================================================================

Built by the hub (jdx icd rapsheets, or GET /chri/v1/icd and /chri/v1/icd/NAME): the samples
in format 2.00 are converted by the hub's own reader and writer when the kit is built, so they
show exactly what the hub delivers.

Files
-----
{files}

The Nlets Rap Sheet 4.1 XSD is not in this kit: its licence does not let the project publish
it. Get it from Nlets (https://www.nlets.org), with the 4.1 documentation.

How to submit
-------------
Every call takes the agency's production API key (Authorization: Bearer <key>); the criminal
history exchange has no test realm, so test keys are refused.

  POST /chri/v1/notifications            text/plain: an EL01 or FL01 message (see the two
                                         notification-*.txt files); FBI/III ORIs only. Opens
                                         the merge of the portions it names. Optional
                                         ?format= for the delivery. 201, or 409 when the same
                                         request is already active.
  POST /chri/v1/rapsheets?destination=ORI
                                         a responder's portion, to the requester ORI: format
                                         2.00 or Nlets 4.1 XML (application/xml), or plain
                                         text passed through as sent. 202 with the outcome
                                         (merged, delivered, forwarded, ignored); 400 for a
                                         document the hub refuses, with the reason. Only
                                         from an ORI the hub registered for a state (or the
                                         FBI/III's), and only that state's record: else 403.
                                         404 for a destination that is no agency; 409 for
                                         plain text to one that awaits no rap sheet, or a
                                         portion of another person than the merge's.
  GET  /chri/v1/outbox[?unfetched=true]  the caller's deliveries, newest first.
  GET  /chri/v1/outbox/ID                one delivery's content (marks it fetched).
  PUT  /chri/v1/preference               {{"format": F}}: the format deliveries come in;
                                         F: {formats}.

The API's full description is at /docs (OpenAPI at /openapi.json).
"""
