"""Attackers for the bad-input drill, in their own process (so that they do not slow down the
process that posts the comments being timed): `python -m tests.drills.attack <url> <origin>
<sockets> <frames>` sends <frames> malformed or oversized frames from <sockets> sockets,
reconnecting whenever the server closes one, and prints a JSON tally."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import defaultdict

import websockets

BAD_FRAMES: list[str | bytes] = [
    "not json at all",
    "[1, 2, 3]",
    '{"type": "subscribe", "ticket": 1}',
    '{"type": ',
    b"\x00\x01\x02binary",
    '"just a string"',
    "null",
]
OVERSIZED = '{"type": "ping", "pad": "' + "x" * 20_000 + '"}'  # over FIXLINE_WS_MAX_FRAME_BYTES
HUGE = "x" * (1024 * 1024 + 10)  # over daphne's own 1 MiB frame limit: autobahn closes


async def attack(
    url: str, origin: str, quota: int, counts: dict[str, int], seconds: float = 5.0
) -> None:
    """Send `quota` bad frames over about `seconds`, reconnecting when closed."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    sent = 0
    while sent < quota:
        try:
            async with websockets.connect(
                url, origin=origin, compression=None, max_size=None, open_timeout=10
            ) as ws:
                counts["connects"] += 1
                while sent < quota:
                    if sent % 1000 == 999:
                        frame: str | bytes = HUGE
                    elif sent % 20 == 19:
                        frame = OVERSIZED
                    else:
                        frame = BAD_FRAMES[sent % len(BAD_FRAMES)]
                    await ws.send(frame)
                    sent += 1
                    counts["frames"] += 1
                    ahead = start + sent * seconds / quota - loop.time()
                    if ahead > 0:
                        await asyncio.sleep(ahead)
                    while True:  # read whatever answers are there without waiting
                        try:
                            raw = await asyncio.wait_for(ws.recv(), 0.001)
                        except TimeoutError:
                            break
                        if isinstance(raw, str) and '"type":"error"' in raw:
                            counts["errors"] += 1
        except websockets.ConnectionClosed as exc:
            counts[f"closed {exc.rcvd.code if exc.rcvd else None}"] += 1
        except (OSError, TimeoutError, websockets.InvalidStatus):  # refused by nginx (429)
            counts["refused"] += 1
            await asyncio.sleep(0.1)


async def main(url: str, origin: str, sockets: int, frames: int) -> None:
    tally: dict[str, int] = defaultdict(int)
    await asyncio.gather(*(attack(url, origin, frames // sockets, tally) for _ in range(sockets)))
    print(json.dumps(tally), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
