"""The hub's log: one line per event, whatever the input.

A message can carry what a client sent (a LEARecordID, a file name, a path): a newline in it
would start a line of the client's choosing that reads like one of the hub's own events, and an
ANSI escape would rewrite the operator's terminal. So every control character of the formatted
record (message, arguments and traceback alike) is written as an escape: ``\\n``, ``\\r``,
``\\t``, ``\\xNN``, ``\\uNNNN``. A traceback then reads as one long line too: the price of a log
in which every line is an event the hub wrote.
"""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"

# C0 controls and DEL, the C1 controls (NEL among them) and the two Unicode line separators:
# every character a terminal or a log reader may take as the end of a line or a command.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """``text`` with every control character escaped: printable, and never more than one line."""
    return _CONTROL.sub(_escaped, text)


class OneLineFormatter(logging.Formatter):
    """A :class:`logging.Formatter` whose every record is one line (see the module)."""

    def format(self, record: logging.LogRecord) -> str:
        return one_line(super().format(record))


def configure(level: str) -> None:
    """The root logger writes to standard error through :class:`OneLineFormatter`; uvicorn's
    loggers reach it too (``jdx serve`` gives uvicorn no logging configuration of its own)."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
