"""The generated ICD agrees with the validator: the sample passes it, the schemas accept every
valid golden record, and they reject what they state they reject."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator
from lxml import etree
from python_calamine import CalamineWorkbook

from jdx.codecs.flat import FlatLayout
from jdx.codecs.xmlform import record_to_xml
from jdx.dictionary import Dictionary
from jdx.dictionary.icd import DOCUMENTS, render, write_icd
from jdx.dictionary.icd.jsonschema import json_schema
from jdx.dictionary.icd.sample import sample_record
from jdx.dictionary.icd.xsd import xsd
from jdx.hub import Hub
from tests.conftest import golden

ERAS = ("2018", "2024")


@pytest.fixture(scope="module", params=ERAS)
def era(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def dictionary(hub: Hub, era: str) -> Dictionary:
    return hub.validation.dictionaries[f"stop-{era}"]


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def test_sample_passes_the_validator_with_the_demo_domain_tables(
    hub: Hub, dictionary: Dictionary
) -> None:
    sample = sample_record(dictionary, hub.validation.domains)
    outcome = hub.validation.validate("stop", sample)
    assert outcome.issues == []
    assert hub.validation.dictionary_for("stop", sample) is dictionary  # its era's example


def test_json_schema_accepts_the_sample_and_every_valid_golden_record(
    dictionary: Dictionary, era: str
) -> None:
    schema = json_schema(dictionary)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    records = [("sample", sample_record(dictionary)), *golden(era)]
    for name, record in records:
        errors = [e.message for e in validator.iter_errors(_clean(record))]
        assert errors == [], name


def test_json_schema_rejects_a_bad_code_and_a_missing_required_field(
    dictionary: Dictionary,
) -> None:
    validator = Draft202012Validator(json_schema(dictionary))
    bad = sample_record(dictionary)
    bad["TX_Type"] = "X"
    assert not validator.is_valid(bad)
    missing = sample_record(dictionary)
    del missing["ORI"]
    assert any("'ORI' is a required property" in e.message for e in validator.iter_errors(missing))


def test_xsd_accepts_the_sample_and_every_valid_golden_record_as_xml(
    dictionary: Dictionary, era: str
) -> None:
    schema = etree.XMLSchema(etree.fromstring(xsd(dictionary)))
    records = [("sample", sample_record(dictionary)), *golden(era)]
    for name, record in records:
        document = etree.fromstring(record_to_xml(dictionary, _clean(record)))
        assert schema.validate(document), (name, schema.error_log.last_error)


def test_xsd_rejects_a_bad_code_and_a_bad_date(dictionary: Dictionary) -> None:
    schema = etree.XMLSchema(etree.fromstring(xsd(dictionary)))
    for field, value in (("TX_Type", "X"), ("SDate", "2024-03-15")):
        record = sample_record(dictionary)
        record[field] = value
        assert not schema.validate(etree.fromstring(record_to_xml(dictionary, record))), field


def test_templates_hold_the_flat_header_and_a_sample_that_reads_back_valid(
    hub: Hub, dictionary: Dictionary
) -> None:
    layout = FlatLayout(dictionary)
    text = render(dictionary, "-template.txt").decode()
    lines = [line.split("|") for line in text.splitlines()]
    assert lines[0] == layout.names
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(render(dictionary, "-template.xlsx")))
    rows = sheet.get_sheet_by_index(0).to_python()
    assert [str(c) for c in rows[0]] == layout.names
    for table in (lines, [[str(c) for c in row] for row in rows]):
        (built,) = list(layout.records(table[0], enumerate(table[1:], start=2)))
        assert not isinstance(built, Exception)
        assert hub.validation.validate("stop", built.record).issues == []


def test_html_names_every_field_and_error_code(dictionary: Dictionary) -> None:
    page = render(dictionary, ".html").decode()
    for path, spec in dictionary.walk():
        assert f"<code>{path}</code>" in page
        assert spec.code in page
    for rule in dictionary.rules:
        assert rule.code in page


def test_write_icd_writes_every_document(dictionary: Dictionary, tmp_path: Path) -> None:
    written = write_icd(dictionary, tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{dictionary.id}{s}" for s in DOCUMENTS)
    assert orjson.loads((tmp_path / f"{dictionary.id}-sample.json").read_bytes()) == (
        sample_record(dictionary)
    )


def test_the_hub_serves_the_icd(client: Any) -> None:
    index = client.get("/sdcs/v1/icd").json()
    assert set(index) == {"stop-2018", "stop-2024"}
    for href in index["stop-2024"].values():
        response = client.get(href)
        assert response.status_code == 200, href
        suffix = href.removeprefix("/sdcs/v1/icd/stop-2024")
        assert response.headers["content-type"].startswith(DOCUMENTS[suffix][1].split(";")[0])
    assert client.get("/sdcs/v1/icd/stop-1999.xsd").status_code == 404
    assert client.get("/sdcs/v1/icd/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_openapi_documents_the_stop_body_with_the_json_schema(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/sdcs/v1/stops"]["post"]["requestBody"]["content"]
    assert "ORI" in body["application/json"]["schema"]["properties"]


def test_sample_is_independent_of_later_changes(dictionary: Dictionary) -> None:
    first = sample_record(dictionary)
    changed = copy.deepcopy(first)
    changed["ORI"] = "changed"
    assert sample_record(dictionary) == first


def drop_downs(data: bytes, sheet: str) -> dict[str, list[str]]:
    """Each column (by its header) with a list drop-down: the codes the list offers."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    main, codes = book[sheet], book["Codes"]
    header = [c.value for c in main[1]]
    found: dict[str, list[str]] = {}
    for rule in main.data_validations.dataValidation:
        assert rule.type == "list" and rule.showErrorMessage  # other values are refused
        source = rule.formula1.removeprefix("Codes!").replace("$", "")
        first, last = source.split(":")
        offered = [str(c.value) for (c,) in codes[first:last]]
        for cells in str(rule.sqref).split():
            column = openpyxl.utils.cell.coordinate_from_string(cells.split(":")[0])[0]
            found[header[openpyxl.utils.cell.column_index_from_string(column) - 1]] = offered
    return found


def test_the_xlsx_template_offers_every_code_table_as_a_drop_down(
    dictionary: Dictionary,
) -> None:
    """Issue 18: the templates had no drop-downs. Every column whose field has a code table (or
    is a Y/N flag) offers exactly its codes; free-text columns offer none; the agency's rows
    stay on the first sheet, the one the hub reads."""
    from jdx.dictionary.icd.templates import code_choices

    layout = FlatLayout(dictionary)
    expected = {
        c.name: list(choices)
        for c in layout.columns
        if c.spec.type != "list" and (choices := code_choices(dictionary, c.spec))
    }
    assert any(c.spec.table for c in layout.columns)
    offered = drop_downs(render(dictionary, "-template.xlsx"), dictionary.id)
    assert offered == expected
    for column in layout.columns:
        if column.spec.table and column.spec.type != "list":
            table = dictionary.tables[column.spec.table].values
            assert offered[column.name] == list(table)
