"""Fixline's ASGI application with the fan-out bench's comments timed inside the server
(BENCH_TRACE=1, `test_fanout.py`): where a comment's delay before the watchers is spent.

For each bench comment (body `bench <i> <ms>`, `ms` the POST's send time in epoch ms), one
line to the file named by BENCH_TRACE_FILE:
- `publish <ms>`: from the POST's send to the after-commit broadcast (`send_many`):
  the request, the write and its commit;
- `fanout <ms>`: from the send to the first socket write of this process's fan-out (the
  frame is built once, when the fan-out starts): the above plus the channel layer's trip.

Only the bench loads this module (daphne is given `tests.bench.traced_asgi:application`);
the product code is not changed."""

from __future__ import annotations

import os
import re
import time
from typing import Any

from project.asgi import application as _application
from realtime import layers, publish
from realtime.fastpath import Frame

_BODY = re.compile(r"bench \d+ (\d+)")
_FILE = os.environ.get("BENCH_TRACE_FILE", "")


def _record(tag: str, text: str) -> None:
    found = _BODY.search(text)
    if not found or not _FILE or found.group(1) == "0":
        return
    with open(_FILE, "a") as out:
        out.write(f"{tag} {time.time() * 1000 - int(found.group(1)):.2f}\n")


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
            _record("publish", str((message.get("data") or {}).get("body", "")))
    _send_many(items)


class _TracedFrame(Frame):
    __slots__ = ()

    def __init__(self, message: dict[str, Any]) -> None:
        super().__init__(message)
        if str(message.get("group", "")).count(".") == 1:  # a ticket's public group
            _record("fanout", str(message.get("text", "")))


publish.send_many = _traced_send_many
layers.Frame = _TracedFrame  # type: ignore[misc]
application = _application
