"""``Grouper`` on its own: what a failing group does to the queue it was submitted to."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from jdx.channels.http.grouping import Grouper

SHARED = ("all",)


def _agency(item: str) -> str:
    return item.split(":")[0]


def test_a_group_of_one_busy_key_leaves_the_shared_queue_for_its_own() -> None:
    """The busy key's item is alone in the first group, which fails fast (a brief lock wait);
    in its own queue it waits as long as it must, and the shared queue goes on meanwhile."""
    released = threading.Event()
    stored: list[str] = []
    shared_groups: list[list[str]] = []

    def run_group(items: Sequence[str]) -> list[str]:
        shared_groups.append(list(items))
        if any(_agency(i) == "busy" for i in items):
            raise TimeoutError("lock busy elsewhere")  # the brief wait ran out
        stored.extend(items)
        return [f"ok {i}" for i in items]

    def run_split_group(items: Sequence[str]) -> list[str]:
        released.wait(timeout=30)  # waits as long as the lock is busy
        stored.extend(items)
        return [f"ok {i}" for i in items]

    async def go() -> tuple[list[str], list[str]]:
        with ThreadPoolExecutor(4) as pool:
            grouper: Grouper[str, str] = Grouper(
                run_group,
                lambda i: f"one {i}",
                pool,
                split_key=_agency,
                run_split_group=run_split_group,
            )
            busy = asyncio.ensure_future(grouper.submit(SHARED, "busy:1"))
            await asyncio.sleep(0.1)  # its group is running before the others arrive
            others = [f"calm:{n}" for n in range(5)]
            answers = await asyncio.wait_for(
                asyncio.gather(*(grouper.submit(SHARED, i) for i in others)), timeout=10
            )
            assert not busy.done()
            released.set()
            return answers, [await busy]

    answers, busy_answer = asyncio.run(go())
    assert answers == [f"ok calm:{n}" for n in range(5)]
    assert busy_answer == ["ok busy:1"]
    assert stored[-1] == "busy:1"  # stored after the others, in its own queue
    assert shared_groups[0] == ["busy:1"]


def test_a_failing_split_group_is_tried_one_at_a_time() -> None:
    """A group that fails in the shared queue and again in its key's queue: each item answers
    for itself, one by one."""

    def failing(items: Sequence[str]) -> list[str]:
        raise RuntimeError("group")

    def one(item: str) -> str:
        if item == "a:2":
            raise ValueError("its own failure")
        return f"one {item}"

    async def go() -> list[str | BaseException]:
        with ThreadPoolExecutor(2) as pool:
            grouper: Grouper[str, str] = Grouper(failing, one, pool, split_key=_agency)
            return await asyncio.gather(
                *(grouper.submit(SHARED, i) for i in ["a:1", "a:2", "b:1"]),
                return_exceptions=True,
            )

    outcomes = asyncio.run(go())
    assert outcomes[0] == "one a:1" and outcomes[2] == "one b:1"
    assert isinstance(outcomes[1], ValueError)
