"""The embedded SFTP server: host key, logins from the database, one thread with its own loop.

``jdx serve`` starts it beside the HTTP workers when ``JDX_SFTP=embedded``. It offers only the
SFTP subsystem: no shell, no commands, no SCP, no port or agent forwarding. A user is an ORI
with an enabled account (``accounts.py``); it logs in with the account's password or one of
its public keys, and sees only its home (``session.py``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from jdx.channels.sftp import accounts
from jdx.channels.sftp.session import AgencySFTP
from jdx.exchanges.stops import workflow
from jdx.hub import Hub
from jdx.security.passwords import Busy

log = logging.getLogger("jdx.sftp")
HOST_KEY = Path("sftp") / "ssh_host_ed25519_key"  # under data_dir, beside (not in) the homes
# Wrong passwords one connection may send before it is cut off (OpenSSH's MaxAuthTries counts
# every method, 6 by default; a password client needs one try, a person typing a few).
PASSWORDS_PER_CONNECTION = 3


def host_key(data_dir: Path) -> asyncssh.SSHKey:
    """The server's key, generated once: clients pin it, so it must survive restarts."""
    path = data_dir / HOST_KEY
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519", comment="jdx sftp host key")
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as f:
            f.write(key.export_private_key())
        try:
            os.link(temp, path)  # two processes starting at once: the first key wins
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    return asyncssh.read_private_key(path)


class _Gate(asyncssh.SSHServer):
    """Authentication against ``sftp_accounts`` and ``sftp_keys``, off the event loop."""

    def __init__(self, hub: Hub, connections: set[asyncssh.SSHServerConnection]) -> None:
        self.hub = hub
        self.connections = connections
        self.conn: asyncssh.SSHServerConnection | None = None
        self.address = "unknown"
        self.username = ""
        self.wrong_passwords = 0
        self.by_password = False

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.connections.add(conn)
        peer = conn.get_extra_info("peername")
        self.address = str(peer[0]) if peer else "unknown"

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.connections.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        self.username = username
        return True  # every user authenticates; there is no anonymous access

    def auth_completed(self) -> None:
        if self.by_password:  # a password login recorded its own success
            return
        # off the event loop, as every database call here; nothing waits for it
        done = asyncio.get_running_loop().run_in_executor(
            None, accounts.key_succeeded, self.hub.engine, self.username, self.address
        )
        done.add_done_callback(_log_failure)

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        """The password, as the throttle allows (accounts.py); the connection is cut off at
        its PASSWORDS_PER_CONNECTION-th wrong one."""
        try:
            ok = await asyncio.to_thread(
                accounts.password_login, self.hub.engine, username, password, self.address
            )
        except Busy:
            raise asyncssh.ServiceNotAvailable("the server is busy: try again later") from None
        if ok:
            self.by_password = True
            return True
        self.wrong_passwords += 1
        log.warning("SFTP password refused for %r from %s", username[:20], self.address)
        if self.wrong_passwords >= PASSWORDS_PER_CONNECTION:
            raise asyncssh.PermissionDenied("too many wrong passwords on this connection")
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        fingerprint = key.get_fingerprint("sha256")
        return await asyncio.to_thread(accounts.key_login, self.hub.engine, username, fingerprint)


def _log_failure(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("SFTP login not recorded as known-good", exc_info=done.exception())


@dataclass
class RunningServer:
    host: str
    port: int
    fingerprint: str  # of the host key, for agencies to check on first connection
    stop: Callable[[], None]
    listening: Callable[[], bool]  # whether it still accepts connections (``/readyz``)


def start_in_thread(hub: Hub, host: str | None = None, port: int | None = None) -> RunningServer:
    """Listen on ``host:port`` (default: the settings; port 0 picks a free one) until stopped."""
    host = hub.settings.sftp_host if host is None else host
    port = hub.settings.sftp_port if port is None else port
    key = host_key(hub.settings.data_dir)
    folders = workflow.folders_of(hub)
    connections: set[asyncssh.SSHServerConnection] = set()
    loop = asyncio.new_event_loop()
    ready: concurrent.futures.Future[asyncssh.SSHAcceptor] = concurrent.futures.Future()

    async def listen() -> asyncssh.SSHAcceptor:
        return await asyncssh.listen(
            host,
            port,
            server_host_keys=[key],
            server_factory=lambda: _Gate(hub, connections),
            sftp_factory=lambda chan: AgencySFTP(chan, hub, folders),
            allow_scp=False,
            agent_forwarding=False,
            x11_forwarding=False,
            login_timeout=60,
            keepalive_interval=60,
        )

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            acceptor = loop.run_until_complete(listen())
        except BaseException as exc:
            ready.set_exception(exc)
            loop.close()
            return
        ready.set_result(acceptor)
        loop.run_forever()
        loop.run_until_complete(_shutdown(acceptor, connections))
        loop.close()

    thread = threading.Thread(target=run, name="jdx-sftp", daemon=True)
    thread.start()
    acceptor = ready.result(timeout=30)
    bound = acceptor.get_port()
    fingerprint = key.get_fingerprint("sha256")
    log.info("SFTP server on %s:%s, host key %s", host, bound, fingerprint)

    def stop() -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)

    def listening() -> bool:
        return thread.is_alive() and bool(acceptor.is_serving())

    return RunningServer(host, bound, fingerprint, stop, listening)


async def _shutdown(
    acceptor: asyncssh.SSHAcceptor, connections: set[asyncssh.SSHServerConnection]
) -> None:
    """Stop listening, close the sessions, then let uploads being taken finish."""
    acceptor.close()
    for conn in list(connections):
        conn.close()
    for conn in list(connections):
        await conn.wait_closed()
    await acceptor.wait_closed()
    current = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not current]
    if pending:
        await asyncio.wait(pending, timeout=30)
    await asyncio.get_running_loop().shutdown_default_executor()
