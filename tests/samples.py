"""Batch files of stop records in the four formats agencies send, for any channel's tests."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import orjson
import xlsxwriter

from jdx.codecs.flat import FlatLayout
from jdx.codecs.xmlform import to_xml
from jdx.exchanges.stops import workflow
from jdx.exchanges.stops.file_folders import Folders
from jdx.exchanges.stops.file_store import Key, read_bytes, write_bytes
from jdx.hub import Hub
from jdx.security.keys import Principal
from tests.conftest import AgencyFixture, stop_record

STAMP = "20240315143200"


def delimited(layout: FlatLayout, records: list[dict[str, Any]]) -> bytes:
    lines = ["|".join(layout.names)]
    for r in records:
        lines += ["|".join(row) for row in layout.to_rows(r)]
    return ("\r\n".join(lines) + "\r\n").encode()


def workbook(layout: FlatLayout, records: list[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    table = [layout.names] + [row for r in records for row in layout.to_rows(r)]
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def three_kinds(agency: AgencyFixture) -> list[dict[str, Any]]:
    """A valid record, one with a record error, one with a fatal (core) error."""
    return [
        stop_record(agency),
        stop_record(agency, SDur="0"),
        stop_record(agency, SDate="13/45/2024"),
    ]


def four_formats(hub: Hub, agency: AgencyFixture) -> dict[str, bytes]:
    """One file per format, named by the convention; each holds a record with an error."""
    layout = FlatLayout(hub.validation.dictionaries["stop-2024"])
    one, two = stop_record(agency), stop_record(agency, SDur="0")
    three = stop_record(agency, SDur="0")
    return {
        f"{STAMP}_{agency.ori}_B0001.csv": delimited(layout, three_kinds(agency)),
        f"{STAMP}_{agency.ori}_B0002.xlsx": workbook(layout, three_kinds(agency)),
        f"{STAMP}_{agency.ori}_{one['LEARecordID']}.xml": to_xml("Stops", {"Stop": [one, two]}),
        f"{STAMP}_{agency.ori}_{three['LEARecordID']}.json": orjson.dumps(three),
    }


def upload(hub: Hub, principal: Principal, name: str, data: bytes) -> Key:
    """A file put in the agency's INPUT folder, as an SFTP upload leaves it."""
    folders = workflow.folders_of(hub)
    key = folders.input_dir(principal.ori, principal.realm) / name
    write_bytes(folders.store, key, data)
    return key


@dataclass(frozen=True)
class Stored:
    """A file of the hub's folders as a test reads it, whatever the store (disk, database)."""

    folders: Folders
    key: Key

    @property
    def name(self) -> str:
        return self.key.name

    def __truediv__(self, name: str) -> Stored:
        return Stored(self.folders, self.key / name)

    def names(self) -> list[str]:
        """The files of this folder (dot files, being written, left out)."""
        entries = self.folders.store.files(self.key)
        return sorted(e.name for e in entries if not e.name.startswith("."))

    def exists(self) -> bool:
        return self.folders.store.stat(self.key) is not None

    def read_bytes(self) -> bytes:
        return read_bytes(self.folders.store, self.key)

    def read_text(self) -> str:
        return self.read_bytes().decode()


def hub_file(hub: Hub, key: Key) -> Stored:
    return Stored(workflow.folders_of(hub), key)


# --- key order: what json keeps and jsonb does not ------------------------------------------


def reversed_keys(value: Any) -> Any:
    """``value`` with every object's keys in the reverse of their order (a record as a client
    may send it: the hub keeps the order it was sent in)."""
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(value)}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


def jsonb_order(value: Any) -> Any:
    """``value`` with every object's keys in the order PostgreSQL's jsonb gives them back
    (shorter keys first, then bytewise): what a jsonb column would return."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return {key: jsonb_order(value[key]) for key in keys}
    if isinstance(value, list):
        return [jsonb_order(v) for v in value]
    return value


def key_order(value: Any) -> Any:
    """The keys of every object in ``value``, nested, in their order (values left out)."""
    if isinstance(value, dict):
        return [(key, key_order(v)) for key, v in value.items()]
    if isinstance(value, list):
        return [key_order(v) for v in value]
    return None
