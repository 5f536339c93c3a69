"""The per-address socket count in Redis under a reconnect storm: thousands of handshakes
count at once, and every one of them is counted (none skipped with an error logged)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.test import override_settings

from realtime import aredis
from security.sockets import _RedisCount

STORM = 400  # several times the shared pool's size (aredis.MAX_CONNECTIONS)


async def test_a_storm_of_handshakes_is_counted_without_errors(
    redis_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with override_settings(REDIS_URL=redis_server.url):
        count = _RedisCount(aredis.client())  # the loop's shared client, as daphne's
    members = await asyncio.gather(
        *(count.acquire(f"10.0.{i % 4}.1", limit=10_000) for i in range(STORM))
    )
    assert all(members), f"{members.count('')} handshakes were not counted"
    assert "counting sockets in Redis failed" not in caplog.text
    # Each address holds a quarter of them; a limit of that many refuses the next one.
    assert await count.acquire("10.0.0.1", limit=STORM // 4) is None
    await asyncio.gather(*(count.release(m) for m in members if m))
    assert await count.acquire("10.0.0.1", limit=1)
    await count.redis.aclose()
