"""The dictionary's labels of a case's fields: what the portal shows instead of their paths.

``subjectDescription.primaryEthnicity.name`` reads as "Description of the missing person,
Primary race / ethnicity" (steps joined by SEPARATOR), ``investigatingAgencies[2].caseNumber``
as "Investigating agencies 2, Agency case number": each step's label from the case's dictionary (the one ``jdx icd cases`` documents),
a label that repeats its group's said once. A path the dictionary does not know (a field the
client added, a review field such as ``review_state``) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jdx.codecs.paths import PathError, parse_path
from jdx.dictionary.model import Dictionary, FieldSpec
from jdx.exchanges.cases.jobs import FAMILIES, CaseImport
from jdx.exchanges.cases.review import RECORD_TYPES
from jdx.hub import Hub

SEPARATOR = " › "

Labeller = Callable[[str], str]


def label_of(dictionary: Dictionary, path: str) -> str:
    try:
        steps = parse_path(path)
    except PathError:
        return path
    spec: FieldSpec | None = dictionary.root
    labels: list[str] = []
    for step in steps:
        if spec is not None and spec.type == "list":
            if isinstance(step, int):
                if labels:
                    labels[-1] += f" {step + 1}"
                spec = spec.item
                continue
            if step == spec.item_name:
                spec = spec.item
                continue
            spec = spec.item  # a list of groups named by its items' fields
        if spec is None or spec.type != "group" or not isinstance(step, str):
            return path
        spec = spec.child(step)
        if spec is None:
            return path
        if not labels or labels[-1].rstrip(" 0123456789") != spec.label:
            labels.append(spec.label)
    return SEPARATOR.join(labels) or path


def labeller(hub: Hub, record_type: str, record: object = None) -> Labeller:
    """The labels of the fields of a record type's (``missing``, ``unidentified``,
    ``cancellation``) record: the dictionary version that validates the record (no record:
    the newest). A type the hub does not know labels nothing."""
    family = FAMILIES.get(record_type)
    if family is None:
        return lambda path: path
    dictionary = hub.service(CaseImport).validation.dictionary_for(family, record)
    return lambda path: label_of(dictionary, path)


def case_labeller(hub: Hub, case: Mapping[str, Any]) -> Labeller:
    """The labels of a case's fields (as ``CaseReview.case`` gives it)."""
    return labeller(hub, RECORD_TYPES[case["case_type"]], case["record"])


def job_labeller(hub: Hub) -> Callable[[str, str], str]:
    """``label(record_type, path)`` for a job's cases: each labelled by its own type."""
    by_type = {name: labeller(hub, name) for name in FAMILIES}

    def label(record_type: str, path: str) -> str:
        found = by_type.get(record_type)
        return found(path) if found is not None else path

    return label
