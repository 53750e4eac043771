"""``GET /readyz``: whether this node should be sent work (``jdx/readiness.py``).

200 when every check passes, else 503; either way the body names each check with its outcome,
and ``failing`` lists the names of those that fail, for the operator reading a load balancer's
refusal. ``/healthz`` (``app.py``) stays the cheap "the process answers" for a supervisor.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from jdx.hub import Hub
from jdx.readiness import Readiness, ready


def router(hub: Hub) -> APIRouter:
    readiness = Readiness(hub)
    api = APIRouter()

    @api.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        checks = readiness.checks()
        ok = ready(checks)
        body = {
            "status": "ready" if ok else "not ready",
            "failing": [c.name for c in checks if not c.ok],
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
        }
        return JSONResponse(body, 200 if ok else 503, headers={"Cache-Control": "no-store"})

    return api
