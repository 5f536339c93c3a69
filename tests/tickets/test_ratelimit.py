"""Rate limits on both caches: the embedded default's (locmem) and production's real Redis,
where a window is counted in one round trip (`SharedPoolRedisCache.incr_expiring`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings

from tickets import ratelimit
from tickets.errors import RateLimited

PREFIX = "fixline-ratelimit-test"


@pytest.fixture
def redis_cache(redis_server: Any) -> Iterator[None]:
    caches = {
        "default": {
            "BACKEND": "project.cache.SharedPoolRedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": PREFIX,
        }
    }
    with override_settings(CACHES=caches):
        cache.clear()
        yield
        cache.clear()


@pytest.fixture(params=["embedded", "redis"])
def shared_cache(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    cache.clear()
    yield request.param
    cache.clear()


def test_the_limit_lets_exactly_its_number_through_then_refuses(shared_cache: str) -> None:
    for _ in range(3):
        ratelimit.hit(scope="comment", key="neighbour-a", limit=3, window=60)
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit(scope="comment", key="neighbour-a", limit=3, window=60)
    assert 1 <= refused.value.retry_after <= 61
    # Another neighbour and another scope count apart.
    ratelimit.hit(scope="comment", key="neighbour-b", limit=3, window=60)
    ratelimit.hit(scope="flag", key="neighbour-a", limit=3, window=60)


def test_a_redis_window_is_one_round_trip_and_expires_with_its_window(
    redis_cache: None, redis_server: Any
) -> None:
    raw = redis.Redis.from_url(redis_server.url)
    before = raw.info("commandstats")
    ratelimit.hit(scope="comment", key="neighbour-c", limit=5, window=60)
    ratelimit.hit(scope="comment", key="neighbour-c", limit=5, window=60)
    after = raw.info("commandstats")

    def calls(stats: dict[str, Any], name: str) -> int:
        return int(stats.get(f"cmdstat_{name}", {}).get("calls", 0))

    assert calls(after, "eval") - calls(before, "eval") == 2  # one per hit
    assert calls(after, "exists") == calls(before, "exists")  # Django's incr is not used
    keys = raw.keys(f"{PREFIX}:*rl:comment:neighbour-c:*")
    assert len(keys) == 1
    assert 0 < raw.ttl(keys[0]) <= 65  # the window plus its margin, never forever
    assert cache.get(keys[0].decode().split(":", 2)[2]) == 2  # Django still reads the count


def test_the_redis_cache_keeps_one_client_per_pool_across_threads(redis_cache: None) -> None:
    """Django's client made a new `redis.Redis` (and its ~170 callbacks) for every call:
    three per comment POST. One per pool now, shared by the request threads."""
    clients: list[Any] = []

    def use() -> None:
        cache.set("shared-client", 1)
        clients.append(cache._cache.get_client(write=True))  # type: ignore[attr-defined]

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    use()
    assert len({id(client) for client in clients}) == 1
    assert cache.get("shared-client") == 1
