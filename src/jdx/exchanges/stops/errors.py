"""The error codes of the stop exchange that are not single-field data checks.

Field and cross-field codes (DV###, RV###) live in the dictionaries. These are the seed's fatal
errors (Tables 3 and 8) and the service faults; the HTTP channel maps them to status codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jdx.dictionary import Issue
from jdx.security.standing import message


@dataclass(frozen=True)
class ErrorCode:
    code: str
    name: str  # the seed's name, where it has one
    message: str


INVALID_ORI = ErrorCode("DV001", "Invalid ORI", "The ORI {ori} is not in the ORI table of the hub.")
DUPLICATE_RECORD_ID = ErrorCode(
    "DV236",
    "Duplicate Stop Data Record",
    "Duplicate record exists with the same ORI, LEA record ID combination "
    "(DOJ record {doj_id}); use PUT to correct a record submitted with errors.",
)
DUPLICATE_STOP = ErrorCode(
    "DV004",
    "Duplicate Stop Data Record",
    "Duplicate record; a stop exists for this ORI, Officer UID, Date & Time (LEA record "
    "{other}). Ask the DOJ to delete the duplicate if needed.",
)
RECORD_MATCHING = ErrorCode(
    "DV237",
    "Record Matching",
    "No stop record with LEA record ID {lea_id} exists for ORI {ori} to update.",
)
# DV237 of a read (GET): the same code, in words that fit the verb.
NO_SUCH_STOP = ErrorCode(
    "DV237",
    "Record Matching",
    "No stop record with LEA record ID {lea_id} exists for ORI {ori}.",
)
UPDATE_SUBMITTED = ErrorCode(
    "DV238",
    "Update for Submitted Record",
    "The stop record is in status {status} and cannot be changed; only records "
    "submitted with errors can be updated.",
)
TX_TYPE_MISMATCH = ErrorCode(
    "DV239",
    "Invalid Core Data Attributes",
    "TX_Type {tx} does not agree with the request: {expected} is required for {verb}.",
)
NFIA_ON_INSERT = ErrorCode(
    "DV240",
    "NFIA on a new record",
    "Is_NFIA can only be set when updating a record submitted with errors.",
)
FOREIGN_ORI = ErrorCode(
    "WS004",
    "Forbidden",
    "This credential belongs to ORI {own}; it cannot submit or read records of ORI {ori}.",
)
HEADER_MISMATCH = ErrorCode(
    "WS005",
    "Message Request Body Missing or Invalid",
    "Request header {header} is {header_value!r} but the record says {body_value!r}.",
)
BODY_INVALID = ErrorCode("WS001", "Message Request Body Missing or Invalid", "{detail}")
INVALID_VERB = ErrorCode(
    "WS002",
    "Invalid VERB in Request Message",
    "{verb} is not supported here; use POST for a new record and PUT for an update.",
)
UNAUTHORIZED = ErrorCode("WS003", "Unauthorized", "{detail}")
UNSUPPORTED_MEDIA = ErrorCode(
    "WS006",
    "Message Request Body Missing or Invalid",
    "Content-Type {content_type!r} is not supported; send application/json or application/xml.",
)
TOO_LARGE = ErrorCode(
    "WS007",
    "Message Request Body Missing or Invalid",
    "The request body is larger than {limit} bytes.",
)
MISSING_HEADER = ErrorCode(
    "WS008", "Message Request Body Missing or Invalid", "Request header {header} is required."
)
SYSTEM_ERROR = ErrorCode(
    "SYSERR",
    "Internal Server Error",
    "An unexpected error occurred (reference {ref}); contact the DOJ technical support team.",
)

ALL = [
    INVALID_ORI,
    DUPLICATE_RECORD_ID,
    DUPLICATE_STOP,
    RECORD_MATCHING,
    UPDATE_SUBMITTED,
    TX_TYPE_MISMATCH,
    NFIA_ON_INSERT,
    FOREIGN_ORI,
    HEADER_MISMATCH,
    BODY_INVALID,
    INVALID_VERB,
    UNAUTHORIZED,
    UNSUPPORTED_MEDIA,
    TOO_LARGE,
    MISSING_HEADER,
    SYSTEM_ERROR,
]

# Bulk processor fatal errors (Table 9).
RECORD_TYPE_INVALID = ErrorCode("BP001", "SFTP Record type invalid", "{detail}")
CONVERSION_ERROR = ErrorCode("BP002", "Conversion Error", "{detail}")
FILE_ERROR = ErrorCode("BP003", "File not processed", "{detail}")


def fatal(code: ErrorCode, field_path: str = "", **values: Any) -> Issue:
    """The fatal issue of ``code``, its message filled in with ``values``."""
    return Issue(code.code, "fatal", field_path, code.message.format(**values))


def suspended(ori: str) -> Issue:
    """The refusal of anything a suspended agency sends or asks for: Forbidden (403), in the
    words every door uses (``security/standing.py``)."""
    return Issue(FOREIGN_ORI.code, "fatal", "ORI", message(ori))
