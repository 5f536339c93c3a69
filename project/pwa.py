"""The installable app (docs/offline.md): the web app manifest, the service worker at /sw.js
(scope /, so it may serve every page offline) and the page shown offline for a page never
opened before. The worker's source is static/sw.js; this view puts the current hashed URLs of
the app shell in front of it, so a new deployment is a new worker."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME_COLOUR = "#0b6e4f"  # --brand in static/css/fixline.css
# Scripts and styles every page needs: kept by the worker at install, so pages work offline.
SHELL = [
    "css/fixline.css",
    "js/outbox.js",
    "js/pwa.js",
    "vendor/idb-keyval/idb-keyval.js",
    "js/ticket-live.js",
    "js/comment-photos.js",
    "js/report-form.js",
    "js/map.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet.markercluster/leaflet.markercluster.js",
    "vendor/leaflet.markercluster/MarkerCluster.css",
    "icons/icon-192.png",
]
WORKBOX_MODULES = ["core", "routing", "strategies", "expiration", "cacheable-response"]


def _worker_config() -> dict[str, Any]:
    return {
        "workbox": static("vendor/workbox/workbox-sw.js"),
        # workbox-sw asks for its modules by name; hand it their hashed, vendored files.
        "workboxModules": {
            f"workbox-{name}": static(f"vendor/workbox/workbox-{name}.prod.js")
            for name in WORKBOX_MODULES
        },
        "idbKeyval": static("vendor/idb-keyval/idb-keyval.js"),
        "outbox": static("js/outbox.js"),
        "shell": [static(name) for name in SHELL],
        "pages": [reverse("ticket-new"), reverse("pwa-offline")],
        "offline": reverse("pwa-offline"),
        "jsi18n": reverse("javascript-catalog"),
        "icon": static("icons/icon-192.png"),
    }


@require_GET
@cache_control(no_cache=True, max_age=0)
def service_worker(request: HttpRequest) -> HttpResponse:
    source = finders.find("sw.js")
    assert isinstance(source, str), "static/sw.js is part of the project"
    with open(source, encoding="utf-8") as handle:
        body = handle.read()
    config = json.dumps(_worker_config(), separators=(",", ":"))
    response = HttpResponse(
        f"self.FIXLINE_SW = {config};\n{body}", content_type="application/javascript"
    )
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    icon = {"type": "image/png"}
    data = {
        "name": _("Fixline"),
        "short_name": _("Fixline"),
        "description": _("Report problems in your neighbourhood and follow them live."),
        "lang": request.LANGUAGE_CODE,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "icons": [
            {**icon, "src": static("icons/icon-192.png"), "sizes": "192x192"},
            {**icon, "src": static("icons/icon-512.png"), "sizes": "512x512"},
            {
                **icon,
                "src": static("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "pwa/offline.html")
