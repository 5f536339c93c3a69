"""The embedded layer without its O(N²) broadcast, and the per-process fan-out."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from realtime.layers import Fanout, FixlineInMemoryChannelLayer

pytestmark = pytest.mark.usefixtures("stop_background_tasks")


async def test_group_send_reaches_members_and_sweeps_rarely(monkeypatch: Any) -> None:
    layer = FixlineInMemoryChannelLayer(sweep_interval=60, expiry=60)
    channels = [await layer.new_channel() for _ in range(3)]
    for name in channels:
        await layer.group_add("g", name)
    sweeps = 0
    real = FixlineInMemoryChannelLayer.__mro__[1]._clean_expired

    def counting(self: Any) -> None:
        nonlocal sweeps
        sweeps += 1
        real(self)

    monkeypatch.setattr(FixlineInMemoryChannelLayer.__mro__[1], "_clean_expired", counting)
    for n in range(50):
        await layer.group_send("g", {"type": "m", "n": n})
    for name in channels:
        got = [(await layer.receive(name))["n"] for _ in range(50)]
        assert got == list(range(50))
    assert sweeps <= 1  # the stock layer sweeps 200 times here, each O(channels + members)


async def test_expired_messages_still_expire() -> None:
    layer = FixlineInMemoryChannelLayer(sweep_interval=0, expiry=0.01)
    name = await layer.new_channel()
    await layer.group_add("g", name)
    await layer.group_send("g", {"type": "m"})
    time.sleep(0.05)
    layer._clean_expired()
    assert name not in layer.channels
    assert name not in layer.groups.get("g", {})


async def test_full_channel_drops_without_raising() -> None:
    layer = FixlineInMemoryChannelLayer(capacity=2)
    name = await layer.new_channel()
    await layer.group_add("g", name)
    for _ in range(5):
        await layer.group_send("g", {"type": "m"})
    assert layer.channels[name].qsize() == 2


class Sink:
    def __init__(self, fail: bool = False) -> None:
        self.got: list[dict[str, Any]] = []
        self.fail = fail

    async def deliver(self, message: dict[str, Any]) -> None:
        if self.fail:
            raise RuntimeError("broken socket")
        self.got.append(message)


async def test_fanout_one_subscription_per_group() -> None:
    layer = FixlineInMemoryChannelLayer()
    fanout = Fanout(layer)
    sinks = [Sink() for _ in range(3)]
    broken = Sink(fail=True)
    for sink in [*sinks, broken]:
        await fanout.join("ticket.1", sink)
    assert list(layer.groups["ticket.1"]) == [fanout.channel]
    await layer.group_send("ticket.1", {"type": "x", "group": "ticket.1", "text": "a"})
    await layer.group_send("ticket.2", {"type": "x", "group": "ticket.2", "text": "b"})
    await asyncio.sleep(0.05)
    assert all([m["text"] for m in s.got] == ["a"] for s in sinks)
    for sink in [*sinks, broken]:
        await fanout.leave("ticket.1", sink)
    assert "ticket.1" not in layer.groups
    assert fanout.count("ticket.1") == 0
    assert fanout._task is not None
    fanout._task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await fanout._task
