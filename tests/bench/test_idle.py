"""Idle sockets (`make bench`): BENCH_IDLE_N (10,000) idle watchers on one ticket, held by one
Node.js `ws` process, against one daphne process. RSS per socket = (server RSS with the sockets
− RSS before them) ÷ N, as shared/BENCHMARKING.md defines it. Target: 40 KiB or less.
Measured for the embedded default (in-memory layer) and the production shape (Redis), next to
the bare `websockets` server with the same sockets."""

from __future__ import annotations

import functools
import os
import time
from typing import Any

import pytest

from tests.bench import harness as h
from tests.support.servers import Postgres, Redis

N = int(os.environ.get("BENCH_IDLE_N", "10000"))
# Connecting 10,000 sockets to daphne takes ~2 minutes: one run unless asked for more.
RUNS = int(os.environ.get("BENCH_IDLE_RUNS", "1"))
TARGET_KIB = 40


def settle(rss: Any) -> int:
    time.sleep(2)
    return rss()


@pytest.mark.timeout(1200)
def test_idle_sockets() -> None:
    h.raise_nofile()
    h.node_modules()
    rows = []
    pg = Postgres().start()
    redis = Redis().start()
    try:
        envs = {
            "ceiling: bare `websockets`": None,
            "Fixline, 1 daphne, SQLite + in-memory layer": h.seeded_env(),
            "Fixline, 1 daphne, PostgreSQL + Redis": h.seeded_env(
                DATABASE_URL=pg.url, REDIS_URL=redis.url
            ),
        }
        for run in range(RUNS):
            for name, env in envs.items():
                if env is None:
                    ceiling = h.Ceiling()
                    try:
                        rss = functools.partial(h.rss_kib, ceiling.process.pid)
                        before = settle(rss)
                        started = time.monotonic()
                        watchers = h.Watchers([ceiling.url], N, "http://127.0.0.1", idle=True)
                        connect_s = time.monotonic() - started
                        after = settle(rss)
                        state = watchers.finish()
                    finally:
                        ceiling.stop()
                else:
                    fixline = h.Fixline(env)
                    try:
                        before = settle(fixline.rss)
                        started = time.monotonic()
                        watchers = h.Watchers(
                            fixline.ws_urls(f"/ws/tickets/{fixline.ticket}/"),
                            N,
                            fixline.urls[0],
                            idle=True,
                        )
                        connect_s = time.monotonic() - started
                        after = settle(fixline.rss)
                        state = watchers.finish()
                    finally:
                        fixline.stop()
                row = {
                    "run": run,
                    "server": name,
                    "n": N,
                    "rss_before_kib": before,
                    "rss_after_kib": after,
                    "kib_per_socket": round((after - before) / N, 1),
                    "connect_seconds": round(connect_s, 1),
                    "closed_while_idle": state["closed"],
                }
                rows.append(row)
                print(row, flush=True)
    finally:
        redis.stop()
        pg.stop()
    h.write_result("idle", {"machine": h.machine(), "rows": rows})
    lines = [
        f"Idle sockets: {N:,} watchers (1 Node.js `ws` process) on one ticket, one server "
        f"process; {RUNS} run(s), min / median / max; {h.machine()}.",
        "",
        "| server | KiB/socket | target ≤ 40 | RSS before → after (MiB, median) | connect time s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in envs:
        got = [r for r in rows if r["server"] == name]
        per = h.spread(r["kib_per_socket"] for r in got)
        verdict = "" if name.startswith("ceiling") else h.verdict(per["median"] <= TARGET_KIB)
        b = h.spread(r["rss_before_kib"] / 1024 for r in got)["median"]
        a = h.spread(r["rss_after_kib"] / 1024 for r in got)["median"]
        lines.append(
            f"| {name} | {h.mmm(per, 1)} | {verdict} | {b:,.0f} → {a:,.0f} | "
            f"{h.mmm(h.spread(r['connect_seconds'] for r in got), 1)} |"
        )
    lines.append(f"\n(measured {time.strftime('%Y-%m-%d %H:%M')})")
    h.update_doc("idle", "\n".join(lines))
    assert all(r["closed_while_idle"] == 0 for r in rows), rows
