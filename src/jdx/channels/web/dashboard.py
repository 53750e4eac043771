"""The dashboard: each role's figures as charts drawn on the server, with their numbers.

A client sees its own agency's stop data and NamUs jobs; an RPS the review queues of its
regions; an administrator every agency's figures and the rap-sheet merges. The figures are the
exchanges' (``figures.py`` of each), the charts ``charts.py``'s inline SVG: nothing runs in the
browser, and the Content Security Policy stays ``'self'``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from jdx.channels.web.auth import Dependency, Viewer
from jdx.channels.web.charts import Chart, bar_chart
from jdx.channels.web.render import page
from jdx.exchanges.cases import figures as case_figures
from jdx.exchanges.cases.accounts import get_account
from jdx.exchanges.rapsheets import figures as rap_figures
from jdx.exchanges.stops import figures as stop_figures
from jdx.exchanges.stops.records import STATUS_ERRORS, STATUS_NFIA, STATUS_OK
from jdx.hub import Hub
from jdx.security.actors import Actor
from jdx.store.engine import read_only
from jdx.store.queries import list_agencies

PERIODS = (7, 30, 90)  # days a dashboard covers
REALM = "prod"  # figures are of production: the test realm is rehearsal


def _days(today: dt.date, days: int) -> list[dt.date]:
    return [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]


# A stop status's colour family in portal.css (``svg.chart .ok-0``...): stored without errors
# green, with errors red, NFIA amber; a status added later grey ("other").
STATUS_COLOURS = {STATUS_OK: "ok", STATUS_ERRORS: "errors", STATUS_NFIA: "nfia"}
# A channel's shade within its status's family, the same on every chart; another channel
# takes the last.
CHANNEL_SHADES = ("http", "sftp", "folder", "portal")


def stops_chart(rows: list[stop_figures.DayCount], days: list[dt.date]) -> Chart:
    """Stops per day, a stacked part per channel and status: each status in a colour family of
    its own and each channel a shade of it, grouped by status (the key reads in that order)."""
    index = {d: i for i, d in enumerate(days)}
    families = list(STATUS_COLOURS)

    def order(row: stop_figures.DayCount) -> tuple[int, str, int, str]:
        status = families.index(row.status) if row.status in families else len(families)
        return (status, row.status, _shade(row.channel), row.channel)

    series: dict[str, list[float]] = {}
    colours: dict[str, str] = {}
    for row in sorted(rows, key=order):
        name = f"{row.channel} · {row.status}"
        values = series.setdefault(name, [0.0] * len(days))
        colours[name] = f"{STATUS_COLOURS.get(row.status, 'other')}-{_shade(row.channel)}"
        if row.day in index:
            values[index[row.day]] += row.stops
    return Chart("Stops received per day", [d.isoformat()[5:] for d in days], series, colours)


def _shade(channel: str) -> int:
    known = CHANNEL_SHADES.index(channel) if channel in CHANNEL_SHADES else len(CHANNEL_SHADES)
    return min(known, len(CHANNEL_SHADES) - 1)


def router(hub: Hub, role: Callable[..., Dependency]) -> APIRouter:
    api = APIRouter(prefix="/portal/dashboard")
    viewers = role("client", "rps", "admin")

    @api.get("")
    def dashboard(request: Request, who: Viewer = Depends(viewers), days: int = 30) -> Response:
        if days not in PERIODS:
            raise HTTPException(400, f"days is one of {', '.join(map(str, PERIODS))}")
        today = dt.datetime.now(dt.UTC).date()
        figures = _figures(who.actor, days, today)
        return page(request, "dashboard.html", days=days, periods=PERIODS, **figures)

    def _figures(actor: Actor, days: int, today: dt.date) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        with hub.engine.connect() as c:
            conn = read_only(c)
            if actor.role in ("client", "admin"):
                ori = None
                if actor.role == "client":
                    ori = next(a.ori for a in list_agencies(conn) if a.id == actor.agency_id)
                per_day = stop_figures.stops_per_day(conn, REALM, ori, days=days, today=today)
                shown["stops_chart"] = bar_chart(stops_chart(per_day, _days(today, days)), "stops")
                shown["stops_total"] = sum(r.stops for r in per_day)
                shown["error_rates"] = stop_figures.error_rates(
                    conn, REALM, ori, days=days, today=today
                )
                codes = stop_figures.top_error_codes(conn, REALM, ori, days=days, today=today)
                shown["top_codes"] = codes
                shown["codes_chart"] = bar_chart(
                    Chart(
                        "Commonest error codes",
                        [c for c, _ in codes],
                        {"stops": [n for _, n in codes]},
                        {"stops": "errors-0"},  # stops with errors: the errors' colour
                    ),
                    "codes",
                )
                agency_id = actor.agency_id if actor.role == "client" else None
                times = stop_figures.file_times(conn, REALM, agency_id, days=days, today=today)
                shown["file_times"] = times[-20:]
                jobs = case_figures.jobs_per_day(conn, REALM, agency_id, days=days, today=today)
                shown["jobs"] = jobs
                # A client agency that does not import NamUs cases has no such section (one
                # whose permission was taken away keeps it while its jobs are in the period).
                if agency_id is not None and not jobs:
                    account = get_account(conn, agency_id)
                    shown["imports"] = account is not None and account.can_import
                else:
                    shown["imports"] = True
                if shown["imports"]:
                    by_day = {j.day: j for j in jobs}
                    every = _days(today, days)
                    shown["jobs_chart"] = bar_chart(
                        Chart(
                            "NamUs cases imported per day",
                            [d.isoformat()[5:] for d in every],
                            {
                                "created": [
                                    float(by_day[d].cases) if d in by_day else 0.0 for d in every
                                ],
                                "rejected": [
                                    float(by_day[d].rejected) if d in by_day else 0.0 for d in every
                                ],
                            },
                            {"created": "ok-0", "rejected": "errors-0"},
                        ),
                        "jobs",
                    )
            if actor.role in ("rps", "admin"):
                regions = None if actor.role == "admin" else actor.regions
                shown["queues"] = case_figures.review_queue_ages(conn, REALM, regions)
                shown["now"] = dt.datetime.now(dt.UTC)
            if actor.role == "admin":
                shown["merge_events"] = rap_figures.merge_events_per_day(
                    conn, days=days, today=today
                )
                shown["waiting_merges"] = rap_figures.waiting_merges(conn)
        return shown

    return api
