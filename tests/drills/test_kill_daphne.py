"""Drill: `kill -9` one of two daphne processes while 200 sockets watch a ticket that is being
commented on. The sockets reach the surviving process through nginx (the same config as
`make cluster`), resume with `since`, and every one of them shows every event exactly once,
in order."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

import pytest

from tests.drills.support import (
    Nginx,
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

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.processes,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(150),
]

WATCHERS = 200


async def test_kill_a_daphne_nothing_lost(redis_server: Any, ticket: Any, token: str) -> None:
    env = base_env(DATABASE_URL=database_url(), REDIS_URL=redis_server.url)
    daphnes = [Daphne(env), Daphne(env)]
    nginx = Nginx([d.port for d in daphnes])
    tasks: list[asyncio.Task[None]] = []
    poster = Poster([nginx.url], ticket.pk, token, rate=10)
    try:
        watchers = [
            Watcher([nginx.ws], f"/ws/tickets/{ticket.pk}/", nginx.url) for _ in range(WATCHERS)
        ]
        tasks = await watch(watchers)
        start = watchers[0].last
        assert all(w.last == start for w in watchers)
        poster.start()
        await asyncio.sleep(2)
        victim = daphnes[0]
        os.kill(victim.process.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        await asyncio.sleep(5)
        await asyncio.to_thread(poster.finish)
        final = await ticket_seq(ticket.pk)
        caught_up = await until_caught_up(watchers, final, timeout=45)
        recovered = time.monotonic() - killed_at
    finally:
        poster.halt.set()
        await stop(tasks)
        nginx.stop()
        for d in daphnes:
            d.stop()
    assert victim.process.returncode == -signal.SIGKILL
    assert final - start >= 20, f"only {final - start} events during the drill"
    reconnected = sum(1 for w in watchers if w.connects > 1)
    assert reconnected >= WATCHERS // 4, f"only {reconnected} sockets were on the killed process"
    assert_exactly_once(watchers, start, final)  # 0 lost, 0 duplicates shown, in order
    print(
        f"\nkill -9: {WATCHERS} sockets, {reconnected} reconnected through nginx; "
        f"{final - start} events, {poster.ok}/{len(poster.answers)} POSTs answered 201; "
        f"all caught up {recovered:.1f} s after the kill ({caught_up:.1f} s after the last POST); "
        f"{sum(w.dropped for w in watchers)} replayed frames dropped by seq"
    )
