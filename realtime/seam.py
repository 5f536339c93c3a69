"""The seam between a socket's replay from the log and the live events, as one rule.

A socket that replays joins its group first, then reads the log; a live message can
therefore arrive before, during or after the replay, twice (once in the log, once live), or
ahead of messages it has not seen yet. For each live message, given the last `seq` the socket
sent and whether a replay (or catch-up) is running:

* `BUFFER`: a replay is running; the message waits for it, in order;
* `DROP`: its `seq` is at or below the last sent one: already sent (replay overlap);
* `CATCH_UP`: its `seq` would leave a gap: read the log from the last sent `seq` first;
* `SEND`: the next `seq`, or a transient message (no `seq`: counters).

Clients therefore see every durable event exactly once, in order. Pure and synchronous: the
fan-out's fast path calls it per socket per event.
"""

from __future__ import annotations

from typing import Final, Literal

Action = Literal["send", "drop", "buffer", "catch_up"]
SEND: Final = "send"
DROP: Final = "drop"
BUFFER: Final = "buffer"
CATCH_UP: Final = "catch_up"


def decide(last: int, seq: int | None, replaying: bool = False) -> Action:
    """What to do with a live message carrying `seq` (None: not durable) on a socket that
    last sent `last`, with a replay running or not."""
    if replaying:
        return BUFFER
    if seq is None:
        return SEND
    if seq <= last:
        return DROP
    if seq > last + 1:
        return CATCH_UP
    return SEND
