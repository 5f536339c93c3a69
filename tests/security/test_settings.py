"""Production settings: `manage.py check --deploy` is clean under the production environment,
cookies and HSTS are on behind TLS, secrets come from the environment or *_FILE paths."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "fixline.example.org",
            "CSRF_TRUSTED_ORIGINS": "https://fixline.example.org",
            "FIXLINE_BEHIND_TLS": "true",
            "FIXLINE_REQUIRE_SECRET_KEY": "true",
            "FIXLINE_VAR_DIR": str(tmp_path),
        }
    )
    env.update(extra)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


SETTINGS_DUMP = (
    "from django.conf import settings as s; import json; print(json.dumps({k: getattr(s, k, None)"
    " for k in ['SECRET_KEY', 'DEBUG', 'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
    " 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_SAMESITE',"
    " 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_SSL_REDIRECT',"
    " 'SECURE_PROXY_SSL_HEADER', 'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF']}))"
)


def dump(env: dict[str, str]) -> dict[str, Any]:
    done = run(env, "shell", "-c", SETTINGS_DUMP)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_check_deploy_reports_nothing(tmp_path: Path) -> None:
    done = run(production_env(tmp_path), "check", "--deploy", "--fail-level", "DEBUG")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output


def test_check_deploy_would_catch_a_missing_protection(tmp_path: Path) -> None:
    """The check above is meaningful: without TLS settings it does complain."""
    done = run(production_env(tmp_path, FIXLINE_BEHIND_TLS="false"), "check", "--deploy")
    assert "security.W004" in done.stdout + done.stderr  # no HSTS


def test_cookies_and_hsts_behind_tls(tmp_path: Path) -> None:
    values = dump(production_env(tmp_path))
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["X_FRAME_OPTIONS"] == "DENY" and values["SECURE_CONTENT_TYPE_NOSNIFF"]


def test_secret_key_from_a_file(tmp_path: Path) -> None:
    key = secrets.token_urlsafe(60)
    path = tmp_path / "secret"
    path.write_text(key + "\n")
    env = production_env(tmp_path, SECRET_KEY_FILE=str(path))
    env.pop("SECRET_KEY")
    assert dump(env)["SECRET_KEY"] == key


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    env.pop("SECRET_KEY")
    done = run(env, "check")
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr


def test_no_secret_in_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    assert not [p for p in tracked if p.startswith("var/") or p.endswith(("secret_key", ".env"))]


@pytest.mark.django_db
def test_https_redirect_and_hsts_with_proxy_header(settings: Any) -> None:
    """What nginx sends (X-Forwarded-Proto) is what makes a request secure."""
    from django.test import Client

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    client = Client()
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    secure = client.get("/accounts/login/", headers={"x-forwarded-proto": "https"})
    assert secure.status_code == 200
    assert "max-age=31536000" in secure["Strict-Transport-Security"]
