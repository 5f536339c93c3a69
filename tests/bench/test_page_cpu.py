"""CPU per request in one process (`make bench`), the profile behind the flash-crowd work:
what Django spends on a static file, on a cached anonymous ticket page and on the same page
rendered by the view, measured with the process's CPU clock (less disturbed than wall time by
other work on a shared machine). daphne's own share (HTTP parsing, the ASGI hop) is not in
these figures: tests/bench/test_ticket_page.py measures whole requests."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tests.bench import harness as h
from tests.conftest import actor_for
from tickets import services

pytestmark = pytest.mark.django_db(transaction=True)
REQUESTS = 200


def cpu_ms(url: str) -> float:
    client = Client()  # one handler (a Client loads the middleware chain once)
    client.get(url)
    started = time.process_time()
    for _ in range(REQUESTS):
        client.cookies.clear()  # every request a new visitor, as in a flash crowd
        response = client.get(url)
        assert response.status_code == 200
    return (time.process_time() - started) * 1000 / REQUESTS


@pytest.mark.timeout(900)
def test_cpu_per_request(world: dict[str, Any], make_ticket: Any) -> None:
    ticket = make_ticket()
    for i in range(50):
        cache.clear()
        services.comment_create(
            actor=actor_for(world["agent"]), ticket_id=ticket.pk, body=f"comment {i}"
        )
    page = f"/tickets/{ticket.pk}/"
    Client().get(page)
    rows = []
    for run in range(h.RUNS):
        row = {
            "run": run,
            "static": cpu_ms("/static/js/ticket-live.js"),
            "cached": cpu_ms(page),
            "rendered": cpu_ms(f"{page}?bench=render"),
        }
        rows.append(row)
        print(row, flush=True)
    profile = cProfile.Profile()
    profile.enable()
    cpu_ms(page)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(20)
    print(out.getvalue())
    h.write_result("page_cpu", {"machine": h.machine(), "rows": rows})
