"""The row shared by a ticket's anonymous handshakes (tickets/socket_rows.py): one read for
many handshakes, never shared once something was published to the ticket meanwhile, valid
only under the subscription it was read under."""

from __future__ import annotations

import asyncio

from tickets import socket_rows
from tickets.socket_rows import SocketRow


def row(seq: int) -> SocketRow:
    counts = {"views": 0, "followers": 0, "votes": 0, "thanks": 0, "watching": 0}
    return SocketRow(7, seq, 1, "visible", 1, "a:x", None, counts)  # type: ignore[arg-type]


async def test_a_read_forgotten_while_in_flight_serves_its_waiters_and_is_not_kept() -> None:
    socket_rows.reset_for_tests()
    subscription = object()
    gate = asyncio.Event()
    reads: list[int] = []

    async def read() -> SocketRow:
        reads.append(1)
        await gate.wait()
        return row(len(reads))

    first = asyncio.create_task(socket_rows.shared(7, subscription, read))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(socket_rows.shared(7, subscription, read))  # joins the read
    await asyncio.sleep(0)
    socket_rows.forget(7)  # an event for ticket 7 was delivered while it was being read
    gate.set()
    # Those already waiting had joined the group before the event: they get it live.
    assert (await first).seq == 1
    assert (await waiter).seq == 1
    assert len(reads) == 1
    # A handshake after the event must not get the older row: a new read, then shared.
    later = await socket_rows.shared(7, subscription, read)
    assert later.seq == 2
    assert await socket_rows.shared(7, subscription, read) is later
    assert len(reads) == 2
    # Under another subscription (the process left the group and joined it again), not valid.
    assert socket_rows.cached(7, object()) is None
    socket_rows.reset_for_tests()


async def test_a_failed_read_reaches_its_waiters_and_is_not_kept() -> None:
    socket_rows.reset_for_tests()
    subscription = object()

    async def broken() -> SocketRow:
        await asyncio.sleep(0)
        raise RuntimeError("database away")

    results = await asyncio.gather(
        socket_rows.shared(7, subscription, broken),
        socket_rows.shared(7, subscription, broken),
        return_exceptions=True,
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    assert socket_rows.cached(7, subscription) is None
    assert socket_rows._reading == {}


async def test_a_shared_row_is_read_again_after_max_age(monkeypatch: object) -> None:
    socket_rows.reset_for_tests()
    subscription = object()
    reads: list[int] = []

    async def read() -> SocketRow:
        reads.append(1)
        return row(len(reads))

    assert (await socket_rows.shared(7, subscription, read)).seq == 1
    assert (await socket_rows.shared(7, subscription, read)).seq == 1
    entry = socket_rows._rows[7]
    socket_rows._rows[7] = entry._replace(read_at=entry.read_at - socket_rows.MAX_AGE - 1)
    assert (await socket_rows.shared(7, subscription, read)).seq == 2
    socket_rows.reset_for_tests()


async def test_a_reconnect_storm_shares_one_replay_until_the_ticket_changes() -> None:
    """Sockets coming back from the same seq share one read of the log; a message to the
    ticket (a new event, a hide) drops it, and another subscription never uses it."""
    socket_rows.reset_for_tests()
    subscription = object()
    log = [{"type": "comment.created", "seq": 5}]
    reads: list[int] = []

    async def read() -> list[dict[str, object]]:
        reads.append(1)
        await asyncio.sleep(0.01)
        return [dict(m) for m in log]

    storm = await asyncio.gather(
        *(socket_rows.shared_replay(7, 4, subscription, read) for _ in range(50))
    )
    assert all(r == [{"type": "comment.created", "seq": 5}] for r in storm)
    assert len(reads) == 1
    assert await socket_rows.shared_replay(7, 4, subscription, read) == storm[0]
    assert len(reads) == 1  # shared after the read too
    # The comment is hidden: its hide is published to the ticket, every socket forgets.
    log[0] = {"type": "comment.hidden", "seq": 5}
    socket_rows.forget(7)
    assert (await socket_rows.shared_replay(7, 4, subscription, read))[0]["type"] == (
        "comment.hidden"
    )
    assert len(reads) == 2
    # Read under another subscription (the process left the group and joined again): unused.
    await socket_rows.shared_replay(7, 4, object(), read)
    assert len(reads) == 3
    socket_rows.reset_for_tests()
