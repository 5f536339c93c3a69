"""`project/database.py`: PostgreSQL through Django's connection pool, because under daphne each
request runs in a thread of its own and a thread's persistent connection (`CONN_MAX_AGE`) was
never used again: every request opened a new PostgreSQL session (docs/performance.md, "ASGI
and persistent connections")."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import psycopg_pool
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from project.database import check_connection, database_from_url, reconnect_again
from tests.bench.harness import Poster
from tests.drills.support import agent_token
from tests.realtime.processes import Daphne, base_env, http
from tickets.models import Ticket

PG_URL = "postgres://fixline:secret@127.0.0.1:5432/fixline"


def test_postgres_is_pooled_with_health_checks() -> None:
    database = database_from_url(PG_URL)
    assert database["OPTIONS"]["pool"].pop("reconnect_failed") is reconnect_again
    assert database["OPTIONS"]["pool"] == {
        "min_size": 2,
        "max_size": 10,
        "timeout": 5,
        "reconnect_timeout": 2.0,
        "name": "fixline",
    }
    # Django refuses a pool with persistent connections, and passes the pool
    # `check=ConnectionPool.check_connection` when health checks are on (the restart drill).
    assert database["CONN_MAX_AGE"] == 0
    assert database["CONN_HEALTH_CHECKS"] is True
    # Django's backend, whose pool checks a loan with project.database.check_connection.
    assert database["ENGINE"] == "project.postgresql"


def test_pool_sizes_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIXLINE_DB_POOL_MIN_SIZE", "1")
    monkeypatch.setenv("FIXLINE_DB_POOL_MAX_SIZE", "4")
    monkeypatch.setenv("FIXLINE_DB_POOL_TIMEOUT", "2")
    pool = database_from_url(PG_URL)["OPTIONS"]["pool"]
    assert (pool["min_size"], pool["max_size"], pool["timeout"]) == (1, 4, 2)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FIXLINE_DB_POOL_MAX_SIZE", "0"),
        ("FIXLINE_DB_POOL_MIN_SIZE", "11"),  # above the default max of 10
        ("FIXLINE_DB_POOL_TIMEOUT", "0"),
        ("FIXLINE_DB_POOL_MAX_SIZE", "ten"),
        ("FIXLINE_DB_POOL", "maybe"),
        ("FIXLINE_DB_PREPARE", "-1"),
        ("FIXLINE_DB_PREPARE", "five"),
    ],
)
def test_bad_pool_settings_stop_start_up(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        database_from_url(PG_URL)


def test_postgres_statements_are_bound_and_prepared_server_side() -> None:
    options = database_from_url(PG_URL)["OPTIONS"]
    assert (options["server_side_binding"], options["prepare_threshold"]) == (True, 5)


def test_prepared_statements_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a pooler in transaction mode (PgBouncer before 1.21) prepared statements break:
    0 gives Django's defaults back (client-side binding, nothing prepared)."""
    monkeypatch.setenv("FIXLINE_DB_PREPARE", "0")
    options = database_from_url(PG_URL)["OPTIONS"]
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


def test_pool_off_keeps_persistent_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIXLINE_DB_POOL", "0")
    database = database_from_url(PG_URL)
    assert "pool" not in database.get("OPTIONS", {})
    assert database["CONN_MAX_AGE"] == 60
    assert database["ENGINE"] == "django.db.backends.postgresql"


def test_sqlite_url_has_no_pool() -> None:
    database = database_from_url("sqlite:////tmp/fixline-test.sqlite3")
    assert "pool" not in database.get("OPTIONS", {})
    assert "server_side_binding" not in database.get("OPTIONS", {})


def test_malformed_url_names_the_variable() -> None:
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_url("nosuchdb://x")


# --- On a real daphne and PostgreSQL -----------------------------------------------------------

REQUESTS = 40


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def sessions_opened() -> int:
    """PostgreSQL's count of sessions ever opened on the test database, once it stops moving
    (a new backend reports its session with its statistics, within about a second)."""
    last, stable_since = -1, time.monotonic()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            )
            now = int(cursor.fetchone()[0])
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since > 1.2:
            break
        time.sleep(0.2)
    return last


@pytest.mark.postgres
@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_daphne_reuses_postgres_sessions_across_requests(make_ticket: Any, world: Any) -> None:
    """40 requests that read and write PostgreSQL through a real daphne open at most a pool's
    worth of sessions (10), not one per request as with CONN_MAX_AGE under ASGI."""
    ticket = make_ticket()  # committed (transaction=True): daphne sees it
    daphne = Daphne(base_env(DATABASE_URL=database_url(), FIXLINE_VAR_DIR=tempfile.mkdtemp()))
    try:
        poster = Poster([daphne.url], ticket.pk, agent_token(world["agent"]))
        assert poster(0, 0), poster.errors  # warm: the pool opens its first connections
        before = sessions_opened()
        for i in range(REQUESTS // 2):
            assert poster(i, 0), poster.errors  # a comment: the write path
            status, _ = http("GET", f"{daphne.url}/api/v1/tickets/{ticket.pk}/")
            assert status == 200
        opened = sessions_opened() - before
    finally:
        daphne.stop()
    assert opened <= 10, f"{REQUESTS} requests opened {opened} PostgreSQL sessions"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_repeated_statement_is_prepared_on_its_connection(make_ticket: Any) -> None:
    """The settings reach psycopg: the storm's ticket read, run more than five times on a
    connection, is then a prepared statement of that PostgreSQL session (planned once, not on
    every run)."""
    ticket = make_ticket()
    for _ in range(6):
        Ticket.objects.get(pk=ticket.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "tickets_ticket"' in text and "$1" in text for text in prepared), prepared


# --- Lending a pooled connection (project.database.check_connection) ---------------------------


@pytest.fixture
def raw_connections() -> Iterator[tuple[psycopg.Connection[Any], psycopg.Connection[Any]]]:
    """Two plain sessions on the test database: one the pool would lend, one to watch it."""
    lent = psycopg.connect(database_url(), autocommit=True)
    watcher = psycopg.connect(database_url(), autocommit=True)
    yield lent, watcher
    lent.close()
    watcher.close()


def last_state_change(watcher: psycopg.Connection[Any], pid: int) -> Any:
    row = watcher.execute(
        "SELECT state_change FROM pg_stat_activity WHERE pid = %s", [pid]
    ).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_quiet_connection_is_lent_without_a_round_trip(raw_connections: Any) -> None:
    """psycopg_pool's own check sends an empty query on every loan; a connection whose server
    said nothing is lent as it is (its backend does not run anything)."""
    lent, watcher = raw_connections
    lent.execute("SELECT 1")
    before = last_state_change(watcher, lent.info.backend_pid)
    time.sleep(0.05)
    check_connection(lent)
    assert last_state_change(watcher, lent.info.backend_pid) == before
    # psycopg_pool's check, for contrast: its empty query is a statement the backend runs.
    psycopg_pool.ConnectionPool.check_connection(lent)
    assert last_state_change(watcher, lent.info.backend_pid) != before


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_connection_whose_backend_ended_fails_its_check(raw_connections: Any) -> None:
    """A restart or a terminated backend makes the idle socket readable: the check then asks
    the server, fails, and the pool lends another connection instead."""
    lent, watcher = raw_connections
    watcher.execute("SELECT pg_terminate_backend(%s)", [lent.info.backend_pid])
    deadline = time.monotonic() + 5
    while (
        time.monotonic() < deadline
        and watcher.execute(
            "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [lent.info.backend_pid]
        ).fetchone()
    ):
        time.sleep(0.02)
    with pytest.raises(psycopg.OperationalError):
        check_connection(lent)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_pool_lends_through_fixlines_check() -> None:
    """Django builds the pool with psycopg_pool's check; the backend `project.postgresql`
    replaces it. This fails if an upgrade of Django or psycopg_pool moves where it is kept."""
    assert connection.settings_dict["ENGINE"] == "project.postgresql"
    assert connection.pool._check is check_connection
