"""Shared pieces of the benchmarks (`make bench`): Node `ws` watchers, a paced comment
poster with keep-alive connections, the bare `websockets` ceiling, result files and the
tables in docs/performance.md."""

from __future__ import annotations

import http.client
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.realtime.processes import ROOT, Daphne, base_env, manage, token
from tests.realtime.processes import http as http_call
from tests.support.servers import free_port, wait_for_port

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DOC = ROOT / "docs" / "performance.md"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


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


class Watchers:
    """One Node.js process holding `n` sockets, spread over `urls`."""

    def __init__(self, urls: list[str], n: int, origin: str, idle: bool = False) -> None:
        self.ready_file = Path(tempfile.mktemp(prefix="fixline-ready-"))
        args = ["node", str(HERE / "watchers.js"), ",".join(urls), str(n), origin]
        args.append(str(self.ready_file))
        if idle:
            args.append("idle")
        self.n = n
        self.process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 180
        while not self.ready_file.exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.process.kill()
                raise AssertionError(f"{n} watchers did not connect")
            time.sleep(0.1)
        time.sleep(0.2)
        self.state = json.loads(self.ready_file.read_text())
        assert self.state["failed"] == 0, self.state

    def delivered(self) -> int:
        try:
            return int(Path(str(self.ready_file) + ".n").read_text() or 0)
        except (OSError, ValueError):
            return 0

    def wait_for(self, expected: int, quiet: float = 3.0, limit: float = 90.0) -> None:
        """Until `expected` deliveries arrived, or nothing arrived for `quiet` seconds."""
        deadline = time.monotonic() + limit
        last, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            now = self.delivered()
            if now >= expected:
                return
            if now != last:
                last, last_change = now, time.monotonic()
            elif time.monotonic() - last_change > quiet:
                return
            time.sleep(0.1)

    def report(self) -> dict[str, Any]:
        """The figures so far; counting starts afresh on the same sockets."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("report\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def finish(self) -> dict[str, Any]:
        out, _ = self.process.communicate(input="", timeout=60)
        for suffix in ("", ".n"):
            Path(str(self.ready_file) + suffix).unlink(missing_ok=True)
        return json.loads(out.strip().splitlines()[-1])

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def paced(send: Callable[[int, int], bool], rate: float, seconds: float) -> tuple[int, float]:
    """Call send(i, sent_ms) `rate` times a second for `seconds` from a pool of threads;
    returns (how many succeeded, elapsed seconds)."""
    total = max(1, int(seconds * rate))
    ok = 0
    lock = threading.Lock()

    def one(i: int) -> None:
        nonlocal ok
        if send(i, int(time.time() * 1000)):
            with lock:
                ok += 1

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, i)
    return ok, time.monotonic() - start


class Poster:
    """POSTs comments through keep-alive connections, as an agent (agents are never
    rate-limited). Connections are shared by the sending threads and kept across phases (each
    phase has a pool of new threads): like the ceiling's and Nchan's one publisher connection,
    opened before the measurement (`warm`), so no measured comment pays a TCP connect and a new
    HTTP protocol in daphne (until 2026-12-03 the first comment of every phase did)."""

    def __init__(self, bases: list[str], ticket: int, agent_token: str) -> None:
        self.bases = [urlsplit(b) for b in bases]
        self.ticket = ticket
        self.token = agent_token
        self.lock = threading.Lock()
        self.idle: dict[str, list[http.client.HTTPConnection]] = {}
        self.errors: list[str] = []
        self.durations: list[float] = []  # ms from sending a POST to its answer

    def _take(self, i: int, fresh: bool = False) -> tuple[str, http.client.HTTPConnection]:
        netloc = self.bases[i % len(self.bases)].netloc
        with self.lock:
            idle = self.idle.get(netloc)
            if idle and not fresh:
                return netloc, idle.pop()
        return netloc, http.client.HTTPConnection(netloc, timeout=30)

    def _give(self, netloc: str, conn: http.client.HTTPConnection) -> None:
        with self.lock:
            self.idle.setdefault(netloc, []).append(conn)

    def warm(self, path: str = "/static/js/ticket-live.js") -> None:
        """One open connection to each server before the measurement."""
        for i in range(len(self.bases)):
            netloc, conn = self._take(i)
            conn.request("GET", path)
            conn.getresponse().read()
            self._give(netloc, conn)

    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Token {self.token}",
        }

    def __call__(self, i: int, ms: int) -> bool:
        body = json.dumps({"body": f"bench {i} {ms}"})
        for attempt in range(2):
            # A retry opens a new connection: the idle one may have been closed by the server.
            netloc, conn = self._take(i, fresh=attempt > 0)
            try:
                started = time.monotonic()
                conn.request(
                    "POST", f"/api/v1/tickets/{self.ticket}/comments/", body, self.headers()
                )
                response = conn.getresponse()
                response.read()
                self.durations.append((time.monotonic() - started) * 1000)
                self._give(netloc, conn)
                if response.status != 201:
                    self.errors.append(str(response.status))
                return response.status == 201
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                if attempt:
                    self.errors.append(repr(exc))
        return False


class Ceiling:
    """The bare `websockets` broadcast server (tests/bench/ceiling.py) and a publisher."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, str(HERE / "ceiling.py"), str(self.port)])
        wait_for_port(self.port)
        from websockets.sync.client import connect

        self.pub = connect(f"ws://127.0.0.1:{self.port}/pub", compression=None).__enter__()
        self.lock = threading.Lock()
        self.seq = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def send(self, i: int, ms: int) -> bool:
        text = json.dumps(
            {
                "type": "comment.created",
                "ticket": 1,
                "seq": 0,
                "at": "2026-12-01T08:00:00Z",
                "data": {"id": i, "body": f"bench {i} {ms}", "author": "Agent"},
            },
            separators=(",", ":"),
        )
        with self.lock:
            self.seq += 1
            self.pub.send(text.replace('"seq":0,', f'"seq":{self.seq},', 1))
        return True

    def stop(self) -> None:
        try:
            self.pub.close()
        except Exception:
            pass
        self.process.terminate()
        self.process.wait(timeout=10)


class Fixline:
    """`count` daphne processes on one database (and Redis, when the env names one)."""

    def __init__(
        self, env: dict[str, str], count: int = 1, app: str = "project.asgi:application"
    ) -> None:
        self.daphnes: list[Daphne] = []
        try:
            for _ in range(count):
                self.daphnes.append(Daphne(env, app))
            base = self.daphnes[0].url
            status, answer = http_call("GET", f"{base}/api/v1/tickets/?status=open")
            rows = answer["results"] if isinstance(answer, dict) else answer
            self.ticket = next(r["id"] for r in rows if not r.get("event"))
            self.agent = token(base, "agent", "demo-agent")
            # Warm every process up (imports, URL resolver, first queries) before measuring.
            warm = Poster([], self.ticket, self.agent)
            for daphne in self.daphnes:
                warm.bases = [urlsplit(daphne.url)]
                for _ in range(3):
                    assert warm(0, 0), warm.errors
                    urllib.request.urlopen(f"{daphne.url}/tickets/{self.ticket}/").read()
        except Exception:
            self.stop()
            raise

    @property
    def urls(self) -> list[str]:
        return [d.url for d in self.daphnes]

    def ws_urls(self, path: str) -> list[str]:
        return [f"{d.ws}{path}" for d in self.daphnes]

    def rss(self) -> int:
        return sum(rss_kib(d.process.pid) for d in self.daphnes)

    def pids(self) -> list[int]:
        return [d.process.pid for d in self.daphnes]

    def stop(self) -> None:
        for d in self.daphnes:
            d.stop()


def seeded_env(var: str | None = None, **extra: str) -> dict[str, str]:
    """A migrated, seeded demo database; SQLite under a fresh var/ unless DATABASE_URL."""
    var = var or tempfile.mkdtemp(prefix="fixline-bench-")
    # Several processes on loopback, one origin given to all the watchers: any port of
    # 127.0.0.1 may open sockets here (never a production setting; docs/security.md).
    extra.setdefault("FIXLINE_WS_ALLOWED_ORIGINS", "http://127.0.0.1:*")
    env = base_env(FIXLINE_VAR_DIR=var, **extra)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    return env


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def spread(values: Iterable[float | None]) -> dict[str, float | None]:
    got = [v for v in values if v is not None]
    if not got:
        return {"min": None, "median": None, "max": None}
    return {"min": min(got), "median": statistics.median(got), "max": max(got)}


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def mmm(stats: dict[str, float | None], digits: int = 0) -> str:
    """min / median / max, or a single figure for one run."""
    if stats["min"] == stats["max"]:
        return fmt(stats["median"], digits)
    return " / ".join(fmt(stats[k], digits) for k in ("min", "median", "max"))


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def write_result(name: str, data: Any) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def update_doc(section: str, markdown: str) -> None:
    """Replace the block between `<!-- bench:<section> -->` markers in docs/performance.md."""
    start, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text)
    print("\n" + markdown.strip() + "\n", flush=True)


def machine() -> str:
    return f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end"


__all__ = ["ROOT", "base_env", "manage"]
