"""What a bad frame and a socket's handshake cost one daphne, in CPU seconds of its process
(`/proc/<pid>/stat`), not in latency: a figure that a loaded machine barely moves, unlike the
drill's p99 (docs/performance.md, "Bad-input drill").

`python -m tests.drills.frame_cost` starts daphne on a fresh seeded SQLite site, then twice:
300 sockets opened and closed on ticket 1 (10 at a time), and 200 sockets each sending 19
malformed frames (under MAX_CLIENT_ERRORS, so none is closed) and reading every `error`
answer. Prints JSON: daphne's CPU per handshake (ms) and per bad frame (µs, counted once the
200 sockets are open)."""

from __future__ import annotations

import asyncio
import json
import os
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import websockets

from tests.drills.attack import BAD_FRAMES
from tests.realtime.processes import Daphne, demo_env

PATH = "/ws/tickets/1/"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def handshakes(daphne: Daphne, n: int, at_once: int = 10) -> None:
    gate = asyncio.Semaphore(at_once)

    async def one() -> None:
        async with gate, websockets.connect(daphne.ws + PATH, origin=daphne.url) as ws:
            await ws.recv()  # hello

    await asyncio.gather(*(one() for _ in range(n)))


async def bad_frames(daphne: Daphne, sockets: int, each: int) -> tuple[int, float]:
    """Opens `sockets` sockets, then (CPU counted from here) sends `each` bad frames on each
    and reads every answer; returns the answers read and daphne's CPU seconds for them."""
    async with AsyncExitStack() as stack:
        opened = [
            await stack.enter_async_context(websockets.connect(daphne.ws + PATH, origin=daphne.url))
            for _ in range(sockets)
        ]
        for ws in opened:
            await ws.recv()  # hello
        before = cpu_seconds(daphne.process.pid)

        async def one(ws: Any) -> int:
            for i in range(each):
                await ws.send(BAD_FRAMES[i % len(BAD_FRAMES)])
            got = 0
            while got < each:
                if '"type":"error"' in await asyncio.wait_for(ws.recv(), 30):
                    got += 1
            return got

        answered = sum(await asyncio.gather(*(one(ws) for ws in opened)))
        return answered, cpu_seconds(daphne.process.pid) - before


async def main() -> None:
    daphne = Daphne(demo_env(prefix="fixline-frame-cost-"))
    result: dict[str, list[float]] = {"handshake_ms": [], "bad_frame_us": []}
    try:
        pid = daphne.process.pid
        await handshakes(daphne, 20)  # warm-up
        await bad_frames(daphne, 5, 19)
        for _ in range(2):
            before = cpu_seconds(pid)
            await handshakes(daphne, 300)
            per_handshake = (cpu_seconds(pid) - before) / 300
            result["handshake_ms"].append(round(per_handshake * 1000, 2))
            await asyncio.sleep(1.5)  # the closes' aftermath (presence, counters) settles
            answered, spent = await bad_frames(daphne, 200, 19)
            result["bad_frame_us"].append(round(spent / answered * 1e6, 1))
            await asyncio.sleep(1.5)
    finally:
        daphne.stop()
    result["load_average"] = [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
