"""Who sent a request: the TCP peer as the app's PeerMiddleware kept it before X-Forwarded-For,
and whether it came from the proxy in front, whose forwarded headers (client certificate,
client address, scheme) are then believed.

The proxy is recognised by the door it came through, never by what it says: the Unix socket of
``uds`` (only its owner and group can connect), or, for a proxy that must use TCP, an address of
``trusted_proxies`` together with the per-deployment ``proxy_secret`` header when one is set. A
loopback address alone proves nothing: any local process has one.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import Scope

PEER = "jdx.peer"
FROM_PROXY = "jdx.from_proxy"
SECRET_HEADER = b"x-jdx-proxy-secret"


def peer_of(request: Request) -> str | None:
    """The address of the TCP peer (the proxy, when there is one), never a forwarded one."""
    if PEER in request.scope:
        peer = request.scope[PEER]
        return str(peer) if peer is not None else None
    return request.client.host if request.client else None


def from_proxy(request: Request) -> bool:
    """Whether the request came from the proxy in front (:class:`ProxyTrust`)."""
    return bool(request.scope.get(FROM_PROXY, False))


def is_trusted_proxy(peer: str | None, trusted: list[str]) -> bool:
    """Whether a TCP peer address is one of ``trusted`` (addresses or networks; "*": any)."""
    if peer is None:
        return False
    if "*" in trusted or peer in trusted:
        return True
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


@dataclass(frozen=True)
class ProxyTrust:
    """Which connections are the proxy's: those on ``socket`` (the ``uds`` path), and those from
    ``addresses`` over TCP that carry ``secret`` in X-JDX-Proxy-Secret (any, if it is empty)."""

    socket: str | None = None
    addresses: tuple[str, ...] = ()
    secret: str = ""

    def believes(self, scope: Scope) -> bool:
        # uvicorn gives a Unix socket's connections the socket's path as the server, and no port
        server = scope.get("server")
        if self.socket is not None and server is not None and server[1] is None:
            return bool(server[0] == self.socket)
        client = scope.get("client")
        if not is_trusted_proxy(client[0] if client else None, list(self.addresses)):
            return False
        if not self.secret:
            return True
        sent = next((v for k, v in scope["headers"] if k == SECRET_HEADER), b"")
        return hmac.compare_digest(sent, self.secret.encode())
