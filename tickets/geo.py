"""Geometry helpers: jurisdiction boundaries are GeoJSON, tested in Python with Shapely
(no GIS server), and distances are great-circle."""

from __future__ import annotations

import math
from typing import Any

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8


class GeometryError(ValueError):
    pass


def parse_area(value: Any) -> BaseGeometry:
    """A GeoJSON Polygon or MultiPolygon (a bare geometry or a Feature) as a Shapely shape."""
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in {"Polygon", "MultiPolygon"}:
        raise GeometryError("The area must be a GeoJSON Polygon or MultiPolygon.")
    try:
        geom = shape(value)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise GeometryError(f"The area is not valid GeoJSON: {exc}") from exc
    if geom.is_empty or not geom.is_valid:
        raise GeometryError("The area's rings must be closed and must not cross themselves.")
    return geom


def contains(area: Any, *, lat: float, long: float) -> bool:
    geom = parse_area(area)
    shapely.prepare(geom)
    return bool(geom.covers(Point(long, lat)))


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """Haversine distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bbox_around(lat: float, long: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, min_long, max_lat, max_long) of a square holding the circle: a cheap prefilter."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlong = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lat - dlat, long - dlong, lat + dlat, long + dlong
