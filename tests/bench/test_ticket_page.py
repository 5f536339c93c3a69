"""Ticket page throughput (`make bench`): requests a second measured with `wrk` on a ticket
page with 50 comments, next to a trivial Django view (`tests/bench/urls.py`: same middleware,
no database, no template) served by the same daphne process, the local ceiling. One daphne,
PostgreSQL + Redis (the production shape). BENCH_RUNS runs of BENCH_WRK_SECONDS (5) each,
min / median / max. That the page's query count does not grow with its comments is asserted
in `make test` (tests/tickets/test_page_queries.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from typing import Any

import pytest

from tests.bench import harness as h
from tests.support.servers import Postgres, Redis

SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "16"))


def wrk(url: str) -> dict[str, Any]:
    binary = shutil.which("wrk")
    assert binary, "wrk is needed (apt-get install wrk)"
    out = subprocess.run(
        [binary, "-t", "2", "-c", str(CONNECTIONS), "-d", f"{SECONDS}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def ms(m: Any) -> float | None:
        if not m:
            return None
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]

    return {
        "rps": rps,
        "p50_ms": ms(p50),
        "p99_ms": ms(p99),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


@pytest.mark.timeout(900)
def test_ticket_page_throughput() -> None:
    pg = Postgres().start()
    redis = Redis().start()
    try:
        env = h.seeded_env(
            DATABASE_URL=pg.url, REDIS_URL=redis.url, DJANGO_SETTINGS_MODULE="tests.bench.settings"
        )
        fixline = h.Fixline(env)
        try:
            poster = h.Poster(fixline.urls, fixline.ticket, fixline.agent)
            for i in range(50):
                assert poster(i, 0), poster.errors
            page = f"{fixline.urls[0]}/tickets/{fixline.ticket}/"
            trivial = f"{fixline.urls[0]}/bench/trivial/"
            rows = []
            for run in range(h.RUNS):
                for name, url in (("trivial", trivial), ("page", page)):
                    row = {"run": run, "name": name, **wrk(url)}
                    rows.append(row)
                    print(row, flush=True)
        finally:
            fixline.stop()
    finally:
        redis.stop()
        pg.stop()
    h.write_result("ticket_page", {"machine": h.machine(), "rows": rows})
    ratio = []
    for run in range(h.RUNS):
        t = [r for r in rows if r["run"] == run and r["name"] == "trivial"][0]
        p = [r for r in rows if r["run"] == run and r["name"] == "page"][0]
        ratio.append(p["rps"] / t["rps"])

    def of(name: str, key: str) -> str:
        return h.mmm(h.spread(r[key] for r in rows if r["name"] == name), 1)

    h.update_doc(
        "ticket_page",
        f"""Ticket page, `wrk -t2 -c{CONNECTIONS} -d{SECONDS}s`, {h.RUNS} run(s), min / median / max;
1 daphne, PostgreSQL + Redis; the ticket has 50 comments; {h.machine()}.

| URL | requests/s | p50 ms | p99 ms | non-2xx |
| --- | --- | --- | --- | --- |
| trivial Django view (local ceiling) | {of("trivial", "rps")} | {of("trivial", "p50_ms")} | {of("trivial", "p99_ms")} | {sum(r["non_2xx"] for r in rows if r["name"] == "trivial")} |
| ticket page, 50 comments | {of("page", "rps")} | {of("page", "p50_ms")} | {of("page", "p99_ms")} | {sum(r["non_2xx"] for r in rows if r["name"] == "page")} |

Page ÷ trivial view, same run: {h.mmm(h.spread(ratio), 2)}. Queries per page: constant in the
number of comments (asserted in `make test`, tests/tickets/test_page_queries.py).

(measured {time.strftime("%Y-%m-%d %H:%M")})""",
    )
    assert all(r["non_2xx"] == 0 for r in rows), rows
