"""Helpers shared by the moderation API modules."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from moderation import permissions
from tickets.errors import NotAllowed


def _body(request: Request) -> dict[str, Any]:
    data = request.data
    if hasattr(data, "dict"):  # a form post (QueryDict): one value per field
        return data.dict()
    if not isinstance(data, dict):
        raise ValidationError({"detail": "The body must be a JSON object."})
    return dict(data)


def _require_moderator(request: Request) -> None:
    if not permissions.is_moderator(request.user):
        raise NotAllowed("Only agents, trusted volunteers and admins can do this.")


Reason = inline_serializer("ModerationReason", {"reason": serializers.CharField()})
