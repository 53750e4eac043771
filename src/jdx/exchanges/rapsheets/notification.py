"""FBI/III notifications ``EL01`` and ``FL01``: what the Rap-Merge table is built from (seed 2.3).

The seed's examples, line by line::

    FL01HEADERXXXX01234                      header: F = FBI responds too, E = states only
    AKAST0100                                the requester ORI, first line of the message
    THIS INTERSTATE IDENTIFICATION INDEX ... FOR FBI/901100 .    narrative: FBI/ and SID/ numbers
    ... EXCEPT FOR THOSE INDICATED AS DECEASED:
     FBI - FBI/901100                        responder lines: a leading space, " - ",
     NORTH CAROLINA - STATE ID/NC0142585A - DECEASED      the FBI/ or STATE ID/ tag,
     TEXAS - STATE ID/TX01346790                          and an optional " - DECEASED"
    END

Processing depends only on those items, as the seed says; any other narrative is carried but not
interpreted. A message that breaks them is refused with a :class:`NotificationError` naming the
line, since a wrong merge entry would hold or mix up a criminal history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jdx.exchanges.rapsheets.model import RapSheet

_ORI = re.compile(r"[A-Z0-9]{9}")
_NUMBER = re.compile(r"[A-Z0-9]+")
_NARRATIVE_FBI = re.compile(r"\bFBI/([A-Z0-9]+)")
_NARRATIVE_SID = re.compile(r"\b(?:SID|STATE ID)/([A-Z0-9]+)")


class NotificationError(ValueError):
    """The message is not an EL01/FL01 notification as the seed defines it."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True, slots=True)
class Responder:
    """One source that holds a portion of the record."""

    source: str
    fbi_number: str | None
    sid_number: str | None
    deceased: bool
    line: int

    @property
    def label(self) -> str:
        """The responder as the notification named it (used in a time-out caveat)."""
        tag = f"FBI/{self.fbi_number}" if self.fbi_number else f"STATE ID/{self.sid_number}"
        return f"{self.source} - {tag}"


@dataclass(frozen=True, slots=True)
class Notification:
    kind: str  # "E" (states respond) or "F" (the FBI responds, alone or with states)
    header: str
    requester_ori: str
    fbi_number: str | None
    sid_numbers: tuple[str, ...]
    responders: tuple[Responder, ...]

    @property
    def expected(self) -> tuple[Responder, ...]:
        """The portions to wait for: every responder not indicated as deceased."""
        return tuple(r for r in self.responders if not r.deceased)

    @property
    def merge_key(self) -> tuple[str, str | None, tuple[str, ...]]:
        """Requester plus FBI/SID numbers: the unique key of the merge-tracking entry."""
        sids = {*self.sid_numbers, *(r.sid_number for r in self.responders if r.sid_number)}
        return self.requester_ori, self.fbi_number, tuple(sorted(sids))

    def portion_of(self, sheet: RapSheet, *, from_fbi: bool = False) -> Responder | None:
        """The expected responder a received sheet is the portion of, if any.

        A state's sheet carries the FBI number as well as its SID, so a state is recognised by
        its SID; the FBI's portion by the FBI number, when the sender is the FBI.
        """
        fbi, sids = sheet.key_numbers
        for responder in self.expected:
            if from_fbi and responder.fbi_number and responder.fbi_number == fbi:
                return responder
            if not from_fbi and responder.sid_number and responder.sid_number in sids:
                return responder
        return None


def _responder(text: str, line: int) -> Responder:
    parts = text[1:].split(" - ")
    if len(parts) not in (2, 3) or not parts[0].strip():
        raise NotificationError(
            line, "a responder line is ' SOURCE - FBI/number' or ' SOURCE - STATE ID/number'"
        )
    deceased = False
    if len(parts) == 3:
        if parts[2].strip() != "DECEASED":
            raise NotificationError(line, f"expected DECEASED after the number, got {parts[2]!r}")
        deceased = True
    ident = parts[1].strip()
    fbi = sid = None
    if ident.startswith("FBI/"):
        fbi = ident[4:]
    elif ident.startswith("STATE ID/"):
        sid = ident[9:]
    else:
        raise NotificationError(line, f"expected an FBI/ or STATE ID/ tag, got {ident!r}")
    if not _NUMBER.fullmatch(fbi or sid or ""):
        raise NotificationError(line, f"{ident!r} has no valid number after its tag")
    return Responder(parts[0].strip(), fbi, sid, deceased, line)


def parse_notification(text: str) -> Notification:
    """An EL01 or FL01 message as a :class:`Notification`."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    numbered = [(n, line.rstrip()) for n, line in enumerate(lines, 1) if line.strip()]
    if not numbered:
        raise NotificationError(1, "the message is empty")
    n, header = numbered[0]
    header = header.strip()
    if header[:4] not in ("EL01", "FL01"):
        raise NotificationError(n, f"the header must begin with EL01 or FL01, got {header[:4]!r}")
    if len(numbered) < 2:
        raise NotificationError(n, "the requester ORI line is missing")
    n, ori = numbered[1]
    if not _ORI.fullmatch(ori.strip()):
        raise NotificationError(n, f"the first line must be the requester ORI, got {ori.strip()!r}")
    fbi: str | None = None
    sids: list[str] = []
    responders: list[Responder] = []
    ended = False
    for n, line in numbered[2:]:
        if line.strip() == "END":
            ended = True
            break
        if line.startswith(" ") and " - " in line:
            responders.append(_responder(line, n))
            continue
        fbi = fbi or next(iter(_NARRATIVE_FBI.findall(line)), None)
        sids.extend(_NARRATIVE_SID.findall(line))
    if not ended:
        raise NotificationError(numbered[-1][0], "the message does not end with END")
    if not responders:
        raise NotificationError(n, "no responder lines (' SOURCE - STATE ID/number') before END")
    kind = header[0]
    if kind == "F" and not any(r.fbi_number for r in responders):
        raise NotificationError(n, "an FL01 message names the FBI as a responder; none found")
    return Notification(kind, header, ori.strip(), fbi, tuple(sids), tuple(responders))
