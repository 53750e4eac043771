"""The Interface Control Document, generated from a dictionary: what agencies build against.

HTML data dictionary, JSON Schema, XSD, bulk templates, samples (the smallest valid record and
one with the optional fields) and the SQL DDL of the fields (PostgreSQL and SQLite).

``render(d, suffix)`` gives one document; ``write_icd(d, folder)`` writes them all. The documents
are derived only from the dictionary, so they can never disagree with the validator: the sample
passes it, and the schemas are built to accept what it accepts (see the tests).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson

from jdx.codecs.xmlform import record_to_xml
from jdx.dictionary.icd.html import icd_html
from jdx.dictionary.icd.jsonschema import json_schema
from jdx.dictionary.icd.sample import sample_record
from jdx.dictionary.icd.sql import sql_ddl
from jdx.dictionary.icd.templates import pipe_template, xlsx_template
from jdx.dictionary.icd.xsd import xsd
from jdx.dictionary.model import Dictionary

# suffix -> (what it is, media type)
DOCUMENTS: dict[str, tuple[str, str]] = {
    ".html": ("Interface Control Document (this page)", "text/html; charset=utf-8"),
    ".schema.json": ("Attachment B: JSON Schema", "application/schema+json"),
    ".xsd": ("Attachment A: XML Schema", "application/xml"),
    "-template.xlsx": (
        "Attachment C: Excel bulk upload template",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "-template.txt": ("Attachment C: pipe-delimited bulk upload template", "text/plain"),
    "-sample.json": ("A valid sample record (JSON)", "application/json"),
    "-sample.xml": ("The same sample record (XML)", "application/xml"),
    "-sample-full.json": (
        "A valid sample record with the optional fields too (JSON)",
        "application/json",
    ),
    ".postgresql.sql": ("SQL DDL of the fields (PostgreSQL)", "application/sql"),
    ".sqlite.sql": ("SQL DDL of the fields (SQLite)", "application/sql"),
}


def _renderers(d: Dictionary) -> dict[str, Callable[[], bytes]]:
    sample = sample_record(d)
    files = {label: f"{d.id}{suffix}" for suffix, (label, _) in DOCUMENTS.items()}
    return {
        ".html": lambda: icd_html(d, sample, files).encode(),
        ".schema.json": lambda: orjson.dumps(json_schema(d), option=orjson.OPT_INDENT_2),
        ".xsd": lambda: xsd(d),
        "-template.xlsx": lambda: xlsx_template(d, sample),
        "-template.txt": lambda: pipe_template(d, sample),
        "-sample.json": lambda: orjson.dumps(sample, option=orjson.OPT_INDENT_2),
        "-sample.xml": lambda: record_to_xml(d, sample),
        "-sample-full.json": lambda: orjson.dumps(
            sample_record(d, full=True), option=orjson.OPT_INDENT_2
        ),
        ".postgresql.sql": lambda: sql_ddl(d, "postgresql").encode(),
        ".sqlite.sql": lambda: sql_ddl(d, "sqlite").encode(),
    }


def render(d: Dictionary, suffix: str) -> bytes:
    if suffix not in DOCUMENTS:
        raise KeyError(f"no ICD document of kind {suffix!r}")
    return _renderers(d)[suffix]()


def write_icd(d: Dictionary, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, make in _renderers(d).items():
        path = folder / f"{d.id}{suffix}"
        path.write_bytes(make())
        written.append(path)
    return written
