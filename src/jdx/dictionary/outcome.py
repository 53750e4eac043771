"""What a validator returns: the issues it found, each with code, severity, path and person."""

from __future__ import annotations

from dataclasses import dataclass, field

from jdx.dictionary.model import Severity


@dataclass(slots=True)
class Issue:
    code: str
    severity: Severity
    field: str
    message: str
    person: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "severity": self.severity,
            "field": self.field,
            "person": self.person,
            "message": self.message,
        }


@dataclass(slots=True)
class Outcome:
    """What the validator found. ``fatal`` stops the record; ``errors`` store it with errors."""

    issues: list[Issue] = field(default_factory=list)
    dictionary_id: str = ""

    @property
    def fatal(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "fatal"]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def is_fatal(self) -> bool:
        return any(i.severity == "fatal" for i in self.issues)

    @property
    def has_errors(self) -> bool:
        return any(i.severity != "warning" for i in self.issues)

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.issues]
