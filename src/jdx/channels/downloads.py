"""What the hub hands over as a file, in the portal and over the API: an agency's answer
files, and every list as CSV or XLSX. Streamed in chunks; a list is written to a spooled temporary file first (in memory up to
8 MB, then on disk), so that a long export never sits in memory whole."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from fastapi import HTTPException
from fastapi.responses import StreamingResponse

from jdx.codecs.list_file import FORMATS, write_list

CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 8 * 1024 * 1024


def attachment(content: IO[bytes], name: str, media: str) -> StreamingResponse:
    """``content`` (closed once sent) as a download named ``name``."""
    return StreamingResponse(
        _chunks(content),
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def list_download(
    fmt: str, columns: Sequence[str], rows: Iterable[dict[str, Any]], name: str
) -> StreamingResponse:
    """A list as ``name.<fmt>``; 400 naming the parameter for a format the hub does not write.
    ``rows`` is read whole before the answer starts (its connection can then be closed)."""
    if fmt not in FORMATS:
        raise HTTPException(400, f"format must be one of {', '.join(FORMATS)}")
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (sent, then closed)
    write_list(fmt, columns, rows, spool)
    spool.seek(0)
    return attachment(spool, f"{name}.{fmt}", FORMATS[fmt])


def _chunks(content: IO[bytes]) -> Iterator[bytes]:
    with content:
        while data := content.read(CHUNK):
            yield data
