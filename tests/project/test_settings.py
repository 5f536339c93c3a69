"""Settings read from the environment: the links mailed by `make run` on another port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from tests.realtime.processes import ROOT

PRINT_SITE_URL = (
    "import django, json; django.setup(); from django.conf import settings; "
    "from notifications import links; "
    "print(json.dumps([settings.FIXLINE['SITE_URL'], links.absolute('/notifications/')]))"
)


def site_url(**env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"PORT", "FIXLINE_SITE_URL", "DEBUG"}}
    clean.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        FIXLINE_VAR_DIR=tempfile.mkdtemp(prefix="fixline-settings-"),
        PYTHONPATH=str(ROOT),
        **env,
    )
    out = subprocess.run(
        [sys.executable, "-c", PRINT_SITE_URL],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return list(json.loads(out.strip().splitlines()[-1]))


def test_site_url_follows_port() -> None:
    # `PORT=9000 make run` serves on 9000: the links it mails must point there too.
    assert site_url(PORT="9000") == [
        "http://127.0.0.1:9000",
        "http://127.0.0.1:9000/notifications/",
    ]
    assert site_url()[0] == "http://127.0.0.1:8000"
    # An explicit FIXLINE_SITE_URL (production) wins over the port.
    assert site_url(PORT="9000", FIXLINE_SITE_URL="https://fixline.example/")[0] == (
        "https://fixline.example"
    )
