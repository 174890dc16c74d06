"""Large containers let go a chunk per turn of the event loop (``emulator.release``)."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import pytest

from emulator import release
from emulator.store import MemoryStore


def test_off_the_event_loop_containers_are_simply_dropped() -> None:
    release.let_go({n: n for n in range(10_000)}, list(range(10_000)), deque(range(10_000)))


def test_on_the_event_loop_each_turn_frees_one_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(release, "CHUNK", 10)
    containers: list[Any] = [{n: str(n) for n in range(35)}, [object() for _ in range(25)], deque(range(15)), [1, 2]]
    sizes: list[list[int]] = []

    async def main() -> None:
        release.let_go(*containers)
        assert [len(c) for c in containers] == [35, 25, 15, 2]  # nothing freed while the caller runs
        for _ in range(8):  # others run between chunks
            await asyncio.sleep(0)
            sizes.append([len(c) for c in containers])

    asyncio.run(main())
    # one chunk per turn, the last container first; what is left of one (at most a chunk), and a small
    # one, are dropped as they are (here the test still holds them: nobody else does in the emulator)
    assert sizes == [[35, 25, 5, 2], [35, 15, 5, 2], [35, 5, 5, 2], [25, 5, 5, 2], [15, 5, 5, 2]] + [[5, 5, 5, 2]] * 3


def test_a_cleared_kind_is_gone_at_once_though_freed_later(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(release, "CHUNK", 2)

    async def main() -> None:
        store = MemoryStore()
        for n in range(9):
            store.put("t", "messages", f"m{n}", {"id": f"m{n}"})
        store.put("t", "users", "u", {"id": "u"})
        store.clear("t", ["messages"])
        assert store.count("t", "messages") == 0 and store.items("t", "messages") == []
        store.put("t", "messages", "new", {"id": "new"})
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert [d["id"] for d in store.items("t", "messages")] == ["new"] and store.get("t", "users", "u") is not None

    asyncio.run(main())
