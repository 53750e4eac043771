"""What an administrator watches (issue 19): the agencies and the doors each has open, the
batch files in process on every node (both lists ``operation_lists.py``'s), the mail outbox
(send again, give up) and the audit log; every list searched, paged and exported.

Reads are read-only transactions; the outbox's two actions go through ``notify/mail.py`` and are
audited like every other change an administrator makes.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from jdx.channels.downloads import list_download
from jdx.channels.http.common import Id
from jdx.channels.web import operation_lists as lists
from jdx.channels.web.auth import Dependency, Viewer
from jdx.channels.web.render import PAGE_SIZES, check_window, page, query_day
from jdx.codecs.list_file import FORMATS
from jdx.hub import Hub
from jdx.notify import mail
from jdx.security.keys import REALMS
from jdx.store import audit_search
from jdx.store.engine import read_only, write_transaction
from jdx.store.queries import audit, now

AUDIT_PAGE = 50
OUTBOX_PAGE = PAGE_SIZES[1]


def router(hub: Hub, role: Callable[..., Dependency]) -> APIRouter:
    api = APIRouter(prefix="/portal/admin")
    admin = role("admin")

    @api.get("/agencies")
    def agency_doors(
        request: Request,
        who: Viewer = Depends(admin),
        text: str = "",
        standing: str = "",
        limit: int = PAGE_SIZES[0],
        offset: int = 0,
        format: str | None = None,
    ) -> Response:
        where = lists.agency_search(text, standing)
        if format is not None:
            with hub.engine.connect() as conn:
                rows = lists.iter_agencies(read_only(conn), where)
                return list_download(format, lists.AGENCY_COLUMNS, rows, "agencies")
        check_window(limit, offset)
        with hub.engine.connect() as conn:
            found = lists.agencies_page(read_only(conn), where, limit=limit, offset=offset)
        query = {k: v for k, v in {"text": where.text, "standing": standing}.items() if v}
        return page(
            request,
            "admin/agencies.html",
            agencies=found,
            query=query,
            standings=lists.STANDINGS,
            page_sizes=PAGE_SIZES,
            formats=FORMATS,
        )

    @api.get("/files")
    def files_in_process(
        request: Request,
        who: Viewer = Depends(admin),
        ori: str = "",
        realm: str = "",
        limit: int = PAGE_SIZES[0],
        offset: int = 0,
        format: str | None = None,
    ) -> Response:
        if realm and realm not in REALMS:
            raise HTTPException(400, f"realm must be one of {', '.join(REALMS)}")
        where = lists.InProcessSearch(ori=ori.strip().upper() or None, realm=realm or None)
        if format is not None:
            with hub.engine.connect() as conn:
                rows = lists.iter_in_process(read_only(conn), where)
                return list_download(format, lists.IN_PROCESS_COLUMNS, rows, "files_in_process")
        check_window(limit, offset)
        with hub.engine.connect() as conn:
            found = lists.in_process_page(read_only(conn), where, limit=limit, offset=offset)
        query = {k: v for k, v in {"ori": where.ori, "realm": realm}.items() if v}
        return page(
            request,
            "admin/files.html",
            files=found,
            query=query,
            realms=REALMS,
            page_sizes=PAGE_SIZES,
            formats=FORMATS,
        )

    @api.get("/outbox")
    def outbox(
        request: Request,
        who: Viewer = Depends(admin),
        done: str = "",
        limit: int = OUTBOX_PAGE,
        offset: int = 0,
        format: str | None = None,
    ) -> Response:
        # the mail not sent yet, as the page shows it; never a body
        max_attempts = hub.settings.mail_max_attempts
        if format is not None:
            with hub.engine.connect() as conn:
                rows = mail.iter_outbox(read_only(conn), pending=True, max_attempts=max_attempts)
                return list_download(format, mail.OUTBOX_COLUMNS, rows, "outbox")
        check_window(limit, offset)
        with hub.engine.connect() as conn:
            found = mail.outbox_page(
                read_only(conn), pending=True, max_attempts=max_attempts, limit=limit, offset=offset
            )
        return page(request, "admin/outbox.html", mails=found, done=done, formats=FORMATS)

    @api.post("/outbox/{mail_id}/{action}")
    def outbox_action(
        request: Request, mail_id: Id, action: str, who: Viewer = Depends(admin)
    ) -> Response:
        if action not in ("retry", "give-up"):
            raise HTTPException(404, f"no action {action!r}")
        with write_transaction(hub.engine) as conn:
            if action == "retry":
                changed = mail.retry(conn, [mail_id], now())
            else:
                changed = mail.give_up(conn, [mail_id], hub.settings.mail_max_attempts)
            audit(
                conn,
                exchange="portal",
                actor=who.user.username,
                channel="portal",
                action=f"mail {action}",
                subject=str(mail_id),
                outcome="accepted" if changed else "nothing to change",
            )
        if not changed:
            raise HTTPException(409, f"mail {mail_id} is sent, being sent, or not in the outbox")
        return RedirectResponse(f"/portal/admin/outbox?done={action}", 303)

    @api.get("/audit")
    def audit_log(
        request: Request,
        who: Viewer = Depends(admin),
        ori: str = "",
        actor: str = "",
        exchange: str = "",
        action: str = "",
        outcome: str = "",
        subject: str = "",
        day_from: str = "",
        day_to: str = "",
        offset: int = 0,
        format: str | None = None,
    ) -> Response:
        where = audit_search.AuditFilter(
            ori=ori or None,
            actor=actor or None,
            exchange=exchange or None,
            action=action or None,
            outcome=outcome or None,
            subject=subject or None,
            day_from=query_day(day_from, "day_from"),
            day_to=query_day(day_to, "day_to"),
        )
        if format is not None:
            return _export(where, format)
        if offset < 0:
            raise HTTPException(400, "offset is 0 or more")
        with hub.engine.connect() as conn:
            found = audit_search.search(read_only(conn), where, limit=AUDIT_PAGE, offset=offset)
        query = {
            k: v
            for k, v in {
                "ori": ori,
                "actor": actor,
                "exchange": exchange,
                "action": action,
                "outcome": outcome,
                "subject": subject,
                "day_from": day_from,
                "day_to": day_to,
            }.items()
            if v
        }
        return page(request, "admin/audit.html", entries=found, query=query, formats=FORMATS)

    def _export(where: audit_search.AuditFilter, fmt: str) -> Response:
        with hub.engine.connect() as conn:
            rows = audit_search.iter_entries(read_only(conn), where)
            return list_download(fmt, audit_search.COLUMNS, rows, "audit")

    return api
