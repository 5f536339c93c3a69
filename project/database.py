"""`DATABASES["default"]` from `DATABASE_URL`, with Django's psycopg connection pool on
PostgreSQL (docs/performance.md, "ASGI and persistent connections").

Why a pool and not `CONN_MAX_AGE`: Django's database connections belong to a thread, and under
daphne every request runs in a thread of its own (Django's ASGI handler gives each request a
`ThreadSensitiveContext`; `project/handlers.py` enters it once). A persistent connection kept by
a thread that is never used again is never reused: with `CONN_MAX_AGE=60` every request that
touched PostgreSQL opened a new session (a backend forked, authentication, Django's set-up
queries, the health check), measured as one new session per request. The pool (Django 5.1+,
`OPTIONS["pool"]`, the `psycopg-pool` package) is per process: a request borrows a connection
and gives it back when it ends (`CONN_MAX_AGE` must then be 0).

Health checks stay on: the pool checks a connection when it is borrowed (`check_connection`,
through the backend `project.postgresql`), so a connection broken by a PostgreSQL restart is
dropped instead of failing the request (tests/drills/test_postgres_restart.py). While
PostgreSQL is down a request waits at most `FIXLINE_DB_POOL_TIMEOUT` seconds for a connection,
then is answered 503 (project/errors.py).
"""

from __future__ import annotations

import select
from typing import TYPE_CHECKING, Any, cast

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from project.env import env_bool, env_int

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

RECONNECT_SECONDS = 2.0
POSTGRES_ENGINES = {"django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"}


def reconnect_again(pool: ConnectionPool) -> None:
    """The pool gave up (re)connecting after RECONNECT_SECONDS (attempts 1 s apart): start
    again at once, so that requests already waiting for a connection get one as soon as
    PostgreSQL is back (the pool's own growth starts only when a new request asks)."""
    if not pool.closed:
        pool.check()


def check_connection(conn: Connection[Any]) -> None:
    """The pool's check of a connection it lends: PostgreSQL's round trip only when the
    connection may be broken. Return quietly if it works, raise if not (the pool then replaces
    it; the caller never sees it).

    Why not psycopg_pool's `check_connection` on every loan, as Django passes it with health
    checks on: it sends an empty query, one round trip before every request's first statement
    (111 µs on an idle machine against 2.5 µs here, more when PostgreSQL waits for a core;
    docs/performance.md, "The write path", round 4).
    An idle connection in the pool has nothing to read unless its server spoke: a restart, a
    crash or a terminated backend sends its error and closes the socket, which makes it
    readable. So a readable (or closed, or not idle) connection gets the real check, and a quiet
    one is lent as it is. A peer that vanished without closing (a partition) is caught by
    neither check quickly; the request's statement then fails as it would have."""
    from psycopg import pq
    from psycopg_pool import ConnectionPool

    if not conn.closed and conn.info.transaction_status == pq.TransactionStatus.IDLE:
        poller = select.poll()  # not select(): a daphne's sockets pass FD_SETSIZE (1,024)
        poller.register(conn.fileno(), select.POLLIN)
        if not poller.poll(0):
            return
    ConnectionPool.check_connection(conn)


def pool_options() -> dict[str, Any]:
    """The pool's sizes, per process: a daphne's request threads (and its embedded worker) share
    `max_size` connections; beyond that a request waits up to `timeout` seconds for one.
    Size PostgreSQL's `max_connections` for processes × max_size (2 daphne + 1 worker × 10 = 30
    of its default 100)."""
    min_size = env_int("FIXLINE_DB_POOL_MIN_SIZE", 2)
    max_size = env_int("FIXLINE_DB_POOL_MAX_SIZE", 10)
    timeout = env_int("FIXLINE_DB_POOL_TIMEOUT", 5)
    if not 0 <= min_size <= max_size or max_size < 1:
        raise ImproperlyConfigured(
            "FIXLINE_DB_POOL_MIN_SIZE and FIXLINE_DB_POOL_MAX_SIZE must satisfy "
            f"0 <= min <= max, 1 <= max; got {min_size} and {max_size}"
        )
    if timeout <= 0:
        raise ImproperlyConfigured(f"FIXLINE_DB_POOL_TIMEOUT must be positive, got {timeout}")
    return {
        "min_size": min_size,
        "max_size": max_size,
        "timeout": timeout,
        # While PostgreSQL is away, a connection is tried about every second: psycopg_pool's
        # default (doubling the wait between attempts for 5 minutes) left a restarted
        # PostgreSQL unused for up to 16 s after it was back, and the requests meanwhile
        # answered 503 (tests/drills/test_postgres_restart.py).
        "reconnect_timeout": RECONNECT_SECONDS,
        "reconnect_failed": reconnect_again,
        "name": "fixline",
    }


def prepared_statements() -> dict[str, Any]:
    """Server-side binding, and a statement prepared on its connection once it has run
    `FIXLINE_DB_PREPARE` times (psycopg's `prepare_threshold`; 0 turns both off).

    Why: a storm repeats the same few statements, and PostgreSQL parsed and planned each one
    again on every run. Prepared once per pooled connection, an anonymous comment's POST went
    from 12.3 / 13.1 / 13.2 to 10.1 / 10.7 / 11.2 ms p50 in the same hour (docs/performance.md,
    "The write path", round 4). Django leaves both off by default for poolers in transaction
    mode: set 0 behind PgBouncer older than 1.21 (or without `max_prepared_statements`)."""
    threshold = env_int("FIXLINE_DB_PREPARE", 5)
    if threshold < 0:
        raise ImproperlyConfigured(f"FIXLINE_DB_PREPARE must be 0 or more, got {threshold}")
    if threshold == 0:
        return {}
    return {"server_side_binding": True, "prepare_threshold": threshold}


def database_from_url(url: str) -> dict[str, Any]:
    """The settings of one database from its URL; PostgreSQL pooled unless FIXLINE_DB_POOL=0
    (then the former persistent connections: one per thread, for a measurement or a
    deployment behind PgBouncer that wants no pool of its own)."""
    try:
        # Health checks: a connection broken by a database restart is replaced at the start of
        # the next request instead of failing it (docs/deploy.md, tests/drills/).
        parsed = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
    database = cast(dict[str, Any], parsed)  # dj_database_url's TypedDict, as Django takes it
    postgres = database["ENGINE"] in POSTGRES_ENGINES
    if postgres:
        database.setdefault("OPTIONS", {}).update(prepared_statements())
    if postgres and env_bool("FIXLINE_DB_POOL", True):
        database["CONN_MAX_AGE"] = 0  # the pool keeps the connections; Django requires 0
        # Django's backend with one change: the pool checks what it lends with
        # `check_connection` (above), not a round trip on every loan.
        if database["ENGINE"] == "django.db.backends.postgresql":
            database["ENGINE"] = "project.postgresql"
        database.setdefault("OPTIONS", {})["pool"] = pool_options()
    return database
