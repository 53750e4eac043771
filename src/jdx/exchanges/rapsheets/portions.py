"""What a responder sends: a rap sheet in 2.00 or 4.1 XML, or plain text to pass through.

Seed 2.2: during the transition, a state or the FBI that cannot send the transmission format
sends a plain-text criminal history, which the hub "will simply pass it through without any
processing"; 2.4 adds that such sheets go directly to the requester without merge processing.
:class:`PlainTextRapSheet` keeps the bytes exactly as received for that.
"""

from __future__ import annotations

from dataclasses import dataclass

from jdx.codecs.xmlform import local_name
from jdx.exchanges.rapsheets.model import RapSheet
from jdx.exchanges.rapsheets.nlets41 import is_nlets41, read_nlets41
from jdx.exchanges.rapsheets.present import envelope_body
from jdx.exchanges.rapsheets.transmission import RapSheetFormatError, from_element, parse_root


@dataclass(frozen=True, slots=True)
class PlainTextRapSheet:
    """A non-XML criminal history: never parsed, merged or rendered, only forwarded."""

    data: bytes


Portion = RapSheet | PlainTextRapSheet


def _looks_like_xml(data: bytes) -> bool:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def read_portion(data: bytes, *, delivery: bool = False) -> Portion:
    """The model of an XML rap sheet (2.00 or 4.1), or the plain text untouched.

    A document that starts like XML but is not a safe, valid rap sheet is refused with
    :class:`RapSheetFormatError`: it is not "plain text", it is a broken transmission.

    ``delivery=True`` also accepts what the hub itself delivers: a 2.00 sheet inside the
    delivery envelope (``present.write_envelope``), as ``jdx rapsheet render`` and ``summary``
    are given by receivers. Responders send bare sheets, so the portion service leaves it off.
    """
    if not _looks_like_xml(data):
        return PlainTextRapSheet(data)
    root = parse_root(data)
    body = envelope_body(root) if delivery else None
    if body is not None:
        root = body
    if is_nlets41(root):
        return read_nlets41(root)
    if local_name(root) == "rapSheet":
        return from_element(root)
    raise RapSheetFormatError(
        f"the root element {local_name(root)!r} is neither rapSheet (2.00) nor rap:RapSheet (4.1)"
    )
