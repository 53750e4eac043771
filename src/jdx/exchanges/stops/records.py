"""The stop exchange's record types and constants: what a submission is, what it gets back, and
what a stored stop reads back as (no SQL, no rules: ``rules.py`` decides, ``queries.py`` reads
and writes, ``service.py`` runs a submission)."""

from __future__ import annotations

import datetime as dt
import enum
import functools
from dataclasses import dataclass, field
from typing import Any

from jdx.dictionary import Issue, Outcome
from jdx.dictionary.compiler import as_text, parse_date
from jdx.security.keys import Principal

FAMILY = "stop"
STATUS_OK = "Successful Submission"
STATUS_ERRORS = "Submitted with Errors"
STATUS_NFIA = "NFIA"


class Op(enum.StrEnum):
    INSERT = "I"
    UPDATE = "U"


class Disposition(enum.StrEnum):
    STORED = "stored"  # inserted or updated, with or without errors
    REJECTED = "rejected"  # a fatal error: nothing was written


@dataclass
class CoreAttributes:
    """The attributes the seed calls core, as sent (None where missing)."""

    ori: str | None
    lea_record_id: str | None
    officer_uid: str | None
    stop_date: str | None
    stop_time: str | None

    @classmethod
    def of(cls, record: Any) -> CoreAttributes:
        if type(record) is Prepared and record.core is not None:
            return record.core  # read in the worker process (never changed after)
        if not isinstance(record, dict):
            return cls(None, None, None, None, None)
        officer = record.get("Officer")
        uid = officer.get("UID") if isinstance(officer, dict) else None
        return cls(
            field_text(record.get("ORI")),
            field_text(record.get("LEARecordID")),
            field_text(uid),
            field_text(record.get("SDate")),
            field_text(record.get("STime")),
        )

    def values(self) -> tuple[str | None, ...]:
        """The attributes in field order, as a worker process hands them over (a tuple pickles
        at a fraction of the object): ``CoreAttributes(*values)`` is the same again."""
        return (self.ori, self.lea_record_id, self.officer_uid, self.stop_date, self.stop_time)


# The fields of a record that the relational checks and the row of ``stops`` read (beside the
# record itself, which the row stores whole).
PREPARED_FIELDS = ("ORI", "LEARecordID", "SDate", "STime", "TX_Type", "Is_NFIA", "BatchID")


class Prepared(dict[str, Any]):
    """A record whose data checks ran in another process (a batch file's worker): as a dict,
    only the fields the relational checks and the stored row read (:data:`PREPARED_FIELDS` and
    ``Officer.UID``); ``text`` is the whole record in canonical form as the JSON column's text.
    Handing the record over this way costs a fraction of pickling its ~50 dicts and lists."""

    __slots__ = ("core", "text")

    def __init__(
        self, fields: dict[str, Any], text: str, core: CoreAttributes | None = None
    ) -> None:
        super().__init__(fields)
        self.text = text
        # its core attributes, when the worker read them (the relational checks ask twice)
        self.core = core

    def get(self, key: str, default: Any = None) -> Any:
        # Every handed-back field is present (None when the record has none): a key that is not
        # would silently read as missing, so it fails loudly instead.
        if key not in self:
            raise KeyError(f"{key} is not handed back by the worker process (PREPARED_FIELDS)")
        return super().get(key, default)

    @staticmethod
    def fields_of(record: dict[str, Any]) -> tuple[Any, ...]:
        """What :meth:`of` needs of a record, as a tuple (cheap to pickle)."""
        officer = record.get("Officer")
        uid = officer.get("UID") if isinstance(officer, dict) else None
        return (*(record.get(name) for name in PREPARED_FIELDS), uid)

    @classmethod
    def of(
        cls, values: tuple[Any, ...], text: str, core: tuple[str | None, ...] | None = None
    ) -> Prepared:
        """``core``: the record's core attributes as the worker read them
        (:meth:`CoreAttributes.values`), or None to read them here when asked."""
        fields = dict(zip(PREPARED_FIELDS, values, strict=False))
        fields["Officer"] = {"UID": values[-1]}
        return cls(fields, text, None if core is None else CoreAttributes(*core))


@dataclass
class SubmissionResult:
    disposition: Disposition
    outcome: Outcome
    core: CoreAttributes
    status: str | None = None
    doj_record_id: int | None = None
    created: bool = False
    issues: list[Issue] = field(default_factory=list)

    @property
    def fatal_codes(self) -> list[str]:
        return [i.code for i in self.outcome.issues if i.severity == "fatal"]


@dataclass
class StoredStop:
    doj_record_id: int
    ori: str
    lea_record_id: str
    status: str
    record: dict[str, Any]
    issues: list[dict[str, Any]]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of_row(cls, row: Any) -> StoredStop:
        """A row of ``stops`` as the agency reads it back."""
        return cls(
            row.id,
            row.ori,
            row.lea_record_id,
            row.status,
            row.record,
            row.issues,
            row.version,
            row.created_at,
            row.updated_at,
        )


@dataclass
class Submission:
    """One stop record to submit, its data checks done (``data``; None until then)."""

    principal: Principal
    record: Any
    op: Op
    data: Outcome | None = None
    calling_app: str | None = None
    bulk: bool = False  # the caller is a bulk process (see StopService.submit_stop)

    @property
    def outcome(self) -> Outcome:
        assert self.data is not None, "the data checks come first"
        return self.data


def field_text(value: Any) -> str | None:
    """A field's value as text, None when missing or empty."""
    if value is None:
        return None
    text = as_text(value)
    return text or None


@functools.lru_cache(maxsize=4096)
def stop_day(text: str) -> dt.date | None:
    """A record's stop date (``MM/DD/YYYY``) as a date, None when it is not one. Kept: a file's
    stops fall on a few hundred days, and the relational checks and the stored row each ask
    (0.86 µs a parse, twice a stop)."""
    return parse_date(text, ("MM/DD/YYYY",))


def hh_mm_ss(text: str) -> str:
    """HH:MM and HH:MM:SS name the same minute: stored as HH:MM:SS for the duplicate check."""
    return f"{text}:00" if len(text) == 5 else text
