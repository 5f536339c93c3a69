"""Fixline's ASGI application with the fan-out bench's comments timed inside the server
(BENCH_TRACE=1, `test_fanout.py`): where a comment's delay before the watchers is spent.

For each bench comment (body `bench <i> <ms>`, `ms` the POST's send time in epoch ms), lines
to the file named by BENCH_TRACE_FILE:
- `arrive <ms>`: from the POST's send to daphne calling the ASGI application (the client's send,
  the loopback, daphne waking and parsing the request; noted when the request comes in and
  written with its broadcast, when its body is known);
- `publish <ms>`: from the POST's send to the after-commit broadcast (`send_many`):
  the request, the write and its commit;
- `fanout <ms>`: from the send to the first socket write of this process's fan-out (the
  frame is built once, when the fan-out starts): the above plus the channel layer's trip.

And for every collection of the cyclic garbage collector that stops daphne 1 ms or more,
`gc<generation> <ms>` (its pause): a collection stops every socket of the process.

Only the bench loads this module (daphne is given `tests.bench.traced_asgi:application`);
the product code is not changed."""

from __future__ import annotations

import gc
import os
import re
import time
from contextvars import ContextVar
from typing import Any

from project.asgi import application as _application
from realtime import layers, publish
from realtime.fastpath import Frame

_BODY = re.compile(r"bench \d+ (\d+)")
_FILE = os.environ.get("BENCH_TRACE_FILE", "")


# When daphne called the application for this request (asgiref copies the context into the
# request's thread, where the after-commit broadcast runs).
_arrived: ContextVar[float | None] = ContextVar("bench_arrived", default=None)


def _record(tag: str, text: str, at: float | None = None) -> None:
    found = _BODY.search(text)
    if not found or not _FILE or found.group(1) == "0":
        return
    at = time.time() if at is None else at
    with open(_FILE, "a") as out:
        out.write(f"{tag} {at * 1000 - int(found.group(1)):.2f}\n")


_send_many = publish.send_many


def _traced_send_many(items: Any) -> None:
    """Every after-commit send goes through `send_many` (a comment's in one hop with the
    moderators' feed item, `publish.one_hop`)."""
    items = [(list(groups), message) for groups, message in items]
    for groups, message in items:
        if (
            message.get("type") == "comment.created"
            and publish.ticket_group(message.get("ticket", 0)) in groups
        ):
            body = str((message.get("data") or {}).get("body", ""))
            arrived = _arrived.get()
            if arrived is not None:
                _record("arrive", body, at=arrived)
            _record("publish", body)
    _send_many(items)


class _TracedFrame(Frame):
    __slots__ = ()

    def __init__(self, message: dict[str, Any]) -> None:
        super().__init__(message)
        if str(message.get("group", "")).count(".") == 1:  # a ticket's public group
            _record("fanout", str(message.get("text", "")))


async def application(scope: Any, receive: Any, send: Any) -> None:
    if scope.get("type") == "http" and scope.get("method") == "POST":
        _arrived.set(time.time())
    await _application(scope, receive, send)


publish.send_many = _traced_send_many
layers.Frame = _TracedFrame  # type: ignore[misc]


_gc_started = [0.0]


def _gc_pause(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
        return
    pause = (time.perf_counter() - _gc_started[0]) * 1000
    if pause >= 1 and _FILE:
        with open(_FILE, "a") as out:
            out.write(f"gc{info['generation']} {pause:.2f}\n")


gc.callbacks.append(_gc_pause)

# BENCH_GC_BEFORE=1: the collector as before `fastpath.freeze_startup` and the older ratios of
# `fastpath.tune_gc` (the "before" of docs/performance.md, "The collector's pauses").
if os.environ.get("BENCH_GC_BEFORE") == "1":
    gc.unfreeze()
    gc.set_threshold(gc.get_threshold()[0], 10, 10)
