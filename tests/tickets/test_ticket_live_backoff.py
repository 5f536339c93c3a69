"""The ticket page's reconnect delay (`backoff` in static/js/ticket-live.js) spreads a herd:
when a server dies, thousands of open pages lose their socket in the same instant; with "full
jitter" (a uniform delay between 0 and the exponential cap) they come back evenly over the
window instead of together (issue 14, reconnect storm). The function itself, run by Node.js as
the page's script defines it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "ticket-live.js"
PAGES = 5000  # pages dropped together (one of two daphne killed at 10,000 watchers)


def run_backoff(attempts: int) -> dict[str, Any]:
    """Delays of PAGES pages for each attempt 0..attempts-1 (ms)."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.fail("Node.js is needed (apt-get install nodejs; make test installs it)")
    source = SCRIPT.read_text()
    match = re.search(r"^  function backoff\(n\) \{\n.*?^  \}\n", source, re.M | re.S)
    assert match, "static/js/ticket-live.js has no function backoff(n)"
    program = (
        match.group(0)
        + f"var out = {{}};for (var n = 0; n < {attempts}; n++) {{ out[n] = [];"
        + f" for (var i = 0; i < {PAGES}; i++) out[n].push(backoff(n)); }}"
        + "process.stdout.write(JSON.stringify(out));"
    )
    done = subprocess.run([node, "-e", program], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_pages_dropped_together_come_back_spread_over_the_window() -> None:
    delays = run_backoff(8)
    first = delays["0"]
    assert all(0 <= d <= 5000 for d in first)  # everyone tries again within seconds
    window = max(first)
    # Evenly over the whole window: ten slices, none holding more than twice its share
    # ("equal jitter" left the first half empty and doubled the second).
    slices = [0] * 10
    for d in first:
        slices[min(9, int(d / window * 10))] += 1
    assert min(slices) > PAGES / 10 / 2, slices
    assert max(slices) < PAGES / 10 * 2, slices


def test_later_attempts_wait_longer_up_to_a_cap() -> None:
    delays = run_backoff(12)
    windows = [max(delays[str(n)]) for n in range(12)]
    assert windows[3] > windows[0] * 4  # backs off exponentially while the server is away
    assert all(0 <= d <= 30_000 for n in range(12) for d in delays[str(n)])  # never > 30 s
    # Still spread at the cap: some retry soon, some late.
    last = delays["11"]
    assert min(last) < 3000 and max(last) > 27_000
