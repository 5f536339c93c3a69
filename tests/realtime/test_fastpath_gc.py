"""`realtime.fastpath.tune_gc`: fewer young collections under daphne (docs/performance.md,
"Storms"), the middle generation collected at every other young one (short pauses), never a lower
young threshold; `freeze_startup`: start-up's objects out of the collector's sight."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from realtime import fastpath


@pytest.fixture(autouse=True)
def _restore_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_young_collections_are_spaced_out_and_the_middle_one_follows_every_other() -> None:
    gc.set_threshold(700, 10, 10)
    fastpath.tune_gc()
    assert gc.get_threshold() == (fastpath.GC_YOUNG_THRESHOLD, 1, 60)


def test_full_collections_are_considered_no_more_often_than_with_cpythons_ratios() -> None:
    """CPython collects generation i when its count exceeds its threshold: a full collection
    is considered every (t1 + 1) * (t2 + 1) young collections."""
    fastpath.tune_gc()
    _young, middle, oldest = gc.get_threshold()
    assert (middle + 1) * (oldest + 1) >= (10 + 1) * (10 + 1)


def test_a_higher_young_threshold_already_set_is_kept() -> None:
    gc.set_threshold(50_000, 20, 30)
    fastpath.tune_gc()
    assert gc.get_threshold() == (50_000, 1, 60)


# In a process of its own: freezing pytest's objects would keep its garbage for good.
_FREEZE = """
import gc, json, weakref
import django
django.setup()
from realtime import fastpath

class Node:
    pass

def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)

before = gc.get_freeze_count()
startup_garbage = cycle()
fastpath.freeze_startup()
frozen = gc.get_freeze_count()
later_garbage = cycle()
gc.collect()
print(json.dumps({"before": before, "frozen": frozen, "tracked": len(gc.get_objects()),
                  "startup_garbage_kept": startup_garbage() is not None,
                  "later_garbage_kept": later_garbage() is not None}))
"""


def test_freezing_start_up_hides_it_from_full_collections_and_keeps_collecting_the_rest() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FREEZE],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        env={"DJANGO_SETTINGS_MODULE": "project.settings", "PATH": "/usr/bin:/bin"},
    )
    got = json.loads(done.stdout)
    assert got["before"] == 0
    # Django's start-up is tens of thousands of objects, now never traversed again...
    assert got["frozen"] > 20_000
    assert got["tracked"] < got["frozen"] / 10
    # ...the garbage start-up left was collected first, and later cycles still are.
    assert got["startup_garbage_kept"] is False
    assert got["later_garbage_kept"] is False


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
        lazy = module.hltype(test_a_higher_young_threshold_already_set_is_kept)
        assert f"{lazy}" == util.hltype(test_a_higher_young_threshold_already_set_is_kept)
        assert str(module.hlval(42)) == util.hlval(42)
    lazy = fastpath._Formatted(spy, 7)
    assert rendered == []  # nothing until a line is written
    assert f"{lazy}" == util.hlval(7)
    assert rendered == [7]
    assert f"{protocol.pformat({'a': 1})}" == "{'a': 1}"
