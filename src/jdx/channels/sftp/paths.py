"""Where an SFTP path may lead: the agency's home tree and nothing else.

Every path a client sends is resolved here, against the agency's home, before the file system
sees it. The tree is fixed; it holds the seed's layout and DOJ's live one, as views of the same
realm's files (``exchanges/stops/file_folders.py``)::

    /                                   the home (read only)
    /PROD, /TEST                        one folder per realm (read only)
    /<REALM>/INPUT                      uploads: files may be written, renamed and deleted here
    /<REALM>/incoming_to_DOJ/<KIND>     uploads too (KIND: JSON, XML, XLSX, CSV; the content
                                        says what a file holds, not the folder)
    /<REALM>/OUTPUT                     the hub's answers: files may be read and deleted
    /<REALM>/responses_from_DOJ         the response reports alone: read and deleted
    /incoming_to_DOJ/<KIND>, /responses_from_DOJ
                                        the same folders of the account's realm (``root_realm``)

A ``..`` that would climb above the home, a name with a control character, backslash or NUL,
and anything deeper than a file in those folders are refused before the file store is asked
(``exchanges/stops/file_store.py``), so no client path reaches outside the home. The folders
are fixed, so they are never looked up: only files are. Links are never created or followed
(see session.py): the root-level DOJ folders are links on disk (for OpenSSH in drop-folder
mode), mapped here to the realm's own folders instead.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from asyncssh import SFTPNoSuchFile, SFTPPermissionDenied

from jdx.exchanges.stops.file_folders import (
    DEFAULT_ROOT_REALM,
    INCOMING,
    REALM_FOLDERS,
    RESPONSES,
    UPLOAD_KINDS,
)
from jdx.exchanges.stops.file_store import Key

REALMS_BY_FOLDER = {folder: realm for realm, folder in REALM_FOLDERS.items()}
ROOT_NAMES = (*REALM_FOLDERS.values(), INCOMING, RESPONSES)
REALM_NAMES = ("INPUT", "OUTPUT", INCOMING, RESPONSES)


class Zone(enum.Enum):
    ROOT = "root"
    REALM = "realm"
    GROUP = "group"  # incoming_to_DOJ: folders only
    BOX = "box"  # a folder of files: INPUT, OUTPUT, responses_from_DOJ, incoming_to_DOJ/<KIND>
    UPLOAD = "upload"  # a file in INPUT or incoming_to_DOJ/<KIND>
    RESULT = "result"  # a file in OUTPUT
    RESPONSE = "response"  # a file in responses_from_DOJ


FOLDERS = (Zone.ROOT, Zone.REALM, Zone.GROUP, Zone.BOX)


@dataclass(frozen=True)
class Place:
    zone: Zone
    key: Key  # in the file store: a folder or a file
    virtual: str  # the normalised path the client sees, "/PROD/INPUT/x.csv"
    realm: str | None = None

    @property
    def name(self) -> str:
        return self.key.name

    @property
    def folder(self) -> bool:
        return self.zone in FOLDERS


def locate(home: Key, path: bytes, root_realm: str = DEFAULT_ROOT_REALM) -> Place:
    """The place ``path`` names inside ``home``; SFTP errors for anything outside the tree.
    ``root_realm``: the realm the root-level DOJ folders stand for."""
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
    if not parts:
        return Place(Zone.ROOT, home, virtual)
    if parts[0] in (INCOMING, RESPONSES):  # the account's realm, by its own folders
        realm, rest = root_realm, parts
    elif parts[0] in REALMS_BY_FOLDER:
        realm, rest = REALMS_BY_FOLDER[parts[0]], parts[1:]
    else:
        raise SFTPNoSuchFile(f"{virtual}: only {', '.join(ROOT_NAMES)} exist here")
    key = home.joinpath(REALM_FOLDERS[realm], *rest)
    if not rest:
        return Place(Zone.REALM, key, virtual, realm)
    if rest[0] not in REALM_NAMES:
        raise SFTPNoSuchFile(f"{virtual}: only {', '.join(REALM_NAMES)} exist here")
    files = rest[1:]
    if rest[0] == INCOMING:
        if not files:
            return Place(Zone.GROUP, key, virtual, realm)
        if files[0] not in UPLOAD_KINDS:
            raise SFTPNoSuchFile(f"{virtual}: only {', '.join(UPLOAD_KINDS)} exist here")
        files = files[1:]
    if not files:
        return Place(Zone.BOX, key, virtual, realm)
    if len(files) > 1:
        raise SFTPNoSuchFile(f"{virtual}: these folders hold files, not folders")
    zone = {"OUTPUT": Zone.RESULT, RESPONSES: Zone.RESPONSE}.get(rest[0], Zone.UPLOAD)
    return Place(zone, key, virtual, realm)


def require(place: Place, *zones: Zone, doing: str) -> None:
    if place.zone not in zones:
        if Zone.UPLOAD in zones and len(zones) == 1:
            where = f"INPUT or {INCOMING}/<{'|'.join(UPLOAD_KINDS)}> of PROD or TEST"
        else:
            where = f"OUTPUT, {RESPONSES}, INPUT or {INCOMING}"
        raise SFTPPermissionDenied(f"{place.virtual}: {doing} only in {where}")
