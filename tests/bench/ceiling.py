"""The ceiling: a bare `websockets` broadcast server. Watchers connect to /ws; a publisher
connects to /pub and every text frame it sends is broadcast to all watchers."""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import broadcast, serve

watchers: set = set()


async def handler(ws) -> None:
    if ws.request.path.startswith("/pub"):
        async for message in ws:
            broadcast(watchers, message)
        return
    watchers.add(ws)
    try:
        await ws.send('{"type":"hello","ticket":1,"seq":0,"data":{}}')
        await ws.wait_closed()
    finally:
        watchers.discard(ws)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
