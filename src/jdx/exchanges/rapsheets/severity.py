"""Charge severity: a state's code or class (``FA``, ``M1``, ``PM``...) to the seed's Table 4
classes, from a table that is data (``severity_codes.csv``), not code.

Nlets 4.1 has no severity code list: states send their own classes in ``j:ChargeSeverityText``.
Each row maps a code (for every state, or for one state where its meaning differs there) to a
seed class and a label in words; the code itself is always kept on the charge. A code no row
knows counts as Unknown and is named in the summary (``unknownSeverityCode``), never silently
"Other". Operators add rows for their states to the CSV.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from jdx.exchanges.rapsheets.model import Severity


@dataclass(frozen=True, slots=True)
class Classified:
    severity: Severity
    label: str | None  # the class in words ("Class A felony"); None for an unknown code
    known: bool  # False: no row knows the code (reported in the summary)


@cache
def table() -> dict[tuple[str, str], tuple[Severity, str]]:
    """(CODE, STATE or "") → (class, label), read once from the package's CSV."""
    source = resources.files("jdx.exchanges.rapsheets").joinpath("severity_codes.csv")
    rows = csv.DictReader(io.StringIO(source.read_text(encoding="utf-8")))
    return {
        (row["code"].strip().upper(), row["state"].strip().upper()): (
            Severity(row["severity"].strip()),
            row["label"].strip(),
        )
        for row in rows
    }


def classify(code: str | None, state: str = "") -> Classified:
    """The seed class of a state's severity code: the state's own row first, then the row for
    every state. No code at all is Unknown, and nothing to report."""
    if not code or not code.strip():
        return Classified(Severity.UNKNOWN, None, True)
    key = code.strip().upper()
    found = table().get((key, state.upper())) or table().get((key, ""))
    if found is None:
        return Classified(Severity.UNKNOWN, None, False)
    return Classified(found[0], found[1], True)


def is_known(code: str) -> bool:
    """Whether any row, of any state, knows ``code``."""
    return code.strip().upper() in _known_codes()


@cache
def _known_codes() -> frozenset[str]:
    # Asked once per charge of every summary: a set, not a scan of the table's rows.
    return frozenset(code for code, _ in table())
