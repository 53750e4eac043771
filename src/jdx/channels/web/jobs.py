"""A client's jobs and their results, and the job file upload (the bulk upload of the seed).

A client sees the jobs of its own agency only (another agency's job is a 404, as over the API);
an administrator sees every agency's. An upload is read by the exchange's ``upload.read_job``
(JSON, XML, XLSX, CSV) and submitted through ``CaseImport.submit_job`` like an API job, with the
same limits, so the portal is no way around them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jdx.channels.downloads import list_download
from jdx.channels.http.common import Id
from jdx.channels.web.auth import Dependency, Viewer
from jdx.channels.web.labels import job_labeller
from jdx.channels.web.render import PAGE_SIZES, check_window, page, query_day
from jdx.codecs.list_file import FORMATS
from jdx.exchanges.cases import accounts, results
from jdx.exchanges.cases import workflow as case_jobs
from jdx.exchanges.cases.jobs import CaseImport, JobRefused
from jdx.exchanges.cases.upload import read_job
from jdx.hub import Hub
from jdx.security.keys import REALMS, Principal
from jdx.store.engine import read_only
from jdx.store.tables import agencies


def router(hub: Hub, role: Callable[..., Dependency]) -> APIRouter:
    api = APIRouter(prefix="/portal/jobs")
    service = hub.service(CaseImport)
    readers = role("client", "admin")
    uploaders = role("client")

    def scope(who: Viewer) -> int | None:
        return None if who.actor.role == "admin" else who.actor.agency_id

    @api.get("")
    def jobs(
        request: Request,
        who: Viewer = Depends(readers),
        ori: str = "",
        realm: str = "",
        state: str = "",
        received_from: str = "",
        received_to: str = "",
        limit: int = PAGE_SIZES[0],
        offset: int = 0,
        format: str | None = None,
    ) -> Response:
        if realm and realm not in REALMS:
            raise HTTPException(400, f"realm must be one of {', '.join(REALMS)}")
        if state and state not in results.JOB_STATES:
            raise HTTPException(400, f"state must be one of {', '.join(results.JOB_STATES)}")
        where = results.JobFilter(
            # a client's list is its own agency's whatever it names
            ori=(ori or None) if who.actor.role == "admin" else None,
            realm=realm or None,
            state=state or None,
            received_from=query_day(received_from, "received_from"),
            received_to=query_day(received_to, "received_to"),
        )
        if format is not None:
            with hub.engine.connect() as conn:
                rows = results.iter_agency_jobs(read_only(conn), scope(who), where)
                return list_download(format, results.JOB_COLUMNS, rows, "jobs")
        check_window(limit, offset)
        with hub.engine.connect() as conn:
            found = results.agency_jobs(
                read_only(conn), scope(who), where, limit=limit, offset=offset
            )
        query = {
            k: v
            for k, v in {
                "ori": where.ori or "",
                "realm": realm,
                "state": state,
                "received_from": received_from,
                "received_to": received_to,
            }.items()
            if v
        }
        return page(
            request,
            "jobs/list.html",
            jobs=found,
            query=query,
            formats=FORMATS,
            realms=REALMS,
            states=results.JOB_STATES,
            page_sizes=PAGE_SIZES,
        )

    @api.get("/upload")
    def upload_form(request: Request, who: Viewer = Depends(uploaders)) -> Response:
        return page(request, "jobs/upload.html", error="", realms=REALMS)

    @api.post("/upload")
    async def upload(
        request: Request,
        file: UploadFile = File(...),
        realm: str = Form("prod"),
        who: Viewer = Depends(uploaders),
    ) -> Response:
        principal = await run_in_threadpool(_principal, who, realm)
        limits = await run_in_threadpool(service.limits, principal.agency_id)
        data = await file.read(limits.max_job_bytes + 1)
        try:
            job_id = await run_in_threadpool(
                _submit, principal, file.filename or "upload", data, limits.max_job_bytes
            )
        except (JobRefused, ValueError) as exc:
            status = exc.status if isinstance(exc, JobRefused) else 400
            return page(request, "jobs/upload.html", status, error=str(exc), realms=REALMS)
        return RedirectResponse(f"/portal/jobs/{job_id}", 303)

    def _principal(who: Viewer, realm: str) -> Principal:
        if realm not in REALMS:
            raise HTTPException(400, f"realm must be one of {', '.join(REALMS)}")
        assert who.actor.agency_id is not None
        with hub.engine.connect() as c:
            conn = read_only(c)
            agency = conn.execute(
                sa.select(agencies).where(agencies.c.id == who.actor.agency_id)
            ).one()
            account = accounts.get_account(conn, agency.id)
        if not agency.active or account is None or not account.can_import:
            raise HTTPException(
                403, f"{agency.ori} is not an active account with import permission"
            )
        return Principal(agency.id, agency.ori, agency.name, realm, agency.active)

    def _submit(principal: Principal, filename: str, data: bytes, max_bytes: int) -> int:
        if len(data) > max_bytes:
            raise JobRefused(413, f"the job is larger than {max_bytes:,} bytes")
        items, fmt = read_job(data, filename=filename)
        accepted = service.submit_job(
            principal,
            items,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            fmt=fmt,
            idempotency_key=None,
            channel="portal",
        )
        if not accepted.replayed:
            case_jobs.enqueue(hub, accepted.job_id)
        return accepted.job_id

    @api.get("/{job_id}")
    def job(request: Request, job_id: Id, who: Viewer = Depends(readers)) -> Response:
        found: dict[str, Any] | None = results.agency_job(hub.engine, scope(who), job_id)
        if found is None:
            raise HTTPException(404, f"no job {job_id}")
        template = "jobs/_job.html" if request.headers.get("hx-request") else "jobs/job.html"
        return page(request, template, job=found, label=job_labeller(hub))

    return api
