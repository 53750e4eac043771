"""The RPS's pages: the queue of its regions, case view, edit (errors by field), history,
permission, publication, return, and cancellation decisions (htmx)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import openpyxl

from jdx.codecs.list_file import FORMATS
from jdx.exchanges.cases.process import parse_case_number
from jdx.exchanges.cases.queues import CANCELLATION_COLUMNS, CASE_COLUMNS, KINDS
from jdx.exchanges.cases.regions import DEMO_REGIONS
from jdx.exchanges.cases.tables import cases
from jdx.hub import Hub
from tests.channels.web.conftest import csrf_of, login, make_user
from tests.channels.web.test_jobs_admin import submit
from tests.conftest import AgencyFixture
from tests.exchanges.cases.test_import import missing, unidentified
from tests.exchanges.cases.test_review import import_cases, in_state, numbers_of

CA = DEMO_REGIONS["CA"]  # the golden cases are Californian
FL = DEMO_REGIONS["FL"]


def imported(client: Any, agency: AgencyFixture, item: dict[str, Any] | None = None) -> str:
    job_id = submit(client, agency, [item or missing()])
    job = client.get(f"/namus/v1/jobs/{job_id}", headers=agency.auth()).json()
    return str(job["cases"][0]["case_number"])


def test_an_rps_sees_the_cases_of_its_regions_only(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    login(portal, make_user(workflows, "rps", regions=(CA,)))
    # the agency's cases: the region holds other tests' too, older, on the first pages
    queue = portal.get(f"/portal/review?ori={agency.ori}")
    assert f'id="case-{number}"' in queue.text
    # htmx filtering answers the queue alone, not the whole page
    part = portal.get(
        f"/portal/review?region={CA}&ori={agency.ori}", headers={"HX-Request": "true"}
    )
    assert part.text.lstrip().startswith('<section id="queue">')
    assert f'id="case-{number}"' in part.text and "<html" not in part.text
    portal.cookies.clear()
    login(portal, make_user(workflows, "rps", regions=("region-4",)))
    assert f'id="case-{number}"' not in portal.get(f"/portal/review?ori={agency.ori}").text
    assert portal.get(f"/portal/cases/{number}").status_code == 404
    assert portal.get(f"/portal/review?region={CA}").status_code == 403
    csrf = csrf_of(portal, "/portal/review")
    refused = portal.post(f"/portal/cases/{number}/publish", data={"csrf": csrf})
    assert refused.status_code == 404


def test_permission_then_publication_with_the_history(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    login(portal, make_user(workflows, "rps", regions=(CA,)))
    csrf = csrf_of(portal, f"/portal/cases/{number}")
    early = portal.post(f"/portal/cases/{number}/publish", data={"csrf": csrf})
    assert early.status_code == 409 and "permission" in early.text
    recorded = portal.post(
        f"/portal/cases/{number}/permission",
        data={"csrf": csrf, "granted_by": "Lt. Chen, Sacramento PD", "note": "by phone"},
    )
    assert recorded.status_code == 200 and "Lt. Chen, Sacramento PD" in recorded.text
    published = portal.post(
        f"/portal/cases/{number}/publish", data={"csrf": csrf, "confirmed": "yes"}
    )
    assert published.status_code == 200
    assert 'id="review-state">published' in published.text
    history = published.text[published.text.index('id="history"') :]
    assert "permission" in history and "publish" in history
    # the client reads the published state back over the API
    case = client.get(f"/namus/v1/cases/{number}", headers=agency.auth()).json()
    assert case["published"] is True


def test_an_edit_shows_the_dictionarys_errors_beside_their_fields(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    login(portal, make_user(workflows, "client", agency=agency))  # the entering party
    form = portal.get(f"/portal/cases/{number}/edit")
    assert form.status_code == 200
    pairs = re.findall(r'name="path" value="([^"]+)"', form.text)
    values = re.findall(r'name="value" value="([^"]*)"', form.text)
    fields = dict(zip(pairs, values, strict=True))
    assert fields["subjectIdentification.firstName"] == "JANE"
    csrf = csrf_of(portal, f"/portal/cases/{number}/edit")
    fields["subjectIdentification.computedMissingMinAge"] = "forty"
    refused = portal.post(
        f"/portal/cases/{number}/edit",
        data={"csrf": csrf, "path": list(fields), "value": list(fields.values())},
    )
    assert refused.status_code == 400
    assert 'data-error-for="subjectIdentification.computedMissingMinAge"' in refused.text
    assert "forty" in refused.text  # what was typed is kept
    fields["subjectIdentification.computedMissingMinAge"] = "31"
    fields["subjectIdentification.firstName"] = "JOAN"
    saved = portal.post(
        f"/portal/cases/{number}/edit",
        data={"csrf": csrf, "path": list(fields), "value": list(fields.values())},
    )
    assert saved.status_code == 200, saved.text
    assert "JOAN" in saved.text
    history = saved.text[saved.text.index('id="history"') :]
    # the history names the field by the dictionary's label, not its path (issue 19)
    assert "edit" in history and "Identification of the missing person › First name" in history
    assert "subjectIdentification.firstName" not in history


def test_a_returned_case_goes_back_to_the_entering_party(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    login(portal, make_user(workflows, "rps", regions=(CA,)))
    csrf = csrf_of(portal, f"/portal/cases/{number}")
    assert portal.post(f"/portal/cases/{number}/return", data={"csrf": csrf}).status_code == 400
    returned = portal.post(
        f"/portal/cases/{number}/return",
        data={"csrf": csrf, "note": "add the photo", "confirmed": "yes"},
    )
    assert 'id="review-state">returned' in returned.text and "add the photo" in returned.text
    portal.cookies.clear()
    login(portal, make_user(workflows, "client", agency=agency))
    csrf = csrf_of(portal, f"/portal/cases/{number}")
    again = portal.post(f"/portal/cases/{number}/resubmit", data={"csrf": csrf, "note": "done"})
    assert 'id="review-state">pending' in again.text


def test_the_rps_decides_a_cancellation_and_the_client_reads_it(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    number = imported(client, agency)
    asked = client.post(
        "/namus/v1/cancellations",
        json={"idFormatted": number, "reason": "resolved", "note": "located"},
        headers=agency.auth(),
    )
    request_id = asked.json()["id"]
    login(portal, make_user(workflows, "rps", regions=(CA,)))
    queue = portal.get(f"/portal/review?kind=cancellations&ori={agency.ori}")
    assert f'id="cancellation-{request_id}"' in queue.text
    csrf = csrf_of(portal, "/portal/review")
    no_note = portal.post(
        f"/portal/cancellations/{request_id}", data={"csrf": csrf, "decision": "approve"}
    )
    assert no_note.status_code == 400
    decided = portal.post(
        f"/portal/cancellations/{request_id}",
        data={"decision": "approve", "note": "confirmed with the family"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert decided.status_code == 200
    assert decided.text.lstrip().startswith(f'<tr id="cancellation-{request_id}"')
    assert "approved" in decided.text
    # the swapped row keeps every cell of the queue's, the agency's case number too
    client_number = client.get(f"/namus/v1/cases/{number}", headers=agency.auth()).json()[
        "client_case_number"
    ]
    queued_row = queue.text[queue.text.index(f'id="cancellation-{request_id}"') :]
    assert client_number in queued_row[: queued_row.index("</tr>")]
    assert client_number in decided.text
    seen = client.get(f"/namus/v1/cancellations/{request_id}", headers=agency.auth()).json()
    assert (seen["state"], seen["reviewer_note"]) == ("approved", "confirmed with the family")


def test_markup_in_a_record_is_shown_as_text(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    item = missing()
    item["record"]["subjectIdentification"]["firstName"] = "<script>alert(1)</script>"
    job_id = submit(client, agency, [item])
    job = client.get(f"/namus/v1/jobs/{job_id}", headers=agency.auth()).json()
    number = job["cases"][0]["case_number"]  # the dictionary accepts the text as a name
    login(portal, make_user(workflows, "client", agency=agency))
    shown = portal.get(f"/portal/cases/{number}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    assert "<script>alert" not in shown.text
    form = portal.get(f"/portal/cases/{number}/edit")
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in form.text
    assert "script-src 'self'" in shown.headers["content-security-policy"]


# --- the queue searched, paged and exported (issue 19) -------------------------------------


def backdate(hub: Hub, number: str, day: dt.date) -> None:
    """A case imported on ``day`` (noon UTC), as an older one would have been."""
    parsed = parse_case_number(number)
    assert parsed is not None
    moment = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    with hub.engine.begin() as conn:
        conn.execute(cases.update().where(cases.c.id == parsed[1]).values(created_at=moment))


def listed(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return re.findall(r'<tr id="case-([A-Z]{2}[0-9]+)"', answer.text)


def cells(answer: Any) -> str:
    """A download's cells as text: CSV as it is, an XLSX's sheet read back."""
    if answer.headers["content-type"] != FORMATS["xlsx"]:
        return str(answer.text)
    book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    try:
        sheet = book.active
        assert sheet is not None
        return "\n".join(
            "|".join(str(c or "") for c in row) for row in sheet.iter_rows(values_only=True)
        )
    finally:
        book.close()


def test_the_queue_is_searched_and_paged_with_its_total(
    workflows: Hub, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    job = import_cases(
        workflows, agency, [missing() for _ in range(21)] + [unidentified("U-Find-7")]
    )
    numbers = numbers_of(workflows, job)
    theirs = numbers_of(workflows, import_cases(workflows, other_agency, [missing()]))
    backdate(workflows, numbers[0], dt.date(2020, 1, 15))
    login(portal, make_user(workflows, "admin"))

    first = portal.get("/portal/review", params={"ori": agency.ori})
    assert listed(first) == numbers[:20]  # oldest first, a page of 20
    assert "Cases 1–20 of 22, oldest first." in first.text
    following = f"/portal/review?kind=cases&amp;ori={agency.ori}&amp;limit=20&amp;offset=20"
    assert following in first.text and "Previous page" not in first.text
    assert theirs[0] not in first.text
    second = portal.get(following.replace("&amp;", "&"))
    assert listed(second) == numbers[20:]
    assert "Cases 21–22 of 22, oldest first." in second.text
    assert "Previous page" in second.text and "Next page" not in second.text
    wide = portal.get("/portal/review", params={"ori": agency.ori, "limit": 50})
    assert listed(wide) == numbers and "Next page" not in wide.text

    def search(**params: str) -> list[str]:
        return listed(portal.get("/portal/review", params={"ori": agency.ori, **params}))

    assert search(case_type="UP") == numbers[-1:]
    assert search(q="u-find") == numbers[-1:]  # part of the agency's case number, any case
    assert search(q=numbers[3].lower()) == [numbers[3]]  # the hub's own case number
    assert search(received_to="2020-01-31") == numbers[:1]
    assert search(received_from="2020-01-16", limit="50") == numbers[1:]
    assert search(region=FL) == []
    assert listed(portal.get("/portal/review", params={"ori": other_agency.ori})) == theirs
    # htmx: a search answers the queue alone, its count and pager with it
    part = portal.get(
        "/portal/review", params={"ori": agency.ori, "case_type": "UP"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert part.text.lstrip().startswith('<section id="queue">') and "<html" not in part.text
    assert "Cases 1–1 of 1, oldest first." in part.text


def test_bad_search_values_are_refused_naming_the_parameter(workflows: Hub, portal: Any) -> None:
    login(portal, make_user(workflows, "admin"))
    for name, value in (
        ("limit", "7"),
        ("offset", "-1"),
        ("case_type", "XX"),
        ("received_from", "2020-13-01"),
        ("received_to", "yesterday"),
        ("ori", "CA 1"),
        ("q", "x" * 101),
        ("kind", "stops"),
        ("format", "pdf"),
    ):
        refused = portal.get("/portal/review", params={name: value})
        assert refused.status_code == 400, (name, refused.status_code)
        alert = re.search(r'role="alert"><strong>400</strong>([^<]*)<', refused.text)
        assert alert is not None and re.search(rf"\b{name}\b", alert.group(1)), (name, alert)


def test_the_queue_exports_the_whole_search(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    job = import_cases(workflows, agency, [missing() for _ in range(20)] + [unidentified()])
    numbers = numbers_of(workflows, job)
    theirs = numbers_of(workflows, import_cases(workflows, other_agency, [missing()]))
    asked = client.post(
        "/namus/v1/cancellations",
        json={"idFormatted": numbers[0], "reason": "resolved", "note": "located"},
        headers=agency.auth(),
    )
    assert asked.status_code == 201, asked.text
    login(portal, make_user(workflows, "admin"))
    every = portal.get("/portal/review", params={"ori": agency.ori, "format": "csv"})
    assert every.status_code == 200, every.text
    assert every.headers["content-type"] == FORMATS["csv"]
    assert every.headers["content-disposition"] == 'attachment; filename="review_cases.csv"'
    rows = list(csv.DictReader(io.StringIO(every.text)))
    assert list(rows[0]) == list(CASE_COLUMNS)
    assert [r["case_number"] for r in rows] == numbers  # the whole list, not its first page
    assert {r["agency"] for r in rows} == {agency.ori} and theirs[0] not in every.text
    only_up = portal.get(
        "/portal/review", params={"ori": agency.ori, "case_type": "UP", "format": "csv"}
    )
    assert [r["case_number"] for r in csv.DictReader(io.StringIO(only_up.text))] == numbers[-1:]
    sheet = portal.get("/portal/review", params={"ori": agency.ori, "format": "xlsx"})
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    assert sheet.headers["content-disposition"] == 'attachment; filename="review_cases.xlsx"'
    lines = cells(sheet).splitlines()
    assert lines[0] == "|".join(CASE_COLUMNS) and len(lines) == 1 + len(numbers)
    requests = portal.get(
        "/portal/review", params={"kind": "cancellations", "ori": agency.ori, "format": "csv"}
    )
    assert requests.headers["content-disposition"] == (
        'attachment; filename="review_cancellations.csv"'
    )
    (request,) = csv.DictReader(io.StringIO(requests.text))
    assert list(request) == list(CANCELLATION_COLUMNS)
    assert (request["id"], request["case_number"]) == (str(asked.json()["id"]), numbers[0])
    assert (request["agency"], request["reason"], request["state"]) == (
        agency.ori, "resolved", "pending",
    )  # fmt: skip
    # the page offers the downloads of the search it shows
    shown = portal.get("/portal/review", params={"ori": agency.ori, "case_type": "UP"})
    assert f"/portal/review?kind=cases&amp;ori={agency.ori}&amp;case_type=UP&amp;format=xlsx" in (
        shown.text
    )


def test_an_rps_never_sees_a_case_of_another_region(
    workflows: Hub, client: Any, portal: Any, agency: AgencyFixture
) -> None:
    job = import_cases(workflows, agency, [missing(), in_state(missing(), "FL")])
    west, south = numbers_of(workflows, job)
    for number in (west, south):
        asked = client.post(
            "/namus/v1/cancellations",
            json={"idFormatted": number, "reason": "resolved", "note": "located"},
            headers=agency.auth(),
        )
        assert asked.status_code == 201, asked.text
    login(portal, make_user(workflows, "rps", regions=(CA,)))
    for kind in KINDS:
        shown = portal.get("/portal/review", params={"kind": kind, "ori": agency.ori})
        assert shown.status_code == 200
        assert west in shown.text and south not in shown.text, kind
        assert "of 1, oldest first" in shown.text
        for fmt in FORMATS:
            exported = portal.get(
                "/portal/review", params={"kind": kind, "ori": agency.ori, "format": fmt}
            )
            assert exported.status_code == 200, exported.text
            text = cells(exported)
            assert west in text and south not in text, (kind, fmt)
        # another region is refused, not shown empty: the page and its export alike
        for extra in ({}, {"format": "csv"}):
            other = portal.get("/portal/review", params={"kind": kind, "region": FL, **extra})
            assert other.status_code == 403, (kind, extra)
            assert south not in other.text
    portal.cookies.clear()
    login(portal, make_user(workflows, "admin"))
    both = portal.get("/portal/review", params={"ori": agency.ori, "format": "csv"})
    assert west in both.text and south in both.text
