"""One asyncio Redis client per event loop (when REDIS_URL is set), for the work done on
daphne's loop without a thread: the stored ticket page served before Django's handler
(`tickets/pagefront.py`) reads it and counts its view here."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from django.conf import settings

# A crowd may have more requests waiting on Redis than the pool has connections: they wait
# for one (up to TIMEOUT seconds) instead of failing, as redis-py's default pool makes them.
MAX_CONNECTIONS = 100
TIMEOUT = 5

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()


def client() -> Any | None:
    """This loop's client, or None without REDIS_URL (the embedded default)."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    import redis.asyncio  # only with REDIS_URL set: the embedded default runs without redis

    loop = asyncio.get_running_loop()
    found = _clients.get(loop)
    if found is None:
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=TIMEOUT,
            # A Redis that hangs must not hold the request: the caller falls back.
            socket_connect_timeout=TIMEOUT,
            socket_timeout=TIMEOUT,
        )
        found = _clients[loop] = redis.asyncio.Redis(connection_pool=pool)
    return found
