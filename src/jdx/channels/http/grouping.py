"""Requests that the store serialises anyway, stored as groups: one thread hop and one commit
per group instead of one per request.

One agency's submissions are processed one at a time (its lock, ``jdx/store/locks.py``), and on
SQLite every write is (one writer). A commit costs a disk flush (PostgreSQL: 2.2 ms measured on
the bench machine), so an agency whose requests each waited for the previous one's flush could
never pass about 400 a second. Here the requests of one key queue in the process while a group
is being stored; the next group takes all that queued (up to ``max_group``) and stores them in
order in one transaction, which holds the agency's lock throughout: each record sees every one
before it, exactly as one by one. Every request is answered after its group's commit, never
before. Should a group fail, each of its requests goes again in a group of its ``split_key``
(its agency), in a queue of that key's own: a request whose agency is busy elsewhere (its lock,
which the group waits for only briefly) then waits there without holding up the others. A group
of a split key that fails is tried again one request at a time, so that one request's failure is
its answer only.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_Waiting = deque[tuple[T, "asyncio.Future[R]"]]


class _Split:
    """The outcome of an item whose group failed: it goes again in a group of ``key``."""

    __slots__ = ("key",)

    def __init__(self, key: Hashable) -> None:
        self.key = key


@dataclass(frozen=True)
class _SplitQueue:
    """The queue of a split key: apart from every key that callers submit to."""

    key: Hashable


class Grouper(Generic[T, R]):
    def __init__(
        self,
        run_group: Callable[[Sequence[T]], Sequence[R]],
        run_one: Callable[[T], R],
        executor: Executor,
        max_group: int = 64,
        split_key: Callable[[T], Hashable] | None = None,
        run_split_group: Callable[[Sequence[T]], Sequence[R]] | None = None,
    ) -> None:
        """``run_group`` stores the groups of the keys submitted to; ``run_split_group`` (by
        default ``run_group``) those of one split key, after a failure."""
        self.run_group = run_group
        self.run_one = run_one
        self.executor = executor
        self.max_group = max_group
        self.split_key = split_key
        self.run_split_group = run_split_group or run_group
        # Per event loop (a test client runs one per test): the keys being drained, each with
        # the requests waiting for it.
        self._queues: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[Hashable, _Waiting[T, R]]
        ] = weakref.WeakKeyDictionary()
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, key: Hashable, item: T) -> R:
        """``run_one(item)``'s result (or exception), run in a group of the same key's items."""
        loop = asyncio.get_running_loop()
        queues = self._queues.setdefault(loop, {})
        future: asyncio.Future[R] = loop.create_future()
        queue = queues.get(key)
        if queue is None:
            queue = queues[key] = deque()
            task = loop.create_task(self._drain(loop, queues, key, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        queue.append((item, future))
        return await future

    async def _drain(
        self,
        loop: asyncio.AbstractEventLoop,
        queues: dict[Hashable, _Waiting[T, R]],
        key: Hashable,
        queue: _Waiting[T, R],
    ) -> None:
        group: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while queue:
                group = [queue.popleft() for _ in range(min(len(queue), self.max_group))]
                outcomes = await loop.run_in_executor(
                    self.executor,
                    self._run,
                    [item for item, _ in group],
                    isinstance(key, _SplitQueue),
                )
                for (item, future), outcome in zip(group, outcomes, strict=True):
                    if isinstance(outcome, _Split):
                        self._resubmit(loop, outcome.key, item, future)
                    elif future.done():  # cancelled: the client went away; the record is stored
                        continue
                    elif isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        except BaseException as exc:  # the loop is closing: nobody is left to answer
            for _, future in [*group, *queue]:
                if not future.done():
                    future.set_exception(exc)
            raise
        finally:
            del queues[key]

    def _resubmit(
        self, loop: asyncio.AbstractEventLoop, key: Hashable, item: T, future: asyncio.Future[R]
    ) -> None:
        """``item`` again, in a group of ``key``; its answer goes to the ``future`` it had."""

        async def again() -> None:
            try:
                outcome = await self.submit(_SplitQueue(key), item)
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(outcome)

        task = loop.create_task(again())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _run(self, items: list[T], split: bool) -> list[R | Exception | _Split]:
        # A group of one takes the group's path too: with many agencies most groups are of one
        # or two requests, and the group's path is the leaner one (PostgreSQL: two round trips
        # instead of one a statement; measured: 8 agencies, one worker, 0.94 ms of CPU a request).
        try:
            return list((self.run_split_group if split else self.run_group)(items))
        except Exception:
            # Split even a group of one key: alone in the queue it was submitted to, it would
            # hold up all that queue while it waits (for a lock that a batch file's chunk
            # holds, say); in its split key's queue it holds up only its own.
            if self.split_key is not None and not split:
                return [_Split(self.split_key(item)) for item in items]
        # Each item is tried alone, and answers for itself.
        outcomes: list[R | Exception | _Split] = []
        for item in items:
            try:
                outcomes.append(self.run_one(item))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes
