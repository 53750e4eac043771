"""An agency's batch files in the portal: the list (searched, paged, exported); each file's progress while it is processed (updated
live), its counts and its answers to download.

The list is ``exchanges/stops/listing.py``'s, as ``GET /sdcs/v1/files`` answers it; the answers
are those ``exchanges/stops/file_status.result_files`` finds in the agency's OUTPUT folder (the
file store's, so any node serves them). A client sees its own agency's files only.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from jdx.channels.downloads import attachment, list_download
from jdx.channels.http.common import Id
from jdx.channels.web.auth import Dependency, Viewer
from jdx.channels.web.render import PAGE_SIZES, check_window, page
from jdx.codecs.list_file import FORMATS
from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.file_status import result_files, stored_so_far
from jdx.exchanges.stops.listing import (
    FILE_COLUMNS,
    FILE_STATES,
    FileFilter,
    iter_files,
    list_files,
)
from jdx.exchanges.stops.tables import stop_files
from jdx.hub import Hub
from jdx.security.keys import REALMS
from jdx.store.engine import read_only

FINISHED = ("done", "failed")


def router(hub: Hub, role: Callable[..., Dependency]) -> APIRouter:
    api = APIRouter(prefix="/portal/files")
    clients = role("client")
    folders = workflow.folders_of(hub)

    @api.get("")
    def listing(
        request: Request,
        who: Viewer = Depends(clients),
        realm: str = "prod",
        state: str | None = None,
        name: str | None = None,
        limit: int = PAGE_SIZES[0],
        offset: int = 0,
        format: str | None = None,
    ) -> Response:
        if realm not in REALMS or (state and state not in FILE_STATES):
            raise HTTPException(400, f"realm is one of {REALMS}; state one of {FILE_STATES}")
        assert who.actor.agency_id is not None
        agency_id = who.actor.agency_id  # the client's own agency's files, whatever it asks
        where = FileFilter(state=state or None, name=name or None)
        if format is not None:
            with hub.engine.connect() as conn:
                rows = iter_files(read_only(conn), agency_id, realm, where)
                return list_download(
                    format, FILE_COLUMNS, rows, f"files_{who.user.agency_ori}_{realm}"
                )
        check_window(limit, offset)
        with hub.engine.connect() as conn:
            found = list_files(read_only(conn), agency_id, realm, where, limit=limit, offset=offset)
        query = {k: v for k, v in {"realm": realm, "state": state, "name": name}.items() if v}
        return page(
            request,
            "files/list.html",
            files=found,
            query=query,
            states=FILE_STATES,
            realms=REALMS,
            page_sizes=PAGE_SIZES,
            formats=FORMATS,
        )

    def _own(who: Viewer, file_id: int) -> tuple[Any, int | None]:
        with hub.engine.connect() as c:
            conn = read_only(c)
            row = conn.execute(
                sa.select(stop_files).where(
                    stop_files.c.id == file_id, stop_files.c.agency_id == who.actor.agency_id
                )
            ).first()
            if row is None:
                raise HTTPException(404, f"no file {file_id}")
            stored = row.total if row.state in FINISHED else stored_so_far(conn, file_id)
        return row, stored

    def _shown(request: Request, template: str, who: Viewer, file_id: int) -> Response:
        row, stored = _own(who, file_id)
        results = [k.name for k in result_files(folders, row.ori, row.realm, row.file_name)]
        return page(request, template, file=row, stored=stored, results=results, finished=FINISHED)

    @api.get("/{file_id}")
    def one(request: Request, file_id: Id, who: Viewer = Depends(clients)) -> Response:
        return _shown(request, "files/file.html", who, file_id)

    @api.get("/{file_id}/progress")
    def progress(request: Request, file_id: Id, who: Viewer = Depends(clients)) -> Response:
        """The progress fragment htmx asks for every few seconds until the file is done."""
        return _shown(request, "files/_progress.html", who, file_id)

    @api.get("/{file_id}/results/{name}")
    def result(file_id: Id, name: str, who: Viewer = Depends(clients)) -> Response:
        row, _ = _own(who, file_id)
        for key in result_files(folders, row.ori, row.realm, row.file_name):
            if key.name == name:  # only names the hub wrote for this file: no path tricks
                try:
                    content = folders.store.open(key)
                except FileNotFoundError:
                    break
                media = mimetypes.guess_type(name)[0] or "application/octet-stream"
                return attachment(content, name, media)
        raise HTTPException(404, f"no result {name!r} for file {file_id}")

    return api
