"""Django's Redis cache with one connection pool per process (production's cache).

Django keeps a cache backend per context (`caches` is an asgiref `Local`), and its
`RedisCache` keeps its connection pools on that backend. Under daphne every request runs in a
context of its own (Django's ASGI handler enters a `ThreadSensitiveContext` per request, with a
new thread), so every request built a new pool and opened a new connection to Redis: a TCP
handshake, redis-py's `HELLO`/`CLIENT SETINFO` and a read of its own package metadata from
disk. On the production shape that was most of an anonymous page hit's time (py-spy,
docs/performance.md, "Flash crowd"). Here the client, and so its pools, is shared by every
backend of the process with the same servers and options; redis-py's pools are thread-safe.

The pool blocks (up to `timeout` seconds) instead of failing when all its connections are in
use: redis-py's default pool raises past 100 connections, and a crowd can have more requests
in flight in one process than that.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple[Any, ...], RedisCacheClient] = {}
_lock = threading.Lock()

POOL_DEFAULTS = {
    "pool_class": "redis.BlockingConnectionPool",
    "max_connections": 200,
    "timeout": 5,
}


# The first count of a window also sets its time-to-live (a key never outlives its window).
_INCR_EXPIRING = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class SharedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a new `redis.Redis` for every cache call, and redis-py fills
    each new one's table of ~170 response callbacks: three times per comment POST, the
    hottest function of its profile (yappi on daphne, docs/performance.md "The write path").
    A `redis.Redis` is only a handle on its pool, safe to share between threads, so one per
    pool is kept."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redis_clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._redis_clients.get(id(pool))
        if client is None:
            client = self._redis_clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    @cached_property
    def _cache(self) -> RedisCacheClient:
        options = {**POOL_DEFAULTS, **self._options}
        key = (tuple(self._servers), repr(sorted(options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **options)
        return client

    def incr_expiring(self, key: str, timeout: int, version: int | None = None) -> int:
        """Add one to `key` (from 0 when absent, living `timeout` seconds) and return the
        count, in one round trip. The value stays what Django's `get` reads as an int."""
        key = self.make_and_validate_key(key, version=version)
        client = self._cache.get_client(key, write=True)
        return int(client.eval(_INCR_EXPIRING, 1, key, int(timeout)))
