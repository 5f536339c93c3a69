"""`make run`'s shape (FIXLINE_EMBEDDED_WORKER=1): the task worker is a child process of daphne
(project/worker.py), and what it pushes (the bell, written by the worker since the comment's
request no longer does it) is relayed to daphne's process, whose in-memory channel layer holds
the sockets: it reaches them live. The worker never outlives daphne."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.realtime.processes import Daphne, demo_env, http, shell, token

pytestmark = [pytest.mark.processes, pytest.mark.timeout(300)]

SESSION = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
client = Client()
client.force_login(get_user_model().objects.get(username="citizen"))
name = settings.SESSION_COOKIE_NAME
print(f"{name}={client.cookies[name].value}")
"""


@pytest.fixture(scope="module")
def server() -> Any:
    env = demo_env(FIXLINE_EMBEDDED_WORKER="1")
    daphne = Daphne(env)
    daphne.env = env  # type: ignore[attr-defined]
    try:
        yield daphne
    finally:
        daphne.stop()


async def test_the_bell_rings_live_from_the_embedded_worker(server: Daphne) -> None:
    status, listed = http("GET", f"{server.url}/api/v1/tickets/?status=open")
    assert status == 200
    ticket = next(t for t in listed["results"] if not t.get("event"))["id"]
    citizen = {"Authorization": f"Token {token(server.url, 'citizen', 'demo-citizen')}"}
    status, answer = http("POST", f"{server.url}/api/v1/tickets/{ticket}/follow/", {}, citizen)
    assert status in (200, 201), answer
    cookie = shell(server.env, SESSION)  # type: ignore[attr-defined]
    async with websockets.connect(
        f"{server.ws}/ws/notifications/",
        origin=server.url,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
        open_timeout=10,
    ) as bell:
        hello = json.loads(await asyncio.wait_for(bell.recv(), 10))
        assert hello["type"] == "hello", hello
        agent = {"Authorization": f"Token {token(server.url, 'agent', 'demo-agent')}"}
        status, answer = await asyncio.to_thread(
            http,
            "POST",
            f"{server.url}/api/v1/tickets/{ticket}/comments/",
            {"body": "A crew is on its way."},
            agent,
        )
        assert status == 201, answer
        # The worker polls every half second; generous for a busy machine. It may still be
        # working through the demo data's own jobs (other tickets) when the comment lands.
        deadline = asyncio.get_running_loop().time() + 20
        while True:
            left = deadline - asyncio.get_running_loop().time()
            message = json.loads(await asyncio.wait_for(bell.recv(), max(left, 0.1)))
            if message.get("ticket") == ticket:
                break
    assert message["type"] == "notification.created", message
    assert message["data"]["unread"] > hello["data"]["unread"]


def worker_processes(daphne: int) -> list[int]:
    """Daphne's spawned children (not multiprocessing's resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == daphne and fields[0] != "Z" and "spawn_main" in command:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is missing


def the_worker(daphne: Daphne, other_than: int = 0) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        workers = [pid for pid in worker_processes(daphne.process.pid) if pid != other_than]
        if workers:
            assert len(workers) == 1, workers
            return workers[0]
        time.sleep(0.2)
    raise AssertionError("no worker process:\n" + daphne.output())


def test_the_worker_is_a_process_of_its_own_restarted_if_it_dies_ending_with_daphne() -> None:
    """Its jobs do not hold daphne's interpreter lock (the POSTs of a storm waited for them); a
    worker that dies is replaced; a daphne killed outright (-9, no clean-up) leaves no worker
    behind."""
    daphne = Daphne(demo_env(FIXLINE_EMBEDDED_WORKER="1"))
    try:
        first = the_worker(daphne)
        os.kill(first, signal.SIGKILL)
        worker = the_worker(daphne, other_than=first)
        os.kill(daphne.process.pid, signal.SIGKILL)
        daphne.process.wait(10)
        deadline = time.monotonic() + 10
        while running(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not running(worker), "the worker outlived daphne"
    finally:
        daphne.stop()


def test_daphne_stopping_ends_its_worker_quietly() -> None:
    """SIGTERM (daphne stopping, Ctrl-C in `make run`): daphne and its worker end, and the log
    does not claim the worker died and is being restarted."""
    daphne = Daphne(demo_env(FIXLINE_EMBEDDED_WORKER="1"))
    try:
        worker = the_worker(daphne)
        os.kill(daphne.process.pid, signal.SIGTERM)
        assert daphne.process.wait(15) == 0
        deadline = time.monotonic() + 10
        while running(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not running(worker), "the worker outlived daphne"
        log = daphne.output()
        assert "died" not in log and "Traceback" not in log, log
    finally:
        daphne.stop()
