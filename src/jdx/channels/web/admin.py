"""Administration (administrators only): users and their roles, agencies and regions; import
accounts, sponsors and client limits; the state-to-region table.

Each change goes through the store's own functions (``security/users.py``,
``exchanges/cases/accounts.py``, ``exchanges/cases/regions.py``), which check what they are
given; their refusal is shown on the page. Suspending a user ends the user's sessions at once;
suspending an agency closes every door of it at the next request (``security/standing.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from jdx.channels.downloads import list_download
from jdx.channels.http.common import SmallId
from jdx.channels.web import operation_lists as lists
from jdx.channels.web.auth import Dependency, Viewer
from jdx.channels.web.render import PAGE_SIZES, check_window, page
from jdx.codecs.list_file import FORMATS
from jdx.exchanges.cases import accounts
from jdx.exchanges.cases import regions as region_tables
from jdx.exchanges.cases.tables import client_limits
from jdx.hub import Hub
from jdx.security import credentials, standing, users
from jdx.store.engine import read_only, write_transaction
from jdx.store.queries import StoreError, audit, get_agency, now
from jdx.store.tables import agencies


def _regions(text: str) -> list[str]:
    return [r.strip() for r in text.replace(";", ",").split(",") if r.strip()]


# The limits' columns are INTEGER: 32 bits on PostgreSQL (a larger number is a database error).
MAX_LIMIT_VALUE = 2**31 - 1
REGION_COLUMNS = ("state", "region")
SELF_SUSPENSION = "You cannot suspend your own account: another administrator can."


def _positive(text: str, name: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", "").strip())
    except ValueError:
        raise StoreError(f"{name} must be a whole number; got {text!r}") from None
    if not 1 <= value <= MAX_LIMIT_VALUE:
        raise StoreError(f"{name} must be from 1 to {MAX_LIMIT_VALUE:,}; got {value}")
    return value


def _require_agency(conn: sa.Connection, agency_id: int) -> None:
    """404 for an agency id that names no agency: an account or limits row needs its agency
    (otherwise the insert fails on the foreign key, a server error)."""
    found = conn.execute(sa.select(agencies.c.id).where(agencies.c.id == agency_id)).first()
    if found is None:
        raise HTTPException(404, f"no agency {agency_id}")


def router(hub: Hub, role: Callable[..., Dependency]) -> APIRouter:
    api = APIRouter(prefix="/portal/admin")
    admin = role("admin")

    def change(who: Viewer, action: str, subject: str, work: Callable[[sa.Connection], Any]) -> str:
        """Run one change in a transaction with its audit entry; its refusal as a message."""
        try:
            with write_transaction(hub.engine) as conn:
                work(conn)
                audit(
                    conn,
                    exchange="portal",
                    actor=who.user.username,
                    channel="portal",
                    action=action,
                    subject=subject[:100],
                    outcome="accepted",
                )
        except StoreError as exc:
            return str(exc)
        return ""

    _user_routes(api, hub, admin, change)
    _account_routes(api, hub, admin, change)
    _region_routes(api, hub, admin, change)
    return api


Change = Callable[[Viewer, str, str, Callable[[sa.Connection], Any]], str]


def _user_routes(api: APIRouter, hub: Hub, admin: Dependency, change: Change) -> None:
    def users_page(
        request: Request,
        error: str = "",
        status: int = 200,
        where: users.UserSearch = users.UserSearch(),
        limit: int = PAGE_SIZES[0],
        offset: int = 0,
    ) -> Response:
        with hub.engine.connect() as c:
            found = users.search_users(read_only(c), where, limit=limit, offset=offset)
        query = {
            k: v
            for k, v in {
                "name": where.name,
                "role": where.role,
                "agency": where.agency_ori,
            }.items()
            if v
        }
        return page(
            request,
            "admin/users.html",
            400 if error else status,
            users=found,
            error=error,
            query=query,
            roles=users.ROLES,
            formats=FORMATS,
            page_sizes=PAGE_SIZES,
        )

    @api.get("/users")
    def user_list(
        request: Request,
        who: Viewer = Depends(admin),
        name: str = "",
        role: str = "",
        agency: str = "",
        limit: int = PAGE_SIZES[0],
        offset: int = 0,
        format: str | None = None,
    ) -> Response:
        if role and role not in users.ROLES:
            raise HTTPException(400, f"role must be one of {', '.join(users.ROLES)}")
        where = users.UserSearch(
            name=name.strip() or None,
            role=role or None,
            agency_ori=agency.strip().upper() or None,
        )
        if format is not None:
            with hub.engine.connect() as c:
                rows = users.user_rows(read_only(c), where)
            return list_download(format, users.USER_COLUMNS, rows, "users")
        check_window(limit, offset)
        return users_page(request, where=where, limit=limit, offset=offset)

    @api.post("/users")
    def add_user(
        request: Request,
        username: str = Form(""),
        display_name: str = Form(""),
        email: str = Form(""),
        user_role: str = Form("client"),
        agency: str = Form(""),
        regions: str = Form(""),
        who: Viewer = Depends(admin),
    ) -> Response:
        def work(conn: sa.Connection) -> None:
            agency_id = None
            if agency.strip():
                found = get_agency(conn, agency.strip().upper())
                if found is None:
                    raise StoreError(f"no agency {agency.strip().upper()}")
                agency_id = found.id
            users.add_user(
                conn,
                username,
                role=user_role,
                email=email,
                display_name=display_name,
                agency_id=agency_id,
                regions=_regions(regions),
            )

        error = change(who, "user-add", username, work)
        return users_page(request, error) if error else RedirectResponse(request.url.path, 303)

    @api.post("/users/{user_id}")
    def change_user(
        request: Request,
        user_id: SmallId,
        action: str = Form(""),
        regions: str = Form(""),
        who: Viewer = Depends(admin),
    ) -> Response:
        if action == "suspend" and user_id == who.user.id:
            # Nobody would be left to reinstate a hub's only administrator: another one does it.
            raise HTTPException(403, SELF_SUSPENSION)

        def work(conn: sa.Connection) -> None:
            if action == "regions":
                users.set_regions(conn, user_id, _regions(regions))
            elif action in ("suspend", "activate"):
                users.set_active(conn, user_id, action == "activate")
                if action == "suspend":
                    credentials.end_user_sessions(conn, user_id)
            else:
                raise StoreError(f"unknown action {action!r}")

        error = change(who, f"user-{action}"[:30], str(user_id), work)
        return users_page(request, error) if error else RedirectResponse("/portal/admin/users", 303)


def _account_routes(api: APIRouter, hub: Hub, admin: Dependency, change: Change) -> None:
    def accounts_page(
        request: Request,
        error: str = "",
        where: lists.AgencySearch = lists.AgencySearch(),
        limit: int = PAGE_SIZES[0],
        offset: int = 0,
    ) -> Response:
        with hub.engine.connect() as c:
            found = lists.accounts_page(read_only(c), where, limit=limit, offset=offset)
        s = hub.settings
        defaults = (s.namus_max_cases_per_job, s.namus_max_job_bytes, s.namus_max_jobs_per_day)
        query = {k: v for k, v in {"text": where.text, "standing": where.standing}.items() if v}
        return page(
            request,
            "admin/accounts.html",
            400 if error else 200,
            rows=found,
            defaults=defaults,
            error=error,
            query=query,
            standings=lists.STANDINGS,
            page_sizes=PAGE_SIZES,
            formats=FORMATS,
        )

    def back_to(request: Request, agency_id: int, error: str) -> Response:
        """After a change, the page searched for the agency changed (its row on the first
        page whatever the list's length); the refusal shown there."""
        with hub.engine.connect() as c:
            ori = c.execute(sa.select(agencies.c.ori).where(agencies.c.id == agency_id)).scalar()
        where = lists.AgencySearch(text=ori)
        if error:
            return accounts_page(request, error, where=where)
        return RedirectResponse(f"/portal/admin/accounts?{urlencode({'text': ori or ''})}", 303)

    @api.get("/accounts")
    def account_list(
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
            with hub.engine.connect() as c:
                rows = lists.iter_accounts(read_only(c), where)
                return list_download(format, lists.ACCOUNT_COLUMNS, rows, "accounts")
        check_window(limit, offset)
        return accounts_page(request, where=where, limit=limit, offset=offset)

    @api.post("/accounts/{agency_id}")
    def change_account(
        request: Request,
        agency_id: SmallId,
        sponsor: str = Form(""),
        can_import: str = Form(""),
        who: Viewer = Depends(admin),
    ) -> Response:
        def work(conn: sa.Connection) -> None:
            _require_agency(conn, agency_id)
            try:
                accounts.set_account(
                    conn,
                    agency_id,
                    sponsor=sponsor.strip()[:200] or None,
                    can_import=can_import == "on",
                )
            except ValueError as exc:
                raise StoreError(str(exc)) from None

        error = change(who, "account", str(agency_id), work)
        return back_to(request, agency_id, error)

    @api.post("/accounts/{agency_id}/standing")
    def change_standing(
        request: Request,
        agency_id: int,
        action: str = Form(""),
        who: Viewer = Depends(admin),
    ) -> Response:
        """Suspend or reinstate an agency: every door of it closes (opens) at the next request
        (``security/standing.py``); audited there."""

        def work(conn: sa.Connection) -> None:
            if action not in ("suspend", "activate"):
                raise StoreError(f"unknown action {action!r}")
            ori = conn.execute(sa.select(agencies.c.ori).where(agencies.c.id == agency_id)).scalar()
            if ori is None:
                raise StoreError(f"no agency with id {agency_id}")
            standing.set_standing(
                conn, ori, action == "activate", actor=who.user.username, channel="portal"
            )

        error = change(who, f"agency-{action}"[:30], str(agency_id), work)
        return back_to(request, agency_id, error)

    @api.post("/limits/{agency_id}")
    def change_limits(
        request: Request,
        agency_id: SmallId,
        max_cases_per_job: str = Form(""),
        max_job_bytes: str = Form(""),
        max_jobs_per_day: str = Form(""),
        who: Viewer = Depends(admin),
    ) -> Response:
        def work(conn: sa.Connection) -> None:
            _require_agency(conn, agency_id)
            cases_per_job = _positive(max_cases_per_job, "cases per job")
            if cases_per_job > 100:
                raise StoreError("a job holds at most 100 cases (the seed's limit)")
            values = {
                "max_cases_per_job": cases_per_job,
                "max_job_bytes": _positive(max_job_bytes, "bytes per job"),
                "max_jobs_per_day": _positive(max_jobs_per_day, "jobs per 24 hours"),
                "updated_at": now(),
            }
            updated = conn.execute(
                client_limits.update()
                .where(client_limits.c.agency_id == agency_id)
                .values(**values)
            ).rowcount
            if not updated:
                conn.execute(client_limits.insert().values(agency_id=agency_id, **values))

        error = change(who, "limits", str(agency_id), work)
        return back_to(request, agency_id, error)


def _region_routes(api: APIRouter, hub: Hub, admin: Dependency, change: Change) -> None:
    def default_regions() -> Any:
        return region_tables.load_regions(hub.settings.namus_regions_file)

    def regions_page(request: Request, error: str = "") -> Response:
        with hub.engine.connect() as c:
            conn = read_only(c)
            table = region_tables.region_table(conn, default_regions())
            is_default = region_tables.table_is_default(conn)
        by_region: dict[str, list[str]] = {}
        for state, region in sorted(table.items()):
            by_region.setdefault(region, []).append(state)
        return page(
            request,
            "admin/regions.html",
            400 if error else 200,
            by_region=sorted(by_region.items()),
            is_default=is_default,
            error=error,
            formats=FORMATS,
        )

    @api.get("/regions")
    def region_list(
        request: Request, who: Viewer = Depends(admin), format: str | None = None
    ) -> Response:
        """The table of the states (some sixty rows: one page, no search); ``format``: as a
        file, a row a state."""
        if format is not None:
            with hub.engine.connect() as c:
                table = region_tables.region_table(read_only(c), default_regions())
            rows = [{"state": st, "region": rg} for st, rg in sorted(table.items())]
            return list_download(format, REGION_COLUMNS, rows, "regions")
        return regions_page(request)

    @api.post("/regions")
    def set_region(
        request: Request,
        state: str = Form(""),
        region: str = Form(""),
        who: Viewer = Depends(admin),
    ) -> Response:
        error = change(
            who,
            "region",
            f"{state} {region}",
            lambda conn: region_tables.set_region(conn, state, region, default_regions()),
        )
        return (
            regions_page(request, error)
            if error
            else RedirectResponse("/portal/admin/regions", 303)
        )
