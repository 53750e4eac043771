"""The hub's front page, ``/``: where a newcomer finds the API documentation, the Interface
Control Documents and the portal. Links only to what this hub serves (its registered exchanges).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jdx.channels.web.auth import PREFIX as PORTAL
from jdx.channels.web.render import page
from jdx.hub import Hub


@dataclass(frozen=True)
class Link:
    href: str  # empty: ``text`` is a command to run, not a page
    text: str
    note: str = ""


@dataclass(frozen=True)
class Exchange:
    title: str
    api: str  # the path prefix of its API, as /docs groups it
    links: tuple[Link, ...]


# What each ICD's transport chapter holds (channels/http/icd_transport.py), in a line.
TRANSPORT_WHAT = "endpoints, headers, status codes, error catalogue, limits"


def exchanges_of(hub: Hub) -> list[Exchange]:
    """What each registered exchange offers a reader, in the order the hub registered them."""
    shown: list[Exchange] = []
    if "stops" in hub.exchanges:
        stop_dictionaries = sorted(
            (d for d in hub.validation.dictionaries.values() if d.family == "stop"),
            key=lambda d: d.id,
        )
        shown.append(
            Exchange(
                "Stop data (AB 953, SDCS)",
                "/sdcs/v1",
                (
                    Link(
                        "/sdcs/v1/icd", "Interface Control Documents", "the index of every document"
                    ),
                    Link("/sdcs/v1/icd/transport.html", "Transport", TRANSPORT_WHAT),
                    *(
                        Link(f"/sdcs/v1/icd/{d.id}.html", f"ICD {d.id}", d.title)
                        for d in stop_dictionaries
                    ),
                ),
            )
        )
    if "cases" in hub.exchanges:
        shown.append(
            Exchange(
                "NamUs case import",
                "/namus/v1",
                (
                    Link(f"{PORTAL}/", "Portal", "case review, jobs, administration (log in)"),
                    Link(
                        "/namus/v1/icd", "Interface Control Documents", "case ICDs, job templates"
                    ),
                    Link("/namus/v1/icd/transport.html", "Transport", TRANSPORT_WHAT),
                ),
            )
        )
    if "rapsheets" in hub.exchanges:
        shown.append(
            Exchange(
                "Interstate criminal history (rap sheets)",
                "/chri/v1",
                (
                    Link("/chri/v1/icd", "Participants' kit", "schema, reference, samples"),
                    Link("/chri/v1/icd/rapsheet-2.00.html", "Format 2.00", "every element"),
                    Link("/chri/v1/icd/transport.html", "Transport", TRANSPORT_WHAT),
                ),
            )
        )
    return shown


def router(hub: Hub) -> APIRouter:
    front = APIRouter(include_in_schema=False)
    shown = exchanges_of(hub)  # fixed once the hub is built

    @front.get("/")
    def landing(request: Request) -> Response:
        return page(request, "landing.html", exchanges=shown)

    return front
