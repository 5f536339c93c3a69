"""Well-behaved watchers for the bad-input drill, in their own process so that the attackers
do not slow the measurement down: `python -m tests.drills.listen <url> <n> <origin>`. Prints
"ready", then on each "report" line on stdin the p50/p99 latency (ms) of the comments received
since the last report (bench comments carry their send time) and whether any socket closed."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time

import websockets

BENCH = re.compile(r"bench (\d+) (\d+)")


async def main(url: str, n: int, origin: str) -> None:
    latencies: list[float] = []
    sent_at: dict[int, float] = {}  # comment send time (epoch ms) -> its slowest delivery
    closed = 0

    async def one() -> None:
        nonlocal closed
        async with websockets.connect(url, origin=origin, compression=None) as ws:
            ready.release()
            async for raw in ws:
                m = BENCH.search(raw)
                if m:
                    sent = int(m.group(2))
                    latency = time.time() * 1000 - sent
                    latencies.append(latency)
                    sent_at[sent] = max(latency, sent_at.get(sent, 0.0))
        closed += 1

    ready = asyncio.Semaphore(0)
    tasks = [asyncio.create_task(one()) for _ in range(n)]
    for _ in range(n):
        await ready.acquire()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if line.strip() == b"report":
            got = sorted(latencies)
            latencies.clear()

            def pct(p: float, got: list[float] = got) -> float | None:
                return got[min(len(got) - 1, int(p * len(got)))] if got else None

            # The three slowest comments (a p99 over 100 sockets is set by one or two of them):
            # when they were sent (epoch ms) and their slowest delivery.
            slowest = sorted(sent_at.items(), key=lambda kv: -kv[1])[:3]
            sent_at.clear()
            summary = {
                "n": len(got),
                "p50": pct(0.5),
                "p99": pct(0.99),
                "closed": closed,
                "slowest": slowest,
            }
            print(json.dumps(summary), flush=True)
    for task in tasks:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
