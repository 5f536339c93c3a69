"""Install the OS packages the test suite needs (PostgreSQL, Redis, Chromium) when missing.
CI runs as root on Debian; elsewhere this says what to install."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

NEEDS = {
    "postgresql": lambda: bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")),
    "redis-server": lambda: shutil.which("redis-server") is not None,
    # The fault drills (tests/drills/) put nginx in front of daphne, as production does.
    "nginx": lambda: shutil.which("nginx") is not None or os.path.exists("/usr/sbin/nginx"),
    "chromium": lambda: os.path.exists("/usr/bin/chromium"),
    # xgettext/msgfmt: tests/test_i18n.py runs makemessages.
    "gettext": lambda: shutil.which("xgettext") is not None,
}
# `make bench` (tests/bench/) also needs wrk (the page benches) and Debian's Nchan module (the
# C peer of the fan-out bench).
BENCH_NEEDS = {
    "wrk": lambda: shutil.which("wrk") is not None,
    "libnginx-mod-nchan": lambda: bool(glob.glob("/usr/lib/nginx/modules/ngx_nchan_module.so")),
}


def main() -> int:
    needs = {**NEEDS, **(BENCH_NEEDS if "--bench" in sys.argv[1:] else {})}
    missing = [pkg for pkg, present in needs.items() if not present()]
    if not missing:
        return 0
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(
            f"Missing system packages: {' '.join(missing)} (install them with apt-get)",
            file=sys.stderr,
        )
        return 1
    print(f"Installing {' '.join(missing)} with apt-get …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )
    still = [pkg for pkg, present in needs.items() if not present()]
    if still:
        print(f"Still missing after apt-get: {' '.join(still)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
