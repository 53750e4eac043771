"""The error catalogue of each ICD: every code an exchange answers with, where it comes from.

Gathered from where the codes are defined, never listed again here: the stop exchange's fatal
errors (``exchanges/stops/errors.py``) with the status each answers with over HTTP (``sdcs.
STATUS_OF_FATAL``), the case exchange's NM9xx codes (``exchanges/cases/codes.py``), and every
field, list item, cross-field rule and unknown-field code of the record kind's dictionaries.
The rap sheet exchange answers refusals by reason, not code (``exchanges/rapsheets/service.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from jdx.channels.http.sdcs import STATUS_OF_FATAL
from jdx.dictionary.icd._common import checks_text, requirement_text, type_text, walk_paths
from jdx.dictionary.model import Dictionary
from jdx.exchanges.cases import codes as case_codes
from jdx.exchanges.stops import errors as stop_errors


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    severity: str
    field: str
    message: str
    source: str  # where it is defined: a dictionary's id, or the exchange's module
    status: str = ""  # the HTTP status it answers with, where one code decides it


def stop_codes() -> Iterator[CatalogueEntry]:
    """The stop exchange's fatal errors: every ``ErrorCode`` of its module, in order."""
    seen: set[tuple[str, str]] = set()
    for value in vars(stop_errors).values():
        if not isinstance(value, stop_errors.ErrorCode) or (value.code, value.message) in seen:
            continue
        seen.add((value.code, value.message))
        bulk = value.code.startswith("BP")
        status = "" if bulk else str(STATUS_OF_FATAL.get(value.code, 400))
        yield CatalogueEntry(
            value.code,
            "fatal",
            "",
            f"{value.name}: {value.message}",
            "bulk processor (Table 9)" if bulk else "web service (Tables 3 and 8)",
            status,
        )


def case_exchange_codes() -> Iterator[CatalogueEntry]:
    for c in case_codes.ALL:
        yield CatalogueEntry(c.code, c.severity, c.field, c.meaning, "case import")


def dictionary_codes(d: Dictionary) -> Iterator[CatalogueEntry]:
    """Each field's code (and a list's item's, when its own), each rule's, the unknown field's."""
    for path, f, _in_list in walk_paths(d):
        checks = "; ".join(t for t in (type_text(d, f), requirement_text(f), checks_text(f)) if t)
        yield CatalogueEntry(f.code, f.severity, path, f"{f.label}: {checks}", d.id)
        if f.item is not None and f.item.code and f.item.code != f.code:
            item_checks = checks_text(f.item)
            yield CatalogueEntry(
                f.item.code, f.item.severity, f"{path}[n]", f"{f.label} item: {item_checks}", d.id
            )
    for rule in d.rules:
        yield CatalogueEntry(rule.code, rule.severity, rule.field, rule.message.strip(), d.id)
    if d.unknown_fields != "ignore":
        severity = "error" if d.unknown_fields == "error" else "warning"
        yield CatalogueEntry(
            d.unknown_code, severity, "", "A field the dictionary does not define.", d.id
        )


def catalogue(
    exchange_codes: Iterator[CatalogueEntry], dictionaries: list[Dictionary]
) -> list[CatalogueEntry]:
    entries = list(exchange_codes)
    for d in dictionaries:
        entries += dictionary_codes(d)
    return entries
