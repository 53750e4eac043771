"""The rap sheet participants' kit over HTTP: ``/chri/v1/icd``, public like ``/sdcs/v1/icd``."""

from __future__ import annotations

from typing import Any

import pytest

from jdx.exchanges.rapsheets.kit import build_kit


def test_the_index_lists_every_document_and_each_is_served_with_its_media_type(
    client: Any,
) -> None:
    index = client.get("/chri/v1/icd")  # no key: the kit is public, as the stop data ICD is
    assert index.status_code == 200, index.text
    documents = index.json()["documents"]
    kit = build_kit()
    assert list(documents) == list(kit)
    assert "Nlets" in index.json()["nlets41_xsd"]
    for name, listed in documents.items():
        assert listed["href"] == f"/chri/v1/icd/{name}" and listed["description"]
        response = client.get(listed["href"])
        assert response.status_code == 200, name
        assert response.headers["content-type"] == listed["media_type"] == kit[name][1]
        assert response.content == kit[name][0], name
    assert client.get("/sdcs/v1/icd").status_code == 200  # the same policy as the stops' ICD


def test_an_unknown_document_is_a_clear_404(client: Any) -> None:
    missing = client.get("/chri/v1/icd/nlets41-4.1.xsd")
    assert missing.status_code == 404
    assert missing.json()["detail"] == (
        "No document 'nlets41-4.1.xsd' in the rap sheet kit; see /chri/v1/icd."
    )
    assert client.get("/chri/v1/icd/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_the_kit_is_in_the_api_description(client: Any) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/chri/v1/icd" in paths and "/chri/v1/icd/{name}" in paths


def test_a_sample_the_reader_refuses_is_a_500_naming_it(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jdx.channels.http import chri_icd
    from jdx.exchanges.rapsheets import kit

    monkeypatch.setattr(kit, "sample_files", lambda: {"ojbc-broken.xml": b"<RapSheet/"})
    chri_icd._kit_of.cache_clear()
    try:
        response = client.get("/chri/v1/icd")
    finally:
        chri_icd._kit_of.cache_clear()
    assert response.status_code == 500
    assert "sample ojbc-broken.xml is refused" in response.json()["detail"]
