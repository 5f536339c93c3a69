"""Static files for slow phones (docs/offline.md): hashed, pre-compressed, cached for a year.

After `collectstatic` (`make run` runs it), every `{% static %}` URL carries a content hash and
WhiteNoise serves it gzip-compressed with `Cache-Control: max-age=31536000, immutable`, so a
reload with a warm cache asks the server for the page only. Before it (a fresh clone, the test
run), the plain names are served from the source folders, as before.
"""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage

IMMUTABLE = "public, max-age=31536000, immutable"


class FixlineStaticStorage(CompressedManifestStaticFilesStorage):
    """The manifest storage, falling back to plain names while there is no manifest."""

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # collectstatic has not run: no hashed copies exist
            return name
        return str(super().stored_name(name))


def cache_headers(headers: Any, path: str, url: str) -> None:
    """WHITENOISE_ADD_HEADERS_FUNCTION: a year for hashed names (WhiteNoise says ten)."""
    if "immutable" in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = IMMUTABLE
