"""A request id for every request: the one the client or proxy sent in ``X-Request-ID`` when it
is well formed, else a new one; answered in the same header and carried by every log record the
request causes (``jdx/logs.py``), the workflow of a file it uploads included.

Well formed is 1 to 128 characters of letters, digits and ``._:/+=-``: what proxies and tracing
systems send (nginx's ``$request_id`` is 32 hex digits), nothing that could break a log line or
a header. Anyone may send one, so an id only correlates; it proves nothing.
"""

from __future__ import annotations

import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jdx import logs

HEADER = b"x-request-id"
WELL_FORMED = re.compile(rb"[A-Za-z0-9._:/+=-]{1,128}")


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = sent_id(scope["headers"]) or secrets.token_hex(16)
        encoded = rid.encode()
        scope["jdx.request_id"] = rid

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                if not any(k.lower() == HEADER for k, _ in headers):
                    # a new list: the response's own may be shared (a response object reused)
                    message["headers"] = [*headers, (HEADER, encoded)]
            await send(message)

        token = logs.set_request_id(rid)
        try:
            await self.app(scope, receive, answer)
        finally:
            logs.reset_request_id(token)


def sent_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The request's X-Request-ID when it is well formed (the first, if several)."""
    for key, value in headers:
        if key == HEADER:
            return value.decode() if WELL_FORMED.fullmatch(value) else None
    return None
