"""The maps of the pages: a tiny SVG map (lon/lat projected into a box) and the data
static/js/map.js draws."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import urlencode

from tickets import jurisdictions
from tickets.models import (
    Jurisdiction,
    Ticket,
)

# --- A tiny map: lon/lat projected into an SVG box ------------------------------------------


@dataclass
class Projection:
    """Equirectangular projection (longitudes shrunk by cos(latitude)) of a lon/lat box into
    an SVG of `width` units; `height` follows the box's aspect."""

    min_long: float
    min_lat: float
    max_long: float
    max_lat: float
    width: float = 1000.0

    def __post_init__(self) -> None:
        # Never a zero-sized box (one ticket, or none): pad it.
        if self.max_long - self.min_long < 0.002:
            mid = (self.min_long + self.max_long) / 2
            self.min_long, self.max_long = mid - 0.001, mid + 0.001
        if self.max_lat - self.min_lat < 0.002:
            mid = (self.min_lat + self.max_lat) / 2
            self.min_lat, self.max_lat = mid - 0.001, mid + 0.001
        pad_long = (self.max_long - self.min_long) * 0.05
        pad_lat = (self.max_lat - self.min_lat) * 0.05
        self.min_long -= pad_long
        self.max_long += pad_long
        self.min_lat -= pad_lat
        self.max_lat += pad_lat
        mid_lat = math.radians((self.min_lat + self.max_lat) / 2)
        self.kx = max(math.cos(mid_lat), 0.01)
        self.scale = self.width / ((self.max_long - self.min_long) * self.kx)
        self.height = (self.max_lat - self.min_lat) * self.scale

    def xy(self, lat: float, long: float) -> tuple[float, float]:
        return (
            round((long - self.min_long) * self.kx * self.scale, 1),
            round((self.max_lat - lat) * self.scale, 1),
        )

    def path(self, boundary: Any) -> str:
        parts = []
        for ring in _rings(boundary):
            points = [self.xy(lat, long) for long, lat, *_rest in ring]
            if points:
                parts.append(
                    "M" + " L".join(f"{x},{y}" for x, y in points) + " Z",
                )
        return " ".join(parts)

    def attrs(self) -> dict[str, Any]:
        """What a script needs to turn a click back into lon/lat."""
        return {
            "min_long": self.min_long,
            "max_lat": self.max_lat,
            "x_scale": self.kx * self.scale,
            "y_scale": self.scale,
            "width": round(self.width, 1),
            "height": round(self.height, 1),
        }


def _rings(boundary: Any) -> list[list[list[float]]]:
    if isinstance(boundary, dict) and boundary.get("type") == "Feature":
        boundary = boundary.get("geometry")
    if not isinstance(boundary, dict):
        return []
    coords = boundary.get("coordinates") or []
    if boundary.get("type") == "Polygon":
        return list(coords)
    if boundary.get("type") == "MultiPolygon":
        return [ring for polygon in coords for ring in polygon]
    return []


def _bounds(points: list[tuple[float, float]]) -> tuple[float, float, float, float] | None:
    """(min_long, min_lat, max_long, max_lat) of (lat, long) points."""
    if not points:
        return None
    lats = [p[0] for p in points]
    longs = [p[1] for p in points]
    return min(longs), min(lats), max(longs), max(lats)


def _jurisdiction_shapes() -> list[tuple[Jurisdiction, list[tuple[float, float]]]]:
    shapes = []
    for jurisdiction in Jurisdiction.objects.all().order_by("parent_id", "name"):
        points = [(lat, long) for ring in _rings(jurisdiction.boundary) for long, lat, *_ in ring]
        shapes.append((jurisdiction, points))
    return shapes


def _map_context(tickets: list[Ticket]) -> dict[str, Any]:
    shapes = _jurisdiction_shapes()
    parents = {j.pk: j.parent_id for j, _pts in shapes}
    all_points = [p for _j, pts in shapes for p in pts] + [(t.lat, t.long) for t in tickets]
    box = _bounds(all_points) or (-180.0, -85.0, 180.0, 85.0)
    projection = Projection(*box)
    return {
        "projection": projection.attrs(),
        "areas": [
            {
                "jurisdiction": j,
                "d": projection.path(j.boundary),
                "depth": jurisdictions.depth(j.pk, parents=parents),
            }
            for j, _pts in shapes
        ],
        "dots": [{"ticket": t, "xy": projection.xy(t.lat, t.long)} for t in tickets],
    }


def leaflet_data(
    tickets: list[Ticket], *, feed: str | None = None, label: str = ""
) -> dict[str, Any]:
    """What static/js/map.js draws (a json_script block): tiles, outlines, tickets."""
    config = settings.FIXLINE
    areas = []
    shapes = _jurisdiction_shapes()
    parents = {j.pk: j.parent_id for j, _pts in shapes}
    for jurisdiction, _pts in shapes:
        geometry = jurisdiction.boundary
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        areas.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "name": jurisdiction.name,
                    "slug": jurisdiction.slug,
                    "depth": jurisdictions.depth(jurisdiction.pk, parents=parents),
                },
            }
        )
    return {
        "tiles": config.get("MAP_TILE_URL", ""),
        "attribution": config.get("MAP_TILE_ATTRIBUTION", ""),
        "areas": {"type": "FeatureCollection", "features": areas},
        "tickets": [
            {
                "id": t.pk,
                "title": t.title,
                "status": t.status,
                "lat": t.lat,
                "long": t.long,
                "url": t.get_absolute_url(),
            }
            for t in tickets
        ],
        "feed": feed,
        "label": label,
    }


def _feed_path(request: HttpRequest) -> str:
    slug = request.GET.get("jurisdiction", "")
    if slug and Jurisdiction.objects.filter(slug=slug).exists():
        return f"/ws/feed/?{urlencode({'jurisdiction': slug})}"
    return "/ws/feed/"
