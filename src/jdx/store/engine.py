"""The database engine, tuned per backend.

SQLite (the embedded default) runs in WAL mode so readers never block the writer, with
``synchronous=NORMAL`` (durable at every checkpoint, safe against application crashes) and a busy
timeout so that several processes can share the file. Write transactions begin IMMEDIATE so two
writers queue for the lock instead of failing half-way with SQLITE_BUSY.

The busy handler behind that queue waits by sleeping and retrying, which under many threads
leaves the database idle between retries (measured: p99 over a second at 32 concurrent
clients). The hot write paths therefore take :func:`write_transaction`, which on SQLite first
queues on a lock of the process, then on a lock file that the hub's processes share, so the
database passes from one writer to the next at once.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from psycopg.abc import Buffer
from psycopg.types.string import StrBinaryDumper, StrDumperUnknown
from sqlalchemy import event
from sqlalchemy.engine import Engine

from jdx.settings import Settings


def json_text(value: Any) -> str:
    """JSON columns' text: orjson, several times faster than the json module SQLAlchemy uses by
    default (every stored stop has two JSON columns; measured: 4 % of a batch file's time).
    Non-text keys become text, as with the json module."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(settings: Settings, **kwargs: Any) -> Engine:
    kwargs.setdefault("json_serializer", json_text)
    kwargs.setdefault("json_deserializer", orjson.loads)
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        return _sqlite_engine(url, settings.data_dir, **kwargs)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = sa.create_engine(url, pool_size=10, max_overflow=20, **kwargs)
    _ping_idle_connections(engine)
    event.listen(engine, "connect", _text_without_nul)
    return engine


def sqlite_file(settings: Settings) -> Path | None:
    """The file of the SQLite database the settings name; None for another backend or memory.

    Commands look before they connect: connecting to SQLite creates a missing file, and only
    ``jdx db upgrade`` should leave a database behind.
    """
    url = sa.make_url(settings.effective_database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


IDLE_PING_SECONDS = 10.0
# SQLite's soft heap limit (bytes, the whole process), which holds all connections' page caches
# together. 80 MiB (one connection's whole ``cache_size`` below and room) gave the same speed as
# 40 at 1,000,000 stops and 100,000 XLSX rows, and 40 MB more of the hub's peak (docs/benchmarks.md,
# session 18): the pages a chunk's inserts touch fit in far less.
SQLITE_HEAP_LIMIT = 40 * 2**20


class _TextDumper(StrDumperUnknown):
    """psycopg's text form of a str, U+0000 replaced by U+FFFD (the replacement character)."""

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)


class _BinaryTextDumper(StrBinaryDumper):
    """psycopg's binary form of a str (arrays, the ``unnest`` insert), U+0000 replaced."""

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)


def _text_without_nul(dbapi_connection: Any, _record: Any) -> None:
    """PostgreSQL's text cannot hold U+0000, which JSON text, a URL's ``%00`` or a form may
    carry; given one, psycopg raises before the statement is sent, and every door would have to
    keep it out of every column and every look-up. Here, at the one place every value passes,
    it becomes U+FFFD: a look-up by such a value finds nothing (nothing the hub stores holds
    one), a column copy of an invalid value (a record's id refused for its character set, a
    form field) is stored with the replacement character, and a record's own JSON text, which
    escapes it (json, not jsonb: 0011, 0020), keeps it as sent. SQLite keeps U+0000 as it is.
    Measured: 0.33 µs more per text value (psycopg's C dumper: 0.10)."""
    # In psycopg's order: the last one registered is the one a ``%s`` takes, and it must stay
    # the text of unknown type, so that PostgreSQL infers a parameter's type from its use.
    dbapi_connection.adapters.register_dumper(str, _BinaryTextDumper)
    dbapi_connection.adapters.register_dumper(str, _TextDumper)


def _ping_idle_connections(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, for connections that sat idle only.

    A server restart or a firewall that drops idle sessions leaves dead connections in the
    pool; a ping at checkout replaces them before a request fails. Pinging every checkout costs
    a round trip per transaction (measured: a fifth of the web service's throughput on
    PostgreSQL), while a connection in steady use has just shown it is alive.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as exc:
            # The pool discards this connection and checks out (or opens) another.
            raise sa.exc.DisconnectionError("idle connection is dead") from exc


def _sqlite_engine(url: str, data_dir: Path, **kwargs: Any) -> Engine:
    data_dir.mkdir(parents=True, exist_ok=True)
    # LIFO: a writer mostly gets back the connection it wrote with last, whose page cache is
    # still valid (in WAL mode a connection drops its whole cache when it finds that another
    # one wrote since its last transaction). The default, FIFO, hands out the connection idle
    # longest, so a batch file's chunks went to the pool's connections in turn, each filling a
    # cache of its own (below).
    kwargs.setdefault("pool_use_lifo", True)
    engine = sa.create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event open transactions, so that we choose their kind.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # 64 MiB of page cache instead of SQLite's 2 MiB: a big file's inserts land at random
        # places of the stops table's key indexes, and with the default cache every insert
        # read its index pages back from the OS again, more so the larger the table.
        cursor.execute("PRAGMA cache_size=-65536")
        # ... but that is per connection, and the pool keeps several: SQLite's heap grew with
        # the file, to 70 MB at 200,000 stops and 205 MB at 1,000,000 (three caches' worth;
        # the hub's process peaked at 262 and 417 MB; docs/benchmarks.md). SQLite's soft heap
        # limit is the process's (every connection, DBOS's too): past it, a connection reuses
        # its own least recently used pages instead of allocating more, so the caches together
        # stay near one. No query fails at the limit; it only bounds the caches.
        cursor.execute(f"PRAGMA soft_heap_limit={SQLITE_HEAP_LIMIT}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def read_only(conn: sa.Connection) -> sa.Connection:
    """A connection whose transactions only read: on SQLite they take no write lock."""
    return conn.execution_options(sqlite_begin="DEFERRED")


_writers: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_writers_guard = threading.Lock()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[sa.Connection]:
    """``engine.begin()``, queued first on the process's writer lock when the engine is SQLite.

    PostgreSQL takes no such lock: its writers run concurrently (one agency's writes are
    serialised by an advisory lock, see ``locks.py``).
    """
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            yield conn
        return
    with _writers_guard:
        writer = _writers.setdefault(engine, threading.RLock())
    with writer, _across_processes(engine), engine.begin() as conn:
        yield conn


_lock_files: dict[tuple[int, str], int] = {}  # (process id, lock file) -> open descriptor


class _Holding(threading.local):
    file_lock = False  # this thread holds the lock file (nested write transactions)


_holding = _Holding()


@contextmanager
def _across_processes(engine: Engine) -> Iterator[None]:
    """The next writer of another process (``jdx serve --workers N``) takes over as soon as
    this one commits: it waits on a lock file, woken by the kernel, where SQLite's busy
    handler would sleep and retry (1 to 100 ms a try; measured: p99 of 0.5 to 1.4 s at 32
    clients with two workers). Only :func:`write_transaction` takes it; other writers still
    queue through the busy handler, as before."""
    database = engine.url.database
    if not database or database == ":memory:" or _holding.file_lock:
        yield  # no file, or this thread holds it already (a nested write transaction)
        return
    path = f"{database}-writer.lock"
    key = (os.getpid(), path)  # a forked child must open its own: flock is per open file
    with _writers_guard:
        fd = _lock_files.get(key)
        if fd is None:
            fd = _lock_files[key] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    _holding.file_lock = True
    try:
        yield
    finally:
        _holding.file_lock = False
        fcntl.flock(fd, fcntl.LOCK_UN)
