"""The hub's log: one line per event, whatever the input, as text or as JSON with request ids.

A message can carry what a client sent (a LEARecordID, a file name, a path): a newline in it
would start a line of the client's choosing that reads like one of the hub's own events, and an
ANSI escape would rewrite the operator's terminal. So every control character of the formatted
record (message, arguments and traceback alike) is written as an escape: ``\\n``, ``\\r``,
``\\t``, ``\\xNN``, ``\\uNNNN``. A traceback then reads as one long line too: the price of a log
in which every line is an event the hub wrote.

``JDX_LOG_FORMAT=json`` writes each record as one JSON object instead (the same escapes hold:
JSON escapes the C0 controls; DEL, the C1 controls and the Unicode line separators are escaped
here), for a log shipper to parse rather than a person to read.

Every record a request causes carries that request's id (:func:`request_context`, set by
``channels/http/request_ids.py`` and, for a file's workflow, by the workflow from the id it was
queued with), which the JSON object shows as ``request_id``. The text line stays
``TIME LOGGER LEVEL MESSAGE``, the form people and scripts read today.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"

LogFormat = Literal["text", "json"]

# C0 controls and DEL, the C1 controls (NEL among them) and the two Unicode line separators:
# every character a terminal or a log reader may take as the end of a line or a command.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# What JSON leaves as it is of those (it escapes the C0 controls itself).
_JSON_UNESCAPED = re.compile("[\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "jdx_request_id", default=None
)


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """``text`` with every control character escaped: printable, and never more than one line."""
    return _CONTROL.sub(_escaped, text)


def request_id() -> str | None:
    """The id of the request this code runs for, if any."""
    return _request_id.get()


def set_request_id(value: str | None) -> contextvars.Token[str | None]:
    """Make ``value`` the current request id; :func:`reset_request_id` with the token undoes it."""
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    _request_id.reset(token)


@contextmanager
def request_context(value: str | None) -> Iterator[None]:
    """The records logged inside the block carry ``value`` as their request id."""
    token = _request_id.set(value)
    try:
        yield
    finally:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Gives each record the current request id (None outside a request), as ``request_id``.

    On the handler, not a logger: it then sees the records of every logger that propagate to it
    (uvicorn's, the libraries'), and runs in the thread and context that logged the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class OneLineFormatter(logging.Formatter):
    """A :class:`logging.Formatter` whose every record is one line (see the module)."""

    def format(self, record: logging.LogRecord) -> str:
        return one_line(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (UTC, ISO 8601), ``level``, ``logger``,
    ``message``, and when there are ones ``request_id``, ``exception`` and ``stack``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            entry["request_id"] = rid
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        text = json.dumps(entry, ensure_ascii=False, default=str)
        return _JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def handler(fmt: LogFormat = "text") -> logging.Handler:
    """A handler to standard error writing one line per record in ``fmt``."""
    made = logging.StreamHandler()
    made.setFormatter(JsonFormatter() if fmt == "json" else OneLineFormatter(FORMAT))
    made.addFilter(RequestIdFilter())
    return made


class ToRoot(logging.Handler):
    """Hands each record to the root logger's handlers, whichever they are by then."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger().handle(record)


def configure(level: str, fmt: LogFormat = "text") -> None:
    """The root logger writes to standard error through :func:`handler`; uvicorn's loggers reach
    it too (``jdx serve`` gives uvicorn no logging configuration of its own), and so does DBOS,
    which otherwise gives its logger (not propagating) a handler of its own in another format:
    it adds one only to a logger without any, so its logger gets :class:`ToRoot`."""
    logging.basicConfig(level=level, handlers=[handler(fmt)], force=True)
    dbos = logging.getLogger("dbos")
    for old in list(dbos.handlers):
        dbos.removeHandler(old)
    dbos.addHandler(ToRoot())
    dbos.propagate = False
