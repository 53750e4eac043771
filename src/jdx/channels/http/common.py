"""Small pieces every HTTP route uses: bounded body reading and credentials from headers."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from starlette.exceptions import HTTPException

from jdx.security.keys import Principal
from jdx.security.standing import message as suspended_message


class BodyError(ValueError):
    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it passes ``limit`` bytes (never read whole first)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BodyError("Content-Length is not a number.")
        if int(declared) > limit:
            raise BodyError("too large", too_large=True)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyError("too large", too_large=True)
        chunks.append(chunk)
    return b"".join(chunks)


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_principal(
    request: Request, lookup: Callable[[str], Principal | None], who: str = "agency"
) -> Principal:
    """The active principal of the request's key: 401 without a valid key, 403 when suspended.

    ``lookup`` is ``hub.keys.principal`` (trusted for the cache time) or ``hub.keys.check``
    (every request looked up).
    """
    key = bearer_key(request)
    principal = lookup(key) if key else None
    if principal is None:
        raise HTTPException(401, f"Send the {who}'s API key as 'Authorization: Bearer <key>'.")
    if not principal.active:
        raise HTTPException(403, suspended_message(principal.ori))
    return principal
