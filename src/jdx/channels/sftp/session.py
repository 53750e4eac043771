"""One agency's SFTP session: its home tree as ``paths.py`` allows it, and upload completion.

An upload is complete when the client closes a file it opened for writing in an upload folder
(INPUT or incoming_to_DOJ/<KIND>, of either layout), or renames a file there to its final name: the file is then handed to the stop exchange's intake in a
worker thread, so that hashing and the database never block the server's event loop. Names
that clients use for unfinished files (``.part``, dot files, see ``channels/folder.py``) are
left alone until they are renamed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import IO

import asyncssh
from asyncssh import SFTPAttrs, SFTPFailure, SFTPName, SFTPNoSuchFile, SFTPPermissionDenied

from jdx.channels.folder import partial_name
from jdx.channels.sftp.paths import ROOT_NAMES, Place, Zone, locate, require
from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.file_folders import INCOMING, UPLOAD_KINDS, Folders
from jdx.hub import Hub
from jdx.security import standing

log = logging.getLogger("jdx.sftp")
WRITE_ONLY_IN_INPUT = (
    f"files can be written only in INPUT or {INCOMING}/<{'|'.join(UPLOAD_KINDS)}> of PROD or TEST"
)
_WRITING = asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC


@dataclass
class _Handle:
    place: Place
    file: IO[bytes]
    writing: bool
    too_big: bool = field(default=False)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        # asyncssh asks the handle itself where a sparse file has data (the "ranges" extension)
        return self.file.seek(offset, whence)


class AgencySFTP(asyncssh.SFTPServer):
    """The file system an agency sees; every path goes through :func:`paths.locate`."""

    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], hub: Hub, folders: Folders) -> None:
        super().__init__(chan)
        self.hub = hub
        self.ori = str(chan.get_extra_info("username")).upper()
        self.folders = folders
        self.home = folders.ensure_home(self.ori)
        self.root_realm = folders.root_realm(self.ori)  # fixed for the session
        self.max_bytes = hub.settings.max_file_bytes

    def _at(self, path: bytes) -> Place:
        self._acts()  # every operation names a path or opens one: all ask
        return locate(self.home, path, self.root_realm)

    def _acts(self) -> None:
        """Refuse the operation when the agency was suspended since the login (or ever): asked
        of the database each time, so a session open on any node stops at its next operation.

        Reads and writes of a file opened before are not asked again (one query per 32 KiB
        chunk would cost more than the chunk): a download started before the suspension ends;
        an upload ends in the intake, which refuses it with a note in OUTPUT."""
        try:
            standing.check_ori(self.hub.engine, self.ori)
        except standing.Suspended as exc:
            log.warning("SFTP %s: operation refused, the agency is suspended", self.ori)
            raise SFTPPermissionDenied(str(exc)) from None

    def map_path(self, path: bytes) -> bytes:
        return os.fsencode(self._at(path).local)

    def realpath(self, path: bytes) -> bytes:
        # The virtual path itself: never resolved on disk, so no link can change it.
        return self._at(path).virtual.encode()

    # --- files ---------------------------------------------------------------------------------

    def open(self, path: bytes, pflags: int, attrs: SFTPAttrs) -> _Handle:
        writing = bool(pflags & _WRITING)
        try:
            place = self._at(path)
        except SFTPNoSuchFile:
            if writing:  # a new name outside the tree: say where files go, not "no such file"
                raise SFTPPermissionDenied(WRITE_ONLY_IN_INPUT) from None
            raise
        if writing:
            require(place, Zone.UPLOAD, doing="files can be written")
        else:
            require(place, Zone.UPLOAD, Zone.RESULT, Zone.RESPONSE, doing="files can be read")
        flags = os.O_NOFOLLOW  # a link placed in the tree by anyone is never followed
        if writing:
            flags |= os.O_RDWR if pflags & asyncssh.FXF_READ else os.O_WRONLY
            for sftp_flag, os_flag in (
                (asyncssh.FXF_APPEND, os.O_APPEND),
                (asyncssh.FXF_CREAT, os.O_CREAT),
                (asyncssh.FXF_TRUNC, os.O_TRUNC),
                (asyncssh.FXF_EXCL, os.O_EXCL),
            ):
                if pflags & sftp_flag:
                    flags |= os_flag
        descriptor = os.open(place.local, flags, 0o640)
        mode = "r+b" if writing and pflags & asyncssh.FXF_READ else ("wb" if writing else "rb")
        return _Handle(place, os.fdopen(descriptor, mode, buffering=0), writing)

    def read(self, file_obj: object, offset: int, size: int) -> bytes:
        handle = _handle(file_obj)
        handle.file.seek(offset)
        return handle.file.read(size)

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        handle = _handle(file_obj)
        if handle.too_big or offset + len(data) > self.max_bytes:
            handle.too_big = True
            raise SFTPFailure(
                f"the file is larger than the hub's limit of {self.max_bytes:,} bytes"
            )
        handle.file.seek(offset)
        return handle.file.write(data) or 0

    async def close(self, file_obj: object) -> None:
        handle = _handle(file_obj)
        handle.file.close()
        if not handle.writing:
            return
        if handle.too_big:
            handle.place.local.unlink(missing_ok=True)  # never taken: nothing half-written stays
            return
        await self._take(handle.place)
        self._acts()  # suspended while uploading: refused by the intake, said here too

    def fstat(self, file_obj: object) -> os.stat_result:
        return os.fstat(_handle(file_obj).file.fileno())

    def fsync(self, file_obj: object) -> None:
        os.fsync(_handle(file_obj).file.fileno())

    def setstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        # The files are the hub's: permissions, owners and times are not the agency's to set.
        # Clients send them after an upload (`put -p`), so they are ignored, not refused.
        self._at(path)

    def lsetstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        self._at(path)

    def fsetstat(self, file_obj: object, attrs: SFTPAttrs) -> None:
        _handle(file_obj)

    def stat(self, path: bytes) -> os.stat_result:
        return os.lstat(self._at(path).local)  # links are not followed, even to report on them

    def lstat(self, path: bytes) -> os.stat_result:
        return os.lstat(self._at(path).local)

    async def scandir(self, path: bytes) -> AsyncIterator[SFTPName]:
        place = self._at(path)
        for name in (b".", b".."):
            yield SFTPName(name, attrs=SFTPAttrs.from_local(os.lstat(place.local)))
        if place.zone is Zone.ROOT:  # the fixed names, as the folders they stand for
            for root_name in ROOT_NAMES:
                local = self._at(root_name.encode()).local
                yield SFTPName(root_name.encode(), attrs=SFTPAttrs.from_local(os.lstat(local)))
            return
        with os.scandir(place.local) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue  # the hub's files being written (write_atomic) stay unseen
                attrs = SFTPAttrs.from_local(entry.stat(follow_symlinks=False))
                yield SFTPName(os.fsencode(entry.name), attrs=attrs)

    # --- names ---------------------------------------------------------------------------------

    def remove(self, path: bytes) -> None:
        place = self._at(path)
        require(place, Zone.UPLOAD, Zone.RESULT, Zone.RESPONSE, doing="files can be deleted")
        if place.zone is Zone.UPLOAD:
            place.local.unlink()
        else:  # a response report goes from both views
            self.folders.remove_result(place.local)

    async def rename(self, oldpath: bytes, newpath: bytes) -> None:
        source, target = self._at(oldpath), self._at(newpath)
        require(source, Zone.UPLOAD, doing="files can be renamed")
        require(target, Zone.UPLOAD, doing="files can be renamed")
        if target.local.exists() or target.local.is_symlink():
            raise asyncssh.SFTPFileAlreadyExists(f"{target.virtual} exists")
        source.local.rename(target.local)
        if partial_name(source.name):  # the usual end of an upload to a temporary name
            await self._take(target)

    async def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        target = self._at(newpath)
        if target.zone is Zone.UPLOAD and target.local.is_file():
            target.local.unlink()
        await self.rename(oldpath, newpath)

    def mkdir(self, path: bytes, attrs: SFTPAttrs) -> None:
        raise SFTPPermissionDenied(
            "the folders are fixed: PROD and TEST, each with INPUT and OUTPUT, "
            f"{INCOMING} and responses_from_DOJ"
        )

    def rmdir(self, path: bytes) -> None:
        self.mkdir(path, SFTPAttrs())

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise SFTPPermissionDenied("links are not allowed")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        self.symlink(oldpath, newpath)

    def readlink(self, path: bytes) -> bytes:
        raise SFTPPermissionDenied("links are not allowed")

    # --- upload completion -----------------------------------------------------------------------

    async def _take(self, place: Place) -> None:
        """Hand a complete upload to the intake; the client's close waits for it to be taken."""
        if partial_name(place.name) or place.realm is None:
            return
        try:
            await asyncio.to_thread(
                workflow.receive_arrival,
                self.hub,
                self.ori,
                place.realm,
                place.local,
                channel="sftp",
            )
        except Exception:
            log.exception("%s: could not take %s", self.ori, place.virtual)
            raise SFTPFailure(
                f"{place.virtual} was stored but the hub could not take it; upload it again"
            ) from None


def _handle(file_obj: object) -> _Handle:
    if not isinstance(file_obj, _Handle):
        raise SFTPFailure("not a file handle")
    return file_obj
