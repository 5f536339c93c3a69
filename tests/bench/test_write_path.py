"""The storm's write path (`make bench`; issue 14 target 4): one comment POST at a time through
the API, p50 / p99 of the answer time, next to a GET of a static file from the same daphne in
the same run (the reference: HTTP, daphne and the middleware chain without the write). Two
writers: anonymous neighbours, each a new one (a new address through the trusted proxy
header, so neither the per-identity nor the per-address limit applies: a crowd), which is the
issue's case (the identity is created with the comment), and an agent (a token, no rate
limit). The ticket is in an active emergency with 100 followers, as in `make test`'s query
count (tests/tickets/test_write_queries.py). Shapes: the embedded default (1 daphne, SQLite,
in-memory layer, the worker a child of daphne as `make run`), the same with the worker in its own
process, and the production shape (1 daphne, PostgreSQL + Redis, `db_worker` in its own
process; FIXLINE_DB_POOL=0 in the environment measures it without the connection pool, the
"before" of docs/performance.md, "ASGI and persistent connections"). BENCH_RUNS runs of
BENCH_WRITES (200) POSTs per writer; BENCH_WRITE_SHAPES=postgres measures some shapes only."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.bench import harness as h
from tests.realtime.processes import ROOT, shell
from tests.support.servers import Postgres, Redis

WRITES = int(os.environ.get("BENCH_WRITES", "200"))
STATIC = "/static/js/ticket-live.js"
FOLLOWERS = 100

STORM = """
from django.contrib.auth import get_user_model
from django.utils import timezone
FOLLOWERS = {followers}
from moderation.services.emergencies import emergency_create
from tickets import services
from tickets.identity import Actor
from tickets.models import Ticket
admin = get_user_model().objects.get(username="admin")
emergency_create(actor=Actor(user=admin), name="Bench storm", slug="bench-storm",
    starts_at=timezone.now(), jurisdiction="riverton")
ticket = services.ticket_create(actor=Actor(user=admin, ip="127.0.0.1"), title="Bench",
    description="Bench", service_code="snow", lat=45.505, long=-73.552)
assert Ticket.objects.get(pk=ticket.pk).event_id is not None
for i in range(FOLLOWERS):
    user = get_user_model().objects.create_user(f"bench-follower-{i}", password="pw-bench-123")
    services.ticket_react(actor=Actor(user=user), ticket_id=ticket.pk, kind="follow")
print(ticket.pk)
"""


# The worker's side: each comment's `process_event` job (the bell, Web Push and the
# followers' mail batches for its 100 followers), from the task table once the POSTs are done.
JOBS = """
import json, time
from django_tasks_db.models import DBTaskResult
jobs = DBTaskResult.objects.filter(task_path__endswith="process_event")
deadline = time.time() + {wait}
while jobs.filter(finished_at__isnull=True).exists() and time.time() < deadline:
    time.sleep(0.5)
rows = list(jobs.exclude(finished_at=None).values_list("started_at", "finished_at"))
print(json.dumps({{
    "ms": [(f - s).total_seconds() * 1000 for s, f in rows],
    "last": max((f.timestamp() for _, f in rows), default=0),
    "left": jobs.filter(finished_at__isnull=True).count(),
}}))
"""
WORKER_WAIT = float(os.environ.get("BENCH_WORKER_WAIT", "60"))


def worker_jobs(env: dict[str, str], posted_until: float) -> dict[str, Any]:
    found = json.loads(shell(env, JOBS.format(wait=WORKER_WAIT)))
    return {
        "job_p50_ms": h.percentile(found["ms"], 0.5),
        "job_p99_ms": h.percentile(found["ms"], 0.99),
        "jobs_done": len(found["ms"]),
        "jobs_left": found["left"],
        # How long after the last POST's answer the worker had done every job (or gave up).
        "caught_up_s": round(found["last"] - posted_until, 1) if not found["left"] else None,
    }


def storm_ticket(env: dict[str, str]) -> int:
    return int(shell(env, STORM.replace("{followers}", str(FOLLOWERS))))


class Neighbours:
    """Anonymous comment POSTs, each from a new neighbour (an address of its own)."""

    def __init__(self, base: str, ticket: int) -> None:
        self.conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=30)
        self.ticket = ticket
        self.durations: list[float] = []
        self.errors: list[str] = []
        self.n = 0

    def __call__(self, i: int) -> bool:
        self.n += 1
        address = f"10.{self.n // 65536 % 256}.{self.n // 256 % 256}.{self.n % 256}"
        body = json.dumps({"body": f"neighbour {i}"})
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Forwarded-For": address,
        }
        started = time.monotonic()
        self.conn.request("POST", f"/api/v1/tickets/{self.ticket}/comments/", body, headers)
        response = self.conn.getresponse()
        response.read()
        self.durations.append((time.monotonic() - started) * 1000)
        if response.status != 201:
            self.errors.append(str(response.status))
        return response.status == 201


def static_gets(base: str, n: int) -> list[float]:
    conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=30)
    took = []
    for _ in range(n):
        started = time.monotonic()
        conn.request("GET", STATIC)
        response = conn.getresponse()
        response.read()
        assert response.status == 200
        took.append((time.monotonic() - started) * 1000)
    conn.close()
    return took


def measure(fixline: h.Fixline, ticket: int, run: int, shape: str) -> dict[str, Any]:
    neighbours = Neighbours(fixline.urls[0], ticket)
    for i in range(WRITES):
        assert neighbours(i), neighbours.errors
    agent = h.Poster(fixline.urls, ticket, fixline.agent)
    for i in range(WRITES):
        assert agent(i, 0), agent.errors
    static = static_gets(fixline.urls[0], WRITES)
    return {
        "run": run,
        "shape": shape,
        "anon_p50_ms": h.percentile(neighbours.durations, 0.5),
        "anon_p99_ms": h.percentile(neighbours.durations, 0.99),
        "agent_p50_ms": h.percentile(agent.durations, 0.5),
        "agent_p99_ms": h.percentile(agent.durations, 0.99),
        "static_p50_ms": h.percentile(static, 0.5),
        "static_p99_ms": h.percentile(static, 0.99),
        "errors": len(neighbours.errors) + len(agent.errors),
    }


SHAPES = {
    # `make run`: daphne starts the task worker as its child and relays its pushes, so the bell
    # is live on the in-memory layer (project/worker.py; a thread of daphne until 2026-12-03).
    "embedded": "worker started by daphne, pushes relayed (`make run`)",
    # The production arrangement: `manage.py db_worker` is its own process.
    "separate": "worker in its own process",
    # Production: PostgreSQL (through the pool, project/database.py) and Redis.
    "postgres": "PostgreSQL + Redis, worker in its own process (production)",
}
ONLY = [x for x in os.environ.get("BENCH_WRITE_SHAPES", "").split(",") if x]


def measure_shape(shape: str, rows: list[dict[str, Any]], **servers: str) -> None:
    # The proxy header is believed from loopback (the neighbours' addresses).
    env = h.seeded_env(
        FIXLINE_TRUST_X_FORWARDED_FOR="1",
        FIXLINE_EMBEDDED_WORKER="1" if shape == "embedded" else "0",
        **servers,
    )
    ticket = storm_ticket(env)
    worker = None
    if shape != "embedded":
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    fixline = h.Fixline(env)
    try:
        for run in range(h.RUNS):
            row = measure(fixline, ticket, run, shape)
            rows.append(row)
            print(row, flush=True)
        rows[-1].update(worker_jobs(env, time.time()))  # every run's jobs, on the last row
        print(rows[-1], flush=True)
    finally:
        fixline.stop()
        if worker is not None:
            worker.terminate()
            worker.wait(10)


@pytest.mark.timeout(1800)
def test_comment_post_latency() -> None:
    rows: list[dict[str, Any]] = []
    shapes = {k: v for k, v in SHAPES.items() if not ONLY or k in ONLY}
    for shape in shapes:
        if shape != "postgres":
            measure_shape(shape, rows)
            continue
        pg, redis = Postgres().start(), Redis().start()
        try:
            measure_shape(shape, rows, DATABASE_URL=pg.url, REDIS_URL=redis.url)
        finally:
            redis.stop()
            pg.stop()
    h.write_result("write_path", {"machine": h.machine(), "rows": rows})

    def of(shape: str, key: str) -> str:
        return h.mmm(h.spread(r[key] for r in rows if r["shape"] == shape), 1)

    def median(shape: str, key: str) -> float:
        return h.spread(r[key] for r in rows if r["shape"] == shape)["median"] or 0.0

    table = "\n".join(
        f"| {label} | {of(shape, 'static_p50_ms')} | {of(shape, 'anon_p50_ms')} | "
        f"{of(shape, 'anon_p99_ms')} | {of(shape, 'agent_p50_ms')} | {of(shape, 'agent_p99_ms')} |"
        for shape, label in shapes.items()
    )
    workers = "\n".join(
        f"| {label} | {h.fmt(r.get('job_p50_ms'), 1)} | {h.fmt(r.get('job_p99_ms'), 1)} | "
        f"{r.get('jobs_done', '–')} | {r.get('jobs_left', '–')} | {h.fmt(r.get('caught_up_s'), 1)} |"
        for shape, label in shapes.items()
        for r in [next((r for r in reversed(rows) if r["shape"] == shape), {})]
    )
    verdicts = "\n".join(
        f"- {label}: anonymous POST p50 {median(shape, 'anon_p50_ms'):.1f} ms (target ≤ 10 on an "
        f"idle machine) {h.verdict(median(shape, 'anon_p50_ms') <= 10)}"
        for shape, label in shapes.items()
    )
    pool = "off (FIXLINE_DB_POOL=0)" if os.environ.get("FIXLINE_DB_POOL") == "0" else "on"
    h.update_doc(
        "write_path",
        f"""Comment POST, one at a time, {WRITES} per writer per run, {h.RUNS} run(s), min / median /
max; a ticket in an active emergency with {FOLLOWERS} followers; 1 daphne; SQLite in WAL
mode and the in-memory layer unless the shape says PostgreSQL + Redis (its connection pool:
{pool}); {h.machine()}.

| shape | static GET p50 ms (reference) | anonymous POST p50 ms | p99 | agent POST p50 ms | p99 |
| --- | --- | --- | --- | --- | --- |
{table}

The worker meanwhile: each comment's job (`process_event`: the bell, Web Push and the mail
batches of its {FOLLOWERS} followers), over every run's comments; "caught up" is how long after
the last POST's answer it had done them all (it waits {WORKER_WAIT:g} s at most).

| shape | job p50 ms | job p99 ms | jobs done | jobs left | caught up after s |
| --- | --- | --- | --- | --- | --- |
{workers}

{verdicts}

(measured {time.strftime("%Y-%m-%d %H:%M")})""",
    )
    assert all(r["errors"] == 0 for r in rows), rows
