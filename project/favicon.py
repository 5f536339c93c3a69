"""`/favicon.ico`: browsers and crawlers ask for it whatever the page's `<link rel=icon>`
says; it is the app's own icon (static/icons/icon-192.png), not a 404 in every log."""

from __future__ import annotations

from functools import cache

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

ICON = "icons/icon-192.png"


@cache
def _icon() -> bytes | None:
    found = finders.find(ICON)
    if not found:
        return None
    with open(str(found), "rb") as fh:
        return fh.read()


@require_GET
@cache_control(public=True, max_age=7 * 24 * 3600)
def favicon(request: HttpRequest) -> HttpResponse:
    data = _icon()
    if data is None:
        raise Http404("no icon")
    return HttpResponse(data, content_type="image/png")
