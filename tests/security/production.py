"""The production shape for the proxy and socket tests: the demo site (SQLite, seeded) served by
daphne started as `make cluster` / docs/deploy/fixline@.service start it (no --proxy-headers,
the same limits), behind nginx rendered from docs/deploy/nginx-cluster.conf; or daphne alone,
started as `make run` starts it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.realtime.processes import DAPHNE, ROOT, demo_env
from tests.support.cluster import DAPHNE_LIMITS, render_nginx
from tests.support.servers import free_port, wait_for_port


def make_run_flags() -> list[str]:
    """The daphne options of the Makefile's `run` target (between the port and the app)."""
    makefile = (ROOT / "Makefile").read_text()
    line = re.search(
        r"bin/daphne -e tcp:port=\$\(PORT\):backlog=\$\(BACKLOG\):interface=127\.0\.0\.1 (.*) "
        r"project\.asgi",
        makefile,
    )
    assert line, "the run target starts daphne"
    return line.group(1).split()


class Daphne:
    def __init__(self, env: dict[str, str], flags: list[str]) -> None:
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="fixline-daphne-", suffix=".log")  # noqa: SIM115
        command = [DAPHNE, "-b", "127.0.0.1", "-p", str(self.port), *flags]
        self.process = subprocess.Popen(
            [*command, "project.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Nginx:
    """docs/deploy/nginx-cluster.conf on a free port, in the foreground, our child."""

    def __init__(self, upstream: int, **options: Any) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        assert Path(binary).exists(), "nginx is needed (make system-deps)"
        self.port = free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="fixline-nginx-"))
        conf = render_nginx(self.prefix, self.port, [upstream], self.prefix / "static", **options)
        self.process = subprocess.Popen(
            [binary, "-p", str(self.prefix), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)


def cluster_site(**extra: str) -> dict[str, str]:
    """The environment `make cluster` gives daphne (client address from nginx), on the demo
    data."""
    return demo_env("fixline-prod-", FIXLINE_TRUST_X_FORWARDED_FOR="1", **extra)


def cluster_daphne(env: dict[str, str]) -> Daphne:
    return Daphne(env, list(DAPHNE_LIMITS))


def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")
