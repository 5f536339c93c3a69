"""Views (`make bench`): BENCH_VIEWS_RATE (1,000) page views a second on one ticket for
BENCH_VIEWS_SECONDS (10), each from a new visitor, against one daphne process with
PostgreSQL + Redis (the production shape). Views come through the page's own service call
(`tests/bench/views_load.py`) plus real page loads from `wrk` at the same time.

Counted: database writes to the ticket row (PostgreSQL `pg_stat_user_tables.n_tup_upd` of
`tickets_ticket`, read after the server stopped so every backend has reported), and
`ticket.counters` messages a second on 20 live sockets (Node.js `ws`).
Targets: at most one database counter write a second, at most one counters message a second
per socket; and no view lost (database + still-absorbed views = views sent)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import psycopg
import pytest

from tests.bench import harness as h
from tests.support.servers import Postgres, Redis

RATE = float(os.environ.get("BENCH_VIEWS_RATE", "1000"))
SECONDS = float(os.environ.get("BENCH_VIEWS_SECONDS", "10"))
TAIL = 2.5  # seconds after the load, for the last flush


def updates(pg: Postgres, ticket: int) -> tuple[int, int]:
    with psycopg.connect(
        f"host=127.0.0.1 port={pg.port} user=postgres dbname=fixline", autocommit=True
    ) as conn:
        n_tup_upd = conn.execute(
            "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'tickets_ticket'"
        ).fetchone()[0]
        views = conn.execute("SELECT views FROM tickets_ticket WHERE id = %s", [ticket]).fetchone()
    return int(n_tup_upd), int(views[0])


def absorbed(redis: Redis, ticket: int) -> int:
    import redis as redis_lib

    value = redis_lib.Redis.from_url(redis.url).hget("fixline:counters:views", ticket)
    return int(value or 0)


@pytest.mark.timeout(900)
def test_views() -> None:
    h.raise_nofile()
    h.node_modules()
    rows = []
    pg = Postgres().start()
    redis = Redis().start()
    try:
        env = h.seeded_env(DATABASE_URL=pg.url, REDIS_URL=redis.url)
        for run in range(h.RUNS):
            fixline = h.Fixline(env)
            try:
                ticket = fixline.ticket
                watchers = h.Watchers(
                    fixline.ws_urls(f"/ws/tickets/{ticket}/"), 20, fixline.urls[0]
                )
                time.sleep(2)  # the connect burst's counters messages are over
                upd0, views0 = updates(pg, ticket)
                absorbed0 = absorbed(redis, ticket)
                started = time.monotonic()
                page = subprocess.Popen(
                    [
                        shutil.which("wrk") or "wrk",
                        "-t1",
                        "-c4",
                        f"-d{int(SECONDS)}s",
                        f"{fixline.urls[0]}/tickets/{ticket}/",
                    ],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                load = subprocess.run(
                    [sys.executable, "-m", "tests.bench.views_load", str(ticket), str(RATE)]
                    + [str(SECONDS)],
                    env=env,
                    cwd=h.ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                wrk_out = page.communicate(timeout=60)[0]
                elapsed = time.monotonic() - started
                time.sleep(TAIL)  # the last flush
                state = watchers.finish()
            finally:
                fixline.stop()
            time.sleep(1)
            upd1, views1 = updates(pg, ticket)
            direct, direct_s = load.stdout.split()
            http_views = int(re.search(r"(\d+) requests in", wrk_out).group(1))
            sent = int(direct) + http_views
            counted = (views1 - views0) + (absorbed(redis, ticket) - absorbed0)
            row = {
                "run": run,
                "views_sent": sent,
                "direct_views": int(direct),
                "http_page_views": http_views,
                "seconds": round(elapsed, 1),
                "views_per_s": round(sent / elapsed),
                "db_updates": upd1 - upd0,
                "window_seconds": round(elapsed + TAIL, 1),
                "db_writes_per_s": round((upd1 - upd0) / (elapsed + TAIL), 2),
                "views_counted": counted,
                "counters_max_per_s": state["counters_max_per_s"],
                "counters_per_socket_per_s": round(state["counters_total"] / 20 / elapsed, 2),
            }
            rows.append(row)
            print(row, flush=True)
    finally:
        redis.stop()
        pg.stop()
    h.write_result("views", {"machine": h.machine(), "rows": rows})

    def of(key: str, digits: int = 0) -> str:
        return h.mmm(h.spread(r[key] for r in rows), digits)

    writes_ok = all(r["db_updates"] <= r["window_seconds"] + 1 for r in rows)
    msgs_ok = all(r["counters_max_per_s"] <= 1 for r in rows)
    h.update_doc(
        "views",
        f"""Views: {RATE:,.0f} views/s offered through the page's own counting call plus `wrk` page
loads at the same time, {SECONDS:g} s, one ticket, 1 daphne, PostgreSQL + Redis; 20 live
sockets (Node.js `ws`); {h.RUNS} run(s), min / median / max; {h.machine()}.

| figure | value | target | |
| --- | --- | --- | --- |
| views/s counted (of which real page loads in the run) | {of("views_per_s")} ({of("http_page_views")}) | 1,000 | |
| database writes to the ticket row per second | {of("db_writes_per_s", 2)} | ≤ 1 | {h.verdict(writes_ok)} |
| most `ticket.counters` messages on one socket in any second | {of("counters_max_per_s")} | ≤ 1 | {h.verdict(msgs_ok)} |
| counters messages per socket per second, average | {of("counters_per_socket_per_s", 2)} | ≤ 1 | |
| views lost (sent − counted; wrk leaves ≤ 4 in flight uncounted) | {sum(max(0, r["views_sent"] - r["views_counted"]) for r in rows)} | 0 | |

(measured {time.strftime("%Y-%m-%d %H:%M")})""",
    )
    for r in rows:
        assert r["db_updates"] <= r["window_seconds"] + 1, r
        assert r["counters_max_per_s"] <= 1, r
        # wrk counts the requests it completed; up to its 4 connections' last requests were
        # counted as views without being counted by wrk.
        assert 0 <= r["views_counted"] - r["views_sent"] <= 4, r
