"""The strict readers of the environment that `project/settings.py` uses: a malformed value
stops start-up with a message naming the variable, instead of silently falling back. Every
reader also accepts the value from the file named by `<NAME>_FILE` where secrets live in files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    """A string from the environment, or from the file named by `<NAME>_FILE`."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false/1/0), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def default_site_url() -> str:
    """Where `make run` serves (`PORT`, 8000 by default): the default of FIXLINE_SITE_URL, so
    a demo on another port mails links that work."""
    return f"http://127.0.0.1:{env_int('PORT', 8000)}"


@dataclass(frozen=True)
class SMTP:
    host: str
    port: int
    user: str
    password: str
    ssl: bool
    tls: bool


def smtp_from_url(url: str) -> SMTP:
    """`EMAIL_URL`: smtp:// (port 587), smtps:// (implicit TLS, 465) or submission:// (STARTTLS,
    587), with an optional percent-encoded user and password."""
    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtps", "submission"}:
        raise ImproperlyConfigured("EMAIL_URL must be smtp://, smtps:// or submission://")
    return SMTP(
        host=parsed.hostname or "localhost",
        port=parsed.port or (465 if parsed.scheme == "smtps" else 587),
        user=unquote(parsed.username or ""),
        password=unquote(parsed.password or ""),
        ssl=parsed.scheme == "smtps",
        tls=parsed.scheme == "submission",
    )
