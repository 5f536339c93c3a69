"""`/favicon.ico` is the app's icon, not a 404."""

from __future__ import annotations

from django.test import Client


def test_favicon_is_served(db: object) -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert "max-age" in response["Cache-Control"]
