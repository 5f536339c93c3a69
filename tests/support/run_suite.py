"""`make test`: the whole suite on the embedded SQLite default, then again on a real
PostgreSQL started here on loopback. Exit code 5 (no tests collected) is a failure.

Each pass runs on pytest-xdist workers (FIXLINE_TEST_WORKERS, default `auto`: one per core;
`0` runs in one process): much of the suite waits on daphne, Chromium and servers starting,
so two workers on the 2-core CI machine took the passes from about 13 + 11 minutes to 9 + 5
(2026-12-03). Every test that starts a server takes a free port and its own directory, and
pytest-django gives each worker its own test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.support.servers import Postgres


def pytest(args: list[str], env: dict[str, str]) -> int:
    started = time.monotonic()
    code = subprocess.call([sys.executable, "-m", "pytest", *args], env=env)
    print(
        f"--- pytest {' '.join(args)}: exit {code} in {time.monotonic() - started:.0f}s", flush=True
    )
    return code


def main() -> int:
    workers = os.environ.get("FIXLINE_TEST_WORKERS", "auto")
    extra = ["-n", workers, *sys.argv[1:]] if workers != "0" else sys.argv[1:]
    base_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    code = pytest(["-m", "not postgres", *extra], base_env)
    if code != 0:
        return code or 1
    pg = Postgres().start()
    try:
        env = {**base_env, "DATABASE_URL": pg.url, "FIXLINE_TEST_POSTGRES": "1"}
        code = pytest(["-m", "not browser", *extra], env)
    finally:
        pg.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
