"""An agency's stop data in the portal: its stops (filtered, paged, exported), a record's errors
beside its fields, corrections and NFIA through the same service as ``PUT``.

A client sees its own agency's stops only; an administrator picks the agency (``ori``). Every
list is ``exchanges/stops/listing.py``'s, as the API's and ``jdx export``'s; a correction is
``StopService.submit_stop`` with ``Op.UPDATE`` (TX_Type U), so the portal is no way around a
rule: a record stored without errors or closed as NFIA is refused as a ``PUT`` of it would be.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jdx.channels.downloads import list_download
from jdx.channels.http.common import Id
from jdx.channels.web.auth import Dependency, Viewer
from jdx.channels.web.render import PAGE_SIZES, check_window, page, query_day
from jdx.codecs.list_file import FORMATS
from jdx.codecs.paths import PathError, flatten, parse_path
from jdx.dictionary import Dictionary
from jdx.exchanges.stops.listing import (
    STATUSES,
    STOP_COLUMNS,
    StopFilter,
    iter_stops,
    list_stops,
)
from jdx.exchanges.stops.records import STATUS_ERRORS, Op
from jdx.exchanges.stops.service import StopService
from jdx.exchanges.stops.tables import stops
from jdx.hub import Hub
from jdx.security.keys import REALMS, Principal
from jdx.store.engine import read_only
from jdx.store.tables import agencies

# the list's search and page, kept by a record opened from it (the realm and agency apart)
LIST_KEYS = ("status", "date_from", "date_to", "officer", "error_code", "lea", "limit", "offset")
FIELD_PREFIX = "field:"  # a correction form's inputs: field:<path of the record>


@dataclass(frozen=True)
class Field:
    """One value of a record as the page shows it: its path, label, value and errors; a code's
    meaning from the dictionary's code table ("" when the field is not coded or the code is
    not in the table)."""

    path: str
    label: str
    value: str
    errors: list[dict[str, Any]]
    meaning: str = ""


def label_of(dictionary: Dictionary | None, path: str) -> str:
    """The dictionary's label of a record path (``…Person_Stopped[2].Perc.Age`` -> "Person 2:
    Perceived age"); the path itself when the dictionary has no such field."""
    try:
        steps = parse_path(path)
    except PathError:
        return path
    plain = ".".join(s for s in steps if isinstance(s, str))
    spec = dictionary.find(plain) if dictionary is not None else None
    label = spec.label if spec is not None and spec.label else path
    if dictionary is not None and dictionary.person is not None:
        person_list = dictionary.person.path
        if plain.startswith(person_list + ".") or plain == person_list:
            numbers = [s for s in steps if isinstance(s, int)]
            if numbers:
                return f"Person {numbers[0] + 1}: {label}"
    return label


def meaning_of(dictionary: Dictionary, path: str, value: str) -> str:
    """The meaning of the code at ``path`` (a list's item too: ``…ListEthn.Ethn[2]``) in the
    dictionary's code table ("Traffic violation" for ``StReas`` 1); "" for a field without a
    table. Domain tables (ORI, city, school, offense) are code lists without meanings."""
    spec = dictionary.reported(path)
    if spec is not None and spec.type == "list":
        spec = spec.item
    if spec is None or spec.table is None or spec.table not in dictionary.tables:
        return ""
    return dictionary.tables[spec.table].values.get(value, "")


def field_of(
    dictionary: Dictionary, path: str, stored: object, errors: list[dict[str, Any]]
) -> Field:
    value = "" if stored is None else str(stored)
    meaning = meaning_of(dictionary, path, value) if value else ""
    return Field(path, label_of(dictionary, path), value, errors, meaning)


def router(hub: Hub, role: Callable[..., Dependency]) -> APIRouter:
    api = APIRouter(prefix="/portal/stops")
    readers = role("client", "admin")
    service = hub.service(StopService)

    def principal_of(who: Viewer, ori: str | None, realm: str) -> Principal:
        """The agency whose stops the page shows: the client's own; the ``ori`` an
        administrator chose."""
        if realm not in REALMS:
            raise HTTPException(400, f"realm must be one of {', '.join(REALMS)}")
        with hub.engine.connect() as c:
            conn = read_only(c)
            if who.actor.role == "client":
                where = agencies.c.id == who.actor.agency_id
            elif ori:
                where = agencies.c.ori == ori
            else:
                raise HTTPException(400, "choose the agency (ori)")
            agency = conn.execute(sa.select(agencies).where(where)).first()
        if agency is None:
            raise HTTPException(404, f"no agency {ori}")
        if not agency.active:
            raise HTTPException(403, f"agency {agency.ori} is suspended")
        return Principal(agency.id, agency.ori, agency.name, realm, agency.active)

    def agency_choices(who: Viewer) -> list[tuple[str, str]]:
        if who.actor.role != "admin":
            return []
        with hub.engine.connect() as conn:
            rows = conn.execute(sa.select(agencies.c.ori, agencies.c.name).order_by(agencies.c.ori))
            return [(r.ori, r.name) for r in rows]

    @api.get("")
    def listing(
        request: Request,
        who: Viewer = Depends(readers),
        ori: str | None = None,
        realm: str = "prod",
        status: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        officer: str | None = None,
        error_code: str | None = None,
        lea: str | None = None,
        limit: int = PAGE_SIZES[0],
        offset: int = 0,
        format: str | None = None,
    ) -> Response:
        choices = agency_choices(who)
        if who.actor.role == "admin" and not ori:
            return page(request, "stops/list.html", stops=None, choices=choices, query={})
        principal = principal_of(who, ori, realm)
        where = _filter(status, date_from, date_to, officer, error_code, lea)
        if format is not None:
            return _download(principal, where, format)
        check_window(limit, offset)
        with hub.engine.connect() as conn:
            found = list_stops(
                read_only(conn), principal.ori, realm, where, limit=limit, offset=offset
            )
        query = {
            k: v
            for k, v in {
                "ori": ori if who.actor.role == "admin" else None,
                "realm": realm,
                "status": status,
                "date_from": date_from,
                "date_to": date_to,
                "officer": officer,
                "error_code": error_code,
                "lea": lea,
            }.items()
            if v
        }
        return page(
            request,
            "stops/list.html",
            stops=found,
            choices=choices,
            query=query,
            agency=principal,
            statuses=STATUSES,
            realms=REALMS,
            page_sizes=PAGE_SIZES,
            formats=FORMATS,
        )

    def _download(principal: Principal, where: StopFilter, fmt: str) -> Response:
        with hub.engine.connect() as conn:
            rows = iter_stops(read_only(conn), principal.ori, principal.realm, where)
            return list_download(
                fmt, STOP_COLUMNS, rows, f"stops_{principal.ori}_{principal.realm}"
            )

    def _stored(principal: Principal, stop_id: int) -> Any:
        with hub.engine.connect() as conn:
            lea = (
                read_only(conn)
                .execute(
                    sa.select(stops.c.lea_record_id).where(
                        stops.c.id == stop_id,
                        stops.c.ori == principal.ori,
                        stops.c.realm == principal.realm,
                    )
                )
                .scalar()
            )
        stored = service.get_stop(principal, lea, channel="portal") if lea else None
        if stored is None:
            raise HTTPException(404, f"no stop {stop_id} of agency {principal.ori}")
        return stored

    @api.get("/{stop_id}")
    def record(
        request: Request,
        stop_id: Id,
        who: Viewer = Depends(readers),
        ori: str | None = None,
        realm: str = "prod",
        outcome: str | None = None,
    ) -> Response:
        principal = principal_of(who, ori, realm)
        stored = _stored(principal, stop_id)
        return _record_page(request, principal, stop_id, stored, outcome)

    def _record_page(
        request: Request,
        principal: Principal,
        stop_id: int,
        stored: Any,
        outcome: str | None,
        status: int = 200,
        problems: list[dict[str, Any]] | None = None,
    ) -> Response:
        dictionary = hub.validation.dictionary_for("stop", stored.record)
        by_path: dict[str, list[dict[str, Any]]] = {}
        for issue in problems if problems is not None else stored.issues:
            by_path.setdefault(issue.get("field") or "", []).append(issue)
        fields = [
            field_of(dictionary, path, v, by_path.get(path, []))
            for path, v in flatten(stored.record).items()
        ]
        shown = {f.path for f in fields}
        loose = [i for path, issues in by_path.items() if path not in shown for i in issues]
        return page(
            request,
            "stops/stop.html",
            status,
            stop=stored,
            stop_id=stop_id,
            fields=fields,
            loose=[{**i, "label": label_of(dictionary, i.get("field") or "")} for i in loose],
            correctable=stored.status == STATUS_ERRORS,
            agency=principal,
            outcome=outcome,
            back=_back(request, principal),
        )

    async def _posted(request: Request, who: Viewer, stop_id: int) -> tuple[Any, Principal, Any]:
        """A form posted about a stop: the form, the agency it names, the stored record."""
        form = await request.form()
        realm, ori = str(form.get("realm", "prod")), form.get("ori")
        principal = await run_in_threadpool(principal_of, who, str(ori) if ori else None, realm)
        return form, principal, await run_in_threadpool(_stored, principal, stop_id)

    @api.post("/{stop_id}/correct")
    async def correct(request: Request, stop_id: Id, who: Viewer = Depends(readers)) -> Response:
        form, principal, stored = await _posted(request, who, stop_id)
        record = copy.deepcopy(stored.record)
        try:
            for key, value in form.multi_items():
                if key.startswith(FIELD_PREFIX) and isinstance(value, str):
                    _set(record, key.removeprefix(FIELD_PREFIX), value)
        except PathError as exc:
            raise HTTPException(400, str(exc)) from None
        return await run_in_threadpool(_update, request, principal, stop_id, stored, record)

    @api.post("/{stop_id}/nfia")
    async def nfia(request: Request, stop_id: Id, who: Viewer = Depends(readers)) -> Response:
        form, principal, stored = await _posted(request, who, stop_id)
        if form.get("confirm") != "yes":
            raise HTTPException(400, "confirm that the record will not be corrected (confirm)")
        record = {**copy.deepcopy(stored.record), "Is_NFIA": "Y"}
        return await run_in_threadpool(_update, request, principal, stop_id, stored, record)

    def _update(
        request: Request, principal: Principal, stop_id: int, stored: Any, record: dict[str, Any]
    ) -> Response:
        """The record sent as a ``PUT`` of it would be: TX_Type U, the same service."""
        record["TX_Type"] = "U"
        result = service.submit_stop(principal, record, Op.UPDATE, channel="portal")
        if result.status is None:  # refused: nothing changed; the page says why, field by field
            problems = [i.as_dict() for i in result.outcome.issues]
            return _record_page(request, principal, stop_id, stored, "refused", 409, problems)
        back = _back(request, principal)
        outcome = "nfia" if result.status == "NFIA" else "stored"
        return RedirectResponse(f"/portal/stops/{stop_id}?{back}&outcome={outcome}", 303)

    return api


def _back(request: Request, principal: Principal) -> str:
    """The query of the list a record was opened from (its search and page travel in the
    record's links and forms), for the way back to it and the answer to a correction."""
    ori = f"ori={principal.ori}&" if request.state.viewer.actor.role == "admin" else ""
    search = [
        (key, value)
        for key, value in request.query_params.multi_items()
        if key in LIST_KEYS and value
    ]
    return f"{ori}realm={principal.realm}" + (f"&{urlencode(search)}" if search else "")


def _filter(
    status: str | None,
    date_from: str | None,
    date_to: str | None,
    officer: str | None,
    error_code: str | None,
    lea: str | None,
) -> StopFilter:
    if status and status not in STATUSES:
        raise HTTPException(400, f"status must be one of {', '.join(STATUSES)}")

    return StopFilter(
        status=status or None,
        date_from=query_day(date_from, "date_from"),
        date_to=query_day(date_to, "date_to"),
        officer_uid=officer or None,
        error_code=(error_code or "").strip().upper() or None,  # as typed: codes are upper case
        lea_record_id=lea or None,
    )


def _set(record: dict[str, Any], path: str, value: str) -> None:
    """Put ``value`` at an existing scalar ``path`` of the record (a correction changes values,
    never the record's shape)."""
    steps = parse_path(path)
    node: Any = record
    for step in steps[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            raise PathError(f"the record has no field {path!r}") from None
    last = steps[-1]
    try:
        current = node[last]
    except (KeyError, IndexError, TypeError):
        raise PathError(f"the record has no field {path!r}") from None
    if isinstance(current, dict | list):
        raise PathError(f"{path!r} is not a value")
    node[last] = value
