"""The RPS's review: the queue of cases and cancellation requests of its regions, a case's view,
edit and history, permission to publish, publication, return, and cancellation decisions.

Every page asks the exchange's ``CaseReview`` with the viewer's Actor, which decides what the
viewer may see and do: an RPS only its regions, a client (the entering party or a contributor)
only its own agency's cases. A case the viewer may not see is a 404, exactly as a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from jdx.channels.downloads import list_download
from jdx.channels.http.common import Id
from jdx.channels.web.auth import Dependency, Viewer
from jdx.channels.web.forms import PathError, flatten, unflatten
from jdx.channels.web.labels import case_labeller
from jdx.channels.web.render import PAGE_SIZES, check_window, is_htmx, page, query_day
from jdx.codecs.list_file import FORMATS
from jdx.exchanges.cases.queues import (
    CANCELLATION_COLUMNS,
    CASE_COLUMNS,
    CASE_TYPES,
    KINDS,
    QueueFilter,
)
from jdx.exchanges.cases.review import CaseReview, ReviewError
from jdx.hub import Hub

# What a search's free text and a named agency or region may be at most: longer, it names
# nothing the queue holds (an agency case number is 50 characters, a region 40).
MAX_TEXT = 100


def router(hub: Hub, role: Callable[..., Dependency]) -> APIRouter:
    api = APIRouter(prefix="/portal")
    reviewers = role("rps", "admin")
    anyone = role("client", "rps", "admin")

    def call(method: str, *args: Any, **kwargs: Any) -> Any:
        """A CaseReview method; its refusal as the page's HTTP error (404 also hides)."""
        service = hub.service(CaseReview)
        try:
            return getattr(service, method)(*args, **kwargs)
        except ReviewError as exc:
            raise HTTPException(exc.status, str(exc)) from None

    @api.get("/review")
    def queue(
        request: Request,
        who: Viewer = Depends(anyone),
        kind: str = "cases",
        region: str = "",
        ori: str = "",
        case_type: str = "",
        received_from: str = "",
        received_to: str = "",
        q: str = "",
        limit: int = PAGE_SIZES[0],
        offset: int = 0,
        format: str | None = None,
    ) -> Response:
        """An RPS's (administrator's) pending work; a client's own cases awaiting review:
        searched, paged, or the whole search as a file (``format``)."""
        if kind not in KINDS:
            raise HTTPException(400, f"kind must be one of {', '.join(KINDS)}")
        where = _search(who, region, ori, case_type, received_from, received_to, q)
        if format is not None:
            if format not in FORMATS:
                raise HTTPException(400, f"format must be one of {', '.join(FORMATS)}")
            rows = call("export_queue", who.actor, kind, where)
            columns = CASE_COLUMNS if kind == "cases" else CANCELLATION_COLUMNS
            return list_download(format, columns, rows, f"review_{kind}")
        check_window(limit, offset)
        found = call("queue_page", who.actor, kind, where, limit=limit, offset=offset)
        query = {
            k: v
            for k, v in {
                "kind": kind,
                "region": where.region or "",
                "ori": where.ori or "",
                "case_type": case_type,
                "received_from": received_from,
                "received_to": received_to,
                "q": where.text or "",
            }.items()
            if v
        }
        template = "review/_queue.html" if is_htmx(request) else "review/queue.html"
        return page(
            request,
            template,
            found=found,
            items=found.items,
            kind=kind,
            query=query,
            region=where.region or "",
            regions=sorted(who.actor.regions) if who.actor.role == "rps" else [],
            case_types=CASE_TYPES,
            page_sizes=PAGE_SIZES,
            formats=FORMATS,
        )

    def case_page(request: Request, who: Viewer, number: str, **extra: Any) -> Response:
        case = call("case", who.actor, number)
        label = case_labeller(hub, case)
        flat = flatten(case["record"])
        return page(request, "review/case.html", case=case, flat=flat, label=label, **extra)

    @api.get("/cases/{number}")
    def case(request: Request, number: str, who: Viewer = Depends(anyone)) -> Response:
        return case_page(request, who, number, notice="")

    def edit_page(
        request: Request,
        who: Viewer,
        number: str,
        fields: list[tuple[str, str]],
        errors: list[dict[str, Any]],
        status: int = 200,
    ) -> Response:
        case = call("case", who.actor, number)
        by_field: dict[str, list[str]] = {}
        for e in errors:
            by_field.setdefault(str(e.get("field") or ""), []).append(
                f"{e.get('code', '')} {e.get('message', '')}".strip()
            )
        known = {path for path, _ in fields}
        label = case_labeller(hub, case)
        loose = [
            f"{label(f)}: {m}" if f else m
            for f, ms in by_field.items()
            if f not in known
            for m in ms
        ]
        return page(
            request,
            "review/edit.html",
            status,
            case=case,
            fields=fields,
            by_field=by_field,
            loose=loose,
            label=label,
        )

    @api.get("/cases/{number}/edit")
    def edit_form(request: Request, number: str, who: Viewer = Depends(anyone)) -> Response:
        case = call("case", who.actor, number)
        return edit_page(request, who, number, flatten(case["record"]), [])

    @api.post("/cases/{number}/edit")
    async def edit(request: Request, number: str, who: Viewer = Depends(anyone)) -> Response:
        form = await request.form()
        paths = [str(v) for v in form.getlist("path")]
        values = [str(v) for v in form.getlist("value")]
        # The empty "add a field" row is no field of the case.
        pairs = [(p, v) for p, v in zip(paths, values, strict=False) if p.strip()]
        return await _run(_edit, request, who, number, pairs)

    def _edit(request: Request, who: Viewer, number: str, pairs: list[tuple[str, str]]) -> Response:
        case = call("case", who.actor, number)
        try:
            record = unflatten(pairs, case["record"])
        except PathError as exc:
            error = {"code": "form", "field": "", "message": str(exc)}
            return edit_page(request, who, number, pairs, [error], 400)
        outcome = call("edit_case", who.actor, number, record)
        if outcome["errors"]:
            return edit_page(request, who, number, pairs, list(outcome["errors"]), 400)
        return RedirectResponse(f"/portal/cases/{number}", 303)

    @api.post("/cases/{number}/permission")
    def permission(
        request: Request,
        number: str,
        granted_by: str = Form(""),
        note: str = Form(""),
        who: Viewer = Depends(reviewers),
    ) -> Response:
        if not granted_by.strip():
            raise HTTPException(400, "granted_by: name who at the investigating agency granted it")
        call("record_permission", who.actor, number, granted_by.strip(), note.strip() or None)
        return RedirectResponse(f"/portal/cases/{number}", 303)

    def confirmation(
        request: Request, who: Viewer, number: str, action: str, note: str = ""
    ) -> Response:
        """The step between the button and the change: the case, what will happen, and a form
        that posts the same again with ``confirmed=yes``. A page of its own, so that it needs
        no script (the Content Security Policy allows none inline) and works without any."""
        case = call("case", who.actor, number)
        if not case["actions"][action]:  # refused before the question, as the change would be
            state = case["review_state"]
            if state != "pending":
                raise HTTPException(
                    409, f"case {number} is {state}: only a pending case is {action}ed"
                )
            if action == "publish" and case["permission"] is None:
                raise HTTPException(
                    409,
                    f"case {number} has no recorded permission to publish "
                    "from the investigating agency: record it first",
                )
            raise HTTPException(403, f"you may not {action} case {number}")
        return page(request, "review/confirm.html", case=case, action=action, note=note)

    @api.post("/cases/{number}/publish")
    def publish(
        request: Request,
        number: str,
        confirmed: str = Form(""),
        who: Viewer = Depends(reviewers),
    ) -> Response:
        if confirmed != "yes":
            return confirmation(request, who, number, "publish")
        call("publish", who.actor, number)
        return RedirectResponse(f"/portal/cases/{number}", 303)

    @api.post("/cases/{number}/return")
    def return_case(
        request: Request,
        number: str,
        note: str = Form(""),
        confirmed: str = Form(""),
        who: Viewer = Depends(reviewers),
    ) -> Response:
        if not note.strip():
            raise HTTPException(400, "note: say what the entering party should change")
        if confirmed != "yes":
            return confirmation(request, who, number, "return", note.strip())
        call("return_case", who.actor, number, note.strip())
        return RedirectResponse(f"/portal/cases/{number}", 303)

    @api.post("/cases/{number}/resubmit")
    def resubmit(
        request: Request, number: str, note: str = Form(""), who: Viewer = Depends(anyone)
    ) -> Response:
        call("resubmit", who.actor, number, note.strip() or None)
        return RedirectResponse(f"/portal/cases/{number}", 303)

    @api.post("/cases/{number}/contributors")
    def contributor(
        request: Request, number: str, ori: str = Form(""), who: Viewer = Depends(anyone)
    ) -> Response:
        call("add_contributor", who.actor, number, ori.strip().upper())
        return RedirectResponse(f"/portal/cases/{number}", 303)

    @api.post("/cancellations/{request_id}")
    def decide(
        request: Request,
        request_id: Id,
        decision: str = Form(""),
        note: str = Form(""),
        who: Viewer = Depends(reviewers),
    ) -> Response:
        if decision not in ("approve", "reject"):
            raise HTTPException(400, "decision must be approve or reject")
        if not note.strip():
            raise HTTPException(400, "note: the client reads it with the outcome")
        outcome = call(
            "decide_cancellation", who.actor, request_id, decision == "approve", note.strip()
        )
        if is_htmx(request):
            return page(request, "review/_cancellation_row.html", r=outcome)
        return RedirectResponse("/portal/review?kind=cancellations", 303)

    return api


async def _run(fn: Callable[..., Response], *args: Any) -> Response:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _search(
    who: Viewer,
    region: str,
    ori: str,
    case_type: str,
    received_from: str,
    received_to: str,
    q: str,
) -> QueueFilter:
    """The queue's search from the page's query, or 400 naming the parameter. A region is
    the RPS's to choose among its own (another is refused by the service: 403)."""
    for name, value in (("region", region), ("ori", ori), ("q", q)):
        if len(value) > MAX_TEXT:
            raise HTTPException(400, f"{name}: at most {MAX_TEXT} characters")
    ori = ori.strip().upper()
    if ori and not ori.isalnum():
        raise HTTPException(400, f"ori: {ori!r} is not an ORI (letters and digits)")
    if case_type and case_type not in CASE_TYPES:
        raise HTTPException(400, f"case_type must be one of {', '.join(CASE_TYPES)}")
    return QueueFilter(
        ori=ori or None,
        case_type=case_type or None,
        # a client's queue is its agency's, in whichever region
        region=(region.strip() or None) if who.actor.role != "client" else None,
        received_from=query_day(received_from, "received_from"),
        received_to=query_day(received_to, "received_to"),
        text=q.strip() or None,
    )
