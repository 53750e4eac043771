"""The hub's try-it collection (Postman Collection v2.1: Postman, Bruno and Insomnia import it),
generated from the app's OpenAPI document so that it cannot drift from the routes.

Usage: python tools/postman_collection.py > clients/postman/jdx.postman_collection.json
(tests/clients/test_postman.py fails when the committed file differs from what this writes.)

Every operation of ``/openapi.json`` is one request, in the order a newcomer would try them
(:data:`SCENARIO`), with ``{{baseUrl}}`` and ``{{apiKey}}``, the example bodies of the
project's samples, and a test of the status the hub answers. A request whose ids come from an
earlier answer takes them from a variable that answer's test script sets; a status request
repeats until the work is done (``pm.execution.setNextRequest``). An operation missing from
:data:`SCENARIO` stops the generation: a new route needs its place and expected status.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jdx.dictionary import load_dictionary
from jdx.dictionary.icd.sample import sample_record
from jdx.validation import DICTIONARY_DIR

ORI = "CA0370000"  # the demo agency (`jdx demo`)
RAPSHEETS = Path(__file__).resolve().parents[1] / "src/jdx/exchanges/rapsheets/samples"
SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
# Until processed: the request runs again (Postman's runner, and the tests' runner).
IN_PROGRESS = ("received", "processing")  # the states of a file or job not yet finished
REPEAT = (
    f"if ({json.dumps(list(IN_PROGRESS))}.includes(pm.response.json().state)) "
    "{ pm.execution.setNextRequest(pm.info.requestName); }"
)


@dataclass(frozen=True)
class Step:
    method: str
    path: str
    expect: tuple[int, ...]
    body: str | None = None  # the name of a body in bodies()
    content_type: str = "application/json"
    query: dict[str, str] = field(default_factory=dict)
    capture: dict[str, str] = field(default_factory=dict)  # variable: a JavaScript expression
    repeat_until_done: bool = False
    fresh_ids: bool = False  # new record ids first (FRESH_IDS)
    why: str = ""  # the expected status, when it is not the operation's success


# The order a newcomer tries them in; {{leaRecordId}} and {{fileRecordId}} are new on every
# run (FRESH_IDS), so that the collection can be run again.
SCENARIO = [
    Step("GET", "/sdcs/v1/stops/{lea_record_id}", (404,), why="not sent yet", fresh_ids=True),
    Step("POST", "/sdcs/v1/stops/validate", (200,), body="stop"),
    Step(
        "POST",
        "/sdcs/v1/stops",
        (202,),
        body="stop_with_error",
        why="Submitted with Errors: the example's SDur is 0, which the PUT below corrects",
    ),
    Step("GET", "/sdcs/v1/stops/{lea_record_id}", (200,)),
    Step("PUT", "/sdcs/v1/stops/{lea_record_id}", (200,), body="update"),
    Step("GET", "/sdcs/v1/stops", (200,), query={"status": "Successful Submission", "limit": "20"}),
    Step("GET", "/sdcs/v1/icd", (200,)),
    Step("GET", "/sdcs/v1/icd/{name}", (200,)),
    Step(
        "PUT",
        "/sdcs/v1/files/{file}",
        (202,),
        body="file",
        content_type="application/octet-stream",
        capture={"fileId": "pm.response.json().file_id"},
    ),
    Step("GET", "/sdcs/v1/files/{file}", (200,), repeat_until_done=True),
    Step("GET", "/sdcs/v1/files/{file_id}/results/{name}", (200,)),
    Step("GET", "/sdcs/v1/files", (200,), query={"state": "done", "limit": "20"}),
    Step("GET", "/namus/v1/icd", (200,)),
    Step("GET", "/namus/v1/icd/{name}", (200,)),
    Step("POST", "/namus/v1/jobs/validate", (200,), body="job"),
    Step(
        "POST", "/namus/v1/jobs", (202,), body="job", capture={"jobId": "pm.response.json().job_id"}
    ),
    Step(
        "GET",
        "/namus/v1/jobs/{job_id}",
        (200,),
        repeat_until_done=True,
        capture={"caseNumber": "pm.response.json().cases[0].case_number"},
    ),
    Step("GET", "/namus/v1/jobs", (200,), query={"limit": "20"}),
    Step("GET", "/namus/v1/cases", (200,)),
    Step("GET", "/namus/v1/cases/{case_number}", (200,)),
    Step("PUT", "/namus/v1/cases/{case_number}", (200,), body="case"),
    Step(
        "POST",
        "/namus/v1/cancellations",
        (201,),
        body="cancellation",
        capture={"cancellationId": "pm.response.json().id"},
    ),
    Step("GET", "/namus/v1/cancellations/{request_id}", (200,)),
    Step("PUT", "/chri/v1/preference", (200,), body="preference"),
    Step(
        "POST",
        "/chri/v1/notifications",
        (403,),
        body="notification",
        content_type="text/plain",
        why="the demo agency is not the FBI/III: the rap_notifiers setting",
    ),
    Step(
        "POST",
        "/chri/v1/rapsheets",
        (403,),
        body="rapsheet",
        content_type="application/xml",
        query={"destination": ORI},
        why="the demo agency is no responder: jdx rapsheet responders add",
    ),
    Step("GET", "/chri/v1/outbox", (200,)),
    Step("GET", "/chri/v1/outbox/{item_id}", (404,), why="an id no outbox item has"),
    Step("GET", "/chri/v1/icd", (200,)),
    Step("GET", "/chri/v1/icd/{name}", (200,)),
]
# Not in OpenAPI (the probes are the operator's, not the agencies'), but the first thing to try.
HEALTH = Step("GET", "/healthz", (200,))
VARIABLES = {
    "baseUrl": "http://127.0.0.1:8000",
    "apiKey": "",  # the demo agency's production key (`jdx demo`, api_keys.prod)
    "ori": ORI,
    "leaRecordId": "PM00000001",
    "fileRecordId": "PF00000001",
    "fileId": "",
    "jobId": "",
    "caseNumber": "",
    "cancellationId": "",
}
PATH_VALUES = {
    "lea_record_id": "{{leaRecordId}}",
    "file_name": "20240315143200_{{ori}}_{{fileRecordId}}.json",
    "file_id": "{{fileId}}",
    "job_id": "{{jobId}}",
    "case_number": "{{caseNumber}}",
    "request_id": "{{cancellationId}}",
    "item_id": "999999999",
}
NAME_VALUES = {  # {name}, by route
    "/sdcs/v1/icd/{name}": "stop-2024-sample.json",
    "/sdcs/v1/files/{file_id}/results/{name}": "20240315143200_{{ori}}_{{fileRecordId}}_log.txt",
    "/namus/v1/icd/{name}": "transport.html",
    "/chri/v1/icd/{name}": "rapsheet-2.00.xsd",
}
# New record ids, in the run's first request (its pre-request script): the collection can be
# run again, and a request sent on its own keeps the ids of the run before.
FRESH_IDS = [
    "const run = String(Date.now()).slice(-8);",
    "pm.collectionVariables.set('leaRecordId', 'PM' + run);",
    "pm.collectionVariables.set('fileRecordId', 'PF' + run);",
]


def bodies() -> dict[str, str]:
    """The example bodies, from the project's samples (the ICDs' own)."""
    stop = sample_record(load_dictionary(DICTIONARY_DIR / "stop-2024.yaml"))
    stop = {**stop, "ORI": "{{ori}}", "LEARecordID": "{{leaRecordId}}"}
    in_file = {**stop, "LEARecordID": "{{fileRecordId}}"}
    missing = sample_record(load_dictionary(DICTIONARY_DIR / "case-missing.yaml"))
    cancellation = sample_record(load_dictionary(DICTIONARY_DIR / "case-cancellation.yaml"))
    return {
        "stop": _json(stop),
        "file": _json(in_file),
        "job": _json({"cases": [{"type": "missing", "record": missing}]}),
        "case": _json(missing),
        "stop_with_error": _json({**stop, "SDur": "0"}),
        "update": _json({**stop, "TX_Type": "U"}),
        "cancellation": _json({**cancellation, "idFormatted": "{{caseNumber}}"}),
        "preference": _json({"format": "presentation-html"}),
        "notification": (RAPSHEETS / "notification-el01.txt").read_text(),
        "rapsheet": (RAPSHEETS / "nlets41-minimal.xml").read_text(),
    }


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def openapi() -> dict[str, Any]:
    from jdx.channels.http.app import create_app
    from jdx.hub import create_hub
    from jdx.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        hub = create_hub(Settings(data_dir=Path(folder), database_url=""))
        try:
            return create_app(hub=hub).openapi()
        finally:
            hub.dispose()


def collection(document: dict[str, Any]) -> dict[str, Any]:
    operations = {
        (method.upper(), path): op
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    }
    covered = {(s.method, s.path) for s in SCENARIO}
    missing = sorted(set(operations) - covered)
    if missing:
        raise SystemExit(f"operations without a step in SCENARIO: {missing}")
    gone = sorted(covered - set(operations))
    if gone:
        raise SystemExit(f"steps of SCENARIO the OpenAPI no longer has: {gone}")
    texts = bodies()
    folders: dict[str, list[dict[str, Any]]] = {"Health": [_item(HEALTH, "Health", texts)]}
    for step in SCENARIO:
        op = operations[(step.method, step.path)]
        tag = (op.get("tags") or ["Other"])[0]
        title = op.get("summary") or op.get("operationId") or f"{step.method} {step.path}"
        folders.setdefault(tag, []).append(_item(step, title, texts, op))
    return {
        "info": {
            "name": document["info"]["title"],
            "description": "Every operation of the hub's API, in the order to try them. Set "
            "apiKey to the demo agency's production key (`jdx demo` prints api_keys) and "
            "baseUrl to the hub. Generated from /openapi.json by "
            "tools/postman_collection.py: do not edit.",
            "schema": SCHEMA,
        },
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{apiKey}}", "type": "string"}],
        },
        "variable": [{"key": k, "value": v, "type": "string"} for k, v in VARIABLES.items()],
        "item": [{"name": tag, "item": items} for tag, items in folders.items()],
    }


def _item(
    step: Step, title: str, texts: dict[str, str], op: dict[str, Any] | None = None
) -> dict[str, Any]:
    values = {
        **PATH_VALUES,
        "name": NAME_VALUES.get(step.path, ""),
        # /sdcs/v1/files/{file}: the file's name in the upload, the id it answered after
        "file": PATH_VALUES["file_name" if step.method == "PUT" else "file_id"],
    }
    path = step.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    segments = [s for s in path.split("/") if s]
    query = [{"key": k, "value": v} for k, v in step.query.items()]
    raw = "{{baseUrl}}/" + "/".join(segments)
    if query:
        raw += "?" + "&".join(f"{q['key']}={q['value']}" for q in query)
    request: dict[str, Any] = {
        "method": step.method,
        "header": [],
        "url": {"raw": raw, "host": ["{{baseUrl}}"], "path": segments},
    }
    if query:
        request["url"]["query"] = query
    if op is not None and op.get("description"):
        request["description"] = op["description"]
    if step.body is not None:
        request["header"].append({"key": "Content-Type", "value": step.content_type})
        request["body"] = {"mode": "raw", "raw": texts[step.body]}
        if step.content_type == "application/json":
            request["body"]["options"] = {"raw": {"language": "json"}}
    expected = " or ".join(map(str, step.expect))
    label = f"status {expected}" + (f" ({step.why})" if step.why else "")
    script = [
        f'pm.test("{label}", function () {{',
        f"  pm.expect(pm.response.code).to.be.oneOf({json.dumps(list(step.expect))});",
        "});",
    ]
    if step.repeat_until_done:
        script.append(REPEAT)
    script += [
        f'pm.collectionVariables.set("{name}", {expression});'
        for name, expression in step.capture.items()
    ]
    events = [{"listen": "test", "script": {"type": "text/javascript", "exec": script}}]
    if step.fresh_ids:
        events.append(
            {"listen": "prerequest", "script": {"type": "text/javascript", "exec": FRESH_IDS}}
        )
    return {"name": f"{title} ({step.method} {step.path})", "request": request, "event": events}


def render() -> str:
    return json.dumps(collection(openapi()), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
