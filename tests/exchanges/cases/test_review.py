"""Case review and publication, contributors, audited edits, cancellation decisions.

Through the service the API and the portal share (``hub.service(CaseReview)``), on cases
created by real jobs; the API routes at the end. SQLite, and PostgreSQL with
``JDX_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from jdx.exchanges.cases import process, results
from jdx.exchanges.cases.jobs import CaseImport
from jdx.exchanges.cases.queues import QueueFilter
from jdx.exchanges.cases.regions import DEMO_REGIONS
from jdx.exchanges.cases.review import CaseReview, Conflict, Forbidden, Invalid, NotFound
from jdx.exchanges.cases.tables import cases
from jdx.hub import Hub
from jdx.security.actors import Actor
from jdx.security.keys import Principal
from jdx.store.queries import audit_entries
from tests.conftest import AgencyFixture, new_agency
from tests.exchanges.cases.test_import import missing, unidentified

CA, FL = DEMO_REGIONS["CA"], DEMO_REGIONS["FL"]  # region-9, region-4


def in_state(item: dict[str, Any], state: str) -> dict[str, Any]:
    item = copy.deepcopy(item)
    where = "sighting" if item["type"] == "missing" else "circumstances"
    item["record"][where]["address"]["state"]["displayName"] = state
    item["record"][where]["address"]["city"] = "SOMEWHERE"
    return item


def import_cases(hub: Hub, agency: AgencyFixture, items: list[Any], realm: str = "prod") -> int:
    """Run a job's steps as its workflow would (no DBOS needed); the job id."""
    principal = Principal(agency.id, agency.ori, "Test agency", realm, True)
    accepted = hub.service(CaseImport).submit_job(
        principal, items, size=10, sha256=secrets.token_hex(8), fmt="json",
        idempotency_key=None, channel="test",
    )  # fmt: skip
    process.process(hub.engine, DEMO_REGIONS, accepted.job_id)
    results.finish(hub.engine, accepted.job_id, "http://hub", digest_hour=6)
    return int(accepted.job_id)


def numbers_of(hub: Hub, job_id: int) -> list[str]:
    with hub.engine.connect() as conn:
        rows = conn.execute(
            sa.select(cases.c.case_type, cases.c.id).where(cases.c.job_id == job_id)
            .order_by(cases.c.id)
        )  # fmt: skip
        return [f"{t}{i}" for t, i in rows]


@pytest.fixture
def review(hub: Hub) -> CaseReview:
    return hub.service(CaseReview)  # type: ignore[no-any-return]


@pytest.fixture
def make(hub: Hub, agency: AgencyFixture) -> Callable[..., str]:
    """A new case of ``agency`` in a state (CA: region-9 by default)."""

    def made(state: str = "CA", kind: Callable[[], dict[str, Any]] = missing) -> str:
        return numbers_of(hub, import_cases(hub, agency, [in_state(kind(), state)]))[0]

    return made


def client_of(agency: AgencyFixture, realm: str | None = None) -> Actor:
    return Actor(role="client", name=f"clerk-{agency.ori}", agency_id=agency.id, realm=realm)


def rps(*regions: str) -> Actor:
    return Actor(role="rps", name="rps-" + "-".join(regions), regions=frozenset(regions))


ADMIN = Actor(role="admin", name="root")


def queued(
    review: CaseReview, actor: Actor, agency: AgencyFixture, kind: str = "cases"
) -> set[Any]:
    """The case numbers (request ids) of ``agency`` in the actor's queue, on every page: the
    queue is paged oldest first, and other tests' cases share the database."""
    page = review.queue_page(actor, kind, QueueFilter(ori=agency.ori), limit=1000, offset=0)
    return {row["case_number"] if kind == "cases" else row["id"] for row in page.items}


def test_a_new_case_waits_in_its_region_queue_only(
    review: CaseReview, make: Callable[..., str], agency: AgencyFixture
) -> None:
    west, south = make("CA"), make("FL")
    assert west in queued(review, rps(CA), agency)
    assert south not in queued(review, rps(CA), agency)
    assert south in queued(review, rps(FL), agency)
    assert {west, south} <= queued(review, ADMIN, agency)
    assert {c["case_number"] for c in review.queue(client_of(agency))} == {west, south}
    shown = review.case(rps(CA), west)
    assert (shown["review_state"], shown["published"], shown["region"]) == ("pending", False, CA)
    assert shown["actions"]["publish"] is False  # no permission yet
    with pytest.raises(Forbidden):
        review.queue(rps(CA), region=FL)


def test_cross_region_and_cross_agency_reads_are_not_found(
    review: CaseReview, make: Callable[..., str], other_agency: AgencyFixture
) -> None:
    number = make("CA")
    for stranger in (rps(FL), client_of(other_agency), client_of(other_agency, "test")):
        with pytest.raises(NotFound) as refused:
            review.case(stranger, number)
        assert refused.value.status == 404
        with pytest.raises(NotFound):
            review.edit_case(stranger, number, {})
        with pytest.raises(NotFound):
            review.publish(stranger, number)
    with pytest.raises(NotFound):
        review.case(ADMIN, "MP999999999")
    with pytest.raises(NotFound):
        review.case(ADMIN, "not-a-number")


def test_publishing_needs_the_recorded_permission(
    hub: Hub, review: CaseReview, make: Callable[..., str], agency: AgencyFixture
) -> None:
    number = make("CA")
    with pytest.raises(Conflict, match="permission"):
        review.publish(rps(CA), number)
    with pytest.raises(Forbidden):
        review.record_permission(client_of(agency), number, "Det. Smith")
    with pytest.raises(Invalid):
        review.record_permission(rps(CA), number, "  ")
    shown = review.record_permission(rps(CA), number, "Det. Smith, SPD", "by phone")
    assert shown["permission"]["granted_by"] == "Det. Smith, SPD"
    assert shown["actions"]["publish"] is True
    with pytest.raises(Forbidden):
        review.publish(client_of(agency), number)
    published = review.publish(rps(CA), number)
    assert (published["review_state"], published["published"]) == ("published", True)
    with hub.engine.connect() as conn:
        assert conn.execute(sa.select(cases.c.published).where(cases.c.id == int(number[2:])))
    with pytest.raises(Conflict):
        review.publish(rps(CA), number)
    assert [h["action"] for h in review.history(client_of(agency), number)] == [
        "permission",
        "publish",
    ]
    assert number not in queued(review, rps(CA), agency)


def test_edits_are_validated_and_audited_field_by_field(
    hub: Hub, review: CaseReview, make: Callable[..., str], agency: AgencyFixture
) -> None:
    number = make("CA")
    record = copy.deepcopy(review.case(ADMIN, number)["record"])
    record["subjectIdentification"]["firstName"] = "JOAN"
    record["subjectIdentification"]["middleName"] = "Q"
    bad = copy.deepcopy(record)
    del bad["subjectIdentification"]["lastName"]
    refused = review.edit_case(client_of(agency), number, bad)
    assert [e["field"] for e in refused["errors"]] == ["subjectIdentification.lastName"]
    assert review.case(ADMIN, number)["record"]["subjectIdentification"]["lastName"] == "DOE"
    renumbered = copy.deepcopy(record)
    renumbered["investigatingAgencies"][0]["caseNumber"] = "OTHER-1"
    assert review.edit_case(client_of(agency), number, renumbered)["errors"][0]["code"] == ("NM953")
    done = review.edit_case(client_of(agency), number, record)
    assert done["errors"] == []
    assert sorted(done["changed"]) == [
        "subjectIdentification.firstName",
        "subjectIdentification.middleName",
    ]
    (edit,) = review.history(rps(CA), number)
    assert edit["actor"] == f"clerk-{agency.ori}" and edit["role"] == "client"
    assert edit["before"] == {
        "subjectIdentification.firstName": "JANE",
        "subjectIdentification.middleName": None,
    }
    assert edit["after"]["subjectIdentification.firstName"] == "JOAN"
    # Nothing changed: no history row.
    assert review.edit_case(client_of(agency), number, record)["changed"] == []
    assert len(review.history(ADMIN, number)) == 1
    with hub.engine.connect() as conn:
        logged = audit_entries(conn, subject=number, action="edit")
    assert logged and logged[-1]["actor"] == f"clerk-{agency.ori}"


def test_an_edit_to_another_state_moves_the_case_to_that_region(
    review: CaseReview, make: Callable[..., str], agency: AgencyFixture
) -> None:
    number = make("CA")
    record = copy.deepcopy(review.case(ADMIN, number)["record"])
    record["sighting"]["address"]["state"]["displayName"] = "FL"
    assert review.edit_case(rps(CA), number, record)["region"] == FL
    assert number in queued(review, rps(FL), agency)
    with pytest.raises(NotFound):
        review.case(rps(CA), number)


def test_after_publication_a_client_can_no_longer_edit(
    review: CaseReview, make: Callable[..., str], agency: AgencyFixture
) -> None:
    number = make("CA", unidentified)
    record = review.case(ADMIN, number)["record"]
    review.record_permission(rps(CA), number, "Coroner")
    review.publish(rps(CA), number)
    with pytest.raises(Conflict) as refused:
        review.edit_case(client_of(agency), number, record)
    assert refused.value.status == 409
    changed = copy.deepcopy(record)
    changed["circumstances"]["address"]["city"] = "REDDING"
    assert review.edit_case(rps(CA), number, changed)["changed"] == ["circumstances.address.city"]


def test_a_returned_case_is_edited_and_resubmitted(
    review: CaseReview, make: Callable[..., str], agency: AgencyFixture
) -> None:
    number = make("CA")
    with pytest.raises(Invalid):
        review.return_case(rps(CA), number, "")
    with pytest.raises(Forbidden):
        review.return_case(client_of(agency), number, "no")
    returned = review.return_case(rps(CA), number, "add the date of birth")
    assert (returned["review_state"], returned["review_note"]) == (
        "returned",
        "add the date of birth",
    )
    with pytest.raises(Conflict):
        review.publish(rps(CA), number)
    mine = review.case(client_of(agency), number)
    assert mine["actions"]["resubmit"] and mine["actions"]["edit"]
    assert mine["review_note"] == "add the date of birth"
    assert number not in queued(review, rps(CA), agency)
    assert review.resubmit(client_of(agency), number, "done")["review_state"] == "pending"
    with pytest.raises(Conflict):
        review.resubmit(client_of(agency), number)
    assert [h["action"] for h in review.history(ADMIN, number)] == ["return", "resubmit"]


def test_contributors_view_and_edit_before_publication(
    hub: Hub, review: CaseReview, make: Callable[..., str], agency: AgencyFixture
) -> None:
    helper, stranger = new_agency(hub, "Sheriff"), new_agency(hub, "Elsewhere")
    number = make("CA")
    with pytest.raises(NotFound):
        review.case(client_of(helper), number)
    with pytest.raises(Invalid):
        review.add_contributor(client_of(agency), number, "ZZ0000000")
    with pytest.raises(Conflict):
        review.add_contributor(client_of(agency), number, agency.ori)
    shown = review.add_contributor(client_of(agency), number, helper.ori)
    assert shown["contributors"] == [helper.ori]
    seen = review.case(client_of(helper), number)
    assert seen["actions"]["edit"] and not seen["actions"]["add_contributor"]
    with pytest.raises(Forbidden):
        review.add_contributor(client_of(helper), number, stranger.ori)
    record = copy.deepcopy(seen["record"])
    record["subjectIdentification"]["nickname"] = "JJ"
    unknown = review.edit_case(client_of(helper), number, record)
    assert unknown["errors"][0]["field"] == "subjectIdentification.nickname"
    record["subjectIdentification"]["nicknames"] = record["subjectIdentification"].pop("nickname")
    assert review.edit_case(client_of(helper), number, record)["changed"] == [
        "subjectIdentification.nicknames"
    ]
    assert number in {c["case_number"] for c in review.queue(client_of(helper))}
    with pytest.raises(NotFound):
        review.case(client_of(stranger), number)


def test_every_read_is_audited_refused_ones_too(
    hub: Hub, review: CaseReview, make: Callable[..., str], agency: AgencyFixture
) -> None:
    number = make("CA")
    review.case(client_of(agency), number)
    with pytest.raises(NotFound):
        review.case(rps(FL), number)
    with hub.engine.connect() as conn:
        reads = audit_entries(conn, subject=number, action="read")
    assert [(r["actor"], r["outcome"]) for r in reads] == [
        (f"clerk-{agency.ori}", "shown"),
        ("rps-" + FL, "not found"),
    ]
    assert reads[0]["ori"] == agency.ori and reads[1]["ori"] is None


def request_cancel(hub: Hub, agency: AgencyFixture, number: str, reason: str) -> int:
    job = import_cases(
        hub, agency, [{"type": "cancellation", "record": {"idFormatted": number, "reason": reason}}]
    )
    status = results.job_status(hub.engine, Principal(agency.id, agency.ori, "", "prod", True), job)
    assert status is not None
    return int(status["cases"][0]["cancellation"]["id"])


@pytest.mark.parametrize("reason", ["cancelled", "resolved"])
def test_an_approved_cancellation_closes_the_case_as_its_reason_says(
    hub: Hub, review: CaseReview, make: Callable[..., str], agency: AgencyFixture, reason: str
) -> None:
    number = make("FL")
    request_id = request_cancel(hub, agency, number, reason)
    assert request_id in queued(review, rps(FL), agency, "cancellations")
    assert request_id not in queued(review, rps(CA), agency, "cancellations")
    with pytest.raises(NotFound):
        review.decide_cancellation(rps(CA), request_id, True, "ok")
    with pytest.raises(Forbidden):
        review.decide_cancellation(client_of(agency), request_id, True, "ok")
    with pytest.raises(Invalid):
        review.decide_cancellation(rps(FL), request_id, True, " ")
    decided = review.decide_cancellation(rps(FL), request_id, True, "confirmed with the IA")
    assert (decided["state"], decided["reviewer_note"]) == ("approved", "confirmed with the IA")
    shown = review.case(client_of(agency), number)
    assert (shown["review_state"], shown["closed_reason"]) == ("closed", reason)
    assert shown["published"] is False and not shown["actions"]["edit"]
    with pytest.raises(Conflict):
        review.decide_cancellation(rps(FL), request_id, False, "again")
    with pytest.raises(Conflict):
        review.edit_case(client_of(agency), number, shown["record"])


def test_a_rejected_cancellation_leaves_the_case(
    hub: Hub, review: CaseReview, make: Callable[..., str], agency: AgencyFixture
) -> None:
    number = make("CA")
    request_id = request_cancel(hub, agency, number, "cancelled")
    decided = review.decide_cancellation(ADMIN, request_id, False, "the IA says still missing")
    assert decided["state"] == "rejected"
    assert review.case(ADMIN, number)["review_state"] == "pending"
    assert review.case(ADMIN, number)["cancellations"][0]["state"] == "rejected"


def test_test_realm_cases_stay_apart(hub: Hub, review: CaseReview, agency: AgencyFixture) -> None:
    (number,) = numbers_of(hub, import_cases(hub, agency, [missing()], realm="test"))
    assert review.case(client_of(agency, "test"), number)["case_number"] == number
    for actor in (client_of(agency), rps(CA), ADMIN):
        with pytest.raises(NotFound):
            review.case(actor, number)


def test_the_database_refuses_an_unknown_review_state(hub: Hub, make: Callable[..., str]) -> None:
    """The database itself refuses a review state the code does not know."""
    number = make("CA")
    with pytest.raises(sa.exc.IntegrityError), hub.engine.begin() as conn:
        conn.execute(
            cases.update().where(cases.c.id == int(number[2:])).values(review_state="lost")
        )


# --- the API of the import clients ---------------------------------------------------------------


def test_api_lists_shows_and_edits_own_cases(
    hub: Hub, client: Any, review: CaseReview, agency: AgencyFixture, other_agency: AgencyFixture
) -> None:
    from jdx.codecs.xmlform import to_xml

    first, second = numbers_of(hub, import_cases(hub, agency, [missing(), unidentified()]))
    review.record_permission(rps(CA), second, "Coroner")
    review.publish(rps(CA), second)
    listed = client.get("/namus/v1/cases?state=pending", headers=agency.auth()).json()["cases"]
    assert [c["case_number"] for c in listed] == [first]
    both = client.get("/namus/v1/cases", headers=agency.auth()).json()["cases"]
    assert {c["case_number"] for c in both} == {first, second}
    assert client.get("/namus/v1/cases?state=lost", headers=agency.auth()).status_code == 400
    assert client.get("/namus/v1/cases", headers=other_agency.auth()).json()["cases"] == []
    shown = client.get(f"/namus/v1/cases/{second}", headers=agency.auth()).json()
    assert shown["review_state"] == "published" and shown["permission"]["granted_by"] == "Coroner"
    assert [h["action"] for h in shown["history"]] == ["permission", "publish"]

    record = copy.deepcopy(shown["record"])
    put = client.put(f"/namus/v1/cases/{second}", json=record, headers=agency.auth())
    assert put.status_code == 409
    record = copy.deepcopy(client.get(f"/namus/v1/cases/{first}", headers=agency.auth()).json())
    body = record["record"]
    body["subjectIdentification"]["middleName"] = "ANN"
    put = client.put(f"/namus/v1/cases/{first}", json=body, headers=agency.auth())
    assert put.status_code == 200 and put.json()["changed"] == ["subjectIdentification.middleName"]
    body["subjectIdentification"]["middleName"] = "BEA"
    xml = to_xml("MissingPersonCase", body)
    put = client.put(
        f"/namus/v1/cases/{first}",
        content=xml,
        headers={**agency.auth(), "Content-Type": "application/xml"},
    )
    assert put.status_code == 200, put.text
    assert put.json()["changed"] == ["subjectIdentification.middleName"]
    del body["subjectIdentification"]["lastName"]
    put = client.put(f"/namus/v1/cases/{first}", json=body, headers=agency.auth())
    assert put.status_code == 422 and put.json()["errors"][0]["code"] == "NM004"
    put = client.put(f"/namus/v1/cases/{first}", json=body, headers=other_agency.auth())
    assert put.status_code == 404
    history = client.get(f"/namus/v1/cases/{first}", headers=agency.auth()).json()["history"]
    assert [h["channel"] for h in history] == ["http", "http"]
    assert history[1]["before"] == {"subjectIdentification.middleName": "ANN"}


def test_api_client_sees_the_cancellation_decision_and_note(
    hub: Hub, client: Any, review: CaseReview, make: Callable[..., str], agency: AgencyFixture
) -> None:
    number = make("FL")
    job = import_cases(
        hub,
        agency,
        [{"type": "cancellation", "record": {"idFormatted": number, "reason": "resolved"}}],
    )
    status = client.get(f"/namus/v1/jobs/{job}", headers=agency.auth()).json()
    request_id = status["cases"][0]["cancellation"]["id"]
    assert status["cases"][0]["cancellation"]["state"] == "pending"
    review.decide_cancellation(rps(FL), request_id, False, "the IA has not confirmed it")
    status = client.get(f"/namus/v1/jobs/{job}", headers=agency.auth()).json()
    assert status["cases"][0]["cancellation"] == {
        "id": request_id,
        "state": "rejected",
        "reviewer_note": "the IA has not confirmed it",
    }
    request = client.get(f"/namus/v1/cancellations/{request_id}", headers=agency.auth()).json()
    assert (request["state"], request["reviewer_note"]) == (
        "rejected",
        "the IA has not confirmed it",
    )
    assert request["decided_at"]
    again = client.post(
        "/namus/v1/cancellations",
        json={"idFormatted": number, "reason": "resolved", "note": "found"},
        headers=agency.auth(),
    )
    request_id = again.json()["id"]
    review.decide_cancellation(rps(FL), request_id, True, "confirmed")
    request = client.get(f"/namus/v1/cancellations/{request_id}", headers=agency.auth()).json()
    assert request["state"] == "approved"
    shown = client.get(f"/namus/v1/cases/{number}", headers=agency.auth()).json()
    assert (shown["review_state"], shown["closed_reason"]) == ("closed", "resolved")
