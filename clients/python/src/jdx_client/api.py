"""A typed client of the hub's API, one method per operation of its OpenAPI document.

Each method names its operation with :func:`operation` (method and path template, as in
``/openapi.json``); a test of the hub compares them with the document, so a route that moves
or goes fails there rather than at an agency. Answers are typed as the hub sends them
(:class:`typing.TypedDict`: the JSON itself, with its keys named); any answer that is not a
success raises :class:`~jdx_client.problems.ProblemError`, whatever its shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, NotRequired, ParamSpec, TypedDict, TypeVar, cast
from urllib.parse import quote

import httpx2 as httpx

from jdx_client.problems import problem_of

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
Json = dict[str, Any]  # an answer without a type of its own here
CHUNK = 256 * 1024


def operation(method: str, path: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Mark a method as the client of the operation ``method path`` of ``/openapi.json``."""

    def mark(func: Callable[P, R]) -> Callable[P, R]:
        func.__jdx_operation__ = (method, path)  # type: ignore[attr-defined]
        return func

    return mark


def operations() -> dict[str, tuple[str, str]]:
    """Each method of :class:`JdxClient` and the operation it calls."""
    return {
        name: member.__jdx_operation__
        for name, member in vars(JdxClient).items()
        if hasattr(member, "__jdx_operation__")
    }


class StopMessage(TypedDict):
    Code: str
    Severity: str
    Field: str | None
    PersonNumber: int | None
    Message: str


class StopAnswer(TypedDict):
    """The SDCS answer to a stop (Table 6)."""

    Status: str
    ORI: str | None
    LEARecordID: str | None
    DOJRecordID: str | None
    OfficerUID: str | None
    StopDate: str | None
    StopTime: str | None
    Messages: list[StopMessage]
    WouldBeStatus: NotRequired[str]  # a validation: what a POST would get
    Record: NotRequired[dict[str, Any]]  # a GET: the stored record


class FileReceipt(TypedDict):
    file_id: int
    message: str | None
    duplicate_of: NotRequired[int]  # received before: the earlier file
    received_at: NotRequired[str]


class FileStatus(TypedDict):
    file_id: int
    file_name: str
    realm: str
    channel: str
    state: Literal["received", "processing", "done", "failed"] | str
    format: str | None
    file_error: str | None
    total: int | None
    successful: int | None
    with_errors: int | None
    rejected: int | None
    processed: int | None
    received_at: str
    finished_at: str | None
    results: dict[str, str]  # result file name: its download path


class ListPage(TypedDict):
    """One page of a list: its items, the total of every page, and the next page's address."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    next: str | None


class CasePage(TypedDict):
    """One page of the account's cases (their summaries under ``cases``), paged as a
    :class:`ListPage` is."""

    cases: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    next: str | None


class OutboxPage(TypedDict):
    """One page of the receiver's rap sheet deliveries, newest first, paged as a
    :class:`ListPage` is."""

    receiver: str
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    next: str | None


class JobReceipt(TypedDict):
    job_id: int
    status_url: str
    replayed: bool


class JobCase(TypedDict):
    seq: int
    type: str | None
    client_case_number: str | None
    state: str
    errors: Any
    case_number: NotRequired[str]
    review_state: NotRequired[str | None]


class JobStatus(TypedDict):
    job_id: int
    state: str
    realm: str
    format: str
    size: int
    total: int
    created: int
    requested: int
    rejected: int
    created_at: str | None
    finished_at: str | None
    cases: list[JobCase]


class JdxClient:
    """The hub at ``base_url`` as the agency of ``key`` sees it.

    ``JdxClient(url, key)`` opens its own connection pool (close it, or use ``with``);
    ``JdxClient.over(client)`` uses an ``httpx2.Client`` made elsewhere, with its base URL and
    headers (a test's client, a proxy's settings)."""

    def __init__(self, base_url: str, key: str, *, timeout: float = 60.0) -> None:
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=timeout
        )

    @classmethod
    def over(cls, client: httpx.Client) -> JdxClient:
        made = cls.__new__(cls)
        made.http = client
        return made

    def __enter__(self) -> JdxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # Stop data (SDCS): 200 stored, 202 stored with errors; any other status raises.

    @operation("POST", "/sdcs/v1/stops")
    def submit_stop(self, record: dict[str, Any]) -> StopAnswer:
        return self._call(StopAnswer, "POST", "/sdcs/v1/stops", (200, 202), body=record)

    @operation("POST", "/sdcs/v1/stops/validate")
    def validate_stop(self, record: dict[str, Any]) -> StopAnswer:
        """What a POST of ``record`` would get (``WouldBeStatus``); nothing is stored."""
        return self._call(StopAnswer, "POST", "/sdcs/v1/stops/validate", (200, 202), body=record)

    @operation("PUT", "/sdcs/v1/stops/{lea_record_id}")
    def update_stop(self, lea_record_id: str, record: dict[str, Any]) -> StopAnswer:
        path = f"/sdcs/v1/stops/{_segment(lea_record_id)}"
        return self._call(StopAnswer, "PUT", path, (200, 202), body=record)

    @operation("GET", "/sdcs/v1/stops/{lea_record_id}")
    def get_stop(self, lea_record_id: str) -> StopAnswer:
        return self._call(StopAnswer, "GET", f"/sdcs/v1/stops/{_segment(lea_record_id)}", (200,))

    # Batch files

    @operation("GET", "/sdcs/v1/stops")
    def list_stops(self, *, limit: int = 100, offset: int = 0, **filters: str) -> ListPage:
        """One page of the agency's stops, newest first: ``filters`` are the list's query
        parameters (``status``, ``date_from``, ``date_to``, ``officer``, ``error_code``,
        ``lea_record_id``); the page's ``next`` is the next one's address, None on the last."""
        params: dict[str, str | int] = {"limit": limit, "offset": offset, **filters}
        return self._call(ListPage, "GET", "/sdcs/v1/stops", (200,), params=params)

    @operation("GET", "/sdcs/v1/files")
    def list_files(self, *, limit: int = 100, offset: int = 0, **filters: str) -> ListPage:
        """One page of the agency's batch files, newest first (``state``, ``name``,
        ``received_from``, ``received_to``)."""
        params: dict[str, str | int] = {"limit": limit, "offset": offset, **filters}
        return self._call(ListPage, "GET", "/sdcs/v1/files", (200,), params=params)

    @operation("PUT", "/sdcs/v1/files/{file}")
    def upload_file(
        self,
        file: Path,
        *,
        name: str | None = None,
        progress: Callable[[int], None] = lambda done: None,
    ) -> FileReceipt:
        """Stream ``file`` to the hub under its name (or ``name``); ``progress`` is told the
        bytes sent so far. Answered 202 (received) or 200 (received before: the earlier
        file)."""
        size = file.stat().st_size

        def chunks() -> Iterator[bytes]:
            done = 0
            with file.open("rb") as f:
                while data := f.read(CHUNK):
                    done += len(data)
                    progress(done)
                    yield data

        answer = self.http.put(
            f"/sdcs/v1/files/{_segment(name or file.name)}",
            content=chunks(),
            headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
        )
        return cast(FileReceipt, _success(answer, 200, 202))

    @operation("GET", "/sdcs/v1/files/{file}")
    def file_status(self, file_id: int) -> FileStatus:
        return self._call(FileStatus, "GET", f"/sdcs/v1/files/{int(file_id)}", (200,))

    @operation("GET", "/sdcs/v1/files/{file_id}/results/{name}")
    def download_result(self, file_id: int, name: str) -> bytes:
        answer = self.http.get(f"/sdcs/v1/files/{int(file_id)}/results/{_segment(name)}")
        if answer.status_code != 200:
            raise problem_of(answer)
        return answer.content

    def download_results(self, status: FileStatus, folder: Path) -> list[Path]:
        """Every result file of ``status`` into ``folder`` (made if needed), under the hub's
        names only, never a path it sends."""
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for name in status["results"]:
            target = folder / Path(name).name
            target.write_bytes(self.download_result(status["file_id"], Path(name).name))
            saved.append(target)
        return saved

    # NamUs case import

    @operation("POST", "/namus/v1/jobs")
    def submit_job(
        self, cases: Iterable[dict[str, Any]], *, idempotency_key: str | None = None
    ) -> JobReceipt:
        """A job of cases, each ``{"type": "missing"|"unidentified"|..., "record": {...}}``."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        job = {"cases": list(cases)}
        return self._call(JobReceipt, "POST", "/namus/v1/jobs", (202,), body=job, headers=headers)

    @operation("POST", "/namus/v1/jobs/validate")
    def validate_job(self, cases: Iterable[dict[str, Any]]) -> dict[str, Any]:
        return self._call(
            dict, "POST", "/namus/v1/jobs/validate", (200,), body={"cases": list(cases)}
        )

    @operation("GET", "/namus/v1/jobs")
    def list_jobs(self, *, limit: int = 100, offset: int = 0, **filters: str) -> ListPage:
        """One page of the account's jobs in the key's realm, newest first (``state``,
        ``received_from``, ``received_to``); the page's ``next`` is the next one's address,
        None on the last."""
        params: dict[str, str | int] = {"limit": limit, "offset": offset, **filters}
        return self._call(ListPage, "GET", "/namus/v1/jobs", (200,), params=params)

    @operation("GET", "/namus/v1/jobs/{job_id}")
    def job_status(self, job_id: int) -> JobStatus:
        return self._call(JobStatus, "GET", f"/namus/v1/jobs/{int(job_id)}", (200,))

    @operation("GET", "/namus/v1/cases")
    def list_cases(
        self, *, state: str | None = None, limit: int = 100, offset: int = 0
    ) -> CasePage:
        """One page of the account's cases, oldest first (``state``: review states,
        comma-separated); the page's ``next`` is the next one's address, None on the last."""
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if state is not None:
            params["state"] = state
        return self._call(CasePage, "GET", "/namus/v1/cases", (200,), params=params)

    @operation("GET", "/namus/v1/cases/{case_number}")
    def get_case(self, case_number: str) -> dict[str, Any]:
        return self._call(Json, "GET", f"/namus/v1/cases/{_segment(case_number)}", (200,))

    @operation("PUT", "/namus/v1/cases/{case_number}")
    def edit_case(self, case_number: str, record: dict[str, Any]) -> dict[str, Any]:
        """A case's corrected record, before publication: the outcome, with the record's
        errors (422) or without (200)."""
        path = f"/namus/v1/cases/{_segment(case_number)}"
        return self._call(Json, "PUT", path, (200, 422), body=record)

    @operation("POST", "/namus/v1/cancellations")
    def cancel_case(self, request: dict[str, Any]) -> dict[str, Any]:
        return self._call(Json, "POST", "/namus/v1/cancellations", (201,), body=request)

    @operation("GET", "/namus/v1/cancellations/{request_id}")
    def cancellation(self, request_id: int) -> dict[str, Any]:
        return self._call(Json, "GET", f"/namus/v1/cancellations/{int(request_id)}", (200,))

    # Interstate rap sheets (CHRI)

    @operation("GET", "/chri/v1/outbox")
    def outbox(self, *, limit: int = 100, offset: int = 0, unfetched: bool = False) -> OutboxPage:
        """One page of the receiver's deliveries, newest first. A receiver polling with
        ``unfetched`` asks the first page again after fetching, rather than following ``next``
        (a fetched delivery leaves that list)."""
        params: dict[str, str | int] = {
            "limit": limit,
            "offset": offset,
            "unfetched": str(unfetched).lower(),
        }
        return self._call(OutboxPage, "GET", "/chri/v1/outbox", (200,), params=params)

    def _call(
        self,
        result: type[T],
        method: str,
        path: str,
        expected: tuple[int, ...],
        *,
        body: Any = None,
        params: dict[str, str | int] | None = None,
        headers: dict[str, str] | None = None,
    ) -> T:
        """The JSON answer, typed ``result``, of one request (``body`` sent as JSON); a status
        not ``expected`` raises :class:`ProblemError`."""
        sent = {**(_JSON if body is not None else {}), **(headers or {})}
        content = None if body is None else _json(body)
        answer = self.http.request(method, path, content=content, params=params, headers=sent)
        return cast(T, _success(answer, *expected))


_JSON = {"Content-Type": "application/json"}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _segment(value: str) -> str:
    """``value`` as one path segment: a ``/`` or ``?`` in an id cannot reach another route."""
    return quote(str(value), safe="")


def _success(answer: httpx.Response, *expected: int) -> Any:
    if answer.status_code not in expected:
        raise problem_of(answer)
    return answer.json()
