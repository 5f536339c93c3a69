"""Reconnect storm (issue 14, target 3), in `make bench` only.

The production shape on loopback: nginx (docs/deploy/nginx-cluster.conf, the drills' `Nginx`)
→ two daphne started as `make cluster` starts them (listen backlog 4096, its timeouts) → Redis
channel layer and PostgreSQL. BENCH_RECONNECT_N watchers (default 5,000; one Node.js `ws`
process, `watchers.js`, reconnecting like the page: full-jitter backoff, `since=<last seq>`,
dedupe by seq) hold sockets through nginx on one ticket, from BENCH_RECONNECT_SOURCES client
addresses (127.0.0.2…; so nginx's and daphne's per-address limits see many neighbours, as in
production, not one). Comments are POSTed through nginx at 10 a second; after
BENCH_RECONNECT_BEFORE seconds one daphne gets `kill -9`; posting goes on for
BENCH_RECONNECT_AFTER seconds.

Measured from the watchers' timeline (epoch ms of every reconnect attempt, drop, hello and
catch-up): sockets dropped and back, the time from the kill to the last hello ("back"), to the
last socket holding every event up to its hello's seq ("caught up"), and until every socket
holds the ticket's final seq; seq gaps (lost), comments shown twice, replayed frames dropped
by seq (as the page drops them), sockets still away; and the spread of the reconnections (per
500 ms after the kill, and the most in any 100 ms window against the number dropped: a
synchronised herd puts them all in one window). Reference from the same run: how long the
same watchers took to join the first time.

Target: back and caught up within 10 s of the kill, 0 lost, 0 shown twice.

Over 400 lines: the production shape, the run, its timeline arithmetic and its table are
one procedure and read best in one place.

    BENCH_RECONNECT_N=1000 pytest tests/bench/test_reconnect_storm.py -p no:cacheprovider -s -o addopts=""
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.bench import harness as h
from tests.drills.support import Nginx
from tests.realtime.processes import ROOT, token
from tests.realtime.processes import http as http_call
from tests.support import cluster
from tests.support.servers import Postgres, Redis, free_port, wait_for_port

# BENCH_RECONNECT_N: watchers, or several sizes run one after the other ("1000,5000").
SIZES = [int(x) for x in os.environ.get("BENCH_RECONNECT_N", "5000").split(",") if x]
SOURCES = int(os.environ.get("BENCH_RECONNECT_SOURCES", "200"))  # ≤ 250 (127.0.0.2…)
RATE = 10.0  # comments a second
BEFORE = float(os.environ.get("BENCH_RECONNECT_BEFORE", "3"))
AFTER = float(os.environ.get("BENCH_RECONNECT_AFTER", "5"))
# FIXLINE_WS_MAX_PER_ADDRESS for the daphne: 50 as `make cluster` (counted in Redis across
# processes); 0 leaves the per-address count out.
PER_ADDRESS = os.environ.get("BENCH_RECONNECT_PER_ADDRESS", "50")
# Each daphne runs under tests/bench/gcdaphne.py (the same daphne entry point and arguments,
# its garbage collector's time logged every second); BENCH_RECONNECT_GC=0: the plain binary,
# BENCH_GC_FREEZE=1: gc.freeze() once warmed up (passed through to gcdaphne.py).
GC = os.environ.get("BENCH_RECONNECT_GC", "1") == "1"
TARGET_S = 10.0
WAIT_S = 120.0  # how long to wait for every socket before giving up
BUCKET_MS = 500
WINDOW_MS = 100
# BENCH_RECONNECT_PROFILE=<file>: py-spy records the surviving daphne from the kill for
# BENCH_RECONNECT_PROFILE_S seconds (raw folded stacks per thread, sampled without pausing it).
PROFILE = os.environ.get("BENCH_RECONNECT_PROFILE", "")
PROFILE_S = int(os.environ.get("BENCH_RECONNECT_PROFILE_S", "15"))


class ClusterDaphne:
    """One daphne as `make cluster` starts it (tests/support/cluster.py's daphne_command)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="fixline-storm-daphne-", suffix=".log")  # noqa: SIM115
        command = cluster.daphne_command(self.port)
        if GC:
            command = [sys.executable, str(h.HERE / "gcdaphne.py"), *command[1:]]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout=180)  # a busy shared machine

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def gc(self) -> dict[str, list[float]]:
        """The collector's cumulative (collections, seconds) per generation, if logged."""
        text = Path(self.log.name).read_text(errors="replace")
        at = text.rfind("gc-stats ")
        if at < 0:
            return {}
        stats: dict[str, list[float]] = json.loads(text[at + 9 :].splitlines()[0])
        return stats

    def errors(self) -> dict[str, Any]:
        """What its log says went wrong: how many tracebacks, the distinct last lines and the
        first traceback (logged failures cost the event loop too: traceback formatting)."""
        text = Path(self.log.name).read_text(errors="replace")
        blocks = text.split("Traceback (most recent call last):")[1:]
        last = Counter(b.strip().splitlines()[-1][:200] for b in blocks if b.strip())
        first = blocks[0][:2500] if blocks else ""
        return {"tracebacks": len(blocks), "kinds": dict(last.most_common(5)), "first": first}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class OncePoster(h.Poster):
    """The harness's poster without its retry: a POST that timed out may have committed, and
    sending it again would make a second comment with the same body (counted as shown twice)."""

    def __call__(self, i: int, ms: int) -> bool:
        body = json.dumps({"body": f"bench {i} {ms}"})
        netloc, conn = self._take(i)
        started = time.monotonic()
        try:
            conn.request("POST", f"/api/v1/tickets/{self.ticket}/comments/", body, self.headers())
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            self.errors.append(repr(exc))
            return False
        self._give(netloc, conn)
        self.durations.append((time.monotonic() - started) * 1000)
        if response.status != 201:
            self.errors.append(str(response.status))
        return response.status == 201


def ticket_seq(base: str, ticket: int, agent: str) -> int:
    status, answer = http_call(
        "GET", f"{base}/api/v1/tickets/{ticket}/", headers={"Authorization": f"Token {agent}"}
    )
    assert status == 200, answer
    return int(answer["seq"])


def read_state(path: Path) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state


def buckets(times: list[int], start: int, width: int) -> dict[int, int]:
    """How many of `times` fall in each `width`-ms bucket after `start` (bucket → count)."""
    return dict(sorted(Counter((t - start) // width for t in times).items()))


def densest(times: list[int], width: int) -> int:
    """The most of `times` within any `width` ms (a sliding window)."""
    ordered = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(ordered):
        while ordered[j] < t - width + 1:
            j += 1
        best = max(best, i - j + 1)
    return best


def after(times: list[int], start: int) -> float | None:
    """Seconds from `start` to the last of `times`."""
    return (max(times) - start) / 1000 if times else None


def storm(n: int) -> dict[str, Any]:
    """One run: start the shape, join, post, kill, wait for every socket; the figures."""
    cluster.raise_limits()  # open files to the hard limit, somaxconn up to daphne's backlog
    h.node_modules()
    pg = Postgres().start()
    redis = Redis().start()
    daphnes: list[ClusterDaphne] = []
    nginx: Nginx | None = None
    watchers: h.Watchers | None = None
    poster: h.Poster | None = None
    spy: subprocess.Popen[bytes] | None = None
    timeline_file = Path(tempfile.mktemp(prefix="fixline-reconnect-"))
    try:
        env = h.seeded_env(
            DATABASE_URL=pg.url,
            REDIS_URL=redis.url,
            # As `make cluster`: the client address is nginx's X-Forwarded-For, and at most
            # 50 open sockets per address (the default), counted in Redis across processes.
            FIXLINE_TRUST_X_FORWARDED_FOR="1",
            FIXLINE_WS_MAX_PER_ADDRESS=PER_ADDRESS,
        )
        daphnes = [ClusterDaphne(env), ClusterDaphne(env)]
        nginx = Nginx([d.port for d in daphnes])
        status, answer = http_call("GET", f"{nginx.url}/api/v1/tickets/?status=open")
        assert status == 200, answer
        rows = answer["results"] if isinstance(answer, dict) else answer
        ticket = next(r["id"] for r in rows if not r.get("event"))
        agent = token(nginx.url, "agent", "demo-agent")
        warm = h.Poster([d.url for d in daphnes], ticket, agent)
        for i in range(4):  # both processes: imports, URL resolver, first queries
            assert warm(i, 0), warm.errors

        os.environ["WATCHERS_SOURCES"] = str(SOURCES)
        os.environ["WATCHERS_TIMELINE"] = str(timeline_file)
        joining = time.monotonic()
        watchers = h.Watchers([f"{nginx.ws}/ws/tickets/{ticket}/"], n, nginx.url)
        joined_s = time.monotonic() - joining
        load_joined = os.getloadavg()[0]
        start_seq = ticket_seq(daphnes[1].url, ticket, agent)

        # Offered at RATE whatever the answers take (a pool of keep-alive connections).
        poster = OncePoster([nginx.url], ticket, agent)
        posted: list[tuple[int, float]] = []
        posting = threading.Thread(
            target=lambda: posted.append(h.paced(poster, RATE, BEFORE + AFTER)), daemon=True
        )
        posting.start()
        time.sleep(BEFORE)
        victim = daphnes[0]
        gc_at_kill = daphnes[1].gc()
        killed_ms = int(time.time() * 1000)
        os.kill(victim.process.pid, signal.SIGKILL)
        victim.process.wait()
        if PROFILE:
            spy = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("py-spy")),
                    "record",
                    "--format",
                    "raw",
                    "--threads",
                    "--nonblocking",
                ]
                + ["-p", str(daphnes[1].process.pid), "-d", str(PROFILE_S), "-o", PROFILE],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        posting.join(timeout=AFTER + 120)
        posted_until_ms = int(time.time() * 1000)  # the last POST answered
        final = ticket_seq(daphnes[1].url, ticket, agent)

        everyone_ms: int | None = None  # when every socket first held the final seq
        deadline = time.monotonic() + WAIT_S
        state = read_state(timeline_file)
        while time.monotonic() < deadline:
            state = read_state(timeline_file)
            if state and state["min_last_seq"] == final and state["still_away"] == 0:
                everyone_ms = int(state["at"])
                break
            time.sleep(0.2)
        load = os.getloadavg()[0]
        survivor_errors = daphnes[1].errors()
        time.sleep(1.2)  # one more gc-stats line
        gc_at_end = daphnes[1].gc()
        if spy is not None:
            spy.wait(timeout=PROFILE_S + 30)
        summary = watchers.finish()
        watchers = None
    finally:
        os.environ.pop("WATCHERS_SOURCES", None)
        os.environ.pop("WATCHERS_TIMELINE", None)
        timeline_file.unlink(missing_ok=True)
        if spy is not None and spy.poll() is None:
            spy.kill()
            spy.wait()
        if watchers is not None:
            watchers.kill()
        if nginx is not None:
            nginx.stop()
        for d in daphnes:
            d.stop()
        redis.stop()
        pg.stop()

    assert poster is not None
    line = summary.pop("timeline")
    return {
        "watchers": n,
        "sources": SOURCES,
        "per_address": int(PER_ADDRESS),
        "rate": RATE,
        "posting_s": {"before_kill": BEFORE, "after_kill": AFTER},
        "join_s": round(joined_s, 2),
        "load_after_join": round(load_joined, 1),
        "load_at_end": round(load, 1),
        "start_seq": start_seq,
        "final_seq": final,
        "events": final - start_seq,
        "posts_ok": posted[0][0] if posted else None,
        "posts": int(RATE * (BEFORE + AFTER)),
        "post_errors": poster.errors[:10],
        "post_p50_ms": h.percentile(poster.durations, 0.5),
        "post_p99_ms": h.percentile(poster.durations, 0.99),
        "killed_ms": killed_ms,
        "posted_until_ms": posted_until_ms,
        "dropped": len(line["drops"]),
        "back": len(line["backs"]),
        "caught": len(line["caught"]),
        "attempts": len(line["attempts"]),
        "back_s": after(line["backs"], killed_ms),
        "caught_up_s": after(line["caught"], killed_ms),
        "final_everywhere_s": None if everyone_ms is None else (everyone_ms - killed_ms) / 1000,
        "final_after_last_post_s": (
            None if everyone_ms is None else (everyone_ms - posted_until_ms) / 1000
        ),
        "drop_spread_ms": (max(line["drops"]) - min(line["drops"])) if line["drops"] else None,
        "attempts_per_500ms": buckets(line["attempts"], killed_ms, BUCKET_MS),
        "backs_per_500ms": buckets(line["backs"], killed_ms, BUCKET_MS),
        "max_attempts_100ms": densest(line["attempts"], WINDOW_MS),
        "max_backs_100ms": densest(line["backs"], WINDOW_MS),
        "survivor_errors": survivor_errors,
        "survivor_gc": {  # from the kill until every socket was back (or the wait ended)
            g: [gc_at_end[g][0] - gc_at_kill[g][0], round(gc_at_end[g][1] - gc_at_kill[g][1], 3)]
            for g in gc_at_end
            if g in gc_at_kill
        },
        "survivor_gc_total": gc_at_end,
        "watchers_summary": summary,
    }


def met(r: dict[str, Any]) -> bool:
    return (
        r["dropped"] > 0
        and r["back"] == r["dropped"]
        and r["watchers_summary"]["still_away"] == 0
        and r["back_s"] is not None
        and r["back_s"] <= TARGET_S
        and r["caught_up_s"] is not None
        and r["caught_up_s"] <= TARGET_S
        and r["final_everywhere_s"] is not None
        and r["watchers_summary"]["gaps"] == 0
        and r["watchers_summary"]["dups_body"] == 0
    )


def secs(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f} s"


def column(r: dict[str, Any]) -> list[str]:
    """One run's figures, in the table's row order."""
    w = r["watchers_summary"]
    fmt = h.fmt
    failures = ", ".join(f"{k}: {v}" for k, v in w.get("failures", {}).items())
    errors = r["survivor_errors"]
    kinds = "; ".join(sorted({k.split(" ", 2)[-1] for k in errors["kinds"]}))
    gc_line = " / ".join(
        f"{int(c)}, {t:.2f} s" for c, t in (r["survivor_gc"].get(g, [0, 0.0]) for g in "012")
    )
    herd = r["max_attempts_100ms"] / r["dropped"] if r["dropped"] else 0
    return [
        f"{r['load_after_join']} / {r['load_at_end']}",
        f"{r['join_s']:.1f} s",
        f"{fmt(r['dropped'])} / {fmt(r['back'])} / {fmt(w['still_away'])}",
        secs(r["back_s"]),
        secs(r["caught_up_s"]),
        f"{secs(r['final_everywhere_s'])} ({r['events']} events)",
        f"{fmt(w['gaps'])} / {fmt(w['dups_body'])}",
        fmt(w["dups_seq"]),
        f"{fmt(r['attempts'])} / {fmt(w['attempts_failed'])}"
        + (f" ({failures})" if failures else ""),
        f"{fmt(r['max_attempts_100ms'])} / {fmt(r['dropped'])} = {herd:.2f}",
        gc_line,
        fmt(errors["tracebacks"]) + (f" ({kinds})" if kinds else ""),
        f"{r['posts_ok']} / {r['posts']}; {fmt(r['post_p50_ms'])} / {fmt(r['post_p99_ms'])} ms",
        h.verdict(met(r)),
    ]


ROWS = [
    "load average after the join / at the end (2 cores, shared)",
    "reference: the same watchers' first join (100 at a time, both daphne)",
    "sockets dropped by the kill / back (hello) / still away",
    "kill → last socket back (hello)",
    "kill → last socket caught up (holds its hello's seq)",
    "kill → every socket holds the final seq (posting ends 5 s after the kill)",
    "lost (seq gaps) / shown twice",
    "replayed frames dropped by seq (as the page does)",
    "reconnect attempts / failed (why)",
    "most attempts in any 100 ms / dropped (a synchronised herd: 1.00)",
    "survivor's garbage collector, kill → end: collections, seconds (gen 0 / 1 / 2)",
    "tracebacks in the survivor's log",
    "comment POSTs answered 201; their p50 / p99",
    f"verdict: back and caught up ≤ {TARGET_S:g} s, 0 lost, 0 shown twice",
]


def report(runs: list[dict[str, Any]]) -> str:
    r0 = runs[0]
    lines = [
        "Reconnect storm: watchers in 1 Node.js `ws` process from "
        f"{r0['sources']} client addresses (at most {r0['per_address']} sockets per address, "
        "0: no cap) through nginx → 2 daphne (as `make cluster`) → Redis + PostgreSQL, on one "
        f"ticket; comments offered at {r0['rate']:g}/s through nginx; `kill -9` of one daphne "
        f"after {r0['posting_s']['before_kill']:g} s, posting {r0['posting_s']['after_kill']:g} "
        "s more; 1 run per size.",
        "",
        "| | " + " | ".join(f"{r['watchers']:,} watchers" for r in runs) + " |",
        "| --- |" + " --- |" * len(runs),
    ]
    columns = [column(r) for r in runs]
    for i, label in enumerate(ROWS):
        lines.append(f"| {label} | " + " | ".join(c[i] for c in columns) + " |")
    lines.append("")
    for r in runs:
        histogram = ", ".join(
            f"{int(k) * BUCKET_MS / 1000:g}–{(int(k) + 1) * BUCKET_MS / 1000:g} s: {v}"
            for k, v in r["attempts_per_500ms"].items()
        )
        lines.append(
            f"Reconnect attempts per 500 ms after the kill, {r['watchers']:,} watchers: "
            f"{histogram or '–'}."
        )
        lines.append("")
    lines.append(
        f"(measured {time.strftime('%Y-%m-%d %H:%M')}, `tests/bench/results/reconnect_storm.json`)"
    )
    return "\n".join(lines)


@pytest.mark.timeout(3600)
def test_reconnect_storm() -> None:
    runs = []
    for n in SIZES:
        result = storm(n)
        print(json.dumps({k: v for k, v in result.items() if k != "watchers_summary"}), flush=True)
        runs.append(result)
    h.write_result("reconnect_storm", {"machine": h.machine(), "runs": runs})
    h.update_doc("reconnect_storm", report(runs))
    for result in runs:
        assert result["dropped"] >= result["watchers"] // 4, "the killed daphne held too few"
        assert result["watchers_summary"]["gaps"] == 0, result["watchers_summary"]
        assert result["watchers_summary"]["dups_body"] == 0, result["watchers_summary"]
