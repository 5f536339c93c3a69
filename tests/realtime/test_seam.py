"""The seam between replay and live (realtime/seam.py), rule by rule. The socket tests
(test_sockets.py) check the same rules end to end through both delivery paths."""

from __future__ import annotations

import pytest

from realtime import seam


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
