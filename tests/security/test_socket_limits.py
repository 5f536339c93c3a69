"""One address cannot hold the server (docs/security.md, "Round 2: proxies and sockets",
item 12): daphne started as `make run` starts it closes a slow-header trickle and refuses
the socket over FIXLINE_WS_MAX_PER_ADDRESS (in Redis across processes when REDIS_URL is
set); nginx as configured for production (docs/deploy/nginx-cluster.conf) does the same with
`client_header_timeout` and `limit_conn`."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
import websockets

from tests.realtime.processes import demo_env
from tests.security.production import Daphne, Nginx, cluster_daphne, make_run_flags

pytestmark = [pytest.mark.processes, pytest.mark.timeout(240)]

CAP = 5


@pytest.fixture(scope="module")
def site_env() -> dict[str, str]:
    return demo_env("fixline-limits-", FIXLINE_WS_MAX_PER_ADDRESS=str(CAP))


@pytest.fixture(scope="module")
def make_run(site_env: dict[str, str]) -> Iterator[Daphne]:
    daphne = Daphne(site_env, make_run_flags())
    try:
        yield daphne
    finally:
        daphne.stop()


def trickle_is_cut(port: int, bound: float = 40) -> float:
    """Seconds until the server closes a connection that sends its request headers one byte
    a second; fails if it is still open after `bound`."""
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        for byte in request:
            if time.monotonic() - started > bound:
                break
            try:
                conn.sendall(bytes([byte]))
                conn.settimeout(1)
                if conn.recv(1024) == b"":  # closed by the server
                    return time.monotonic() - started
            except TimeoutError:
                continue  # still open: next byte
            except OSError:  # reset by the server
                return time.monotonic() - started
    pytest.fail(f"a slow-header trickle was still open after {bound:.0f} s")


def test_make_run_closes_a_slow_header_trickle(make_run: Daphne) -> None:
    assert trickle_is_cut(make_run.port) < 40


async def open_sockets(stack: AsyncExitStack, base: str, origin: str, n: int) -> list[Any]:
    return [
        await stack.enter_async_context(
            websockets.connect(f"{base}/ws/feed/", origin=origin, open_timeout=10)
        )
        for _ in range(n)
    ]


async def refused(base: str, origin: str) -> int:
    try:
        async with websockets.connect(f"{base}/ws/feed/", origin=origin, open_timeout=10):
            return 101
    except websockets.InvalidStatus as error:
        return error.response.status_code


async def test_make_run_refuses_the_socket_over_the_per_address_cap(make_run: Daphne) -> None:
    ws = make_run.url.replace("http://", "ws://")
    async with AsyncExitStack() as stack:
        sockets = await open_sockets(stack, ws, make_run.url, CAP)
        assert await refused(ws, make_run.url) == 403
        await sockets[0].close()
        await asyncio.sleep(0.5)
        async with websockets.connect(f"{ws}/ws/feed/", origin=make_run.url, open_timeout=10):
            pass  # a closed socket no longer counts


async def test_the_cap_holds_across_processes_with_redis(redis_server: Any) -> None:
    env = demo_env(
        "fixline-limits-redis-", REDIS_URL=redis_server.url, FIXLINE_WS_MAX_PER_ADDRESS="4"
    )
    first, second = Daphne(env, make_run_flags()), Daphne(env, make_run_flags())
    try:
        urls = [d.url.replace("http://", "ws://") for d in (first, second)]
        async with AsyncExitStack() as stack:
            await open_sockets(stack, urls[0], first.url, 2)
            await open_sockets(stack, urls[1], second.url, 2)
            assert await refused(urls[0], first.url) == 403
            assert await refused(urls[1], second.url) == 403
    finally:
        first.stop()
        second.stop()


@pytest.fixture(scope="module")
def behind_nginx(site_env: dict[str, str]) -> Iterator[Nginx]:
    env = {**site_env, "FIXLINE_TRUST_X_FORWARDED_FOR": "1", "FIXLINE_WS_MAX_PER_ADDRESS": "0"}
    daphne = cluster_daphne(env)
    nginx = Nginx(daphne.port, ws_conn=3)
    try:
        yield nginx
    finally:
        nginx.stop()
        daphne.stop()


def test_nginx_closes_a_slow_header_trickle(behind_nginx: Nginx) -> None:
    assert trickle_is_cut(behind_nginx.port) < 40


async def test_nginx_limits_open_sockets_per_address(behind_nginx: Nginx) -> None:
    ws = behind_nginx.url.replace("http://", "ws://")
    async with AsyncExitStack() as stack:
        await open_sockets(stack, ws, behind_nginx.url, 3)
        assert await refused(ws, behind_nginx.url) == 429
