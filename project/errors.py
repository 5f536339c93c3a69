"""The 500 handler: when the database is unreachable (restarting, failing over, out of
connections) the answer is a clean 503 with a message and `Retry-After`, in JSON for API
clients and in plain HTML for browsers, never a half-rendered page. Nothing is half-written:
every write runs in one transaction, which the database rolls back when the connection
drops. With `CONN_HEALTH_CHECKS` the next request after the database is back reconnects by
itself. Any other error gets Django's ordinary 500."""

from __future__ import annotations

import sys
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import defaults

RETRY_AFTER_SECONDS = 5


def database_unavailable(request: HttpRequest) -> HttpResponse:
    message = _("The service is briefly unavailable. Please try again in a few seconds.")
    accept = request.headers.get("Accept", "")
    if request.path.startswith(("/api/", "/open311/")) or "application/json" in accept:
        response: HttpResponse = JsonResponse(
            {"detail": message, "code": "database_unavailable"}, status=503
        )
    else:
        response = HttpResponse(
            "<!doctype html><meta charset=utf-8><title>503</title>"
            f"<h1>503</h1><p>{escape(message)}</p>",
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return database_unavailable(request)
    return defaults.server_error(request, *args, **kwargs)
