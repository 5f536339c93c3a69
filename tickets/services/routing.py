"""Which jurisdiction a point belongs to."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tickets import geo
from tickets.errors import InvalidInput
from tickets.models import (
    Jurisdiction,
)


def route(*, lat: float, long: float) -> Jurisdiction:
    """The deepest jurisdiction whose boundary holds the point."""
    candidates = [
        j for j in Jurisdiction.objects.all() if geo.contains(j.boundary, lat=lat, long=long)
    ]
    if not candidates:
        raise InvalidInput(
            _("This location is outside every jurisdiction served here."), field="lat"
        )
    return max(candidates, key=lambda j: (len(j.ancestor_ids()), -j.pk))
