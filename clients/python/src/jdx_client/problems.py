"""The hub's error answers, read into one exception whatever their shape.

The hub answers errors in three shapes, and a client must read all of them:

- RFC 9457 problem details (``application/problem+json``): ``type``, ``title``, ``status``,
  ``detail``, ``instance`` and, for a request with several mistakes, ``problems`` (each a
  ``field`` and a ``message``);
- the shape of hubs before RFC 9457: ``{"error": ..., "problems": [...]}``;
- the SDCS stop answers, whose shape the seed fixes (Table 6): ``Status`` and ``Messages``
  (each with ``Code``, ``Severity``, ``Field``, ``PersonNumber`` and ``Message``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx


@dataclass(frozen=True)
class Problem:
    """One mistake of a request: the field it is about ("" for the whole request) and why."""

    field: str
    message: str
    code: str | None = None  # an SDCS answer's error code (``DV``...)


@dataclass
class ProblemError(Exception):
    """Any answer of the hub that is not a success: what a user is shown is ``detail``."""

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    instance: str | None = None
    problems: list[Problem] = field(default_factory=list)
    body: Any = None  # the answer as the hub sent it (parsed JSON, else its text)

    def __str__(self) -> str:
        return self.detail or self.title or f"HTTP {self.status}"


def problem_of(answer: httpx.Response) -> ProblemError:
    """The error ``answer`` tells, in whichever of the hub's shapes it came."""
    try:
        body: Any = json.loads(answer.content)
    except ValueError:
        text = answer.text.strip()[:500]
        return ProblemError(answer.status_code, answer.reason_phrase, text, body=answer.text)
    if not isinstance(body, dict):
        return ProblemError(answer.status_code, answer.reason_phrase, str(body)[:500], body=body)
    problems = [
        Problem(str(p.get("field") or ""), str(p.get("message") or ""))
        for p in body.get("problems") or ()
        if isinstance(p, dict)
    ]
    if "Messages" in body and "Status" in body:  # an SDCS stop answer (Table 6)
        problems = [
            Problem(str(m.get("Field") or ""), str(m.get("Message") or ""), m.get("Code"))
            for m in body.get("Messages") or ()
            if isinstance(m, dict)
        ]
        joined = "; ".join(
            f"{p.code} {p.field}: {p.message}" if p.field else f"{p.code} {p.message}"
            for p in problems
        )
        return ProblemError(
            answer.status_code, str(body["Status"]), joined, problems=problems, body=body
        )
    detail = body.get("detail", body.get("error"))
    return ProblemError(
        status=int(body.get("status") or answer.status_code),
        title=str(body.get("title") or answer.reason_phrase),
        detail="" if detail is None else str(detail),
        type=str(body.get("type") or "about:blank"),
        instance=body.get("instance"),
        problems=problems,
        body=body,
    )
