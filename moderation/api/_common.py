"""What every moderation API module shares: reading a body through its input serializer, the
moderator gate, and the reason every moderator action takes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from moderation import permissions
from moderation.api.fields import Text
from moderation.services import REASON_MAX
from tickets.errors import NotAllowed


def validated(
    serializer_class: type[serializers.Serializer[Any]], request: Request
) -> dict[str, Any]:
    """The body, checked and parsed by `serializer_class`: a 400 names each wrong field."""
    data = request.data
    if not isinstance(data, dict):  # a JSON list or scalar (a form post is a QueryDict: a dict)
        raise ValidationError({"detail": "The body must be a JSON object."})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def require_moderator(request: Request) -> None:
    if not permissions.is_moderator(request.user):
        raise NotAllowed("Only agents, trusted volunteers and admins can do this.")


class ModerationReasonSerializer(serializers.Serializer[Any]):
    """The body of a moderator action: why."""

    reason = Text(max_length=REASON_MAX)
