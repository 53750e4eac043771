"""Time limits on reading a request, which uvicorn does not have (Kludex/uvicorn#157): without
them a client sending a byte a second holds a connection, and a worker's memory, for as long as
it likes (issue 16, finding 8).

- The headers (:func:`header_deadline_protocol`): uvicorn parses them before the app is called,
  so the limit lives in uvicorn's protocol: a connection whose request headers are not complete
  ``request_header_timeout_seconds`` after the connection (or after the first byte of the next
  request on a kept-alive one) gets 408 and is closed.
- The body (:class:`BodyDeadline`, ASGI): the app reads it through ``receive``; each read waits
  at most ``timeout`` seconds, and the whole body at most ``timeout`` plus one second per
  ``min_rate`` bytes received (Apache's mod_reqtimeout ``MinRate``): a fast upload of any size
  passes, a trickle does not. Past it the client gets 408 and the connection is closed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("jdx.http")


def timeout_body(path: str | None) -> bytes:
    """An RFC 9457 problem document, as every API error (``channels/http/common.py``); the
    headers' time limit runs out before the request's path is known: no ``instance`` then."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": "Request Timeout",
        "status": 408,
        "detail": "The request was not received in time.",
    }
    if path is not None:
        body["instance"] = path
    return orjson.dumps(body)


TIMEOUT_BODY = timeout_body(None)


def _timeout_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # uvicorn closes the connection after the answer
    ]


class _TooSlow(BaseException):
    """Raised into the app from ``receive`` when the body is late. A BaseException, so that no
    handler of the app takes it for a bug of its own (500, a traceback in the log): the 408 is
    already sent, and :class:`BodyDeadline` ends the request quietly."""


class BodyDeadline:
    """408 and a closed connection for a request body that does not arrive in time (module)."""

    def __init__(self, app: ASGIApp, timeout: float, min_rate: int) -> None:
        self.app = app
        self.timeout = timeout
        self.min_rate = min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        start = loop.time()
        received = 0
        complete = False  # the whole body is in: later reads wait for a disconnect, unlimited
        answered = False  # the app's answer has begun: too late for ours
        late = False

        async def timed_receive() -> Message:
            nonlocal received, complete, late
            if complete:
                return await receive()
            deadline = start + self.timeout + received / self.min_rate
            wait = max(0.0, min(self.timeout, deadline - loop.time()))
            try:
                # a timer on this task, not wait_for's task per read: the stop web service's
                # hot path reads every body through here
                async with asyncio.timeout(wait):
                    message = await receive()
            except TimeoutError:
                late = True
                log.info(
                    "%s %s: request body too slow (%d bytes in %.0f s); answered 408",
                    scope["method"],
                    scope["path"],
                    received,
                    loop.time() - start,
                )
                if not answered:
                    body = timeout_body(scope["path"])
                    await send({"type": "http.response.start", "status": 408,
                                "headers": _timeout_headers(body)})  # fmt: skip
                    await send({"type": "http.response.body", "body": body})
                raise _TooSlow from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
            else:
                complete = True  # a disconnect: nothing more will come
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answered
            if late:
                return  # the 408 was the answer
            if message["type"] == "http.response.start":
                answered = True
            await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except BaseException:
            # _TooSlow itself, or whatever the app made of it (an exception group, a wrapper)
            if not late:
                raise


def header_deadline_protocol(timeout: float) -> Any:
    """The protocol class for uvicorn's ``http`` option: uvicorn's own (httptools when
    installed, else h11), with the header time limit (module). A ``functools.partial`` of a
    module-level class, so that uvicorn can hand it to its worker processes (pickled)."""
    return functools.partial(HeaderDeadlineProtocol, header_timeout=timeout)


def _base_protocol() -> type[asyncio.Protocol]:
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    return AutoHTTPProtocol


# How long a closed connection still takes (and discards) what the client sends.
LINGER_SECONDS = 2.0


class _LingeringClose:
    """The connection's transport, whose ``close`` ends the hub's side first (FIN, after what
    is written) and closes for good ``LINGER_SECONDS`` later, or when the client closes too.

    Closed at once, a connection whose client is still sending (the body of a request answered
    408) is reset by the kernel as the next bytes arrive, and the reset makes the client's
    system drop the answer it had not read yet: the client would see "connection reset", not
    408. nginx's lingering close, for the same reason."""

    def __init__(self, transport: asyncio.Transport, protocol: HeaderDeadlineProtocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._closing = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def is_closing(self) -> bool:
        return self._closing or self._transport.is_closing()

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._protocol.lingering = True
        if self._transport.is_closing() or not self._transport.can_write_eof():
            self._transport.close()
            return
        self._transport.write_eof()
        self._protocol.loop.call_later(LINGER_SECONDS, self._transport.close)


class HeaderDeadlineProtocol(_base_protocol()):  # type: ignore[misc]
    """uvicorn's HTTP protocol with a time limit on each request's headers, and a lingering
    close (:class:`_LingeringClose`) so that a client still sending reads its 408.

    Both of uvicorn's protocols make a new ``cycle`` (request-response cycle) when a request's
    headers are complete: the timer armed before then is disarmed once ``cycle`` has changed."""

    ANSWER = (
        b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/problem+json\r\n"
        b"content-length: " + str(len(TIMEOUT_BODY)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + TIMEOUT_BODY
    )

    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.header_timer: asyncio.TimerHandle | None = None
        self.awaited_after: object = None  # the cycle before the request whose headers we await
        self.lingering = False  # closed on our side: what still arrives is discarded

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(_LingeringClose(transport, self))  # type: ignore[arg-type]
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            return
        # the first bytes of a request on a kept-alive connection: its headers are awaited now
        if self.header_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._arm()
        super().data_received(data)
        if self.header_timer is not None and self.cycle is not self.awaited_after:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self.awaited_after = self.cycle
        self.header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _too_slow(self) -> None:
        self.header_timer = None
        if self.transport.is_closing():
            return
        log.info("request headers not received within %.0f s; answered 408", self.header_timeout)
        self.transport.write(self.ANSWER)
        self.transport.close()
