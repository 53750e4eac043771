"""What schemathesis cannot derive from the OpenAPI document, for the positive cases of the
contract test (test_schemathesis.py; loaded by ``st run`` through SCHEMATHESIS_HOOKS).

A positive case is one whose every part the document's schemas allow, and the
``positive_data_acceptance`` check wants each accepted (2xx, or refused only for who the caller
is, what exists, a conflict or a limit). Three kinds of body are more than a JSON Schema says:

- **XML and files** (a stop as XML, an ``<ImportJob>``, a case as XML, a job as CSV, XLSX or
  a multipart file): their schemas are XSDs and the ICD's layouts, which schemathesis cannot
  generate from. A positive case sends the document's own example of the media type, or, where
  the document has none, the JSON example as JSON.
- **Records checked by the dictionaries' rules** (a case edited, a cancellation request): the
  JSON Schema of a record is never stricter than the validator (``dictionary/icd/jsonschema``),
  so cross-field rules it cannot say refuse records it allows (400 or 422 naming each error, as
  documented). A positive case sends the ICD's sample record, the document's example.
- **A stop record**: only fatal errors refuse it (Table 7), those of its core attributes
  (ORI, LEA record ID, officer, stop date and time, which must also agree with Table 5's headers
  and the URL) and of dates relative to today; every other error stores it "with errors" (202).
  A positive case keeps its generated record and takes the sample's core attributes, headers
  and URL agreeing: what is tested is that no other field refuses a record.

An Idempotency-Key is the client's own and names one body: each positive case sends a new one
(the same key with another body is refused, 422, as documented). A batch file's name carries
the uploader's ORI (another's is 403): a positive upload's name takes the key's agency's
(``JDX_ST_ORI``), so that uploads are received.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

import schemathesis
from schemathesis import Case
from schemathesis.hooks import HookContext

STOP_PATHS = ("/sdcs/v1/stops", "/sdcs/v1/stops/validate", "/sdcs/v1/stops/{lea_record_id}")
RECORD_ROUTES = {("POST", "/namus/v1/cancellations"), ("PUT", "/namus/v1/cases/{case_number}")}
# Table 5's headers that must agree with the record, and the record's field for each.
CORE_HEADERS = {
    "ORI": ("ORI",),
    "LEARecordID": ("LEARecordID",),
    "OfficerUID": ("Officer", "UID"),
    "StopDate": ("SDate",),
    "StopTime": ("STime",),
}
# The core attributes a generated stop record takes from the sample (the headers' and TX_Type,
# which must be the verb's: the sample of each operation has its verb's).
CORE_FIELDS = (*CORE_HEADERS.values(), ("TX_Type",))


def _examples(case: Case) -> dict[str, Any]:
    """The document's example of each media type of the operation's body; of a case edited,
    the example of the case's type (its number: MP... a missing person's, UP... unidentified)."""
    body = case.operation.definition.raw.get("requestBody", {})
    number = str((case.path_parameters or {}).get("case_number", ""))
    kind = "unidentified" if number.upper().startswith("UP") else "missing"
    found = {}
    for media, shown in body.get("content", {}).items():
        if "example" in shown:
            found[media] = shown["example"]
        elif kind in shown.get("examples", {}):
            found[media] = shown["examples"][kind]["value"]
    return found


def _value(record: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        record = record.get(key) if isinstance(record, dict) else None
    return record


def _stop(case: Case, sample: dict[str, Any]) -> None:
    if isinstance(case.body, dict):
        for keys in CORE_FIELDS:
            if len(keys) == 1:
                case.body[keys[0]] = sample[keys[0]]
            else:
                parent = case.body.get(keys[0])
                case.body[keys[0]] = {
                    **(parent if isinstance(parent, dict) else {}),
                    keys[1]: _value(sample, keys),
                }
    for header, keys in CORE_HEADERS.items():
        if header in case.headers:
            case.headers[header] = str(_value(sample, keys))
    if "lea_record_id" in (case.path_parameters or {}):
        case.path_parameters["lea_record_id"] = sample["LEARecordID"]


@schemathesis.hook
def map_case(context: HookContext, case: Case) -> Case:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return case
    operation = case.operation
    route = (operation.method.upper(), operation.path)
    examples = _examples(case)
    if case.media_type is not None and case.media_type != "application/json":
        if case.media_type in examples and isinstance(examples[case.media_type], str):
            case.body = examples[case.media_type].encode()
        elif "application/json" in examples:
            case.media_type = "application/json"
            case.body = examples["application/json"]
    elif route in RECORD_ROUTES and "application/json" in examples:
        case.body = examples["application/json"]
    if operation.path in STOP_PATHS and "application/json" in examples:
        _stop(case, examples["application/json"])
    ori = os.environ.get("JDX_ST_ORI")
    if route == ("PUT", "/sdcs/v1/files/{file}") and ori and case.path_parameters:
        name = str(case.path_parameters.get("file", ""))
        case.path_parameters["file"] = re.sub(r"^(\d{14})_[A-Za-z0-9]{9}_", rf"\g<1>_{ori}_", name)
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    return case
