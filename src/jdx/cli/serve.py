"""``jdx serve``: the hub's HTTP API, its file workflows and its SFTP channel."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from jdx import logs
from jdx.cli._common import fail, open_hub

if TYPE_CHECKING:
    from jdx.hub import Hub
    from jdx.settings import Settings


def serve(
    host: str = typer.Option(None, help="Listen address (default: JDX_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default: JDX_PORT or 8000)."),
    workers: int = typer.Option(None, help="Worker processes (default: JDX_WORKERS or 1)."),
    uds: str = typer.Option(
        None, help="Listen on this Unix socket instead, for nginx (default: JDX_UDS)."
    ),
) -> None:
    """Run the hub until interrupted."""
    from jdx import memory

    memory.limit_arenas()  # before any thread starts (jdx.memory)
    # Worker processes read settings from the environment: pass the options on that way.
    for name, value in (("HOST", host), ("PORT", port), ("WORKERS", workers), ("UDS", uds)):
        if value is not None:
            os.environ[f"JDX_{name}"] = str(value)
    with open_hub() as hub:  # a migrated database, or a one-line error
        settings = hub.settings
        logs.configure(settings.log_level, settings.log_format)
        from jdx.channels.http import metrics_files

        metrics_files.prepare(settings.data_dir)  # before the workers: they count there
        if settings.environment == "production":
            refuse_unsafe(hub)
            refuse_empty_domains(hub)
        listener = bind_unix_socket(settings.uds, settings.uds_group) if settings.uds else None
        try:
            background = start_background(hub)
        except OSError as exc:  # a port in use, most often
            fail(
                f"could not start the SFTP server on {settings.sftp_host}:{settings.sftp_port}: "
                f"{exc}"
            )
        try:
            run_http(settings, listener)
        finally:
            background.stop()
            if listener is not None and settings.uds is not None:
                listener.close()
                settings.uds.unlink(missing_ok=True)


def refuse_unsafe(hub: Hub) -> None:
    """Production refuses the settings and demo data of a trial (``security/production.py``),
    naming every one at once: fixing them one start at a time would be tedious."""
    from jdx.cli._errors import EXIT_SETUP
    from jdx.security import production

    with hub.engine.connect() as conn:
        found = production.unsafe_settings(hub.settings) + production.unsafe_data(
            hub.settings, conn
        )
    if found:
        fail(
            "JDX_ENVIRONMENT=production refuses to start:\n"
            + "\n".join(f"  - {problem}" for problem in found),
            EXIT_SETUP,
        )


UDS_MODE = 0o660  # the owner (jdx serve) and the group (the proxy's) connect; nobody else


def bind_unix_socket(path: Path, group: str) -> socket.socket:
    """The listening Unix socket at ``path``, mode 0660, of ``group`` when given.

    Bound here rather than by uvicorn, which makes every socket it binds world-writable (0666):
    any local user could then connect and forge the proxy's headers. The file is created under
    a umask that leaves it closed to others from the start, not only after a chmod."""
    import grp

    from jdx.cli._errors import EXIT_SETUP

    gid = -1
    if group:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            fail(f"JDX_UDS_GROUP={group}: no such group", EXIT_SETUP)
    if path.is_socket():
        with socket.socket(socket.AF_UNIX) as probe:
            if probe.connect_ex(str(path)) == 0:
                fail(f"{path}: another process listens on this socket", EXIT_SETUP)
        path.unlink()  # left by a hub that did not stop cleanly
    path.parent.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    umask = os.umask(0o777 & ~UDS_MODE)
    try:
        sock.bind(str(path))
    except OSError as exc:
        sock.close()
        fail(f"could not listen on {path}: {exc.strerror}", EXIT_SETUP)
    finally:
        os.umask(umask)
    os.chown(path, -1, gid)
    path.chmod(UDS_MODE)
    sock.set_inheritable(True)
    return sock


def refuse_empty_domains(hub: Hub) -> None:
    """Production checks every code: an empty domain table would let any city, school or
    offense code through unchecked (development only notes it in each answer)."""
    from jdx.cli._errors import EXIT_SETUP

    hub.refresh_domains(force=True)
    empty = hub.validation.missing_domains()
    if empty:
        fail(
            f"JDX_ENVIRONMENT=production: the domain tables {', '.join(empty)} are empty; load "
            "them with `jdx tables load NAME FILE` before `jdx serve`",
            EXIT_SETUP,
        )


def run_http(settings: Settings, listener: socket.socket | None = None) -> None:
    import uvicorn

    from jdx.channels.http.deadlines import header_deadline_protocol

    where: dict[str, Any] = (
        {"fd": listener.fileno()}
        if listener is not None
        else {"host": settings.host, "port": settings.port}
    )
    uvicorn.run(
        "jdx.channels.http.app:app_from_environment",
        factory=True,
        workers=settings.workers,
        # The app applies X-Forwarded-For itself (jdx.channels.http.app.PeerMiddleware), after
        # deciding from the connection whether the proxy sent it: what a proxy forwards, such
        # as the client certificate, is believed from the proxy only.
        proxy_headers=False,
        access_log=False,
        # the root logger's one-line records (jdx.logs), not uvicorn's own multi-line ones
        log_config=None,
        http=header_deadline_protocol(settings.request_header_timeout_seconds),
        **where,
    )


class Background:
    """What runs once per hub process beside the HTTP workers, stopped in reverse order."""

    def __init__(self) -> None:
        self.stops: list[Callable[[], None]] = []

    def stop(self) -> None:
        for stop in reversed(self.stops):
            stop()


def start_background(hub: Hub) -> Background:
    """The hub's own start (``Hub.start``: DBOS and every exchange's workflows, which resume
    what a crash interrupted, the periodic jobs and the notifier), then the file channel in
    front of the stop exchange's folders: the embedded SFTP server or the drop-folder watcher.
    The channel stops first, so that nothing arrives while the workflows stop. Beside them, the
    allocator's trim (``jdx.memory``)."""
    from jdx import memory

    background = Background()
    background.stops.append(memory.start_trimming())
    hub.start()
    background.stops.append(hub.stop)
    sftp_listening: Callable[[], bool] | None = None
    try:
        if hub.settings.sftp == "folder":
            from jdx.channels.folder import start_watcher

            background.stops.append(start_watcher(hub))
        elif hub.settings.sftp == "embedded":
            from jdx.channels.sftp.server import start_in_thread

            sftp = start_in_thread(hub)
            background.stops.append(sftp.stop)
            sftp_listening = sftp.listening
        from jdx import readiness

        # last, so that it is stopped first: what it reports has all started by then
        background.stops.append(readiness.start_reporting(hub, sftp_listening))
    except BaseException:
        background.stop()  # the workflows started above stop cleanly too
        raise
    return background
