"""A small runner of a Postman v2.1 collection with httpx: what Postman's runner (or Newman)
does with the scripts tools/postman_collection.py writes, and no more.

It substitutes ``{{variables}}``, sends the bearer key, and reads the three script forms the
generator writes: the expected statuses (``pm.expect(pm.response.code).to.be.oneOf([...])``),
a variable taken from the answer (``pm.collectionVariables.set("x", pm.response.json()...)``)
and a request repeated until its work is done (``pm.execution.setNextRequest``); and, of the
a pre-request script, the fresh record ids of a run.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
from tools.postman_collection import IN_PROGRESS

_VARIABLE = re.compile(r"\{\{(\w+)\}\}")
_EXPECT = re.compile(r"to\.be\.oneOf\((\[[\d, ]*\])\)")
_CAPTURE = re.compile(
    r'pm\.collectionVariables\.set\("(\w+)", pm\.response\.json\(\)((?:\.\w+|\[\d+\])*)\)'
)
_FRESH = re.compile(r"pm\.collectionVariables\.set\('(\w+)', '(\w+)' \+ run\)")
_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")


@dataclass
class Ran:
    name: str
    status: int
    expected: list[int]
    text: str

    @property
    def passed(self) -> bool:
        return self.status in self.expected


def requests(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        if "item" in item:
            yield from requests(item["item"])
        else:
            yield item


def run(collection: dict[str, Any], values: dict[str, str], *, run_id: str) -> list[Ran]:
    variables = {v["key"]: v["value"] for v in collection["variable"]} | values

    def fill(text: str) -> str:
        return _VARIABLE.sub(lambda m: variables[m.group(1)], text)

    token = fill(collection["auth"]["bearer"][0]["value"])
    done: list[Ran] = []
    with httpx.Client(timeout=60) as client:
        for item in requests(collection["item"]):
            scripts = {e["listen"]: "\n".join(e["script"]["exec"]) for e in item["event"]}
            for name, prefix in _FRESH.findall(scripts.get("prerequest", "")):
                variables[name] = prefix + run_id
            request, script = item["request"], scripts["test"]
            [expected] = [json.loads(m) for m in _EXPECT.findall(script)]
            deadline = time.monotonic() + 120
            while True:
                headers = {h["key"]: fill(h["value"]) for h in request["header"]}
                body = fill(request["body"]["raw"]).encode() if "body" in request else None
                answer = client.request(
                    request["method"],
                    fill(request["url"]["raw"]),
                    headers={"Authorization": f"Bearer {token}", **headers},
                    content=body,
                )
                if (
                    "setNextRequest(pm.info.requestName)" in script
                    and answer.status_code == 200
                    and answer.json().get("state") in IN_PROGRESS
                    and time.monotonic() < deadline
                ):
                    time.sleep(0.3)
                    continue
                break
            done.append(Ran(item["name"], answer.status_code, expected, answer.text[:300]))
            for name, path in _CAPTURE.findall(script):
                if answer.status_code < 300:
                    variables[name] = str(_walk(answer.json(), path))
    return done


def _walk(value: Any, path: str) -> Any:
    for key, index in _STEP.findall(path):
        value = value[key] if key else value[int(index)]
    return value
