"""The stop data web service over HTTP: every row of the seed's Tables 3, 4, 5, 7 and 8."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx2 as httpx
import orjson
import pytest
from lxml import etree

from jdx.codecs.xmlform import to_xml
from jdx.exchanges.stops.service import StopService
from jdx.hub import Hub
from jdx.store.queries import audit_entries
from tests.conftest import AgencyFixture, new_agency, stop_record
from tests.samples import jsonb_order, key_order, reversed_keys

URL = "/sdcs/v1/stops"


def post(
    client: httpx.Client, agency: AgencyFixture, record: Any, realm: str = "prod", **headers: str
) -> httpx.Response:
    return client.post(
        URL,
        content=orjson.dumps(record),
        headers={**agency.auth(realm), "Content-Type": "application/json", **headers},
    )


def put(
    client: httpx.Client, agency: AgencyFixture, record: dict[str, Any], lea_id: str | None = None
) -> httpx.Response:
    return client.put(
        f"{URL}/{lea_id or record['LEARecordID']}",
        content=orjson.dumps(record),
        headers={**agency.auth(), "Content-Type": "application/json"},
    )


def codes(response: httpx.Response) -> list[str]:
    return [m["Code"] for m in response.json()["Messages"]]


def with_record_error(record: dict[str, Any]) -> dict[str, Any]:
    """A non-core error: the stop duration out of range is stored 'Submitted with Errors'."""
    record["SDur"] = "0"
    return record


# --- Table 4 (methods) and Table 7 (codes) ----------------------------------------------------


def test_post_valid_record_is_stored_successfully(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    record = stop_record(agency)
    r = post(client, agency, record)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["Status"] == "Successful Submission"
    assert body["Messages"] == []
    # Table 6: the response headers, with the DOJ record id the hub assigned.
    assert r.headers["DOJRecordID"] == body["DOJRecordID"] and body["DOJRecordID"].isdigit()
    assert r.headers["ORI"] == agency.ori
    assert r.headers["LEARecordID"] == record["LEARecordID"]
    assert r.headers["OfficerUID"] == record["Officer"]["UID"]
    assert r.headers["StopDate"] == record["SDate"]
    assert r.headers["StopTime"] == record["STime"]
    assert r.headers["ResourceType"] == "JSON"


def test_post_with_record_errors_is_stored_and_lists_them(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    r = post(client, agency, with_record_error(stop_record(agency)))
    assert r.status_code == 202
    body = r.json()
    assert body["Status"] == "Submitted with Errors"
    [message] = body["Messages"]
    assert message["Field"] == "SDur" and message["Severity"] == "ERROR"
    assert "Duration" in message["Message"] or "SDur" in message["Message"]
    assert body["DOJRecordID"]


def test_person_errors_carry_the_person_number(client: httpx.Client, agency: AgencyFixture) -> None:
    record = stop_record(agency)
    person = record["ListPerson_Stopped"]["Person_Stopped"][0]
    person["Perc"]["Age"] = "150"
    r = post(client, agency, record)
    assert r.status_code == 202
    [message] = r.json()["Messages"]
    assert message["PersonNumber"] == person["PID"]
    assert message["Field"] == "ListPerson_Stopped.Person_Stopped[1].Perc.Age"


def test_put_corrects_a_record_submitted_with_errors(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    record = stop_record(agency)
    first = post(client, agency, with_record_error(dict(record)))
    assert first.status_code == 202
    record["TX_Type"] = "U"
    r = put(client, agency, record)
    assert r.status_code == 200, r.text
    assert r.json()["Status"] == "Successful Submission"
    assert r.headers["DOJRecordID"] == first.headers["DOJRecordID"]


def test_put_on_successful_record_is_405(client: httpx.Client, agency: AgencyFixture) -> None:
    record = stop_record(agency)
    assert post(client, agency, record).status_code == 200
    record["TX_Type"] = "U"
    r = put(client, agency, record)
    assert r.status_code == 405
    assert codes(r) == ["DV238"]
    assert r.headers["Allow"] == "GET"


def test_nfia_closes_a_record_with_errors(client: httpx.Client, agency: AgencyFixture) -> None:
    record = with_record_error(stop_record(agency))
    assert post(client, agency, record).status_code == 202
    record.update(TX_Type="U", Is_NFIA="Y")
    r = put(client, agency, record)
    assert r.status_code == 200
    assert r.json()["Status"] == "NFIA"
    # NFIA records are un-editable.
    assert put(client, agency, record).status_code == 405


def test_nfia_on_a_new_record_is_an_error(client: httpx.Client, agency: AgencyFixture) -> None:
    r = post(client, agency, stop_record(agency, Is_NFIA="Y"))
    assert r.status_code == 202
    assert "DV240" in codes(r)


def test_put_of_unknown_record_is_record_matching_404(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    record = stop_record(agency, TX_Type="U")
    r = put(client, agency, record)
    assert r.status_code == 404
    assert codes(r) == ["DV237"]


def test_put_url_must_name_the_record(client: httpx.Client, agency: AgencyFixture) -> None:
    record = with_record_error(stop_record(agency))
    post(client, agency, record)
    r = put(client, agency, {**record, "TX_Type": "U"}, lea_id="SOMEOTHER")
    assert r.status_code == 400
    assert "WS005" in codes(r)


def test_tx_type_must_agree_with_the_verb(client: httpx.Client, agency: AgencyFixture) -> None:
    r = post(client, agency, stop_record(agency, TX_Type="U"))
    assert r.status_code == 400
    assert codes(r) == ["DV239"]


# --- Table 3: data validation fatal errors, duplicates and matching ---------------------------


def test_duplicate_lea_record_id_is_409(client: httpx.Client, agency: AgencyFixture) -> None:
    record = stop_record(agency)
    assert post(client, agency, record).status_code == 200
    again = dict(record, STime="23:59:59")
    r = post(client, agency, again)
    assert r.status_code == 409
    assert codes(r) == ["DV236"]


def test_duplicate_officer_date_time_is_409(client: httpx.Client, agency: AgencyFixture) -> None:
    record = stop_record(agency)
    assert post(client, agency, record).status_code == 200
    twin = dict(record, LEARecordID=record["LEARecordID"] + "B")
    r = post(client, agency, twin)
    assert r.status_code == 409
    assert codes(r) == ["DV004"]
    assert record["LEARecordID"] in r.json()["Messages"][0]["Message"]


def test_duplicate_check_treats_hh_mm_as_hh_mm_00(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    record = stop_record(agency, STime="10:15:00")
    assert post(client, agency, record).status_code == 200
    twin = dict(record, LEARecordID=record["LEARecordID"] + "C", STime="10:15")
    assert codes(post(client, agency, twin)) == ["DV004"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda r: r.pop("LEARecordID"), None),
        (lambda r: r["Officer"].update(UID="12345"), "DV007"),
        (lambda r: r.update(SDate="13/45/2024"), None),
        (lambda r: r.update(STime="25:00:00"), None),
    ],
    ids=["no-lea-record-id", "bad-officer-uid", "bad-stop-date", "bad-stop-time"],
)
def test_invalid_core_attributes_are_fatal_400(
    client: httpx.Client, agency: AgencyFixture, change: Any, code: str | None
) -> None:
    record = stop_record(agency)
    change(record)
    r = post(client, agency, record)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["Status"] == "Rejected" and body["DOJRecordID"] is None
    fatal = [m for m in body["Messages"] if m["Severity"] == "FATAL"]
    assert fatal
    if code:
        assert code in [m["Code"] for m in fatal]


def test_unknown_ori_is_invalid_ori_401(client: httpx.Client, agency: AgencyFixture) -> None:
    r = post(client, agency, stop_record(agency, ORI="ZZ9999999"))
    assert r.status_code == 401
    assert "DV001" in codes(r)


def test_another_agencys_ori_is_403(
    client: httpx.Client, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    r = post(client, agency, stop_record(agency, ORI=other_agency.ori))
    assert r.status_code == 403
    assert "WS004" in codes(r)


def test_fatal_record_is_not_stored(client: httpx.Client, agency: AgencyFixture) -> None:
    record = stop_record(agency)
    record["Officer"]["UID"] = "BAD"
    assert post(client, agency, record).status_code == 400
    r = client.get(f"{URL}/{record['LEARecordID']}", headers=agency.auth())
    assert r.status_code == 404


# --- Table 5: request headers -----------------------------------------------------------------


def test_headers_that_disagree_with_the_body_are_400(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    record = stop_record(agency)
    r = post(client, agency, record, OfficerUID="OTHER0001", StopDate=record["SDate"])
    assert r.status_code == 400
    [message] = r.json()["Messages"]
    assert message["Code"] == "WS005" and message["Field"] == "OfficerUID"


def test_headers_that_agree_are_accepted(client: httpx.Client, agency: AgencyFixture) -> None:
    record = stop_record(agency)
    r = post(
        client,
        agency,
        record,
        ORI=agency.ori,
        LEARecordID=record["LEARecordID"],
        OfficerUID=record["Officer"]["UID"],
        StopDate=record["SDate"],
        StopTime=record["STime"],
        BrowserType="Chrome",
        ResourceType="JSON",
        CallingApplication="RMSWS",
    )
    assert r.status_code == 200
    assert r.headers["BrowserType"] == "Chrome"


def test_calling_application_must_be_known(client: httpx.Client, agency: AgencyFixture) -> None:
    r = post(client, agency, stop_record(agency), CallingApplication="NOTEPAD")
    assert r.status_code == 400
    assert codes(r) == ["WS005"]


def test_strict_mode_requires_table_5_headers(hub: Hub, agency: AgencyFixture) -> None:
    from starlette.testclient import TestClient

    from jdx.channels.http.app import create_app

    strict = hub.settings.model_copy(update={"sdcs_strict_headers": True})
    strict_hub = dataclasses.replace(hub, settings=strict)
    with TestClient(create_app(hub=strict_hub)) as c:
        r = post(c, agency, stop_record(agency))
    assert r.status_code == 400
    missing = {m["Message"] for m in r.json()["Messages"] if m["Code"] == "WS008"}
    assert any("CallingApplication" in m for m in missing)
    assert any("OfficerUID" in m for m in missing)


# --- Table 8: web service fatal errors, and other bad input -----------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/json"),
        (b"   ", "application/json"),
        (b"{not json", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"<Stop><ORI>x</Stop>", "application/xml"),
        (b"", "application/xml"),
    ],
    ids=["empty", "blank", "broken-json", "not-utf8", "broken-xml", "empty-xml"],
)
def test_missing_or_invalid_body_is_400(
    client: httpx.Client, agency: AgencyFixture, body: bytes, content_type: str
) -> None:
    r = client.post(URL, content=body, headers={**agency.auth(), "Content-Type": content_type})
    assert r.status_code == 400
    assert "WS001" in r.text
    assert "Traceback" not in r.text


@pytest.mark.parametrize("verb", ["DELETE", "PATCH"])
def test_invalid_verb_is_404(client: httpx.Client, agency: AgencyFixture, verb: str) -> None:
    r = client.request(verb, f"{URL}/R1", headers=agency.auth())
    assert r.status_code == 404
    assert codes(r) == ["WS002"]


def test_json_array_or_scalar_body_is_400(client: httpx.Client, agency: AgencyFixture) -> None:
    r = post(client, agency, [stop_record(agency)])
    assert r.status_code == 400


def test_oversize_body_is_413(client: httpx.Client, agency: AgencyFixture, hub: Hub) -> None:
    big = b'{"pad": "' + b"x" * (hub.settings.max_body_bytes + 1) + b'"}'
    r = client.post(URL, content=big, headers={**agency.auth(), "Content-Type": "application/json"})
    assert r.status_code == 413
    assert codes(r) == ["WS007"]


def test_unsupported_content_type_is_415(client: httpx.Client, agency: AgencyFixture) -> None:
    r = client.post(URL, content=b"a,b", headers={**agency.auth(), "Content-Type": "text/csv"})
    assert r.status_code == 415
    assert codes(r) == ["WS006"]


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
        b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><Stop><ORI>&lol2;</ORI></Stop>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<Stop><ORI>&xxe;</ORI></Stop>",
        b"<Stop>" + b"<a>" * 200 + b"</a>" * 200 + b"</Stop>",
    ],
    ids=["billion-laughs", "external-entity", "deep-nesting"],
)
def test_hostile_xml_is_refused(
    client: httpx.Client, agency: AgencyFixture, document: bytes
) -> None:
    r = client.post(
        URL, content=document, headers={**agency.auth(), "Content-Type": "application/xml"}
    )
    assert r.status_code == 400
    assert b"root:" not in r.content  # nothing of /etc/passwd
    assert etree.fromstring(r.content).findtext("Messages/Message/Code") == "WS001"


# --- authentication (Table 7: 401, 403) -------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer jdx_prod_0000_secret", "Basic x"])
def test_missing_or_wrong_key_is_401(
    client: httpx.Client, agency: AgencyFixture, header: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    if header:
        headers["Authorization"] = header
    r = client.post(URL, content=orjson.dumps(stop_record(agency)), headers=headers)
    assert r.status_code == 401
    assert codes(r) == ["WS003"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_suspended_agency_is_403(client: httpx.Client, hub: Hub) -> None:
    from jdx.store.queries import set_agency_active

    suspended = new_agency(hub)
    with hub.engine.begin() as conn:
        set_agency_active(conn, suspended.ori, False)
    assert post(client, suspended, stop_record(suspended)).status_code == 403


# --- XML form ---------------------------------------------------------------------------------


def test_xml_record_gets_an_xml_answer(client: httpx.Client, agency: AgencyFixture) -> None:
    record = with_record_error(stop_record(agency))
    r = client.post(
        URL,
        content=to_xml("Stop", record),
        headers={**agency.auth(), "Content-Type": "application/xml"},
    )
    assert r.status_code == 202, r.text
    assert r.headers["content-type"].startswith("application/xml")
    assert r.headers["ResourceType"] == "XML"
    doc = etree.fromstring(r.content)
    assert doc.tag == "StopResponse"
    assert doc.findtext("Status") == "Submitted with Errors"
    assert doc.findtext("Messages/Message/Field") == "SDur"
    # Stored in the canonical JSON shape, whatever the format it came in.
    stored = client.get(f"{URL}/{record['LEARecordID']}", headers=agency.auth()).json()["Record"]
    persons = stored["ListPerson_Stopped"]["Person_Stopped"]
    assert isinstance(persons, list)
    assert isinstance(persons[0]["Perc"]["ListEthn"]["Ethn"], list)


def test_a_null_character_in_free_text_is_stored_as_sent(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    """U+0000 is valid JSON text; with jsonb (before 0011) PostgreSQL refused it and the
    request failed with a 500. Now it is stored and read back as sent, on both databases."""
    record = stop_record(agency)
    person = record["ListPerson_Stopped"]["Person_Stopped"][0]
    person["PrimaryReason"]["StReas_N"] = "Ran the red light\u0000 at Main St"
    r = post(client, agency, record)
    assert r.status_code == 200, r.text
    back = client.get(f"{URL}/{record['LEARecordID']}", headers=agency.auth()).json()["Record"]
    stored = back["ListPerson_Stopped"]["Person_Stopped"][0]["PrimaryReason"]["StReas_N"]
    assert stored == "Ran the red light\u0000 at Main St"


def test_a_null_character_anywhere_is_an_answer_naming_the_field_never_a_500(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    """PostgreSQL's text cannot hold U+0000 (psycopg refuses it before sending): a record id,
    officer or name holding one, in a record or a URL, failed with a 500 there (found by
    schemathesis). Now each gets the answer any other invalid value gets, on both databases."""
    missing = client.get(f"{URL}/R%00X", headers=agency.auth())
    assert (missing.status_code, codes(missing)) == (404, ["DV237"]), missing.text
    for path in (f"{URL}?officer=U%00", "/sdcs/v1/files?name=a%00"):
        found = client.get(path, headers=agency.auth())
        assert (found.status_code, found.json()["items"]) == (200, []), path

    bad_id = stop_record(agency, LEARecordID="R\u0000X")
    r = post(client, agency, bad_id, CallingApplication="LEAFTP")  # its error row kept too
    assert r.status_code == 400
    assert ("DV002", "LEARecordID") in [(m["Code"], m["Field"]) for m in r.json()["Messages"]]
    bad_batch = stop_record(agency, BatchID="B\u0000")  # not core: stored, with its error
    r = post(client, agency, bad_batch)
    assert r.status_code == 202, r.text
    assert [m["Field"] for m in r.json()["Messages"]] == ["BatchID"]
    back = client.get(f"{URL}/{bad_batch['LEARecordID']}", headers=agency.auth()).json()
    assert back["Record"]["BatchID"] == "B\u0000"  # the record as sent


def test_a_record_reads_back_with_its_keys_in_the_order_sent(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    """PostgreSQL stores records as json (0011), not jsonb, which reordered an object's keys."""
    record = reversed_keys(stop_record(agency))
    assert key_order(jsonb_order(record)) != key_order(record)
    assert post(client, agency, record).status_code == 200
    r = client.get(f"{URL}/{record['LEARecordID']}", headers=agency.auth())
    assert key_order(orjson.loads(r.content)["Record"]) == key_order(record)


def test_xml_root_must_be_stop(client: httpx.Client, agency: AgencyFixture) -> None:
    r = client.post(
        URL,
        content=b"<Other><ORI>x</ORI></Other>",
        headers={**agency.auth(), "Content-Type": "application/xml"},
    )
    assert r.status_code == 400


# --- realms, reading, auditing ----------------------------------------------------------------


def test_test_realm_never_mixes_with_production(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    record = stop_record(agency)
    assert post(client, agency, record, realm="test").status_code == 200
    assert client.get(f"{URL}/{record['LEARecordID']}", headers=agency.auth()).status_code == 404
    assert post(client, agency, record, realm="prod").status_code == 200
    r = client.get(f"{URL}/{record['LEARecordID']}", headers=agency.auth("test"))
    assert r.status_code == 200


def test_an_agency_cannot_read_another_agencys_record(
    client: httpx.Client, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    record = stop_record(agency)
    post(client, agency, record)
    r = client.get(f"{URL}/{record['LEARecordID']}", headers=other_agency.auth())
    assert r.status_code == 404


def test_validate_endpoint_does_not_store(client: httpx.Client, agency: AgencyFixture) -> None:
    record = stop_record(agency)
    r = client.post(
        f"{URL}/validate",
        content=orjson.dumps(record),
        headers={**agency.auth("test"), "Content-Type": "application/json"},
    )
    assert r.status_code == 200
    # what a POST would get, and that nothing was stored: in the body and in the headers
    assert r.json()["Status"] == "Validated, not stored" and r.json()["DOJRecordID"] is None
    assert r.json()["WouldBeStatus"] == "Successful Submission"
    assert r.headers["SDCS-Status"] == "Validated, not stored"
    assert r.headers["SDCS-Would-Be-Status"] == "Successful Submission"
    assert (
        client.get(f"{URL}/{record['LEARecordID']}", headers=agency.auth("test")).status_code == 404
    )
    bad = client.post(
        f"{URL}/validate",
        content=orjson.dumps(with_record_error(record)),
        headers={**agency.auth(), "Content-Type": "application/json"},
    )
    assert bad.status_code == 202 and codes(bad)
    assert bad.json()["WouldBeStatus"] == "Submitted with Errors"
    refused = client.post(
        f"{URL}/validate",
        content=orjson.dumps({**record, "LEARecordID": ""}),
        headers={**agency.auth(), "Content-Type": "application/json"},
    )
    assert refused.status_code == 400
    assert refused.json()["Status"] == "Validated, not stored"
    assert refused.json()["WouldBeStatus"] == "Rejected"


def test_a_read_of_an_unknown_stop_says_so_in_words_that_fit_the_verb(
    client: httpx.Client, agency: AgencyFixture
) -> None:
    answer = client.get(f"{URL}/NO-SUCH-ID", headers=agency.auth())
    assert answer.status_code == 404
    (message,) = answer.json()["Messages"]
    assert message["Code"] == "DV237"
    assert (
        message["Message"]
        == f"No stop record with LEA record ID NO-SUCH-ID exists for ORI {agency.ori}."
    )


def test_every_attempt_is_audited(client: httpx.Client, agency: AgencyFixture, hub: Hub) -> None:
    record = stop_record(agency)
    post(client, agency, record)
    post(client, agency, record)  # duplicate
    client.get(f"{URL}/{record['LEARecordID']}", headers=agency.auth())
    with hub.engine.connect() as conn:
        entries = audit_entries(conn, ori=agency.ori)
    assert [(e["action"], e["outcome"], e["codes"]) for e in entries] == [
        ("submit", "Successful Submission", ""),
        ("submit", "rejected", "DV236"),
        ("read", "found", ""),
    ]
    assert all(e["actor"] == agency.ori and e["channel"] == "http" for e in entries)


def test_unexpected_failure_is_500_without_trace(
    client: httpx.Client, agency: AgencyFixture, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("secret internals")

    # The store fails however the request reaches it: in a group, and alone.
    monkeypatch.setattr(hub.service(StopService), "submit_stops", boom)
    monkeypatch.setattr(hub.service(StopService), "submit_stop", boom)
    r = post(client, agency, stop_record(agency))
    assert r.status_code == 500
    assert codes(r) == ["SYSERR"]
    assert "secret internals" not in r.text and "Traceback" not in r.text


def test_openapi_documents_the_service(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert "/sdcs/v1/stops" in spec["paths"]
    assert "202" in spec["paths"]["/sdcs/v1/stops"]["post"]["responses"]
    assert client.get("/docs").status_code == 200


def test_a_checked_key_is_trusted_for_the_cache_time_only(hub: Hub) -> None:
    """Within ``auth_cache_seconds`` a revoked key is still known to ``cached`` (the web
    service's submissions, whose store asks the agency's standing again); ``principal`` looks
    it up now, and ``forget`` (and the time running out) makes the revocation count."""
    from jdx.security.keys import KeyCache, revoke_keys

    agency = new_agency(hub)
    cache = KeyCache(hub.engine, ttl=60)
    assert (
        principal := cache.principal(agency.prod_key)
    ) is not None and principal.ori == agency.ori
    with hub.engine.begin() as conn:
        revoke_keys(conn, agency.id)
    assert cache.cached(agency.prod_key) == principal
    assert KeyCache(hub.engine, ttl=0).principal(agency.prod_key) is None
    assert cache.principal(agency.prod_key) is None
    assert cache.cached(agency.prod_key) is None
    cache.forget()
    assert cache.principal(agency.prod_key + "x") is None
