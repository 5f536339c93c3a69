"""Drill: 10,000 malformed or oversized frames from 50 sockets against one daphne while 100
well-behaved sockets watch a ticket commented on 10 times a second. No crash (the process
lives, no traceback in its log), each bad frame gets an error answer or a close, the other
sockets lose nothing, none of them is closed, and their p99 is compared with the same run
without the attack (target 2×). The drill goes through nginx (docs/deploy/nginx-cluster.conf),
whose per-address handshake limit refuses most of the attackers' reconnections."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.bench.harness import Poster, paced
from tests.drills.support import Nginx, database_url
from tests.realtime.processes import ROOT, Daphne, base_env

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.processes,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(150),
]

ATTACKERS = 50
FRAMES = 10_000
GOOD = 100
SECONDS = 5
FLOOR_MS = 50  # below this a p99 is noise on a shared machine: compare with at least this
ATTEMPTS = 1  # more would be fairer to a shared machine, but each costs ~20 s of make test
# The target is 2×: met on an idle machine since the handshakes got cheap (the shared
# socket row and replay, tickets/socket_rows.py) and bad frames are answered on daphne's
# protocol before any ASGI dispatch (realtime/clientframes.py: ~100 → ~25 µs per frame):
# 1.01, 1.14 and 0.92× on 2026-12-02 19:42 (load ≈ 1.5). On a loaded machine one busy moment
# decides a p99 over ~1,500 deliveries (0.65–11.2× at load 2–9 before the shared reads), so
# the build's GUARD keeps a wide margin; it still fails an order-of-magnitude regression
# (Channels' per-frame database hop, fixed in realtime.consumers.BaseConsumer.dispatch, was 11×
# on a quiet machine). The verdict against TARGET is in docs/performance.md ("Bad-input drill").
TARGET = 2
GUARD = 16


def report(listener: subprocess.Popen) -> dict[str, Any]:
    assert listener.stdin and listener.stdout
    listener.stdin.write("report\n")
    listener.stdin.flush()
    return json.loads(listener.stdout.readline())


async def test_bad_input_does_not_disturb_others(ticket: Any, token: str) -> None:
    daphne = Daphne(base_env(DATABASE_URL=database_url()))
    nginx = Nginx([daphne.port])
    listener = None
    try:
        url = f"{nginx.ws}/ws/tickets/{ticket.pk}/"
        listener = subprocess.Popen(
            [sys.executable, "-m", "tests.drills.listen", url, str(GOOD), nginx.url],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert listener.stdout and listener.stdout.readline().strip() == "ready"
        poster = Poster([nginx.url], ticket.pk, token)
        for i in range(3):  # warm-up
            assert poster(i, 0), poster.errors
        report(listener)
        attempts = []
        for _attempt in range(ATTEMPTS):
            attempt = await measure(listener, poster, url, nginx.url, daphne.process.pid)
            attempts.append(attempt)
            if attempt["attacked"]["p99"] <= TARGET * max(attempt["normal"]["p99"], FLOOR_MS):
                break
        assert daphne.process.poll() is None, "daphne crashed"
        log = daphne.output()
    finally:
        if listener is not None:
            listener.kill()
            listener.wait()
        nginx.stop()
        daphne.stop()
    assert "Exception inside application" not in log, log[-3000:]
    for a in attempts:
        tally, normal, attacked = a["tally"], a["normal"], a["attacked"]
        assert tally["frames"] == FRAMES, tally
        assert normal["n"] == a["posted_normal"] * GOOD, "a well-behaved socket missed events"
        assert attacked["n"] == a["posted_attack"] * GOOD, "a well-behaved socket missed events"
        assert attacked["closed"] == 0, "a well-behaved socket was closed"
        print(
            f"\nbad input: {tally['frames']:,} bad frames from {ATTACKERS} sockets in "
            f"{a['seconds']:.1f} s ({tally.get('connects', 0)} connections, {tally.get('refused', 0)} refused "
            f"by nginx, {tally.get('errors', 0):,} error answers read, closes: "
            f"{ {k: v for k, v in tally.items() if k.startswith('closed')} }); {GOOD} other "
            f"sockets: p99 {normal['p99']:.0f} ms normal, {attacked['p99']:.0f} ms under attack "
            f"(ratio {attacked['p99'] / normal['p99']:.2f}); daphne busy {a['cpu']['normal']:.0%} "
            f"of a core normally, {a['cpu']['attack']:.0%} under attack; slowest comments under "
            f"attack (s after it began: ms): "
            f"{', '.join(f'{at:+.1f}: {ms:.0f}' for at, ms in a['slowest'])}"
        )
    last = attempts[-1]
    assert last["attacked"]["p99"] <= GUARD * max(last["normal"]["p99"], FLOOR_MS), attempts


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by process `pid` (Linux): daphne's cost of the attack, a figure
    that a loaded machine moves much less than a p99."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    listener: subprocess.Popen, poster: Poster, url: str, origin: str, pid: int
) -> dict:
    """Comments at 10/s for SECONDS with nothing else (normal), then the same while the
    attackers send their 10,000 frames."""
    cpu = cpu_seconds(pid)
    posted_normal, _ = await asyncio.to_thread(paced, poster, 10, SECONDS)
    cpu_normal = cpu_seconds(pid) - cpu
    await asyncio.sleep(1)
    normal = report(listener)
    started = time.monotonic()
    started_ms = time.time() * 1000
    cpu = cpu_seconds(pid)
    attackers = subprocess.Popen(
        # Niced: the attackers share the 2 cores with the server and the listener being
        # timed; they still send every frame (the drill measures the server, not them).
        ["nice", "-n", "10", sys.executable, "-m", "tests.drills.attack", url, origin]
        + [str(ATTACKERS), str(FRAMES)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    # Comments at 10/s for as long as the attack lasts (nginx slows the reconnections down).
    posted_attack = 0
    while posted_attack == 0 or attackers.poll() is None:
        posted, _ = await asyncio.to_thread(paced, poster, 10, 2)
        posted_attack += posted
    out, _ = await asyncio.to_thread(attackers.communicate, timeout=90)
    seconds = time.monotonic() - started
    cpu_attack = cpu_seconds(pid) - cpu
    await asyncio.sleep(1)
    attacked = report(listener)
    return {
        "normal": normal,
        "attacked": attacked,
        "tally": json.loads(out),
        "seconds": seconds,
        # the slowest comments under attack: seconds after the attack began, latency (ms)
        "slowest": [((sent - started_ms) / 1000, ms) for sent, ms in attacked["slowest"]],
        # daphne's CPU seconds per second of each phase (the comments are in both)
        "cpu": {"normal": cpu_normal / SECONDS, "attack": cpu_attack / seconds},
        "posted_normal": posted_normal,
        "posted_attack": posted_attack,
    }
