"""Security headers that depend on the request: the Content-Security-Policy (django-csp, with
per-request additions) and the framing rules (only the embed widget may be framed), and the
two-factor guard (an account that turned on 2FA is never logged in by a password alone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import devices_for_user

# The news-site widget: the only pages that may be framed by another site.
EMBED_PREFIXES = ("/embed/",)


def is_embed(path: str) -> bool:
    return path.startswith(EMBED_PREFIXES)


def map_tile_origin() -> str | None:
    """`scheme://host[:port]` of the configured map tiles (FIXLINE["MAP_TILE_URL"]), if any."""
    url = (getattr(settings, "FIXLINE", {}) or {}).get("MAP_TILE_URL") or ""
    parts = urlsplit(str(url).replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.split("@")[-1]
    return f"{parts.scheme}://{host}"


class FixlineCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, plus: the page's own WebSocket origin in `connect-src`, the
    map tile host in `img-src`, and `frame-ancestors *` (instead of 'none') on /embed/.
    Listed after XFrameOptionsMiddleware so it also exempts /embed/ from X-Frame-Options."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> Any:
        if is_embed(request.path_info):
            response.xframe_options_exempt = True  # type: ignore[attr-defined]
        return super().process_response(request, response)

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update: dict[str, Any] = dict(parts.update or {})
        try:
            host = request.get_host()
        except DisallowedHost:
            host = ""
        if host:
            scheme = "wss" if request.is_secure() else "ws"
            update["connect-src"] = [*_as_list(update.get("connect-src")), f"{scheme}://{host}"]
        tiles = map_tile_origin()
        if tiles:
            update["img-src"] = [*_as_list(update.get("img-src")), tiles]
        parts.update = update
        if is_embed(request.path_info):
            parts.replace = {**(parts.replace or {}), "frame-ancestors": ["*"]}
        return parts


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def has_two_factor(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return any(True for _ in devices_for_user(user, confirmed=True))


class RequireOTPMiddleware:
    """After django_otp's OTPMiddleware: a session of an account with 2FA turned on that was
    not verified with a one-time code (e.g. a password-only login through another form) is
    logged out and sent to the two-step login."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and has_two_factor(user)
        ):
            logout(request)
            login_url = reverse("login")
            return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class StripNulMiddleware:
    """NUL characters are removed from the query string before any view runs: no filter,
    slug lookup or search needs one, and PostgreSQL refuses them in text (it was a 500).
    (Form and JSON text is cleaned by the write layer.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lists = list(request.GET.lists())
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in lists):
            cleaned = QueryDict(mutable=True)
            for key, values in lists:
                cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
            cleaned._mutable = False
            # Frozen just above; django-stubs types only QueryDict(mutable=False) as immutable.
            request.GET = cleaned  # type: ignore[assignment]
        return self.get_response(request)
