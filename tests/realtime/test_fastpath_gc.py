"""`realtime.fastpath.tune_gc`: fewer young collections under daphne (docs/performance.md,
"Storms"), the older generations' ratios kept, never a lower threshold."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from realtime import fastpath


@pytest.fixture(autouse=True)
def _restore_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_young_collections_are_spaced_out_and_older_ratios_kept() -> None:
    gc.set_threshold(700, 10, 10)
    fastpath.tune_gc()
    assert gc.get_threshold() == (fastpath.GC_YOUNG_THRESHOLD, 10, 10)


def test_a_higher_threshold_already_set_is_kept() -> None:
    gc.set_threshold(50_000, 20, 30)
    fastpath.tune_gc()
    assert gc.get_threshold() == (50_000, 20, 30)


def test_autobahn_debug_values_are_formatted_only_when_written() -> None:
    from autobahn import util
    from autobahn.twisted import websocket as twisted_websocket
    from autobahn.websocket import protocol

    fastpath.lazy_autobahn_debug()
    rendered: list[object] = []

    def spy(value: object) -> str:
        rendered.append(value)
        return util.hlval(value)

    for module in (protocol, twisted_websocket):
        lazy = module.hltype(test_a_higher_threshold_already_set_is_kept)
        assert f"{lazy}" == util.hltype(test_a_higher_threshold_already_set_is_kept)
        assert str(module.hlval(42)) == util.hlval(42)
    lazy = fastpath._Formatted(spy, 7)
    assert rendered == []  # nothing until a line is written
    assert f"{lazy}" == util.hlval(7)
    assert rendered == [7]
    assert f"{protocol.pformat({'a': 1})}" == "{'a': 1}"
