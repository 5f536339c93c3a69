"""Real daphne processes for the browser and multi-process tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support.servers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = str(Path(sys.executable).with_name("daphne"))


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "project.settings", "PYTHONUNBUFFERED": "1"})
    # Drills and benchmarks open hundreds of sockets from 127.0.0.1: no per-address cap there
    # unless a test sets one (tests/security/test_socket_limits.py).
    env.setdefault("FIXLINE_WS_MAX_PER_ADDRESS", "0")
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def shell(env: dict[str, str], code: str) -> str:
    """The last line `manage.py shell -c <code>` prints (a value a test needs from the site)."""
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


class Daphne:
    def __init__(self, env: dict[str, str], app: str = "project.asgi:application") -> None:
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="fixline-daphne-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            [DAPHNE, "-b", "127.0.0.1", "-p", str(self.port), app],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(self.port, timeout=30)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"daphne did not start:\n{self.output()}") from None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw.decode(errors="replace")


def token(base: str, username: str, password: str) -> str:
    status, answer = http(
        "POST", f"{base}/api/v1/auth/token/", {"username": username, "password": password}
    )
    assert status == 200, answer
    return answer["token"]


# --- The demo site and a browser, for the Playwright tests ---------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # Pages faked by Playwright (no address) frame ours in some tests: without this,
    # Chromium's local-network rules would block those frames before framing rules apply.
    "--disable-features=LocalNetworkAccessChecks",
]


def demo_env(prefix: str = "fixline-demo-", **extra: str) -> dict[str, str]:
    """A fresh embedded-default site (SQLite under a temp var/), migrated and seeded."""
    env = base_env(FIXLINE_VAR_DIR=tempfile.mkdtemp(prefix=prefix), FIXLINE_MAP_TILES="", **extra)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    return env


def demo_server(env: dict[str, str] | None = None) -> Iterator[Daphne]:
    """Generator for a pytest fixture: a daphne serving the demo site, stopped afterwards."""
    daphne = Daphne(env or demo_env())
    try:
        yield daphne
    finally:
        daphne.stop()


def chromium() -> Iterator[Any]:
    """Generator for a pytest fixture: Debian's Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is needed (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
