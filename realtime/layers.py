"""The channel-layer side of the socket path.

Two pieces, both small on purpose:

* `FixlineInMemoryChannelLayer`: Channels' `InMemoryChannelLayer` (the embedded default) with
  its O(N²) broadcast removed. The stock layer runs `_clean_expired()`, a walk over every
  channel and every group membership of the process, on every `receive()` and every
  `group_send()`; a broadcast to N sockets therefore costs O(N²). Here the sweep runs at most
  once per `sweep_interval` seconds, and `group_send` enqueues directly (no task and no
  deepcopy per member: our messages are flat dicts of immutable values).

* `Fanout`: one channel-layer subscription per group per process (per event loop). Sockets
  join a group here, not in the layer; a message published once to a group reaches the
  process once (one Redis pub/sub delivery, or one in-memory queue item) and is handed to each
  local socket by a direct call, skipping the per-socket layer queue, receive task and
  dispatch. Publishers add the group name to the message (`realtime.publish`).

  Under daphne the direct call is synchronous and skips the ASGI send as well: a member
  that exposes `push(message, frame)` writes the event's WebSocket frame, built once per
  event, straight to its socket's protocol (all of that in `realtime.fastpath`). A member
  returns False from `push` when it must take the ordinary `deliver` path, the ASGI send
  (not under daphne, a seq gap to fill first). Writes happen in call order on the
  event-loop thread, so a socket's frames keep their order whichever path each one took.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Any, Protocol

from channels.layers import InMemoryChannelLayer, get_channel_layer

from realtime.fastpath import Frame

log = logging.getLogger(__name__)

YIELD_EVERY = 250  # sockets written per slice of a broadcast before the loop runs others


class FixlineInMemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, sweep_interval: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sweep_interval = sweep_interval
        self._last_sweep = 0.0
        # The event loop the sockets receive on (set by the first `receive`): a publisher on
        # another loop, in another thread (the embedded task worker, project/worker.py),
        # hands its messages to that loop, because asyncio queues are not thread-safe.
        self._home: asyncio.AbstractEventLoop | None = None

    async def receive(self, channel: str) -> dict[str, Any]:
        self._home = asyncio.get_running_loop()
        return await super().receive(channel)

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < self.sweep_interval:
            return
        self._last_sweep = now
        super()._clean_expired()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        home = self._home
        if home is not None and home is not asyncio.get_running_loop() and not home.is_closed():
            home.call_soon_threadsafe(self._group_send_now, group, message)
            return
        self._group_send_now(group, message)

    def _group_send_now(self, group: str, message: dict[str, Any]) -> None:
        self._clean_expired()
        members = self.groups.get(group)
        if not members:
            return
        expires = time.time() + self.expiry
        for channel in list(members):
            queue = self.channels.get(channel)
            if queue is None:
                queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
            try:
                queue.put_nowait((expires, dict(message)))
            except asyncio.QueueFull:
                pass  # same as the stock layer: a full channel drops the message


class Member(Protocol):
    async def deliver(self, message: dict[str, Any]) -> None: ...


class Fanout:
    """Local group membership for one event loop, fed by one layer channel."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.members: dict[str, dict[Member, None]] = {}
        self.channel: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def join(self, group: str, member: Member) -> None:
        """Returns once the process is subscribed to `group`: anything published to it from
        now on reaches `member`."""
        async with self._lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel("fanout.")
                self._task = asyncio.get_running_loop().create_task(
                    self._pump(), name="fixline-fanout"
                )
            members = self.members.get(group)
            if members is None:
                members = self.members[group] = {}
                await self.layer.group_add(group, self.channel)
            members[member] = None

    async def leave(self, group: str, member: Member) -> None:
        async with self._lock:
            members = self.members.get(group)
            if members is None:
                return
            members.pop(member, None)
            if not members:
                del self.members[group]
                if self.channel is not None:
                    await self.layer.group_discard(group, self.channel)

    def count(self, group: str) -> int:
        return len(self.members.get(group, ()))

    async def _pump(self) -> None:
        assert self.channel is not None
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # a layer hiccup (Redis restart): keep serving
                log.exception("fan-out receive failed")
                await asyncio.sleep(0.5)
                continue
            members = self.members.get(message.get("group", ""))
            if not members:
                continue
            frame = Frame(message)
            for done, member in enumerate(list(members), 1):
                try:
                    push = getattr(member, "push", None)
                    if push is None or not push(message, frame):
                        await member.deliver(message)
                except Exception:  # one broken socket never disturbs the others
                    log.exception("delivery to a socket failed")
                if done % YIELD_EVERY == 0:
                    # Let HTTP requests and handshakes run between slices of a big
                    # broadcast; the next message waits for this one (order per socket).
                    await asyncio.sleep(0)


_fanouts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Fanout] = weakref.WeakKeyDictionary()


def get_fanout() -> Fanout:
    loop = asyncio.get_running_loop()
    fanout = _fanouts.get(loop)
    if fanout is None:
        fanout = _fanouts[loop] = Fanout(get_channel_layer())
    return fanout
