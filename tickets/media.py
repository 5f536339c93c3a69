"""Serving uploaded photos in the embedded default (`FIXLINE["SERVE_MEDIA"]`).

Only photos are stored, always re-encoded as JPEG by `tickets.photos`; they are served with a
long cache lifetime (names are random and never reused) and `nosniff`."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe
from django.views.static import serve


@require_safe
def serve_media(request: HttpRequest, path: str) -> HttpResponseBase:
    if not path.startswith("photos/") or not path.endswith(".jpg"):
        raise Http404("Not a photo.")
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
