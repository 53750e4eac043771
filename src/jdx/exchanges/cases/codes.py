"""The case exchange's own error codes (NM9xx), beside the dictionaries' field codes (NM0xx to
NM5xx): the job envelope's and the relational checks processing adds. One place names each
code's field and meaning, so the ICD's error catalogue lists them as the code uses them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CaseCode:
    code: str
    field: str
    meaning: str
    severity: str = "error"


BAD_TYPE = CaseCode(
    "NM901", "type", "The item's type is not one of missing, unidentified or cancellation."
)
BAD_RECORD = CaseCode("NM902", "record", "The item's record is not an object holding the case.")
DUPLICATE = CaseCode(
    "NM950",
    "caseNumber",
    "The case was imported already (import is one-way: ask for a cancellation to withdraw it), "
    "or is in the job twice.",
)
NO_SUCH_CASE = CaseCode(
    "NM951", "idFormatted", "A cancellation request names no case imported by the agency."
)
PENDING = CaseCode("NM952", "idFormatted", "A cancellation request of the case is pending already.")
CHANGED_NUMBER = CaseCode(
    "NM953",
    "caseNumber",
    "An edit changes the agency case number, by which cancellations and duplicates find the case.",
)

ALL = (BAD_TYPE, BAD_RECORD, DUPLICATE, NO_SUCH_CASE, PENDING, CHANGED_NUMBER)
