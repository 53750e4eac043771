"""What an administrator watches (issue 19): the agencies and the doors each has open, the
batch files in process on every node, the mail outbox (send again, give up) and the audit log
(searched, paged, exported).

Reads are read-only transactions; the outbox's two actions go through ``notify/mail.py`` and are
audited like every other change an administrator makes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from jdx.channels.downloads import list_download
from jdx.channels.http.common import Id
from jdx.channels.web.auth import Dependency, Viewer
from jdx.channels.web.render import PAGE_SIZES, check_window, page, query_day
from jdx.codecs.list_file import FORMATS
from jdx.exchanges.cases.tables import client_certificates, import_accounts
from jdx.exchanges.stops.file_status import stored_so_far
from jdx.exchanges.stops.tables import stop_files
from jdx.hub import Hub
from jdx.notify import mail
from jdx.store import audit_search
from jdx.store.engine import read_only, write_transaction
from jdx.store.queries import audit, now
from jdx.store.tables import agencies, api_keys, sftp_accounts, sftp_keys

AUDIT_PAGE = 50
OUTBOX_PAGE = PAGE_SIZES[1]
UNFINISHED = ("received", "processing")


def router(hub: Hub, role: Callable[..., Dependency]) -> APIRouter:
    api = APIRouter(prefix="/portal/admin")
    admin = role("admin")

    @api.get("/agencies")
    def agency_doors(request: Request, who: Viewer = Depends(admin)) -> Response:
        with hub.engine.connect() as conn:
            rows = _agencies_with_doors(read_only(conn))
        return page(request, "admin/agencies.html", agencies=rows)

    @api.get("/files")
    def files_in_process(request: Request, who: Viewer = Depends(admin)) -> Response:
        with hub.engine.connect() as c:
            conn = read_only(c)
            rows = conn.execute(
                sa.select(stop_files, agencies.c.name)
                .join(agencies, agencies.c.id == stop_files.c.agency_id)
                .where(stop_files.c.state.in_(UNFINISHED))
                .order_by(stop_files.c.received_at, stop_files.c.id)
            ).all()
            files = [{**r._mapping, "stored": stored_so_far(conn, r.id)} for r in rows]
        return page(request, "admin/files.html", files=files, at=now())

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


def _agencies_with_doors(conn: sa.Connection) -> list[dict[str, Any]]:
    """Each agency with the doors it has: API keys by realm, SFTP (password, keys), NamUs
    import (permission, certificates)."""

    def counted(table: sa.Table, *where: sa.ColumnElement[bool]) -> dict[int, int]:
        query = sa.select(table.c.agency_id, sa.func.count().label("n")).group_by(table.c.agency_id)
        return {row.agency_id: int(row.n) for row in conn.execute(query.where(*where))}

    prod_keys = counted(api_keys, api_keys.c.realm == "prod", api_keys.c.revoked_at.is_(None))
    test_keys = counted(api_keys, api_keys.c.realm == "test", api_keys.c.revoked_at.is_(None))
    sftp_key_counts = counted(sftp_keys)
    certificates = counted(client_certificates)
    sftp = {r.agency_id: r for r in conn.execute(sa.select(sftp_accounts))}
    imports = {r.agency_id: r for r in conn.execute(sa.select(import_accounts))}
    listed = []
    for a in conn.execute(sa.select(agencies).order_by(agencies.c.ori)):
        account, importer = sftp.get(a.id), imports.get(a.id)
        listed.append(
            {
                "ori": a.ori,
                "name": a.name,
                "active": a.active,
                "notify": a.notify,
                "prod_keys": prod_keys.get(a.id, 0),
                "test_keys": test_keys.get(a.id, 0),
                "sftp": bool(account and account.enabled),
                "sftp_password": bool(account and account.password_hash),
                "sftp_keys": sftp_key_counts.get(a.id, 0),
                "namus_import": bool(importer and importer.can_import),
                "certificates": certificates.get(a.id, 0),
            }
        )
    return listed
