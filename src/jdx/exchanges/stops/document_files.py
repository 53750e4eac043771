"""JSON and XML batch files read and checked in the reader worker (issue 20).

A JSON or XML file's records are dicts as sent: no columns to check them as, but no reason
either to read, validate and store them all in the hub's process, one core, as before (2,797
stops/s for 200,000 NDJSON stops, the hub's process at 100 % and the worker idle). The reader
worker (``batch_workers.CheckPool.documents``) reads the file with the record path's own reader
(``batch.read_items``), validates each record and hands back what the store needs, as for a
flat file's rows: the fields the relational checks read, the record's canonical text and its
issues, and the record as sent as JSON text, read back only for an error row. The hub's process
stores, a block behind. The outcomes are the record path's by construction: the same reader,
validator and canonical form run, only elsewhere. Where the worker is lost, or the file cannot
be read on, the hub's record path reads the rest, from the record after the last whole chunk
handed on (``columnar_files.chunked``), and words the error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from jdx.codecs.batch import DeferredSource, Format, Item
from jdx.dictionary import Dictionary, Issue, Outcome
from jdx.exchanges.stops.batch_workers import CheckPool
from jdx.exchanges.stops.columnar_files import Chunks, Rest, chunked
from jdx.exchanges.stops.records import Prepared


class SentRecord(DeferredSource):
    """A record as sent (``Item.source``), kept as its JSON text until an error row needs it."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def value(self) -> Any:
        return orjson.loads(self.text)


def checked_chunks(
    pool: CheckPool,
    path: Path,
    fmt: Format,
    dictionary: Dictionary,
    skip: int,
    size: int,
    rest: Callable[[int], Chunks],
    block: int,
) -> Chunks:
    """The file's records from record ``skip + 1`` on, ``size`` at a time, each with its data
    checks, as ``batch_files._checked_chunks`` gives them; ``rest(after)``: the record path's
    chunks from record ``after + 1`` on. ``block``: records per hand-over from the worker."""
    documents = pool.documents(path, fmt.value, dictionary.id, skip, block)
    yield from chunked(_blocks(documents), size, skip, rest)


def _blocks(got: Iterator[Any]) -> Iterator[list[tuple[Item, Outcome]] | Rest]:
    for part in got:
        yield part if isinstance(part, Rest) else [_item_of(entry) for entry in part]


def _item_of(entry: tuple[Any, ...]) -> tuple[Item, Outcome]:
    if entry[2] is None:  # not a record: the reader's conversion error
        seq, rows, _, error, source = entry
        return Item(seq, rows, error, source), Outcome([], "")
    seq, rows, (_, fields, text, issues, dictionary_id, core), sent = entry
    item = Item(seq, rows, Prepared.of(fields, text, core), SentRecord(sent), shaped=True)
    return item, Outcome([Issue(*i) for i in issues], dictionary_id)
