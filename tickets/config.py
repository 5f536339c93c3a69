"""Typed reads of `settings.FIXLINE`, a plain dict of mixed values in project/settings.py.

Read at call time, never cached at import, so tests and deployments can override it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings


def fixline() -> Mapping[str, Any]:
    """The whole dict; prefer the typed readers below for single values."""
    values: Mapping[str, Any] = settings.FIXLINE
    return values


def setting_int(name: str, default: int | None = None) -> int:
    """A whole number; `default` when the key is absent (a required key if no default)."""
    value = fixline()[name] if default is None else fixline().get(name, default)
    return int(value)


def setting_str(name: str) -> str:
    return str(fixline()[name])


def setting_bool(name: str) -> bool:
    return bool(fixline()[name])


def rate_limit(tier: str, scope: str) -> tuple[int, int]:
    """(count, seconds) allowed to one identity of this tier for this kind of write."""
    limit, window = fixline()["RATE_LIMITS"][tier][scope]
    return int(limit), int(window)
