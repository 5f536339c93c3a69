"""Django's PostgreSQL backend, whose connection pool checks a connection it lends with
`project.database.check_connection` (a round trip only when the connection may be broken)
instead of psycopg_pool's empty query on every loan (docs/performance.md, "The write path",
round 4). `DATABASE_URL` selects it when the pool is on (project/database.py)."""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper

from project.database import check_connection


class DatabaseWrapper(PostgreSQLWrapper):
    @property
    def pool(self) -> Any:
        pool = super().pool
        # Django builds the pool with `check=ConnectionPool.check_connection` when health checks
        # are on and takes no other check (a `check` in OPTIONS["pool"] is passed twice);
        # psycopg_pool keeps it in `_check` and calls it on every loan. Tested against both
        # (tests/project/test_database.py), so an upgrade that moves it fails there.
        if pool is not None and pool._check is not None:
            pool._check = check_connection
        return pool
