"""``/openapi.json`` as the integrators' contract (issue 18): readable, unique operation ids,
the security schemes a client needs (Swagger's Authorize button), request bodies with examples,
answers with schemas, the seed's Table 5 request headers and Idempotency-Key. What the hub
answers is checked against it by schemathesis (test_schemathesis.py).
"""

from __future__ import annotations

import re
from typing import Any

import httpx2 as httpx
import pytest

READABLE = re.compile(r"[a-z][a-zA-Z]+")
# Words of the paths that a generated id would carry.
PATH_WORDS = ("v1", "sdcs", "namus", "chri", "_get", "_post", "_put")
# Bodies without an example: any file of the convention's formats; a one-field JSON object.
NO_EXAMPLE = {"uploadStopFile", "setRapSheetFormat"}


@pytest.fixture
def document(client: httpx.Client) -> dict[str, Any]:
    return client.get("/openapi.json").json()  # type: ignore[no-any-return]


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, shown in document["paths"].items()
        for method, operation in shown.items()
    ]


def test_every_operation_has_a_readable_unique_id(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids)) >= 20, sorted(ids)
    for found in ids:
        assert READABLE.fullmatch(found), found
        assert not any(word in found.lower() for word in PATH_WORDS), found
    assert {"submitStop", "getStop", "updateStop", "createCaseJob", "getCaseJob"} <= set(ids)


def test_the_key_and_the_client_certificate_are_security_schemes(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["apiKey"]["description"],
    }
    assert schemes["clientCertificate"]["type"] == "mutualTLS"
    for method, path, operation in operations(document):
        if "401" in operation["responses"]:
            needed = operation["security"]
            assert needed and "apiKey" in needed[0], (method, path)
        else:
            assert "security" not in operation, (method, path)  # the public ICDs


def test_every_body_a_route_reads_is_documented_with_an_example(
    document: dict[str, Any],
) -> None:
    for method, path, operation in operations(document):
        if method in ("POST", "PUT"):
            body = operation.get("requestBody")
            assert body and body.get("required"), (method, path)
            if operation["operationId"] in NO_EXAMPLE:
                continue
            assert any(
                "example" in shown or "examples" in shown for shown in body["content"].values()
            ), (method, path)
    job = document["paths"]["/namus/v1/jobs"]["post"]
    envelope = job["requestBody"]["content"]["application/json"]
    assert envelope["schema"]["required"] == ["cases"]
    assert envelope["schema"]["properties"]["cases"]["items"]["required"] == ["type", "record"]
    assert {c["type"] for c in envelope["example"]["cases"]} == {"missing", "unidentified"}
    assert "<ImportJob>" in job["requestBody"]["content"]["application/xml"]["example"]
    assert [p["name"] for p in job["parameters"]] == ["Idempotency-Key"]
    replayed = job["responses"]["202"]["headers"]
    assert {"Location", "Idempotent-Replayed"} <= replayed.keys()


def test_every_answer_has_its_body_s_schema(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            assert answer.get("content"), (method, path, status)
            for media, shown in answer["content"].items():
                assert "schema" in shown, (method, path, status, media)


def test_the_stop_routes_document_table_5_and_table_6(document: dict[str, Any]) -> None:
    table_5 = {"ORI", "LEARecordID", "OfficerUID", "StopDate", "StopTime", "BrowserType"}
    table_5 |= {"ResourceType", "CallingApplication", "DOJRecordID"}
    table_6 = {"ORI", "LEARecordID", "DOJRecordID", "OfficerUID", "StopDate", "StopTime"}
    table_6 |= {"ResourceType", "BrowserType"}
    for method, path in (("post", "/sdcs/v1/stops"), ("put", "/sdcs/v1/stops/{lea_record_id}")):
        operation = document["paths"][path][method]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert headers == table_5
        for status in ("200", "202", "400", "409"):
            answer = operation["responses"][status]
            assert table_6 <= answer["headers"].keys()
            assert answer["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/StopAnswer"
            }
        examples = operation["requestBody"]["content"]
        tx_type = "I" if method == "post" else "U"
        assert examples["application/json"]["example"]["TX_Type"] == tx_type
        assert f"<TX_Type>{tx_type}</TX_Type>" in examples["application/xml"]["example"]
