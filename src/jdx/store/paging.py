"""One page of a list: its rows, how many there are in all, and where the next page starts.

Offset paging with a total, what every list of the hub answers (API and portal): lists are an
agency's or a region's, thousands of rows at most per filter, so the count is one indexed query
and a client can show "41-60 of 1,234" and jump to any page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts; None on the last page."""
        following = self.offset + self.limit
        return following if following < self.total else None


def fetch_page(
    conn: sa.Connection,
    query: sa.Select[Any],
    *,
    limit: int,
    offset: int,
    row: Callable[[sa.Row[Any]], T],
) -> Page[T]:
    """``query`` (ordered, unpaged) cut to one page, with the count of all its rows."""
    total = conn.execute(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    items = [row(r) for r in conn.execute(query.limit(limit).offset(offset))]
    return Page(items, int(total.scalar_one()), limit, offset)


# Rows read from the cursor at a time when a whole list is streamed (an export).
STREAM_BATCH = 1000


def stream(
    conn: sa.Connection, query: sa.Select[Any], row: Callable[[sa.Row[Any]], T]
) -> Iterator[T]:
    """Every row of ``query``, read a batch at a time (a server-side cursor on PostgreSQL)."""
    streamed = conn.execution_options(stream_results=True, yield_per=STREAM_BATCH)
    # Closed with the generator, also when the reader stops early: a server-side cursor
    # (PostgreSQL) is not left open until the collector finds it.
    with streamed.execute(query) as result:
        for found in result:
            yield row(found)
