"""The C peer a city could deploy instead: nginx + Nchan (Debian's `libnginx-mod-nchan`), one
worker process, WebSocket subscribers on one channel, messages published by HTTP POST. Like
the ceiling it has no database: its "comment" is one POST of the frame to /pub. A new
subscriber gets the channel's one buffered message at once (a `hello` published first), so the
watchers count it as joined exactly as they do on the other servers."""

from __future__ import annotations

import http.client
import json
import os
import pwd
import resource
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from tests.support.servers import free_port, wait_for_port

MODULE = Path("/usr/lib/nginx/modules/ngx_nchan_module.so")

CONF = """load_module {module};
worker_processes 1;
worker_rlimit_nofile {nofile};
user {user};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location = /pub {{
            nchan_publisher;
            nchan_channel_id ticket;
            nchan_message_buffer_length 1;
        }}
        location = /ws {{
            nchan_subscriber websocket;
            nchan_channel_id ticket;
            nchan_subscriber_first_message oldest;
        }}
    }}
}}
"""


def install() -> None:
    if not MODULE.exists():
        if os.geteuid() != 0:
            raise AssertionError("nginx + Nchan: apt-get install -y libnginx-mod-nchan")
        subprocess.run(["apt-get", "install", "-y", "libnginx-mod-nchan"], check=True)


class Nchan:
    def __init__(self) -> None:
        install()
        self.port = free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="fixline-nchan-"))
        (self.prefix / "body").mkdir()
        conf = self.prefix / "nginx.conf"
        user = pwd.getpwuid(os.geteuid()).pw_name
        conf.write_text(
            CONF.format(
                module=MODULE,
                user=user,
                prefix=self.prefix,
                port=self.port,
                nofile=resource.getrlimit(resource.RLIMIT_NOFILE)[1],
            )
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen([nginx, "-p", str(self.prefix), "-c", str(conf)])
        wait_for_port(self.port, timeout=60)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.lock = threading.Lock()
        self.seq = 0
        self.publish('{"type":"hello","ticket":1,"seq":0,"data":{}}')

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def publish(self, text: str) -> bool:
        with self.lock:
            return self._post(text)

    def _post(self, text: str) -> bool:
        for attempt in range(2):
            try:
                self.conn.request("POST", "/pub", text.encode(), {"Content-Type": "text/plain"})
                response = self.conn.getresponse()
                response.read()
                return response.status in (201, 202)
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        return False

    def send(self, i: int, ms: int) -> bool:
        """The same frame as the ceiling's (tests/bench/harness.py `Ceiling.send`)."""
        with self.lock:  # in seq order, as the ceiling's one publisher socket
            self.seq += 1
            text = json.dumps(
                {
                    "type": "comment.created",
                    "ticket": 1,
                    "seq": self.seq,
                    "at": "2026-12-01T08:00:00Z",
                    "data": {"id": i, "body": f"bench {i} {ms}", "author": "Agent"},
                },
                separators=(",", ":"),
            )
            return self._post(text)

    def stop(self) -> None:
        self.conn.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)
