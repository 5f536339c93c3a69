"""Writes from pages of other origins are refused.

Anonymous visitors write as their network identity (the anonymous cookie, the address), and
DRF checks CSRF only for session-authenticated requests: another site could make its visitors
flag, vote and comment with `fetch(url, {method: "POST", mode: "no-cors"})`, which needs no
preflight. Two rules close that:

- the API parses JSON only (`REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]`): `application/json`
  from another origin needs a CORS preflight, which Fixline never grants;
- `CrossOriginWriteMiddleware` (here) refuses, with a 403, any unsafe request to the API or
  Open311 that a browser sent from a page of another origin: an `Origin` header that is not
  exactly ours (`scheme://host:port`, or one of `CSRF_TRUSTED_ORIGINS`), or, without `Origin`,
  `Sec-Fetch-Site: cross-site`/`same-site`. Votes and follows have no body at all, so the
  parser alone would not stop them.

Requests without those headers (server-to-server API clients, Open311 integrations with their
`api_key`, scripts) are not browsers' and keep working; HTML forms keep Django's CSRF check
(token and `Origin`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

# Paths whose writes accept no CSRF token from anonymous clients.
GUARDED_PREFIXES = ("/api/", "/open311/")
# The API takes JSON only; Open311 keeps its form-encoded POSTs (the GeoReport v2 standard).
JSON_ONLY_PREFIXES = ("/api/",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})


def own_origins(request: HttpRequest) -> set[str]:
    origins = {str(o).rstrip("/") for o in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])}
    try:
        origins.add(f"{request.scheme}://{request.get_host()}")
    except DisallowedHost:
        pass
    return origins


def is_cross_origin(request: HttpRequest) -> bool:
    """True when a browser sent this request from a page of another origin."""
    origin = request.META.get("HTTP_ORIGIN")
    if origin is not None:
        # "null" (sandboxed frames, file: pages) is never ours either.
        return origin.rstrip("/") not in own_origins(request)
    return request.META.get("HTTP_SEC_FETCH_SITE", "") in FOREIGN_FETCH_SITES


def has_body(request: HttpRequest) -> bool:
    """An empty body carries nothing to parse, whatever its type (the method decides: 405)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 1
    return length > 0 or "HTTP_TRANSFER_ENCODING" in request.META


class CrossOriginWriteMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method not in SAFE_METHODS
            and request.path_info.startswith(GUARDED_PREFIXES)
            and is_cross_origin(request)
        ):
            return JsonResponse(
                {"detail": _("Requests from pages of other sites are not accepted.")}, status=403
            )
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        """415 for a non-JSON body on an API write, also where the view never reads its body
        (vote, follow, thanks), which DRF's parsers would not look at. Only for DRF views and
        methods they accept: anything else keeps its own answer (405, 404)."""
        if (
            request.method in SAFE_METHODS
            or not request.path_info.startswith(JSON_ONLY_PREFIXES)
            or not has_body(request)
            or request.content_type == "application/json"
        ):
            return None
        cls = getattr(view_func, "cls", None)
        if cls is None:
            return None
        actions = getattr(view_func, "actions", None) or {}
        method = (request.method or "").lower()
        if method not in actions and not (method in cls.http_method_names and hasattr(cls, method)):
            return None
        return JsonResponse(
            {"detail": _("Send the request body as JSON (Content-Type: application/json).")},
            status=415,
        )
