"""One agency's SFTP session: its home tree as ``paths.py`` allows it, and upload completion.

The files are the file store's (``exchanges/stops/file_store.py``): this node's disk, or the
database every node shares, so an agency sees the same folders whichever node it reaches. The
folders themselves are fixed and never looked up. An upload is written to a local scratch file
and becomes the store's file when the client closes it, whole (a reader never sees half of
one); a download reads a snapshot of the file as it was when opened.

An upload is complete when the client closes a file it opened for writing in an upload folder
(INPUT or incoming_to_DOJ/<KIND>, of either layout), or renames a file there to its final name:
the file is then handed to the stop exchange's intake in a worker thread, so that hashing and
the database never block the server's event loop. Names that clients use for unfinished files
(``.part``, dot files, see ``channels/folder.py``) are left alone until they are renamed.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import stat
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import IO

import asyncssh
from asyncssh import (
    SFTPAttrs,
    SFTPFailure,
    SFTPFileAlreadyExists,
    SFTPName,
    SFTPNoSuchFile,
    SFTPOpUnsupported,
    SFTPPermissionDenied,
)

from jdx.channels.folder import partial_name
from jdx.channels.sftp.paths import REALM_NAMES, ROOT_NAMES, Place, Zone, locate, require
from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.file_folders import INCOMING, UPLOAD_KINDS, Folders
from jdx.exchanges.stops.file_store import Entry, Staged
from jdx.hub import Hub
from jdx.security import standing

log = logging.getLogger("jdx.sftp")
WRITE_ONLY_IN_INPUT = (
    f"files can be written only in INPUT or {INCOMING}/<{'|'.join(UPLOAD_KINDS)}> of PROD or TEST"
)
_WRITING = asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC
FOLDER_MODE = stat.S_IFDIR | 0o755
FILE_MODE = stat.S_IFREG | 0o640
# What a folder of each kind holds: the fixed names below it (a box holds the store's files).
FIXED = {Zone.ROOT: ROOT_NAMES, Zone.REALM: REALM_NAMES, Zone.GROUP: UPLOAD_KINDS}


@dataclass
class _Handle:
    place: Place
    file: IO[bytes]
    modified: float
    staged: Staged | None = None  # an upload: what becomes the store's file when closed
    append: bool = False
    too_big: bool = field(default=False)

    @property
    def writing(self) -> bool:
        return self.staged is not None

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        # asyncssh asks the handle itself where a file has data (the "ranges" extension); a
        # snapshot may be in memory, and no file here is sparse: all of it is data.
        if whence in (os.SEEK_DATA, os.SEEK_HOLE):
            size = self.file.seek(0, os.SEEK_END)
            if offset >= size:
                raise OSError(errno.ENXIO, "no data past the end")
            return offset if whence == os.SEEK_DATA else size
        return self.file.seek(offset, whence)


class AgencySFTP(asyncssh.SFTPServer):
    """The file system an agency sees; every path goes through :func:`paths.locate`."""

    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], hub: Hub, folders: Folders) -> None:
        super().__init__(chan)
        self.hub = hub
        self.ori = str(chan.get_extra_info("username")).upper()
        self.folders = folders
        self.store = folders.store
        self.home = folders.ensure_home(self.ori)
        self.root_realm = folders.root_realm(self.ori)  # fixed for the session
        self.max_bytes = hub.settings.max_file_bytes
        self.started = time.time()  # the folders' time

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
        # Every operation is answered from the file store, never from a local path: one that
        # this class did not define (and asyncssh would run on the node's disk) is refused.
        raise SFTPOpUnsupported("not supported by this server")

    def realpath(self, path: bytes) -> bytes:
        # The virtual path itself: never resolved on disk, so no link can change it.
        return self._at(path).virtual.encode()

    def statvfs(self, path: bytes) -> os.statvfs_result:
        raise SFTPOpUnsupported("the hub's folders have no file system to report on")

    def fstatvfs(self, file_obj: object) -> os.statvfs_result:
        raise SFTPOpUnsupported("the hub's folders have no file system to report on")

    # --- files ---------------------------------------------------------------------------------

    async def open(self, path: bytes, pflags: int, attrs: SFTPAttrs) -> _Handle:
        writing = bool(pflags & _WRITING)
        try:
            place = self._at(path)
        except SFTPNoSuchFile:
            if writing:  # a new name outside the tree: say where files go, not "no such file"
                raise SFTPPermissionDenied(WRITE_ONLY_IN_INPUT) from None
            raise
        if not writing:
            require(place, Zone.UPLOAD, Zone.RESULT, Zone.RESPONSE, doing="files can be read")
            entry = await asyncio.to_thread(self.store.stat, place.key)
            if entry is None:
                raise SFTPNoSuchFile(f"{place.virtual}: no such file")
            try:
                snapshot = await asyncio.to_thread(self.store.open, place.key)
            except FileNotFoundError:
                raise SFTPNoSuchFile(f"{place.virtual}: no such file") from None
            return _Handle(place, snapshot, entry.modified)
        require(place, Zone.UPLOAD, doing="files can be written")
        return await asyncio.to_thread(self._open_upload, place, pflags)

    def _open_upload(self, place: Place, pflags: int) -> _Handle:
        """An upload, written to a local scratch file until it is closed. A file written again
        without truncating (a resumed upload) starts from the store's content."""
        entry = self.store.stat(place.key)
        if entry is not None and pflags & asyncssh.FXF_EXCL:
            raise SFTPFileAlreadyExists(f"{place.virtual} exists")
        if entry is None and not pflags & asyncssh.FXF_CREAT:
            raise SFTPNoSuchFile(f"{place.virtual}: no such file")
        staged = self.store.stage(place.key)
        try:
            if entry is not None and not pflags & asyncssh.FXF_TRUNC:
                with self.store.open(place.key) as source, staged.path.open("wb") as out:
                    shutil.copyfileobj(source, out)
            file = staged.path.open("r+b", buffering=0)
        except BaseException:
            staged.discard()
            raise
        return _Handle(place, file, time.time(), staged, append=bool(pflags & asyncssh.FXF_APPEND))

    def read(self, file_obj: object, offset: int, size: int) -> bytes:
        handle = _handle(file_obj)
        handle.file.seek(offset)
        return handle.file.read(size)

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        handle = _handle(file_obj)
        if not handle.writing:
            raise SFTPPermissionDenied("the file was opened for reading")
        if handle.append:
            offset = handle.file.seek(0, os.SEEK_END)
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
        if handle.staged is None:
            return
        if handle.too_big:
            handle.staged.discard()  # never taken: nothing half-written stays
            return
        try:
            await asyncio.to_thread(handle.staged.commit)
        except Exception:
            log.exception("%s: could not store %s", self.ori, handle.place.virtual)
            raise SFTPFailure(
                f"{handle.place.virtual} could not be stored; upload it again"
            ) from None
        await self._take(handle.place)
        self._acts()  # suspended while uploading: refused by the intake, said here too

    def fstat(self, file_obj: object) -> SFTPAttrs:
        handle = _handle(file_obj)
        position = handle.file.tell()
        size = handle.file.seek(0, os.SEEK_END)
        handle.file.seek(position)
        return _file_attrs(size, handle.modified)

    def fsync(self, file_obj: object) -> None:
        handle = _handle(file_obj)
        if handle.writing:
            os.fsync(handle.file.fileno())

    def setstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        # The files are the hub's: permissions, owners and times are not the agency's to set.
        # Clients send them after an upload (`put -p`), so they are ignored, not refused.
        self._at(path)

    def lsetstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        self._at(path)

    def fsetstat(self, file_obj: object, attrs: SFTPAttrs) -> None:
        _handle(file_obj)

    async def stat(self, path: bytes) -> SFTPAttrs:
        place = self._at(path)
        if place.folder:
            return self._folder_attrs()
        entry = await asyncio.to_thread(self.store.stat, place.key)
        if entry is None:  # a link is no file: never followed, not even to report on it
            raise SFTPNoSuchFile(f"{place.virtual}: no such file")
        return _file_attrs(entry.size, entry.modified)

    async def lstat(self, path: bytes) -> SFTPAttrs:
        return await self.stat(path)

    async def scandir(self, path: bytes) -> AsyncIterator[SFTPName]:
        place = self._at(path)
        if not place.folder:
            raise SFTPFailure(f"{place.virtual}: not a folder")
        for name in (b".", b".."):
            yield SFTPName(name, attrs=self._folder_attrs())
        fixed = FIXED.get(place.zone)
        if fixed is not None:  # the fixed names, as the folders they stand for
            for folder in fixed:
                yield SFTPName(folder.encode(), attrs=self._folder_attrs())
            return
        entries: list[Entry] = await asyncio.to_thread(self.store.files, place.key)
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue  # files being written (FileStore.stage) stay unseen
            yield SFTPName(os.fsencode(entry.name), attrs=_file_attrs(entry.size, entry.modified))

    def _folder_attrs(self) -> SFTPAttrs:
        moment = int(self.started)
        return SFTPAttrs(
            type=asyncssh.FILEXFER_TYPE_DIRECTORY,
            permissions=FOLDER_MODE,
            uid=os.getuid(),
            gid=os.getgid(),
            atime=moment,
            mtime=moment,
        )

    # --- names ---------------------------------------------------------------------------------

    async def remove(self, path: bytes) -> None:
        place = self._at(path)
        require(place, Zone.UPLOAD, Zone.RESULT, Zone.RESPONSE, doing="files can be deleted")
        try:
            if place.zone is Zone.UPLOAD:
                if not await asyncio.to_thread(self.store.remove, place.key):
                    raise FileNotFoundError(place.virtual)
            else:  # a response report goes from both views
                await asyncio.to_thread(self.folders.remove_result, place.key)
        except FileNotFoundError:
            raise SFTPNoSuchFile(f"{place.virtual}: no such file") from None

    async def rename(self, oldpath: bytes, newpath: bytes) -> None:
        source, target = self._at(oldpath), self._at(newpath)
        require(source, Zone.UPLOAD, doing="files can be renamed")
        require(target, Zone.UPLOAD, doing="files can be renamed")
        if await asyncio.to_thread(self.store.stat, target.key) is not None:
            raise SFTPFileAlreadyExists(f"{target.virtual} exists")
        if not await asyncio.to_thread(self.store.move, source.key, target.key):
            raise SFTPNoSuchFile(f"{source.virtual}: no such file")
        if partial_name(source.name):  # the usual end of an upload to a temporary name
            await self._take(target)

    async def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        target = self._at(newpath)
        if target.zone is Zone.UPLOAD:
            await asyncio.to_thread(self.store.remove, target.key)
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
                place.key,
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


def _file_attrs(size: int, modified: float) -> SFTPAttrs:
    moment = int(modified)
    return SFTPAttrs(
        type=asyncssh.FILEXFER_TYPE_REGULAR,
        size=size,
        permissions=FILE_MODE,
        uid=os.getuid(),
        gid=os.getgid(),
        atime=moment,
        mtime=moment,
    )
