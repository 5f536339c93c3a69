"""Drill: restart Redis mid-stream under two daphne processes. Writes keep succeeding (the
database is the truth), live delivery comes back within 5 s of Redis, the sockets fill the
gap from the event log (on the next live event, or on reconnect), and no event is lost."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.drills.support import (
    Poster,
    Watcher,
    assert_exactly_once,
    database_url,
    stop,
    ticket_seq,
    until_caught_up,
    watch,
)
from tests.realtime.processes import Daphne, base_env
from tests.support.servers import Redis

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.processes,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(150),
]

WATCHERS = 50
LIVE = 1.0  # a comment counts as delivered live when every socket has it within 1 s


def live_back_after(watchers: list[Watcher], since: float) -> float | None:
    """Seconds from `since` to the POST of the first comment sent after it that reached every
    socket live."""
    first = watchers[0]
    for seq in sorted(first.bodies):
        sent = int(first.bodies[seq].split()[2]) / 1000
        if sent < since:
            continue
        if all(seq in w.received_at and w.received_at[seq] - sent <= LIVE for w in watchers):
            return sent - since
    return None


async def test_restart_redis_nothing_lost(ticket: Any, token: str) -> None:
    redis = Redis().start()
    env = base_env(DATABASE_URL=database_url(), REDIS_URL=redis.url)
    daphnes = [Daphne(env), Daphne(env)]
    poster = Poster([d.url for d in daphnes], ticket.pk, token, rate=10)
    tasks: list[asyncio.Task[None]] = []
    try:
        watchers = [
            Watcher([d.ws for d in daphnes], f"/ws/tickets/{ticket.pk}/", daphnes[0].url)
            for _ in range(WATCHERS)
        ]
        tasks = await watch(watchers)
        start = watchers[0].last
        poster.start()
        await asyncio.sleep(2)
        redis.stop()
        await asyncio.sleep(1.5)
        redis = Redis(port=redis.port).start()
        up_at = time.time()
        await asyncio.sleep(7)
        await asyncio.to_thread(poster.finish)
        final = await ticket_seq(ticket.pk)
        caught_up = await until_caught_up(watchers, final, timeout=30)
    finally:
        poster.halt.set()
        await stop(tasks)
        for d in daphnes:
            d.stop()
        redis.stop()
    failed = [sent for sent, ok in poster.answers if not ok]
    assert not failed, (
        f"{len(failed)} of {len(poster.answers)} writes failed: {poster.post.errors[:3]}"
    )
    assert_exactly_once(watchers, start, final)
    back = live_back_after(watchers, up_at)
    assert back is not None and back <= 5, f"live delivery back after {back} s"
    print(
        f"\nRedis restart: {len(poster.answers)} POSTs, all 201; {final - start} events, "
        f"each shown once by {WATCHERS} sockets; live delivery back {back:.1f} s after Redis; "
        f"caught up {caught_up:.1f} s after the last POST; "
        f"{sum(w.connects - 1 for w in watchers)} reconnects"
    )
