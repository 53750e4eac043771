"""The record path as the columnar checker's oracle, and frames built from a flat file's rows.

A stop is given as its rows (cells in the header's order), as ``FlatLayout.to_rows`` writes
them or as a test mutated them. The record path binds them with the FlatLayout binder and
validates with ``ValidationService`` (both eras), as ``batch_workers.Checker.check`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from jdx.codecs._flatgen import Binder
from jdx.codecs.flat import ConversionError, FlatLayout
from jdx.dictionary.columnar import STOP, ColumnarCheck
from jdx.validation import ValidationService

Rows = list[list[str]]


def frame_of(header: Sequence[str], stops: Sequence[Rows]) -> pl.DataFrame:
    """The frame the columnar reader gives: one row per row, the stop's index in ``item``."""
    columns: dict[str, list[str]] = {name: [] for name in header}
    index: list[int] = []
    for s, rows in enumerate(stops):
        for row in rows:
            index.append(s)
            for name, cell in zip(header, row, strict=True):
                columns[name].append(cell)
    schema = {**dict.fromkeys(header, pl.String), STOP: pl.Int64}
    return pl.DataFrame({**columns, STOP: index}, schema=schema)


@dataclass
class Verdicts:
    """What the checker and the record path said of each stop."""

    clean: list[bool]
    findings: list[list[str]]  # the record path's issues (or conversion error) per stop
    unsound: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def valid(self) -> int:
        return sum(not f for f in self.findings)

    @property
    def valid_and_clean(self) -> int:
        return sum(c and not f for c, f in zip(self.clean, self.findings, strict=True))

    @property
    def precision(self) -> float:
        return self.valid_and_clean / self.valid if self.valid else 1.0


_binders: dict[tuple[str, tuple[str, ...]], Binder] = {}


def record_path(
    service: ValidationService, layout: FlatLayout, header: list[str], rows: Rows
) -> list[str]:
    """Every finding of the record path for one stop: conversion error, then issues."""
    key = (layout.dictionary.id, tuple(header))
    bind = _binders.get(key)
    if bind is None:
        bind = _binders[key] = layout.binder(header)
    try:
        record = bind([(i, list(row)) for i, row in enumerate(rows, 2)])
    except ConversionError as exc:
        return [f"conversion: {exc.message}"]
    outcome = service.validate("stop", record)
    return [f"{i.code} {i.severity} {i.field}: {i.message}" for i in outcome.issues]


def judge(
    check: ColumnarCheck,
    service: ValidationService,
    header: list[str],
    stops: Sequence[Rows],
    today: dt.date | None = None,
) -> Verdicts:
    """Both paths on every stop; ``unsound`` lists the stops called clean with findings."""
    clean = check.clean(frame_of(header, stops), today).to_list()
    assert len(clean) == len(stops)
    findings = [record_path(service, check.layout, header, rows) for rows in stops]
    verdicts = Verdicts(clean, findings)
    verdicts.unsound = [
        (i, f) for i, (c, f) in enumerate(zip(clean, findings, strict=True)) if c and f
    ]
    return verdicts
