"""Fan-out benchmark (`make bench`, not part of `make test`).

N watchers (Node.js + npm `ws`, regex matching) on one ticket; comments POSTed at 10 a
second; latency from the moment each POST is sent to each watcher's receipt of its
`comment.created`. The same watchers and rate against a bare `websockets` broadcast server
give the ceiling, in the same run. Fixline runs as one daphne process, with the embedded
in-memory layer and with the Redis pub/sub layer.

Environment: BENCH_SIZES (default "100,1000"), BENCH_SECONDS (default 10), BENCH_RATE (10).
Results: tests/bench/results/fanout.json and a table on stdout.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.realtime.processes import ROOT, Daphne, base_env, http, manage, token
from tests.support.servers import Redis, free_port, wait_for_port

HERE = Path(__file__).resolve().parent
SIZES = [int(x) for x in os.environ.get("BENCH_SIZES", "100,1000").split(",")]
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
RATE = float(os.environ.get("BENCH_RATE", "10"))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def node_modules() -> None:
    if not (HERE / "node_modules" / "ws").exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed for the benchmark watchers"
        subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=HERE, check=True)


def watchers(url: str, n: int, origin: str) -> tuple[subprocess.Popen, Path]:
    ready = Path(tempfile.mktemp(prefix="fixline-ready-"))
    process = subprocess.Popen(
        ["node", str(HERE / "watchers.js"), url, str(n), origin, str(ready)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert time.monotonic() < deadline, "watchers did not connect in 120 s"
        assert process.poll() is None, "watchers exited"
        time.sleep(0.1)
    time.sleep(0.2)
    state = json.loads(ready.read_text())
    ready.unlink()
    assert state["failed"] == 0, state
    return process, ready


def finish(process: subprocess.Popen) -> dict[str, Any]:
    out, _ = process.communicate(input="", timeout=60)
    return json.loads(out.strip().splitlines()[-1])


def paced(send: Any) -> int:
    """Call send(i, sent_ms) RATE times a second for SECONDS; returns how many succeeded."""
    total = int(SECONDS * RATE)
    ok = 0
    start = time.monotonic()
    lock = threading.Lock()
    threads = []

    def one(i: int) -> None:
        nonlocal ok
        if send(i, int(time.time() * 1000)):
            with lock:
                ok += 1

    for i in range(total):
        delay = start + i / RATE - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t = threading.Thread(target=one, args=(i,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return ok


def run_ceiling(n: int) -> dict[str, Any]:
    from websockets.sync.client import connect

    port = free_port()
    server = subprocess.Popen([sys.executable, str(HERE / "ceiling.py"), str(port)])
    try:
        wait_for_port(port)
        idle = rss_kib(server.pid)
        proc, _ = watchers(f"ws://127.0.0.1:{port}/ws", n, "http://127.0.0.1")
        loaded = rss_kib(server.pid)
        with connect(f"ws://127.0.0.1:{port}/pub") as pub:
            lock = threading.Lock()

            def send(i: int, ms: int) -> bool:
                text = json.dumps(
                    {
                        "type": "comment.created",
                        "ticket": 1,
                        "seq": i + 1,
                        "data": {"body": f"bench {i} {ms}"},
                    }
                )
                with lock:
                    pub.send(text)
                return True

            started = time.monotonic()
            posted = paced(send)
            elapsed = time.monotonic() - started
            time.sleep(2)
        result = finish(proc)
    finally:
        server.terminate()
        server.wait()
    return {
        **result,
        "posted": posted,
        "seconds": elapsed,
        "rss_per_socket_kib": (loaded - idle) / n,
    }


def run_fixline(n: int, env: dict[str, str]) -> dict[str, Any]:
    daphne = Daphne(env)
    try:
        status, answer = http("GET", f"{daphne.url}/api/v1/tickets/?status=open")
        rows = answer["results"] if isinstance(answer, dict) else answer
        ticket = next(r["id"] for r in rows if not r.get("event"))
        agent = token(daphne.url, "agent", "demo-agent")
        idle = rss_kib(daphne.process.pid)
        proc, _ = watchers(f"{daphne.ws}/ws/tickets/{ticket}/", n, daphne.url)
        loaded = rss_kib(daphne.process.pid)

        def send(i: int, ms: int) -> bool:
            status, _ = http(
                "POST",
                f"{daphne.url}/api/v1/tickets/{ticket}/comments/",
                {"body": f"bench {i} {ms}"},
                {"Authorization": f"Token {agent}"},
            )
            return status == 201

        started = time.monotonic()
        posted = paced(send)
        elapsed = time.monotonic() - started
        time.sleep(3)
        result = finish(proc)
    finally:
        daphne.stop()
    return {
        **result,
        "posted": posted,
        "seconds": elapsed,
        "rss_per_socket_kib": (loaded - idle) / n,
    }


@pytest.fixture(scope="module")
def demo_env() -> Any:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    node_modules()
    var = tempfile.mkdtemp(prefix="fixline-bench-")
    env = base_env(FIXLINE_VAR_DIR=var)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    redis = Redis().start()
    yield env, redis
    redis.stop()


@pytest.mark.timeout(1800)
def test_fanout(demo_env: Any) -> None:
    env, redis = demo_env
    results = []
    for n in SIZES:
        for name, run in [
            ("ceiling (bare websockets)", lambda n=n: run_ceiling(n)),
            ("fixline, 1 daphne, in-memory layer", lambda n=n: run_fixline(n, env)),
            (
                "fixline, 1 daphne, Redis pub/sub layer",
                lambda n=n: run_fixline(n, {**env, "REDIS_URL": redis.url}),
            ),
        ]:
            result = {"server": name, "n": n, "rate": RATE, **run()}
            expected = result["posted"] * n
            result["lost"] = expected - result["deliveries"]
            result["deliveries_per_s"] = round(result["deliveries"] / result["seconds"])
            results.append(result)
            print(json.dumps(result), flush=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "fanout.json").write_text(json.dumps(results, indent=2))
    print()
    print(
        "| server | watchers | p50 ms | p99 ms | max ms | deliveries/s | lost | seq gaps | KiB/socket |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['server']} | {r['n']} | {r['p50']} | {r['p99']} | {r['max']} | "
            f"{r['deliveries_per_s']} | {r['lost']} | {r['gaps']} | {r['rss_per_socket_kib']:.0f} |"
        )
    assert ROOT.exists()
