"""Join storm (issue 14, target 2): 5,000 sockets opening on one ticket within 2.5 s, against
the bare `websockets` server in the same run. Target: 0 refused, all joined within 2× the
ceiling's time. Shapes: `make run` (1 daphne, SQLite, in-memory layer) with its listen backlog
(4096) and, as "before", with daphne's default (`-b/-p`: Twisted's backlog of 50).

    BENCH_RUNS=3 JOIN_STORM=5000 pytest tests/bench/test_join_storm.py -s -o addopts=""
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

import pytest

from tests.bench.harness import (
    HERE,
    RUNS,
    Ceiling,
    mmm,
    node_modules,
    raise_nofile,
    seeded_env,
    spread,
    update_doc,
    verdict,
    write_result,
)
from tests.realtime.processes import DAPHNE, ROOT, http
from tests.support.servers import free_port, wait_for_port

SOCKETS = int(os.environ.get("JOIN_STORM", "5000"))
WINDOW_MS = 2500
BACKLOG = 4096
ORIGIN = "http://127.0.0.1:8000"


class ListeningDaphne:
    """One daphne as `make run` starts it: with `backlog`, its listen endpoint; None is
    daphne's default (`-b/-p`)."""

    def __init__(self, env: dict[str, str], backlog: int | None) -> None:
        self.port = free_port()
        if backlog is None:
            listen = ["-b", "127.0.0.1", "-p", str(self.port)]
        else:
            listen = ["-e", f"tcp:port={self.port}:backlog={backlog}:interface=127.0.0.1"]
        self.log = tempfile.NamedTemporaryFile(prefix="fixline-storm-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            [DAPHNE, *listen, "--websocket_connect_timeout", "10", "project.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout=180)  # a busy shared machine
        status, answer = http("GET", f"http://127.0.0.1:{self.port}/api/v1/tickets/?status=open")
        assert status == 200, answer
        rows = answer["results"] if isinstance(answer, dict) else answer
        self.ticket = rows[0]["id"]
        # Warm up: the page, and a few sockets (imports, URL resolver, first queries).
        urllib.request.urlopen(f"http://127.0.0.1:{self.port}/tickets/{self.ticket}/").read()
        storm(self.url, 20, 200)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/tickets/{self.ticket}/"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def storm(url: str, n: int = SOCKETS, window_ms: int = WINDOW_MS) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(HERE / "joinstorm.js"), url, str(n), ORIGIN, str(window_ms)],
        capture_output=True,
        text=True,
        timeout=window_ms / 1000 + 120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def joined_s(result: dict[str, Any]) -> float | None:
    ms = result["all_joined_ms"]
    return None if ms is None else ms / 1000


@pytest.mark.timeout(3600)
def test_join_storm() -> None:
    raise_nofile()
    node_modules()
    env = seeded_env(FIXLINE_WS_ALLOWED_ORIGINS=ORIGIN)
    rows: dict[str, list[dict[str, Any]]] = {"ceiling": [], "fixline": [], "before": []}
    for run in range(RUNS):
        ceiling = Ceiling()
        try:
            rows["ceiling"].append(storm(ceiling.url))
        finally:
            ceiling.stop()
        for name, backlog in (("fixline", BACKLOG), ("before", None)):
            daphne = ListeningDaphne(env, backlog)
            try:
                rows[name].append(storm(daphne.url))
            finally:
                daphne.stop()
        print(f"join storm run {run + 1}:", json.dumps({k: v[-1] for k, v in rows.items()}))
        time.sleep(1)
    load = os.getloadavg()[0]
    write_result("join_storm", {"sockets": SOCKETS, "window_ms": WINDOW_MS, "runs": rows})
    ratios = {
        name: [
            (joined_s(r) or float("inf")) / (joined_s(c) or float("inf"))
            for r, c in zip(rows[name], rows["ceiling"], strict=True)
        ]
        for name in ("fixline", "before")
    }
    labels = {
        "ceiling": "ceiling: bare `websockets`, 1 process",
        "fixline": f"Fixline, 1 daphne (`make run`), listen backlog {BACKLOG}",
        "before": "Fixline, 1 daphne, daphne's default listen (backlog 50), before",
    }
    lines = [
        f"Join storm: {SOCKETS:,} sockets opened on one ticket, evenly over "
        f"{WINDOW_MS / 1000:g} s, by one Node.js `ws` process; {RUNS} run(s), min / median / max; "
        f"2 cores, load average {load:.1f} at the end.",
        "",
        "| server | refused / failed | all joined, s | ÷ ceiling (target ≤ 2) | "
        "handshake → hello p50 / p99 ms |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in ("ceiling", "fixline", "before"):
        got = rows[name]
        failed = spread(r["failed"] for r in got)
        all_joined = spread(joined_s(r) for r in got)
        ratio = ""
        if name in ratios:
            values = ratios[name]
            ok = all(r["failed"] == 0 for r in got) and max(values) <= 2
            ratio = f"{mmm(spread(values), 2)} {verdict(ok)}"
        p50 = mmm(spread(r["wait_p50"] for r in got))
        p99 = mmm(spread(r["wait_p99"] for r in got))
        lines.append(
            f"| {labels[name]} | {mmm(failed)} | {mmm(all_joined, 2)} | {ratio} | {p50}; {p99} |"
        )
    lines.append("")
    lines.append(f"(measured {time.strftime('%Y-%m-%d %H:%M')})")
    update_doc("join_storm", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(test_join_storm())
