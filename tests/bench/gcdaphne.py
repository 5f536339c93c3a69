"""daphne with its cyclic garbage collector measured, for the reconnect-storm bench:
`python gcdaphne.py <daphne arguments>`. Every second it prints one line,
`gc-stats {"0": [collections, seconds], "1": …, "2": …}` (cumulative), to its log.
With BENCH_GC_FREEZE=1 it also calls gc.freeze() BENCH_GC_FREEZE_AFTER seconds after start
(what is alive then, Django and the warmed-up app, is never traversed again)."""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from typing import Any

STATS: dict[int, list[float]] = {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}
_started = [0.0]


def _callback(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    entry = STATS[int(info["generation"])]
    entry[0] += 1
    entry[1] += time.perf_counter() - _started[0]


def _report() -> None:
    freeze_at = time.monotonic() + float(os.environ.get("BENCH_GC_FREEZE_AFTER", "20"))
    frozen = os.environ.get("BENCH_GC_FREEZE") != "1"
    while True:
        time.sleep(1)
        if not frozen and time.monotonic() >= freeze_at:
            gc.freeze()
            frozen = True
            print(f"gc-frozen {gc.get_freeze_count()}", flush=True)
        print("gc-stats " + json.dumps(STATS), flush=True)


def main() -> None:
    gc.callbacks.append(_callback)
    threading.Thread(target=_report, daemon=True).start()
    # Imported here: daphne starts once the collector is instrumented.
    from daphne.cli import CommandLineInterface

    sys.argv = ["daphne", *sys.argv[1:]]
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
