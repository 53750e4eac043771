"""The ICD of the NamUs case record types agrees with their validators: samples pass, the JSON
Schema and XSD accept what the validator accepts, the SQL DDL runs and holds valid records."""

from __future__ import annotations

import os
import sqlite3
import uuid
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

from jdx.codecs.xmlform import record_to_xml
from jdx.dictionary import Dictionary, load_dictionary
from jdx.dictionary.icd import render
from jdx.dictionary.icd.jsonschema import json_schema
from jdx.dictionary.icd.sample import sample_record
from jdx.dictionary.icd.sql import DIALECTS, SqlError, sql_ddl
from jdx.dictionary.icd.xsd import xsd
from jdx.dictionary.model import FieldSpec
from jdx.exchanges.cases import DICTIONARIES
from jdx.hub import Hub
from jdx.validation import DICTIONARY_DIR
from tests.dictionary.test_case_dictionaries import KINDS, case_golden

PG_URL = os.environ.get("JDX_TEST_DATABASE_URL", "")


@pytest.fixture(scope="module", params=DICTIONARIES)
def dictionary(hub: Hub, request: pytest.FixtureRequest) -> Dictionary:
    return hub.validation.dictionaries[str(request.param)]


def records(d: Dictionary) -> list[tuple[str, dict[str, Any]]]:
    kind = next(k for k, family in KINDS.items() if family == d.family)
    return [
        ("sample", sample_record(d)),
        ("full sample", sample_record(d, full=True)),
        *case_golden(kind),
    ]


def invalid(d: Dictionary) -> list[tuple[str, dict[str, Any]]]:
    kind = next(k for k, family in KINDS.items() if family == d.family)
    return [
        (name, {k: v for k, v in r.items() if k != "_expect"})
        for name, r in case_golden(kind, "invalid")
    ]


def test_every_sample_passes_the_validator(hub: Hub, dictionary: Dictionary) -> None:
    minimum, full = sample_record(dictionary), sample_record(dictionary, full=True)
    for record in (minimum, full):
        assert hub.validation.validate(dictionary.family, record).issues == []
    # The full sample shows every optional field that has an example; the minimum none.
    assert len(str(full)) > len(str(minimum))
    required = {f.name for f in dictionary.fields if f.required is True}
    assert set(minimum) <= required | {r.field for r in dictionary.rules} | {"caseType"}


def test_json_schema_agrees_with_the_validator(hub: Hub, dictionary: Dictionary) -> None:
    schema = json_schema(dictionary)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    for name, record in records(dictionary):
        assert [e.message for e in validator.iter_errors(record)] == [], name
    # Never stricter than the validator, and it refuses the single-field errors it can state.
    rejected = 0
    for name, record in invalid(dictionary):
        outcome = hub.validation.validate(dictionary.family, record)
        assert outcome.has_errors, name
        if not validator.is_valid(record):
            rejected += 1
    assert rejected >= len(invalid(dictionary)) // 2


def test_json_schema_refuses_unknown_fields_and_bad_codes(dictionary: Dictionary) -> None:
    validator = Draft202012Validator(json_schema(dictionary))
    record = sample_record(dictionary)
    assert validator.is_valid(record)
    assert not validator.is_valid({**record, "notAField": "x"})


def test_xsd_accepts_the_samples_and_valid_golden_records(dictionary: Dictionary) -> None:
    schema = etree.XMLSchema(etree.fromstring(xsd(dictionary)))
    for name, record in records(dictionary):
        document = etree.fromstring(record_to_xml(dictionary, record))
        assert schema.validate(document), (name, schema.error_log.last_error)


def test_html_names_every_field_rule_code_and_table(dictionary: Dictionary) -> None:
    page = render(dictionary, ".html").decode()
    for path, spec in dictionary.walk():
        assert f"<code>{path}</code>" in page
        assert spec.code in page
    for rule in dictionary.rules:
        assert rule.code in page
    for table in dictionary.tables.values():
        assert table.label in page
    assert f"any other is an error ({dictionary.unknown_code})" in page
    assert "Submitted with Errors" not in page  # a stop record's status, not a case's


# --- SQL DDL ----------------------------------------------------------------------------------


def rows(
    fields: tuple[FieldSpec, ...], record: dict[str, Any], table: str, prefix: str = ""
) -> tuple[dict[str, Any], list[tuple[str, list[dict[str, Any]]]]]:
    """A record as the DDL stores it: the columns of its table and the rows of its child tables
    (the naming rule of ``icd/sql.py``, written out again so that the test checks it)."""
    columns: dict[str, Any] = {}
    children: list[tuple[str, list[dict[str, Any]]]] = []
    for f in fields:
        value = record.get(f.name)
        if value is None:
            continue
        name = prefix + f.name
        if f.type == "group":
            inner, more = rows(f.fields, value, table, name + "_")
            columns.update(inner)
            children += more
        elif f.type == "list":
            assert f.item is not None
            child = f"{table}_{name}"
            if f.item.type == "group":
                children.append((child, [rows(f.item.fields, v, child)[0] for v in value]))
            else:
                children.append((child, [{"value": v} for v in value]))
        else:
            columns[name] = value
    return columns, children


def store(conn: Any, d: Dictionary, record: dict[str, Any], mark: str) -> None:
    base = d.id.replace("-", "_")
    columns, children = rows(d.fields, record, base)
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{base}" ({names}) VALUES ({", ".join([mark] * len(columns))})'
    cursor = conn.cursor()
    cursor.execute(sql + " RETURNING id", list(columns.values()))
    (parent,) = cursor.fetchone()
    for table, items in children:
        for position, item in enumerate(items, 1):
            keys = ["parent_id", "position", *item]
            listed = ", ".join(f'"{k}"' for k in keys)
            cursor.execute(
                f'INSERT INTO "{table}" ({listed}) VALUES ({", ".join([mark] * len(keys))})',
                [parent, position, *item.values()],
            )


def test_sqlite_ddl_runs_and_holds_every_valid_record(dictionary: Dictionary) -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(sql_ddl(dictionary, "sqlite"))
    for _name, record in records(dictionary):
        store(conn, dictionary, record, "?")
    base = dictionary.id.replace("-", "_")
    assert conn.execute(f'SELECT count(*) FROM "{base}"').fetchone() == (len(records(dictionary)),)


def test_sqlite_ddl_refuses_a_code_outside_its_table(dictionary: Dictionary) -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(sql_ddl(dictionary, "sqlite"))
    record = sample_record(dictionary)
    if dictionary.family == "case-cancellation":
        record["reason"] = "duplicate"
    else:
        record["subjectDescription"]["sex"]["name"] = "X"
    with pytest.raises(sqlite3.IntegrityError):
        store(conn, dictionary, record, "?")


def test_ddl_columns_are_typed_from_the_dictionary(dictionary: Dictionary) -> None:
    ddl = sql_ddl(dictionary, "postgresql")
    if dictionary.family == "case-missing":
        assert '"sighting_date" DATE NOT NULL' in ddl
        assert '"subjectIdentification_firstName" VARCHAR(50) NOT NULL' in ddl
        assert '"physicalDescription_hairColor_name" VARCHAR(3) REFERENCES' in ddl  # optional
        assert 'CREATE TABLE "case_missing_investigatingAgencies"' in ddl
        assert 'REFERENCES "case_missing" (id) ON DELETE CASCADE' in ddl
        assert "('NB', 'NEBRASKA')" in ddl  # NCIC's code, not the postal NE
    for dialect in DIALECTS:
        assert sql_ddl(dictionary, dialect).count("CREATE TABLE") >= 2


def test_stop_ddl_runs_on_sqlite_too(hub: Hub) -> None:
    for version in ("stop-2018", "stop-2024"):
        sqlite3.connect(":memory:").executescript(
            sql_ddl(hub.validation.dictionaries[version], "sqlite")
        )


def test_an_unknown_dialect_or_an_overlong_name_is_refused(dictionary: Dictionary) -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match="unknown SQL dialect"):
        sql_ddl(dictionary, "oracle")  # type: ignore[arg-type]
    with pytest.raises(SqlError, match="longer than 63"):
        sql_ddl(replace(dictionary, id="x" * 64))


@pytest.mark.postgres
@pytest.mark.parametrize("name", DICTIONARIES)
def test_postgresql_ddl_runs_and_holds_every_valid_record(name: str) -> None:
    """In a schema of its own in the test database; no hub, so no worker databases either."""
    import psycopg

    dictionary = load_dictionary(DICTIONARY_DIR / f"{name}.yaml")

    schema = f"icd_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            conn.execute(f'SET search_path TO "{schema}"')
            conn.execute(sql_ddl(dictionary, "postgresql").encode())
            for _name, record in records(dictionary):
                store(conn, dictionary, record, "%s")
        finally:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
