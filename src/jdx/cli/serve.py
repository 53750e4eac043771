"""``jdx serve``: the hub's HTTP API (and, as they arrive, its other channels)."""

from __future__ import annotations

import os

import typer

from jdx.cli._common import fail
from jdx.settings import load_settings


def serve(
    host: str = typer.Option(None, help="Listen address (default: JDX_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default: JDX_PORT or 8000)."),
    workers: int = typer.Option(None, help="Worker processes (default: JDX_WORKERS or 1)."),
) -> None:
    """Run the hub until interrupted."""
    import uvicorn

    from jdx.hub import create_hub
    from jdx.store import schema

    # Worker processes read settings from the environment: pass the options on that way.
    for name, value in (("HOST", host), ("PORT", port), ("WORKERS", workers)):
        if value is not None:
            os.environ[f"JDX_{name}"] = str(value)
    settings = load_settings()
    hub = create_hub(settings)
    current, head = schema.current_revision(hub.engine), schema.head_revision()
    hub.dispose()
    if current != head:
        fail(
            f"the database is at revision {current} but this jdx needs {head}: "
            "run `jdx db upgrade` first"
        )
    uvicorn.run(
        "jdx.channels.http.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        proxy_headers=True,
        forwarded_allow_ips=",".join(settings.trusted_proxies),
        access_log=False,
    )
