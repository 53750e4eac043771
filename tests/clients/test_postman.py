"""Issue 18: the try-it collection (Postman v2.1) is generated from the hub's OpenAPI, covers
every operation, and each of its requests gets the status it expects from a running hub."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from tools import postman_collection

from tests.clients.conftest import RunningHub
from tests.clients.postman_runner import requests, run

COMMITTED = (
    Path(__file__).resolve().parents[2] / "clients" / "postman" / "jdx.postman_collection.json"
)


def test_the_committed_collection_is_the_generated_one() -> None:
    assert COMMITTED.read_text() == postman_collection.render(), (
        "the collection is stale: `make docs` (python tools/postman_collection.py > "
        "clients/postman/jdx.postman_collection.json)"
    )


def test_the_collection_holds_every_operation_of_the_openapi_document() -> None:
    collection = json.loads(COMMITTED.read_text())
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
    named = {item["name"].rsplit(" (", 1)[-1].rstrip(")") for item in requests(collection["item"])}
    documented = {
        f"{method.upper()} {path}"
        for path, operations in postman_collection.openapi()["paths"].items()
        for method in operations
    }
    assert documented <= named and "GET /healthz" in named
    assert {v["key"] for v in collection["variable"]} >= {"baseUrl", "apiKey"}


@pytest.mark.server
def test_every_request_of_the_collection_gets_its_expected_status(running_hub: RunningHub) -> None:
    collection = json.loads(COMMITTED.read_text())
    ran = run(
        collection,
        {"baseUrl": running_hub.base, "apiKey": running_hub.key},
        run_id=str(time.time_ns())[-8:],
    )
    wrong = [f"{r.name}: {r.status}, expected {r.expected}: {r.text}" for r in ran if not r.passed]
    assert wrong == [], "\n".join(wrong)
    assert len(ran) == len(list(requests(collection["item"])))
