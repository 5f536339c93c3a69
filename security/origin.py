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
        if (
            request.method not in SAFE_METHODS
            and request.path_info.startswith(JSON_ONLY_PREFIXES)
            and request.META.get("CONTENT_TYPE")
            and request.content_type != "application/json"
        ):
            # Also for endpoints that never read their body (vote, follow, thanks), which
            # DRF's parsers would not look at.
            return JsonResponse(
                {"detail": _("Send the request body as JSON (Content-Type: application/json).")},
                status=415,
            )
        return self.get_response(request)
