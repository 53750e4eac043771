"""Where an SFTP path may lead: the agency's home tree and nothing else.

Every path a client sends is resolved here, against the agency's home, before the file system
sees it. The tree is fixed::

    /                    the home (read only)
    /PROD, /TEST         one folder per realm (read only)
    /<REALM>/INPUT       uploads: files may be written, renamed and deleted here
    /<REALM>/OUTPUT      the hub's answers: files may be read and deleted

A ``..`` that would climb above the home, a name with a control character, backslash or NUL,
and anything deeper than a file in INPUT or OUTPUT are refused before any system call, so no
client path reaches outside the home. Links are never created or followed (see server.py).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from asyncssh import SFTPNoSuchFile, SFTPPermissionDenied

from jdx.exchanges.stops.file_folders import REALM_FOLDERS

REALMS_BY_FOLDER = {folder: realm for realm, folder in REALM_FOLDERS.items()}
BOXES = ("INPUT", "OUTPUT")


class Zone(enum.Enum):
    ROOT = "root"
    REALM = "realm"
    BOX = "box"  # an INPUT or OUTPUT folder
    UPLOAD = "upload"  # a file in INPUT
    RESULT = "result"  # a file in OUTPUT


@dataclass(frozen=True)
class Place:
    zone: Zone
    local: Path
    virtual: str  # the normalised path the client sees, "/PROD/INPUT/x.csv"
    realm: str | None = None

    @property
    def name(self) -> str:
        return self.local.name


def locate(home: Path, path: bytes) -> Place:
    """The place ``path`` names inside ``home``; SFTP errors for anything outside the tree."""
    try:
        text = path.decode("utf-8")
    except UnicodeDecodeError:
        raise SFTPPermissionDenied("file names must be UTF-8") from None
    parts: list[str] = []
    for part in text.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise SFTPPermissionDenied("the path leaves your home folder")
            parts.pop()
            continue
        if any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in part):
            raise SFTPPermissionDenied("names may not hold control characters or backslashes")
        parts.append(part)
    virtual = "/" + "/".join(parts)
    local = home.joinpath(*parts)
    if not parts:
        return Place(Zone.ROOT, local, virtual)
    realm = REALMS_BY_FOLDER.get(parts[0])
    if realm is None:
        raise SFTPNoSuchFile(f"{virtual}: only PROD and TEST exist here")
    if len(parts) == 1:
        return Place(Zone.REALM, local, virtual, realm)
    if parts[1] not in BOXES:
        raise SFTPNoSuchFile(f"{virtual}: only INPUT and OUTPUT exist here")
    if len(parts) == 2:
        return Place(Zone.BOX, local, virtual, realm)
    if len(parts) > 3:
        raise SFTPNoSuchFile(f"{virtual}: INPUT and OUTPUT hold files, not folders")
    return Place(Zone.UPLOAD if parts[1] == "INPUT" else Zone.RESULT, local, virtual, realm)


def require(place: Place, *zones: Zone, doing: str) -> None:
    if place.zone not in zones:
        where = "PROD/INPUT or TEST/INPUT" if Zone.UPLOAD in zones else "OUTPUT or INPUT"
        raise SFTPPermissionDenied(f"{place.virtual}: {doing} only in {where}")
