"""What every ticket-domain model shares: history that is never deleted, area validation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from tickets import geo


class NeverDeletedQuerySet(models.QuerySet):
    """Civic history is never destroyed: bulk deletes are refused."""

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self.model.__name__} rows are never deleted; hide them instead")


class NeverDeleted(models.Model):
    objects = NeverDeletedQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{type(self).__name__} rows are never deleted; hide them instead")


def validate_geojson_area(value: Any) -> None:
    try:
        geo.parse_area(value)
    except geo.GeometryError as exc:
        raise ValidationError(str(exc)) from exc
