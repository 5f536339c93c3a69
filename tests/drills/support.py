"""Pieces of the fault drills: nginx in front of daphne processes, a lean asyncio watcher that
behaves like static/js (tracks the last `seq`, reconnects with `since`, drops what it has
already shown), and a paced comment poster."""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import websockets
from django.db import connection

from tests.support.cluster import render_nginx
from tests.support.servers import free_port, wait_for_port


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


async def ticket_seq(pk: int) -> int:
    """The ticket's latest seq, read from the database (in a thread whose connection is closed
    afterwards, so the test database can be dropped at the end)."""

    def read() -> int:
        from tickets.models import Ticket

        try:
            return Ticket.objects.values_list("seq", flat=True).get(pk=pk)
        finally:
            connection.close()

    return await asyncio.to_thread(read)


def agent_token(user: Any) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


class Nginx:
    """nginx (docs/deploy/nginx-cluster.conf) on a free port, in the foreground, our child."""

    def __init__(self, upstreams: list[int]) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        assert Path(binary).exists(), "nginx is needed (make system-deps)"
        self.port = free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="fixline-nginx-"))
        conf = render_nginx(self.prefix, self.port, upstreams, self.prefix / "static")
        self.process = subprocess.Popen(
            [binary, "-p", str(self.prefix), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # fast shutdown of master and workers
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)


class Watcher:
    """One page's socket: hello, then events; reconnects with since=<last seq shown>."""

    def __init__(self, urls: list[str], path: str, origin: str) -> None:
        self.urls = urls
        self.path = path
        self.origin = origin
        self.last: int | None = None
        self.shown: list[int] = []
        self.received_at: dict[int, float] = {}
        self.bodies: dict[int, str] = {}
        self.dropped = 0  # frames at or below the last seq shown (dedupe by seq)
        self.connects = 0
        self.connected = asyncio.Event()

    async def run(self) -> None:
        while True:
            url = random.choice(self.urls) + self.path
            if self.last is not None:
                url += f"?since={self.last}"
            try:
                async with websockets.connect(
                    url, origin=self.origin, open_timeout=5, ping_interval=None, compression=None
                ) as ws:
                    self.connects += 1
                    async for raw in ws:
                        self.on_message(json.loads(raw))
            except (TimeoutError, OSError, websockets.WebSocketException):
                pass
            await asyncio.sleep(random.uniform(0.05, 0.3))

    def on_message(self, message: dict[str, Any]) -> None:
        if message["type"] == "hello":
            if self.last is None:
                self.last = message["seq"]
            self.connected.set()
            return
        seq = message.get("seq")
        if seq is None or self.last is None:
            return
        if seq <= self.last:
            self.dropped += 1
            return
        self.last = seq
        self.shown.append(seq)
        self.received_at[seq] = time.time()
        if message["type"] == "comment.created":
            self.bodies[seq] = message["data"].get("body", "")


async def watch(watchers: list[Watcher]) -> list[asyncio.Task[None]]:
    tasks = [asyncio.create_task(w.run()) for w in watchers]
    async with asyncio.timeout(60):
        await asyncio.gather(*(w.connected.wait() for w in watchers))
    return tasks


async def until_caught_up(watchers: list[Watcher], final: int, timeout: float) -> float:
    """Seconds until every watcher has shown `final`; raises on timeout."""
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        while any(w.last != final for w in watchers):
            await asyncio.sleep(0.1)
    return time.monotonic() - started


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def assert_exactly_once(watchers: list[Watcher], start: int, final: int) -> None:
    expected = list(range(start + 1, final + 1))
    for i, w in enumerate(watchers):
        assert w.shown == expected, f"watcher {i}: shown {w.shown[:5]}… ≠ {start + 1}..{final}"


class Poster(threading.Thread):
    """POSTs comments at `rate` a second until stopped; remembers every answer."""

    def __init__(self, bases: list[str], ticket: int, token: str, rate: float) -> None:
        super().__init__(daemon=True)
        from tests.bench.harness import Poster as BenchPoster

        self.post = BenchPoster(bases, ticket, token)
        self.rate = rate
        self.halt = threading.Event()
        self.answers: list[tuple[float, bool]] = []  # (sent at, 201?)

    def run(self) -> None:
        i = 0
        start = time.monotonic()
        while not self.halt.is_set():
            sent = time.time()
            self.answers.append((sent, self.post(i, int(sent * 1000))))
            i += 1
            delay = start + i / self.rate - time.monotonic()
            if delay > 0:
                self.halt.wait(delay)

    def finish(self) -> None:
        self.halt.set()
        self.join(timeout=30)

    @property
    def ok(self) -> int:
        return sum(1 for _, good in self.answers if good)
