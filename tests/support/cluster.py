"""`make cluster` / `make cluster-stop`: Fixline's production shape on loopback.

nginx (:8100) → two daphne processes (:8101, :8102) → PostgreSQL (:55432) and Redis (:56379),
plus the task worker (`manage.py db_worker`, django-tasks). OS packages (nginx, redis-server,
postgresql) are installed with apt-get when missing (as root). Every piece of state lives under
var/cluster/: data directories, logs, pid files, the rendered nginx config, the secret key.

    python -m tests.support.cluster start|stop|status

Ports: CLUSTER_PORT (nginx; daphne take the next two), CLUSTER_PG_PORT, CLUSTER_REDIS_PORT.
Templates: docs/deploy/nginx-cluster.conf (nginx), docs/deploy/*.service (systemd, for real
hosts; see docs/deploy.md).
"""

from __future__ import annotations

import glob
import os
import pwd
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("CLUSTER_DIR", ROOT / "var" / "cluster"))
RUN = VAR / "run"
LOGS = VAR / "logs"
PORT = int(os.environ.get("CLUSTER_PORT", "8100"))
DAPHNE_PORTS = [PORT + 1, PORT + 2]
PG_PORT = int(os.environ.get("CLUSTER_PG_PORT", "55432"))
REDIS_PORT = int(os.environ.get("CLUSTER_REDIS_PORT", "56379"))
PY = str(ROOT / ".venv" / "bin" / "python")
SOCKETS_PER_ADDRESS = 50  # nginx limit_conn for /ws/, as FIXLINE_WS_MAX_PER_ADDRESS
DAPHNE = str(ROOT / ".venv" / "bin" / "daphne")
PACKAGES = {
    "nginx": lambda: shutil.which("nginx") or Path("/usr/sbin/nginx").exists(),
    "redis-server": lambda: shutil.which("redis-server"),
    "postgresql": lambda: glob.glob("/usr/lib/postgresql/*/bin/initdb"),
}


def say(message: str) -> None:
    print(f"cluster: {message}", flush=True)


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_port(port: int, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not listening(port):
        if time.monotonic() > deadline:
            raise SystemExit(f"cluster: {what} is not listening on {port} (see {LOGS})")
        time.sleep(0.1)


def install_packages() -> None:
    missing = [name for name, present in PACKAGES.items() if not present()]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(f"cluster: install {' '.join(missing)} (apt-get, as root)")
    say(f"installing {' '.join(missing)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )
    if shutil.which("systemctl") is None:
        return
    # Debian starts the packaged services; the cluster runs its own copies on other ports.


def pg_bin() -> Path:
    return Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent


def as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def env() -> dict[str, str]:
    key = VAR / "secret_key"
    if not key.exists():
        key.write_text(secrets.token_urlsafe(50))
        key.chmod(0o600)
    base = {k: v for k, v in os.environ.items() if not k.startswith("FIXLINE_")}
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PG_PORT}/fixline",
        "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
        "SECRET_KEY_FILE": str(key),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{PORT},http://localhost:{PORT}",
        "FIXLINE_VAR_DIR": str(VAR / "app"),
        "FIXLINE_SITE_URL": f"http://127.0.0.1:{PORT}",
        # nginx (on loopback, FIXLINE_TRUSTED_PROXIES) writes the client's address.
        "FIXLINE_TRUST_X_FORWARDED_FOR": "1",
    }


def daphne_command(port: int) -> list[str]:
    """One daphne process as in production (docs/deploy/fixline@.service): no --proxy-headers
    (the client address is read by Fixline from nginx only), bounded request times."""
    listen = f"tcp:port={port}:backlog={BACKLOG}:interface=127.0.0.1"
    return [DAPHNE, "-e", listen, *DAPHNE_LIMITS, "project.asgi:application"]


# The listen backlog of each daphne (Twisted's default, 50, refused half of a 5,000-socket
# join storm); the kernel caps it at net.core.somaxconn (raised in `start` when root).
BACKLOG = 4096

# A response within 300 s (exports stream for long), a WebSocket handshake within 10 s,
# pings every 25 s; slow request headers are cut by Fixline itself (security/slow_clients.py).
DAPHNE_LIMITS = [
    "--http-timeout",
    "300",
    "--websocket_connect_timeout",
    "10",
    "--ping-interval",
    "25",
]


def spawn(name: str, cmd: list[str]) -> int:
    log = open(LOGS / f"{name}.log", "ab")  # noqa: SIM115  (kept by the child)
    process = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # survives `make` returning
    )
    (RUN / f"{name}.pid").write_text(str(process.pid))
    return process.pid


def start_postgres() -> None:
    data = VAR / "pg"
    if listening(PG_PORT):
        raise SystemExit(f"cluster: port {PG_PORT} is taken (CLUSTER_PG_PORT)")
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
        subprocess.run(
            as_postgres([str(pg_bin() / "initdb"), "-D", str(data), "-A", "trust", "-U"])
            + ["postgres", "-E", "UTF8"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    sock_dir = RUN / "pg"
    sock_dir.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(sock_dir, "postgres", "postgres")
        shutil.chown(LOGS, "postgres", "postgres")
    options = f"-p {PG_PORT} -c listen_addresses=127.0.0.1 -k {sock_dir} -c max_connections=200"
    subprocess.run(
        as_postgres([str(pg_bin() / "pg_ctl"), "-D", str(data), "-o", options, "-w"])
        + ["-l", str(LOGS / "postgresql.log"), "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    import psycopg

    with psycopg.connect(
        f"host=127.0.0.1 port={PG_PORT} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'fixline'").fetchone():
            conn.execute("CREATE DATABASE fixline")
    say(f"PostgreSQL on 127.0.0.1:{PG_PORT} (data in {data})")


def start_redis() -> None:
    if listening(REDIS_PORT):
        raise SystemExit(f"cluster: port {REDIS_PORT} is taken (CLUSTER_REDIS_PORT)")
    (VAR / "redis").mkdir(exist_ok=True)
    subprocess.run(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--pidfile",
            str(RUN / "redis.pid"),
            "--logfile",
            str(LOGS / "redis.log"),
            "--dir",
            str(VAR / "redis"),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
    )
    wait_port(REDIS_PORT, "Redis")
    say(f"Redis on 127.0.0.1:{REDIS_PORT}")


def prepare_app() -> None:
    for args in (["migrate", "--noinput"], ["collectstatic", "--noinput"], ["seed_demo"]):
        subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    say("database migrated, static files collected, demo data loaded")


def start_daphnes() -> None:
    for port in DAPHNE_PORTS:
        if listening(port):
            raise SystemExit(f"cluster: port {port} is taken (CLUSTER_PORT)")
        spawn(f"daphne-{port}", daphne_command(port))
    for port in DAPHNE_PORTS:
        wait_port(port, f"daphne :{port}")
    say(f"daphne on 127.0.0.1:{DAPHNE_PORTS[0]} and :{DAPHNE_PORTS[1]}")


def start_worker() -> None:
    if not (ROOT / "notifications").is_dir():
        say("no notifications/ app: no task worker to run")
        return
    spawn("worker", [PY, "manage.py", "db_worker", "--no-reload"])
    say("task worker (manage.py db_worker) started")


def render_nginx(
    prefix: Path = VAR / "nginx",
    port: int = PORT,
    upstreams: list[int] = DAPHNE_PORTS,  # noqa: B006  (read only)
    static: Path = VAR / "app" / "staticfiles",
    ws_rate: int = 20,
    ws_burst: int = 200,
    ws_conn: int = 0,
    forwarded_for: str = "$remote_addr",
) -> Path:
    """docs/deploy/nginx-cluster.conf with its @NAME@ placeholders filled in (also used by the
    fault drills, tests/drills/, and tests/security/: `forwarded_for` replaces the
    X-Forwarded-For value, to show that an appending proxy cannot be fooled either).
    `ws_conn`: open sockets per client address (`make cluster`: 50); 0 leaves the limit out
    (the drills and benchmarks open hundreds of sockets from one address)."""
    for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    template = (ROOT / "docs" / "deploy" / "nginx-cluster.conf").read_text()
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstreams)
    conf = (
        template.replace("@PREFIX@", str(prefix))
        .replace("@PORT@", str(port))
        .replace("@UPSTREAMS@", servers)
        .replace("@STATIC@", str(static))
        .replace("@USER@", pwd.getpwuid(os.geteuid()).pw_name)
        .replace("@WS_RATE@", str(ws_rate))
        .replace("@WS_BURST@", str(ws_burst))
        .replace(
            "limit_conn ws_sockets @WS_CONN@;",
            f"limit_conn ws_sockets {ws_conn};" if ws_conn > 0 else "# (no limit_conn here)",
        )
        .replace("X-Forwarded-For $remote_addr;", f"X-Forwarded-For {forwarded_for};")
    )
    path = prefix / "nginx.conf"
    path.write_text(conf)
    return path


def nginx_bin() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def start_nginx() -> None:
    if listening(PORT):
        raise SystemExit(f"cluster: port {PORT} is taken (CLUSTER_PORT)")
    conf = render_nginx(ws_conn=SOCKETS_PER_ADDRESS)
    prefix = str(VAR / "nginx")
    subprocess.run([nginx_bin(), "-t", "-q", "-p", prefix, "-c", str(conf)], check=True)
    subprocess.run([nginx_bin(), "-p", prefix, "-c", str(conf)], check=True)
    wait_port(PORT, "nginx")
    say(f"nginx on 127.0.0.1:{PORT} → daphne :{DAPHNE_PORTS[0]}, :{DAPHNE_PORTS[1]}")


def raise_limits() -> None:
    """Thousands of sockets per daphne: the open-files limit to its hard maximum (inherited by
    every process started here), and the kernel's accept-queue cap up to BACKLOG when root."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    somaxconn = Path("/proc/sys/net/core/somaxconn")
    try:
        if int(somaxconn.read_text()) < BACKLOG and os.geteuid() == 0:
            somaxconn.write_text(str(BACKLOG))
    except (OSError, ValueError):
        say(f"net.core.somaxconn below {BACKLOG}: a join storm may be refused (see docs)")


def start() -> int:
    if (RUN / f"daphne-{DAPHNE_PORTS[0]}.pid").exists():
        say("already running? `make cluster-stop` first")
        return 1
    install_packages()
    raise_limits()
    for d in (RUN, LOGS, VAR / "app"):
        d.mkdir(parents=True, exist_ok=True)
    try:
        start_postgres()
        start_redis()
        prepare_app()
        start_daphnes()
        start_worker()
        start_nginx()
    except BaseException:
        say("start failed; stopping what was started")
        stop()
        raise
    print()
    print(f"Fixline cluster on http://127.0.0.1:{PORT}/  (WebSockets: ws://127.0.0.1:{PORT}/ws/)")
    print("  accounts: admin, agent, volunteer, citizen (password demo-<username>)")
    print(f"  state, logs and pids: {VAR}")
    print("  stop: make cluster-stop")
    return 0


def kill_pidfile(path: Path, name: str) -> None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            time.sleep(0.1)
            os.kill(pid, 0)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    path.unlink(missing_ok=True)
    say(f"stopped {name} ({pid})")


def stop() -> int:
    nginx_pid = VAR / "nginx" / "nginx.pid"
    if nginx_pid.exists():
        subprocess.run(
            [nginx_bin(), "-p", str(VAR / "nginx"), "-c", str(VAR / "nginx" / "nginx.conf")]
            + ["-s", "quit"],
            check=False,
        )
        for _ in range(50):
            if not nginx_pid.exists():
                break
            time.sleep(0.1)
        kill_pidfile(nginx_pid, "nginx")
    for path in sorted(RUN.glob("daphne-*.pid")) + [RUN / "worker.pid", RUN / "redis.pid"]:
        kill_pidfile(path, path.stem)
    if (VAR / "pg" / "postmaster.pid").exists():
        subprocess.run(
            as_postgres([str(pg_bin() / "pg_ctl"), "-D", str(VAR / "pg"), "-m", "fast", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )
        say("stopped PostgreSQL")
    return 0


def status() -> int:
    for name, port in [("nginx", PORT), *[(f"daphne-{p}", p) for p in DAPHNE_PORTS]]:
        print(f"{name:14} :{port} {'up' if listening(port) else 'down'}")
    print(f"{'postgresql':14} :{PG_PORT} {'up' if listening(PG_PORT) else 'down'}")
    print(f"{'redis':14} :{REDIS_PORT} {'up' if listening(REDIS_PORT) else 'down'}")
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "start"
    sys.exit({"start": start, "stop": stop, "status": status}[command]())
