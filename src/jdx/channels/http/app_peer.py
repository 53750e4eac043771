"""The TCP peer of a request, as the app's PeerMiddleware kept it before X-Forwarded-For."""

from __future__ import annotations

from starlette.requests import Request

PEER = "jdx.peer"


def peer_of(request: Request) -> str | None:
    """The address of the TCP peer (the proxy, when there is one), never a forwarded one."""
    if PEER in request.scope:
        peer = request.scope[PEER]
        return str(peer) if peer is not None else None
    return request.client.host if request.client else None
