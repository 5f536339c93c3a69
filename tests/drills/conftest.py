from __future__ import annotations

from typing import Any

import pytest

from tests.drills.support import agent_token, database_url


@pytest.fixture
def ticket(make_ticket: Any) -> Any:
    return make_ticket()  # committed (transaction=True): the daphne processes see it


@pytest.fixture
def token(world: dict[str, Any]) -> str:
    return agent_token(world["agent"])


@pytest.fixture(autouse=True)
def _server_sessions_gone(request: pytest.FixtureRequest) -> Any:
    """After a drill, wait for the killed or stopped servers' database sessions to end, so that
    the test database can be dropped."""
    yield
    import time

    from django.db import connection

    if connection.vendor != "postgresql" or not request.node.get_closest_marker("django_db"):
        return
    if connection.pool:
        # This process's own pooled connections (project/database.py) are not the servers':
        # the pool is closed (Django opens a new one when the database is next used), and the
        # count is taken on a connection of its own.
        connection.close()
        connection.close_pool()
    import psycopg

    deadline = time.monotonic() + 10
    with psycopg.connect(database_url(), autocommit=True) as probe:
        while time.monotonic() < deadline:
            count = probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            ).fetchone()
            if count is not None and count[0] == 0:
                return
            time.sleep(0.2)
