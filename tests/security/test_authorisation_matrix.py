"""The authorisation matrix: every route of every channel, for every role, realm and standing.

Issue 16, "Show it": an authorisation matrix run against the hub found 14 leaks. This module is
that matrix as a test. The routes are generated (``/openapi.json`` and the app's route table for
the pages OpenAPI leaves out); the expected answers are data, one table per channel (``API``,
``PORTAL``, ``SFTP``); a route of the app without a row here fails
(``test_every_route_has_a_row``), so a new route says who may call it before it ships.

Each cell is the status the role gets. Besides the statuses, a cell must not show another
agency's or region's data: agency B's and region Y's objects (a stop, a file, a job, a case, a
cancellation, an outbox item) are made first, with markers no other object carries, and no
answer to agency A's or region X's callers may contain one (ids in paths, query filters,
listings).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from jdx.exchanges.cases import workflow as case_jobs
from jdx.exchanges.stops import workflow as stop_files
from jdx.exchanges.stops.tables import stop_files as stop_file_rows
from jdx.hub import Hub
from jdx.store.queries import set_agency_active
from tests.channels.http.routes import BODIES, app_routes, openapi_routes
from tests.channels.http.test_chri import state_responder
from tests.conftest import AgencyFixture, new_agency, stop_record
from tests.exchanges.cases.test_import import missing
from tests.exchanges.cases.test_review import in_state
from tests.exchanges.rapsheets.test_service import fbi_number, portion
from tests.samples import STAMP


@dataclass
class Owned:
    """One agency's objects, each reachable by an id a path can carry."""

    agency: AgencyFixture
    lea_record_id: str
    file_id: int
    file_result: str
    job_id: int
    case_number: str
    request_id: int
    item_id: int
    stop_id: int  # the DOJ record id of lea_record_id's stop

    def markers(self) -> list[str]:
        """Strings only this agency's objects carry: none may reach another agency."""
        return [self.agency.ori, self.lea_record_id, self.case_number]


def own_objects(client: Any, hub: Hub, agency: AgencyFixture, state: str) -> Owned:
    record = stop_record(agency)
    stored = client.post("/sdcs/v1/stops", json=record, headers=agency.auth())
    assert stored.status_code == 200, stored.text
    other = stop_record(agency)
    name = f"{STAMP}_{agency.ori}_{other['LEARecordID']}.json"
    put = client.put(f"/sdcs/v1/files/{name}", content=orjson.dumps(other), headers=agency.auth())
    assert put.status_code in (200, 202), put.text
    file_id = int(put.json()["file_id"])
    stop_files.wait(hub, file_id, timeout=60)
    job = client.post(
        "/namus/v1/jobs", json={"cases": [in_state(missing(), state)]}, headers=agency.auth()
    )
    assert job.status_code == 202, job.text
    job_id = int(job.json()["job_id"])
    case_jobs.wait(job_id)
    shown = client.get(f"/namus/v1/jobs/{job_id}", headers=agency.auth()).json()
    number = str(shown["cases"][0]["case_number"])
    asked = client.post(
        "/namus/v1/cancellations",
        json={"idFormatted": number, "reason": "resolved", "note": "located"},
        headers=agency.auth(),
    )
    assert asked.status_code in (200, 201, 202), asked.text
    responder = state_responder(hub, f"Texas for {agency.ori}", "TX")
    sent = client.post(
        f"/chri/v1/rapsheets?destination={agency.ori}",
        content=portion("TEXAS", "TX01", fbi_number(), "19950101"),
        headers={**responder.auth(), "Content-Type": "application/xml"},
    )
    assert sent.status_code == 202, sent.text
    (item,) = client.get("/chri/v1/outbox", headers=agency.auth()).json()["items"]
    return Owned(
        agency,
        str(record["LEARecordID"]),
        file_id,
        f"{name.rsplit('.', 1)[0]}_log.txt",
        job_id,
        number,
        int(asked.json()["id"]),
        int(item["href"].rsplit("/", 1)[1]),
        int(stored.headers["DOJRecordID"]),
    )


@dataclass
class World:
    a: Owned
    b: Owned
    suspended: AgencyFixture


@pytest.fixture(scope="module")
def world(workflows: Hub, app: Any) -> Iterator[World]:
    from starlette.testclient import TestClient

    with TestClient(
        app, base_url="http://testserver", raise_server_exceptions=False, client=("127.0.0.1", 1)
    ) as client:
        a = own_objects(client, workflows, new_agency(workflows, "Agency A"), "CA")
        b = own_objects(client, workflows, new_agency(workflows, "Agency B"), "FL")
        suspended = new_agency(workflows, "Suspended agency")
        with workflows.engine.begin() as conn:
            set_agency_active(conn, suspended.ori, False)
        yield World(a, b, suspended)


def fill_for(owned: Owned) -> Any:
    """Path parameters naming ``owned``'s objects."""

    def fill(template: str, name: str, kind: str) -> str:
        if name == "name":
            if template.startswith("/sdcs/v1/files"):
                return owned.file_result
            documents = {"/sdcs": "stop-2018.xsd", "/namus": "case-missing.xsd"}
            return documents.get(template[: template.index("/", 1)], "rapsheet-2.00.xsd")
        if name == "file" and kind == "string":  # PUT: the file's name; GET: its id
            return f"{STAMP}_{owned.agency.ori}_M{owned.job_id}.json"
        values = {
            "lea_record_id": owned.lea_record_id,
            "file_id": owned.file_id,
            "file": owned.file_id,
            "job_id": owned.job_id,
            "case_number": owned.case_number,
            "request_id": owned.request_id,
            "item_id": owned.item_id,
        }
        return str(values[name])

    return fill


def api_roles(world: World) -> dict[str, dict[str, str]]:
    a, b = world.a.agency, world.b.agency
    key = {"Authorization": a.auth()["Authorization"]}
    return {
        "anonymous": {},
        "prod": a.auth(),
        "test": a.auth("test"),
        "no-cert": key,
        "B's cert": {**key, **b.cert_headers},
        "suspended": world.suspended.auth(),
    }


def test_api_matrix(client: Any, world: World) -> None:
    roles = api_roles(world)
    observed: dict[tuple[str, str], dict[str, int]] = {}
    leaks = []
    own = openapi_routes(client, fill_for(world.a))
    theirs = {(m, t): p for m, t, p in openapi_routes(client, fill_for(world.b))}
    for method, template, path in own:
        row: dict[str, int] = {}
        body = BODIES.get((method, template), b"{}")
        for role, headers in roles.items():
            answer = client.request(
                method, path, headers={**headers, "Content-Type": "application/json"}, content=body
            )
            row[role] = answer.status_code
            leaks += seen(world.b, answer, method, path, role)
        cross = theirs[(method, template)]
        if cross != path:
            answer = client.request(
                method,
                cross,
                headers={**roles["prod"], "Content-Type": "application/json"},
                content=body,
            )
            row["B's ids"] = answer.status_code
            leaks += seen(world.b, answer, method, cross, "B's ids")
        observed[(method, template)] = row
    expected = {
        route: {r: v for r, v in zip(API_ROLES, row, strict=True) if v is not None}
        for route, row in API.items()
    }
    assert observed == expected
    assert leaks == []


def seen(owner: Owned, answer: Any, method: str, path: str, role: str) -> list[Any]:
    """Markers of ``owner``'s objects in an answer to someone else (an id the caller sent and
    the answer repeats, as a 404 does, is not a leak)."""
    found = [m for m in owner.markers() if m in answer.text and m not in path]
    return [(role, method, path, answer.status_code, m, answer.text[:200]) for m in found]


# --- The portal: its pages are not in OpenAPI; the app's route table lists them. -------------

# Complete forms of the review's actions, which check their fields before the case's region.
FORMS = {
    "/portal/cases/{number}/permission": {"granted_by": "Lt. Y", "note": "by phone"},
    "/portal/cases/{number}/return": {"note": "not yours"},
    "/portal/cases/{number}/edit": {"path": "subjectIdentification.firstName", "value": "Y"},
    "/portal/cases/{number}/contributors": {"ori": "ZZ9999999"},
    "/portal/cases/{number}/resubmit": {"note": "y"},
    "/portal/cancellations/{request_id}": {"decision": "approve", "note": "region Y"},
}

PORTAL_ROLES = ("anonymous", "client A", "client suspended", "rps X", "rps Y", "admin")


def portal_fill(world: World, template: str) -> str:
    """A portal path naming A's objects (in region X): what region Y's RPS must not reach."""
    a = world.a
    return (
        template.replace("{number}", a.case_number)
        .replace("{request_id}", str(a.request_id))
        .replace("{job_id}", str(a.job_id))
        .replace("{user_id}", "1")
        .replace("{agency_id}", str(world.suspended.id))
        .replace("{stop_id}", str(a.stop_id))
        .replace("{file_id}", str(a.file_id))
        .replace("/results/{name}", f"/results/{a.file_result}")
        .replace("{name}", "portal.css")
        .replace("{mail_id}", "999999")
        .replace("{action}", "retry")
    )


@pytest.fixture(scope="module")
def portal_clients(world: World, workflows: Hub, app: Any) -> Iterator[dict[str, Any]]:
    from starlette.testclient import TestClient

    from jdx.exchanges.cases.regions import DEMO_REGIONS
    from tests.channels.web.conftest import login, make_user, new_address

    users = {
        "client A": make_user(workflows, "client", agency=world.a.agency),
        "client suspended": make_user(workflows, "client", agency=world.suspended),
        "rps X": make_user(workflows, "rps", regions=(DEMO_REGIONS["CA"],)),
        "rps Y": make_user(workflows, "rps", regions=(DEMO_REGIONS["FL"],)),
        "admin": make_user(workflows, "admin"),
    }
    clients: dict[str, Any] = {}
    for role in PORTAL_ROLES:
        c = TestClient(
            app,
            base_url="http://testserver",
            raise_server_exceptions=False,
            client=(new_address(), 50001),
        )
        c.__enter__()
        if role in users:
            done = login(c, users[role])
            assert done.status_code in (200, 303), (role, done.text[:300])
        clients[role] = c
    yield clients
    for c in clients.values():
        c.__exit__(None, None, None)


def csrf(client: Any) -> str:
    import re

    page = client.get("/portal/login" if not client.cookies else "/portal/")
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text) or re.search(
        r'name="csrf" value="([^"]*)"', page.text
    )
    return found.group(1) if found else ""


def test_portal_matrix(world: World, portal_clients: dict[str, Any], app: Any) -> None:
    observed: dict[tuple[str, str], dict[str, int]] = {}
    leaks = []
    tokens = {role: csrf(c) for role, c in portal_clients.items()}
    for method, template in sorted(app_routes(app)):
        if not template.startswith("/portal") or template.startswith("/portal/log"):
            continue
        path = portal_fill(world, template)
        row = {}
        for role, c in portal_clients.items():
            if method == "GET":
                answer = c.get(path, follow_redirects=False)
            else:
                # Region Y's RPS sends a complete form, so that a refusal is the region's,
                # not the form's; the others send it empty (an allowed role's 400 shows the
                # route was reached, and changes nothing).
                form = FORMS.get(template, {}) if role == "rps Y" else {}
                answer = c.post(
                    path,
                    data={"csrf": tokens[role], **form},
                    headers={"X-CSRF-Token": tokens[role]},
                    follow_redirects=False,
                )
            row[role] = answer.status_code
            if role in ("rps Y", "client suspended", "anonymous"):
                leaks += seen(world.a, answer, method, path, role)
            if role != "admin" and role != "rps Y":
                leaks += seen(world.b, answer, method, path, role)
        observed[(method, template)] = row
    expected = {route: dict(zip(PORTAL_ROLES, row, strict=True)) for route, row in PORTAL.items()}
    assert observed == expected
    assert leaks == []


# --- The tables: route -> the status each role gets. --------------------------------------
# API roles: no key; agency A's production key with its certificate; its test key; its
# production key without a certificate; with agency B's certificate; a suspended agency's key;
# and A's production key on B's ids (None: the route carries no id).
API_ROLES = ("anonymous", "prod", "test", "no-cert", "B's cert", "suspended", "B's ids")
API: dict[tuple[str, str], tuple[int | None, ...]] = {
    ("POST", "/sdcs/v1/stops"): (401, 400, 400, 400, 400, 403, None),
    ("POST", "/sdcs/v1/stops/validate"): (401, 400, 400, 400, 400, 403, None),
    ("PUT", "/sdcs/v1/stops/{lea_record_id}"): (401, 400, 400, 400, 400, 403, 400),
    ("GET", "/sdcs/v1/stops/{lea_record_id}"): (401, 200, 404, 200, 200, 403, 404),
    ("GET", "/sdcs/v1/stops"): (401, 200, 200, 200, 200, 403, None),
    ("GET", "/sdcs/v1/files"): (401, 200, 200, 200, 200, 403, None),
    ("GET", "/sdcs/v1/icd"): (200, 200, 200, 200, 200, 200, None),
    ("GET", "/sdcs/v1/icd/{name}"): (200, 200, 200, 200, 200, 200, None),
    ("PUT", "/sdcs/v1/files/{file}"): (401, 202, 202, 200, 200, 403, 403),
    ("GET", "/sdcs/v1/files/{file}"): (401, 200, 404, 200, 200, 403, 404),
    ("GET", "/sdcs/v1/files/{file_id}/results/{name}"): (401, 200, 404, 200, 200, 403, 404),
    ("POST", "/namus/v1/jobs"): (401, 400, 400, 401, 403, 403, None),
    ("POST", "/namus/v1/jobs/validate"): (401, 400, 400, 401, 403, 403, None),
    ("GET", "/namus/v1/jobs"): (401, 200, 200, 401, 403, 403, None),
    ("GET", "/namus/v1/jobs/{job_id}"): (401, 200, 404, 401, 403, 403, 404),
    ("GET", "/namus/v1/cases"): (401, 200, 200, 401, 403, 403, None),
    ("GET", "/namus/v1/cases/{case_number}"): (401, 200, 404, 401, 403, 403, 404),
    ("PUT", "/namus/v1/cases/{case_number}"): (401, 422, 404, 401, 403, 403, 404),
    ("POST", "/namus/v1/cancellations"): (401, 400, 400, 401, 403, 403, None),
    ("GET", "/namus/v1/cancellations/{request_id}"): (401, 200, 404, 401, 403, 403, 404),
    ("GET", "/namus/v1/icd"): (200, 200, 200, 200, 200, 200, None),
    ("GET", "/namus/v1/icd/{name}"): (200, 200, 200, 200, 200, 200, None),
    ("POST", "/chri/v1/notifications"): (401, 403, 403, 403, 403, 403, None),
    ("POST", "/chri/v1/rapsheets"): (401, 400, 403, 400, 400, 403, None),
    ("GET", "/chri/v1/outbox"): (401, 200, 403, 200, 200, 403, None),
    ("GET", "/chri/v1/outbox/{item_id}"): (401, 200, 403, 200, 200, 403, 404),
    ("PUT", "/chri/v1/preference"): (401, 400, 403, 400, 400, 403, None),
    ("GET", "/chri/v1/icd"): (200, 200, 200, 200, 200, 200, None),
    ("GET", "/chri/v1/icd/{name}"): (200, 200, 200, 200, 200, 200, None),
}
# Portal roles: PORTAL_ROLES, each with a session of its own (303: to the login page).
PORTAL: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/portal"): (303, 303, 403, 303, 303, 303),
    ("GET", "/portal/"): (303, 303, 403, 303, 303, 303),
    ("GET", "/portal/account"): (303, 200, 403, 200, 200, 200),
    ("POST", "/portal/account/authenticator"): (303, 400, 403, 400, 400, 400),
    ("GET", "/portal/admin/accounts"): (303, 403, 403, 403, 403, 200),
    ("GET", "/portal/admin/agencies"): (303, 403, 403, 403, 403, 200),
    ("GET", "/portal/admin/audit"): (303, 403, 403, 403, 403, 200),
    ("GET", "/portal/admin/files"): (303, 403, 403, 403, 403, 200),
    ("GET", "/portal/admin/outbox"): (303, 403, 403, 403, 403, 200),
    ("GET", "/portal/admin/regions"): (303, 403, 403, 403, 403, 200),
    ("GET", "/portal/admin/users"): (303, 403, 403, 403, 403, 200),
    ("GET", "/portal/cases/{number}"): (303, 200, 403, 200, 404, 200),
    ("GET", "/portal/cases/{number}/edit"): (303, 200, 403, 200, 404, 200),
    ("GET", "/portal/dashboard"): (303, 200, 403, 200, 200, 200),
    # An agency's files are its clients' pages; its stops an administrator reads by its ORI
    # (without one: 400, "choose the agency").
    ("GET", "/portal/files"): (303, 200, 403, 403, 403, 403),
    ("GET", "/portal/files/{file_id}"): (303, 200, 403, 403, 403, 403),
    ("GET", "/portal/files/{file_id}/progress"): (303, 200, 403, 403, 403, 403),
    ("GET", "/portal/files/{file_id}/results/{name}"): (303, 200, 403, 403, 403, 403),
    ("GET", "/portal/jobs"): (303, 200, 403, 403, 403, 200),
    ("GET", "/portal/jobs/upload"): (303, 200, 403, 403, 403, 403),
    ("GET", "/portal/jobs/{job_id}"): (303, 200, 403, 403, 403, 200),
    ("GET", "/portal/review"): (303, 200, 403, 200, 200, 200),
    ("GET", "/portal/static/{name}"): (200, 200, 200, 200, 200, 200),
    ("GET", "/portal/stops"): (303, 200, 403, 403, 403, 200),
    ("GET", "/portal/stops/{stop_id}"): (303, 200, 403, 403, 403, 400),
    ("POST", "/portal/admin/accounts/{agency_id}"): (303, 403, 403, 403, 403, 303),
    ("POST", "/portal/admin/accounts/{agency_id}/standing"): (303, 403, 403, 403, 403, 400),
    ("POST", "/portal/admin/limits/{agency_id}"): (303, 403, 403, 403, 403, 400),
    ("POST", "/portal/admin/outbox/{mail_id}/{action}"): (303, 403, 403, 403, 403, 409),
    ("POST", "/portal/admin/regions"): (303, 403, 403, 403, 403, 400),
    ("POST", "/portal/admin/users"): (303, 403, 403, 403, 403, 400),
    ("POST", "/portal/admin/users/{user_id}"): (303, 403, 403, 403, 403, 400),
    ("POST", "/portal/cancellations/{request_id}"): (303, 403, 403, 400, 404, 400),
    ("POST", "/portal/cases/{number}/contributors"): (303, 422, 403, 422, 404, 422),
    ("POST", "/portal/cases/{number}/edit"): (303, 400, 403, 400, 404, 400),
    ("POST", "/portal/cases/{number}/permission"): (303, 403, 403, 400, 404, 400),
    ("POST", "/portal/cases/{number}/publish"): (303, 403, 403, 409, 404, 409),
    ("POST", "/portal/cases/{number}/resubmit"): (303, 409, 403, 409, 404, 409),
    ("POST", "/portal/cases/{number}/return"): (303, 403, 403, 400, 404, 400),
    ("POST", "/portal/jobs/upload"): (303, 422, 403, 403, 403, 403),
    # A's stop is stored without errors: its correction is refused as a PUT would be (409);
    # NFIA unconfirmed is 400.
    ("POST", "/portal/stops/{stop_id}/correct"): (303, 409, 403, 403, 403, 400),
    ("POST", "/portal/stops/{stop_id}/nfia"): (303, 400, 403, 403, 403, 400),
}

# Routes every caller may use, named here so that a new one is public on purpose: the published
# interface documents (also in API above), the API's own documentation, the landing page, the
# portal's style sheets, the health and readiness checks and the metrics (counts, no record;
# docs/operations.md has the proxy keep /metrics to the monitoring network).
PUBLIC = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/docs/static/{name}"),
    ("GET", "/"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/portal/static/{name}"),
    ("GET", "/sdcs/v1/icd"),
    ("GET", "/sdcs/v1/icd/{name}"),
    ("GET", "/namus/v1/icd"),
    ("GET", "/namus/v1/icd/{name}"),
    ("GET", "/chri/v1/icd"),
    ("GET", "/chri/v1/icd/{name}"),
    ("GET", "/problems"),  # the error catalogue: what each kind of problem document means
}
# The login pages (any caller; their own tests: tests/channels/web/test_auth.py, test_throttle.py)
# and the stop web service's undocumented methods, which answer 405 in Table 6's form to anyone;
# the methods of /namus/v1/jobs/validate but POST, which answer 405 to anyone (not 404 from
# /namus/v1/jobs/{job_id}).
OUTSIDE = {
    ("GET", "/portal/login"),
    ("POST", "/portal/login"),
    ("GET", "/portal/login/code"),
    ("POST", "/portal/login/code"),
    ("POST", "/portal/logout"),
    *((m, "/sdcs/v1/stops/{lea_record_id}") for m in ("DELETE", "PATCH", "POST")),
    *((m, "/sdcs/v1/stops") for m in ("DELETE", "PATCH", "PUT")),
    *((m, "/namus/v1/jobs/validate") for m in ("DELETE", "GET", "PATCH", "PUT")),
}


def test_every_route_has_a_row(client: Any, app: Any) -> None:
    """A route added to the app without saying here who may call it fails."""
    documented = {(m, t) for m, t, _ in openapi_routes(client)}
    assert documented == set(API)
    tabled = set(API) | set(PORTAL) | PUBLIC | OUTSIDE
    assert app_routes(app) - tabled == set()
    assert tabled - app_routes(app) == set()  # and no row outlives its route


def test_public_routes_answer_anyone(client: Any) -> None:
    names = {
        "/portal/static/{name}": "portal.css",
        "/sdcs/v1/icd/{name}": "stop-2018.xsd",
        "/namus/v1/icd/{name}": "case-missing.xsd",
        "/chri/v1/icd/{name}": "rapsheet-2.00.xsd",
    }
    for method, template in sorted(PUBLIC):
        if template == "/docs/static/{name}":
            continue  # the documentation's assets: tests/channels/http/test_docs.py
        path = template.replace("{name}", names.get(template, ""))
        # /readyz answers anyone whether the node is ready: here, without the background process
        # of `jdx serve` to report DBOS and SFTP, it is not (503)
        expected = 503 if template == "/readyz" else 200
        assert client.request(method, path).status_code == expected, path


# --- SFTP: the embedded server's operations, with a real client (asyncssh). -----------------
# Its "routes" are the operations of asyncssh's SFTPServer: each one that acts on a path or an
# open file must be named by a row (``test_every_sftp_operation_has_a_row``).


@dataclass
class SftpWorld:
    server: Any
    a: Any  # tests.channels.sftp.test_server.Account of agency A
    c: Any  # an account whose agency is suspended after it logged in
    suspended: Any  # an account of the agency suspended before
    b_result: str  # B's result in B's OUTPUT
    b_home: str  # B's home on disk


@pytest.fixture(scope="module")
def sftp_world(world: World, workflows: Hub) -> Iterator[SftpWorld]:
    from jdx.channels.sftp.server import start_in_thread
    from jdx.exchanges.stops.file_folders import Folders
    from tests.channels.sftp.test_server import open_account

    running = start_in_thread(workflows, "127.0.0.1", 0)
    try:
        folders = Folders(workflows.settings.data_dir, workflows.settings.archive_days)
        yield SftpWorld(
            running,
            open_account(workflows, world.a.agency),
            open_account(workflows, new_agency(workflows, "Agency C")),
            open_account(workflows, world.suspended),
            world.b.file_result,
            str(folders.home(world.b.agency.ori)),
        )
    finally:
        running.stop()


def sftp_upload(world: World, ori: str) -> bytes:
    return orjson.dumps(stop_record(world.a.agency) | {"ORI": ori})


# Each operation: the server methods it reaches, and what it does with A's session. ``w``: the
# SftpWorld; ``a``: A's objects; ``n``: a name no row used before.
SftpOp = Any  # Callable[[asyncssh.SFTPClient, SftpWorld, Owned, str], Awaitable[object]]


async def _read(sftp: Any, path: str) -> bytes:
    async with sftp.open(path, "rb") as f:
        data: bytes = await f.read()
        await f.stat()
        return data


async def _write(sftp: Any, path: str, data: bytes) -> None:
    async with sftp.open(path, "wb") as f:
        await f.write(data)


async def _on_open_file(sftp: Any, path: str, act: str) -> object:
    async with sftp.open(path, "rb") as f:
        if act == "fsetstat":
            return await f.chmod(0o600)
        if act == "fsync":
            return await f.fsync()
        if act == "fstatvfs":
            return await f.statvfs()
        if act == "lock":
            return await f.lock(0, 1, 0)
        return await f.unlock(0, 1)


def sftp_operations(world: World) -> dict[str, tuple[set[str], SftpOp]]:
    b_ori = world.b.agency.ori
    out = "/PROD/OUTPUT/"
    return {
        "list /": ({"scandir"}, lambda s, w, a, n: s.listdir("/")),
        "list own OUTPUT": ({"scandir"}, lambda s, w, a, n: s.listdir("/PROD/OUTPUT")),
        "list TEST OUTPUT": ({"scandir"}, lambda s, w, a, n: s.listdir("/TEST/OUTPUT")),
        "list B's home by ..": ({"scandir"}, lambda s, w, a, n: s.listdir(f"/../{b_ori}")),
        "list B's home on disk": ({"scandir"}, lambda s, w, a, n: s.listdir(w.b_home)),
        "stat own result": ({"stat"}, lambda s, w, a, n: s.stat(out + a.file_result)),
        "lstat B's result by ..": (
            {"lstat"},
            lambda s, w, a, n: s.lstat(f"/../{b_ori}/PROD/OUTPUT/{w.b_result}"),
        ),
        "realpath above home": ({"realpath"}, lambda s, w, a, n: s.realpath("/../..")),
        "read own result": (
            {"open", "read", "fstat", "close"},
            lambda s, w, a, n: _read(s, out + a.file_result),
        ),
        "read B's result by name": ({"open"}, lambda s, w, a, n: _read(s, out + w.b_result)),
        "read B's result by ..": (
            {"open"},
            lambda s, w, a, n: _read(s, f"/../{b_ori}/PROD/OUTPUT/{w.b_result}"),
        ),
        "read B's result on disk": (
            {"open"},
            lambda s, w, a, n: _read(s, f"{w.b_home}/PROD/OUTPUT/{w.b_result}"),
        ),
        "write own INPUT": (
            {"open", "write", "close"},
            lambda s, w, a, n: _write(s, f"/PROD/INPUT/{n}", sftp_upload(world, a.agency.ori)),
        ),
        "write OUTPUT": ({"open"}, lambda s, w, a, n: _write(s, out + n, b"x")),
        "write home": ({"open"}, lambda s, w, a, n: _write(s, f"/{n}", b"x")),
        "write B's INPUT by ..": (
            {"open"},
            lambda s, w, a, n: _write(s, f"/../{b_ori}/PROD/INPUT/{n}", b"x"),
        ),
        "rename own result to INPUT": (
            {"rename"},
            lambda s, w, a, n: s.rename(out + a.file_result, f"/PROD/INPUT/{n}"),
        ),
        "posix-rename into B's INPUT": (
            {"posix_rename"},
            lambda s, w, a, n: s.posix_rename(out + a.file_result, f"/../{b_ori}/PROD/INPUT/{n}"),
        ),
        "mkdir": ({"mkdir"}, lambda s, w, a, n: s.mkdir(f"/PROD/{n}")),
        "rmdir INPUT": ({"rmdir"}, lambda s, w, a, n: s.rmdir("/PROD/INPUT")),
        "symlink to B's home": (
            {"symlink"},
            lambda s, w, a, n: s.symlink(w.b_home, f"/PROD/INPUT/{n}"),
        ),
        "hard link to own result": (
            {"link"},
            lambda s, w, a, n: s.link(out + a.file_result, f"/PROD/INPUT/{n}"),
        ),
        "readlink": ({"readlink"}, lambda s, w, a, n: s.readlink("/incoming_to_DOJ")),
        "chmod own result": (
            {"setstat"},
            lambda s, w, a, n: s.chmod(out + a.file_result, 0o777),
        ),
        "chmod B's result by ..": (
            {"setstat"},
            lambda s, w, a, n: s.chmod(f"/../{b_ori}/PROD/OUTPUT/{w.b_result}", 0o777),
        ),
        "lsetstat own result": (
            {"lsetstat"},
            lambda s, w, a, n: s.setstat(
                out + a.file_result, asyncssh_attrs(), follow_symlinks=False
            ),
        ),
        "fsetstat own result": (
            {"fsetstat"},
            lambda s, w, a, n: _on_open_file(s, out + a.file_result, "fsetstat"),
        ),
        "fsync own result": (
            {"fsync"},
            lambda s, w, a, n: _on_open_file(s, out + a.file_result, "fsync"),
        ),
        "statvfs": ({"statvfs"}, lambda s, w, a, n: s.statvfs("/PROD/INPUT")),
        "fstatvfs": (
            {"fstatvfs"},
            lambda s, w, a, n: _on_open_file(s, out + a.file_result, "fstatvfs"),
        ),
        "lock": ({"lock"}, lambda s, w, a, n: _on_open_file(s, out + a.file_result, "lock")),
        "unlock": (
            {"unlock"},
            lambda s, w, a, n: _on_open_file(s, out + a.file_result, "unlock"),
        ),
        "remove B's result by ..": (
            {"remove"},
            lambda s, w, a, n: s.remove(f"/../{b_ori}/PROD/OUTPUT/{w.b_result}"),
        ),
        "remove own result": ({"remove"}, lambda s, w, a, n: s.remove(out + a.file_result)),
    }


def asyncssh_attrs() -> Any:
    import asyncssh

    return asyncssh.SFTPAttrs(permissions=0o777)


async def sftp_attempt(operation: Awaitable[object]) -> tuple[str, str]:
    """What the client sees: ``ok`` or the SFTP error's kind, and the answer as text."""
    import asyncssh

    kinds = {
        asyncssh.SFTPPermissionDenied: "denied",
        asyncssh.SFTPNoSuchFile: "no such file",
        asyncssh.SFTPFileAlreadyExists: "exists",
        asyncssh.SFTPOpUnsupported: "unsupported",
        asyncssh.SFTPFailure: "failure",
    }
    try:
        answer = await operation
    except asyncssh.SFTPError as exc:
        return kinds.get(type(exc), type(exc).__name__), str(exc)
    return "ok", repr(answer)


def test_sftp_login_matrix(world: World, sftp_world: SftpWorld) -> None:
    import asyncio

    import asyncssh

    from tests.channels.sftp.test_server import connect

    w = sftp_world
    attempts = {
        "A": (w.a.ori, w.a.password),
        "suspended": (w.suspended.ori, w.suspended.password),
        "A, wrong password": (w.a.ori, w.a.password + "x"),
        "B's name, A's password": (world.b.agency.ori, w.a.password),
        "unknown user": ("ZZ9999999", w.a.password),
    }

    async def log_in(user: str, password: str) -> str:
        try:
            conn = await connect(w.server, user, password)
        except asyncssh.PermissionDenied:
            return "refused"
        conn.close()
        return "ok"

    observed = {who: asyncio.run(log_in(*how)) for who, how in attempts.items()}
    assert observed == SFTP_LOGIN


def test_sftp_matrix(world: World, workflows: Hub, sftp_world: SftpWorld) -> None:
    """Each operation in a session of A's (active), and in a session of C's, whose agency was
    suspended after it logged in (its next operation is refused, whatever it is)."""
    import asyncio
    import itertools

    from tests.channels.sftp.test_server import connect

    w = sftp_world
    operations = sftp_operations(world)
    # not the HTTP matrix's names (``_M{job_id}``): a name already held is another refusal
    names = (f"{STAMP}_{world.a.agency.ori}_SFTP{n}.json" for n in itertools.count())
    observed: dict[str, tuple[str, str]] = {}
    leaks = []

    async def run() -> None:
        a_conn = await connect(w.server, w.a.ori, w.a.password)
        c_conn = await connect(w.server, w.c.ori, w.c.password)
        async with a_conn, c_conn, a_conn.start_sftp_client() as a, c_conn.start_sftp_client() as c:
            with workflows.engine.begin() as conn:
                set_agency_active(conn, w.c.ori, False)
            for label, (_, op) in operations.items():
                mine, mine_seen = await sftp_attempt(op(a, w, world.a, next(names)))
                theirs, theirs_seen = await sftp_attempt(op(c, w, world.a, next(names)))
                observed[label] = (mine, theirs)
                for outcome, answer in ((mine, mine_seen), (theirs, theirs_seen)):
                    if "B's" in label and outcome != "ok":
                        continue  # a refusal repeats the path of B's that the client sent
                    leaks.extend((label, m) for m in world.b.markers() if m in answer)
                if label == "list TEST OUTPUT" and world.a.file_result in mine_seen:
                    leaks.append((label, "A's production result in the test realm"))

    asyncio.run(run())
    assert observed == SFTP
    assert leaks == []
    # The upload that was let through is A's file, and C's session stored nothing.
    with workflows.engine.connect() as conn:
        by_agency = dict(
            conn.execute(
                sa.select(stop_file_rows.c.ori, sa.func.count())
                .where(
                    stop_file_rows.c.ori.in_([w.a.ori, w.c.ori]),
                    stop_file_rows.c.channel == "sftp",
                )
                .group_by(stop_file_rows.c.ori)
            ).all()
        )
    assert by_agency == {w.a.ori: 1}


# The SFTP server methods that are not operations on a path or a file: formatting and the
# session's end.
SFTP_NOT_OPERATIONS = {
    "convert_attrs",
    "exit",
    "format_group",
    "format_longname",
    "format_user",
    "map_path",  # every path's door: reached by every row
    "reverse_map_path",
    "open56",  # SFTP versions 5 and 6 only; the server speaks version 3
}


def test_every_sftp_operation_has_a_row(world: World) -> None:
    """An operation that asyncssh's server offers (a new version may add one) without a row here
    fails, and so does a row for an operation that does not exist."""
    import inspect

    import asyncssh

    offered = {
        name
        for name, _ in inspect.getmembers(asyncssh.SFTPServer, inspect.isfunction)
        if not name.startswith("_")
    } - SFTP_NOT_OPERATIONS
    reached = set().union(*(methods for methods, _ in sftp_operations(world).values()))
    assert offered == reached
    assert set(sftp_operations(world)) == set(SFTP)


# Login: who may open a session at all.
SFTP_LOGIN = {
    "A": "ok",
    "suspended": "refused",
    "A, wrong password": "refused",
    "B's name, A's password": "refused",
    "unknown user": "refused",
}
# Operation -> (agency A's session, a session whose agency was suspended after its login).
SFTP: dict[str, tuple[str, str]] = {
    "list /": ("ok", "denied"),
    "list own OUTPUT": ("ok", "denied"),
    "list TEST OUTPUT": ("ok", "denied"),
    "list B's home by ..": ("denied", "denied"),
    "list B's home on disk": ("no such file", "denied"),
    "stat own result": ("ok", "denied"),
    "lstat B's result by ..": ("denied", "denied"),
    "realpath above home": ("denied", "denied"),
    "read own result": ("ok", "denied"),
    "read B's result by name": ("no such file", "denied"),
    "read B's result by ..": ("denied", "denied"),
    "read B's result on disk": ("no such file", "denied"),
    "write own INPUT": ("ok", "denied"),
    "write OUTPUT": ("denied", "denied"),
    "write home": ("denied", "denied"),
    "write B's INPUT by ..": ("denied", "denied"),
    "rename own result to INPUT": ("denied", "denied"),
    "posix-rename into B's INPUT": ("denied", "denied"),
    "mkdir": ("denied", "denied"),
    "rmdir INPUT": ("denied", "denied"),
    "symlink to B's home": ("denied", "denied"),
    "hard link to own result": ("denied", "denied"),
    "readlink": ("denied", "denied"),
    "chmod own result": ("ok", "denied"),
    "chmod B's result by ..": ("denied", "denied"),
    "lsetstat own result": ("ok", "denied"),
    "fsetstat own result": ("ok", "denied"),
    "fsync own result": ("ok", "denied"),
    "statvfs": ("unsupported", "unsupported"),  # a shared store has no file system to report
    "fstatvfs": ("unsupported", "denied"),
    "lock": ("unsupported", "denied"),
    "unlock": ("unsupported", "denied"),
    "remove B's result by ..": ("denied", "denied"),
    "remove own result": ("ok", "denied"),
}


# Every list the portal exports, as each role downloads it: rows of another agency (of another
# region, for an RPS) never appear.
EXPORTS = (
    "/portal/stops?format=csv",
    "/portal/stops?format=xlsx",
    "/portal/admin/audit?format=csv",
    "/portal/review?format=csv",
    "/portal/review?format=xlsx",
    "/portal/review?kind=cancellations&format=csv",
    "/portal/review?kind=cancellations&format=xlsx",
    "/portal/files?format=csv",
    "/portal/files?format=xlsx",
    "/portal/jobs?format=csv",
    "/portal/admin/agencies?format=csv",
    "/portal/admin/accounts?format=csv",
    "/portal/admin/files?format=csv",
    "/portal/admin/users?format=csv",
    "/portal/admin/outbox?format=csv",
    "/portal/admin/regions?format=csv",
)
# An export's own rows are known by the record id, the case number, or (a list of files or
# jobs) the agency's ORI; an administrator's lists of everyone are checked for the refusals.
ADMIN_LISTS = ("/portal/admin/",)


def _text_of(answer: Any) -> str:
    """A download's cells as text (an XLSX's sheet read back; CSV as it is)."""
    if "spreadsheetml" not in answer.headers.get("content-type", ""):
        return str(answer.text)
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    try:
        sheet = book.active
        assert sheet is not None
        return "\n".join(
            "|".join(str(c or "") for c in row) for row in sheet.iter_rows(values_only=True)
        )
    finally:
        book.close()


def _shows(text: str, marker: str) -> bool:
    """``marker`` as a whole value of a download (MP12 is not in MP123: a list of a region
    holds other tests' cases too)."""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(marker)}(?![A-Za-z0-9])", text) is not None


def test_portal_exports_never_show_another_agencys_rows(
    world: World, portal_clients: dict[str, Any]
) -> None:
    # whose rows each role may download: its agency's (a client), its region's (an RPS: A's
    # case is in region X, B's in region Y), everyone's (the administrator)
    own = {"client A": [world.a], "rps X": [world.a], "rps Y": [world.b]}
    downloads = {}
    leaks = []
    for path in EXPORTS:
        for role, c in portal_clients.items():
            answer = c.get(path, follow_redirects=False)
            downloads[(path, role)] = answer.status_code
            if answer.status_code != 200:
                continue
            if role == "admin" and path.startswith("/portal/stops"):
                continue  # without an agency chosen (ori): the page that asks for one
            assert "attachment" in answer.headers.get("content-disposition", ""), (path, role)
            text = _text_of(answer)
            if role != "admin":
                others = [o for o in (world.a, world.b) if o not in own.get(role, [])]
                leaks += [(path, role, m) for o in others for m in o.markers() if _shows(text, m)]
            if role in own:  # and its own rows are there
                (mine,) = own[role]
                if "review" in path:
                    wanted = mine.case_number
                elif path.startswith(("/portal/files", "/portal/jobs")):
                    wanted = mine.agency.ori
                else:
                    wanted = mine.lea_record_id
                assert _shows(text, wanted), (path, role, text[:300])
            if role == "admin" and "review" in path:
                assert _shows(text, world.a.case_number) and _shows(text, world.b.case_number)
    assert leaks == []
    assert {k: v for k, v in downloads.items() if k[1] == "client A"} == {
        ("/portal/stops?format=csv", "client A"): 200,
        ("/portal/stops?format=xlsx", "client A"): 200,
        ("/portal/admin/audit?format=csv", "client A"): 403,
        ("/portal/review?format=csv", "client A"): 200,
        ("/portal/review?format=xlsx", "client A"): 200,
        ("/portal/review?kind=cancellations&format=csv", "client A"): 200,
        ("/portal/review?kind=cancellations&format=xlsx", "client A"): 200,
        ("/portal/files?format=csv", "client A"): 200,
        ("/portal/files?format=xlsx", "client A"): 200,
        ("/portal/jobs?format=csv", "client A"): 200,
        **{(path, "client A"): 403 for path in EXPORTS if path.startswith(ADMIN_LISTS)},
    }
    for path in EXPORTS:
        if path.startswith(ADMIN_LISTS):  # the administrator's only
            assert {r: downloads[(path, r)] for r in PORTAL_ROLES} == dict(
                zip(PORTAL_ROLES, (303, 403, 403, 403, 403, 200), strict=True)
            ), path
    assert downloads[("/portal/stops?format=csv", "rps X")] == 403
    review = {k: v for k, v in downloads.items() if "review" in k[0]}
    assert {k[1]: v for k, v in review.items()} == {
        "anonymous": 303,
        "client A": 200,
        "client suspended": 403,
        "rps X": 200,
        "rps Y": 200,
        "admin": 200,
    }
