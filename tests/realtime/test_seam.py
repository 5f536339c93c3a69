"""The seam between replay and live (realtime/seam.py), rule by rule, and the ticket socket
following it on both delivery paths (the fast path `push`, the ASGI path `deliver`). The
socket tests (test_sockets.py) check the same rules end to end."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import pytest

from realtime import seam
from realtime.fastpath import Frame
from tests.realtime.test_fastpath import FakeProtocol, Sock, tcp_transport
from tickets.consumers import TicketConsumer


@pytest.mark.parametrize("seq", [None, 0, 3, 4, 5, 99])
def test_everything_waits_while_a_replay_runs(seq: int | None) -> None:
    assert seam.decide(4, seq, replaying=True) == seam.BUFFER


def test_the_next_seq_is_sent() -> None:
    assert seam.decide(4, 5) == seam.SEND
    assert seam.decide(0, 1) == seam.SEND


def test_a_transient_message_is_sent() -> None:
    assert seam.decide(4, None) == seam.SEND
    assert seam.decide(0, None) == seam.SEND


@pytest.mark.parametrize("seq", [0, 1, 3, 4])
def test_at_or_below_the_last_sent_is_dropped(seq: int) -> None:
    assert seam.decide(4, seq) == seam.DROP


@pytest.mark.parametrize("seq", [6, 7, 1000])
def test_a_gap_means_catch_up_from_the_log(seq: int) -> None:
    assert seam.decide(4, seq) == seam.CATCH_UP


def test_replay_overlap_then_live() -> None:
    """A socket that replayed up to 7 while 6, 7 and 8 arrived live sends only 8."""
    last = 7
    sent = []
    for seq in (6, 7, 8):
        if seam.decide(last, seq) == seam.SEND:
            sent.append(seq)
            last = seq
    assert sent == [8]


# --- Both delivery paths of the ticket socket follow it --------------------------------------


def ticket_socket(last: int, busy: bool = False) -> tuple[TicketConsumer, Sock]:
    sock = Sock(None)
    consumer = TicketConsumer()
    consumer.wire = FakeProtocol(tcp_transport(sock))
    consumer.last, consumer.busy, consumer.buffer = last, busy, deque()
    return consumer, sock


def live(seq: int | None) -> dict[str, Any]:
    return {"text": f"event {seq}", "seq": seq}


@pytest.mark.parametrize(
    ("last", "busy", "seq", "pushed", "written", "now_last"),
    [
        (4, False, 5, True, True, 5),  # send
        (4, False, None, True, True, 4),  # send, not durable
        (4, False, 4, True, False, 4),  # drop
        (4, False, 6, False, False, 4),  # catch up: `deliver` reads the log first
        (4, True, 5, True, False, 4),  # buffer
    ],
)
def test_the_fast_path_follows_the_seam(
    last: int, busy: bool, seq: int | None, pushed: bool, written: bool, now_last: int
) -> None:
    consumer, sock = ticket_socket(last, busy)
    message = live(seq)
    assert consumer.push(message, Frame(message)) is pushed
    assert bool(sock.got) is written
    assert consumer.last == now_last
    assert list(consumer.buffer) == ([message] if busy else [])


async def test_the_asgi_path_follows_the_seam() -> None:
    consumer, _ = ticket_socket(4)
    sent: list[str] = []
    replays: list[int] = []

    async def send_text(text: str) -> None:
        sent.append(text)

    async def replay() -> None:  # the log holds 5 and 6
        replays.append(consumer.last)
        for seq in range(consumer.last + 1, 7):
            await send_text(f"log {seq}")
            consumer.last = seq

    consumer.send_text = send_text  # type: ignore[method-assign]  # a recording fake
    consumer._replay = replay  # type: ignore[method-assign]  # a fake log
    await consumer.deliver(live(4))  # drop
    await consumer.deliver(live(5))  # send
    await consumer.deliver(live(None))  # send
    await consumer.deliver(live(7))  # gap: read the log from 5, 7 waits behind it
    assert consumer.busy
    await consumer.deliver(live(8))  # buffered behind the catch-up
    await asyncio.sleep(0)
    while consumer.busy:
        await asyncio.sleep(0.01)
    assert replays == [5]
    assert sent == ["event 5", "event None", "log 6", "event 7", "event 8"]
    assert consumer.last == 8
