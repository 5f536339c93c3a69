"""Which jurisdiction a point belongs to."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tickets import geo, jurisdictions
from tickets.errors import InvalidInput
from tickets.models import Jurisdiction


def route(*, lat: float, long: float) -> Jurisdiction:
    """The deepest jurisdiction whose boundary holds the point."""
    everywhere = list(Jurisdiction.objects.all())
    parents = {j.pk: j.parent_id for j in everywhere}
    candidates = [j for j in everywhere if geo.contains(j.boundary, lat=lat, long=long)]
    if not candidates:
        raise InvalidInput(
            _("This location is outside every jurisdiction served here."), field="lat"
        )
    return max(candidates, key=lambda j: (jurisdictions.depth(j.pk, parents=parents), -j.pk))
