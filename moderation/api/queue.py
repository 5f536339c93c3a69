"""The review queue and the actions on its comments."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import selectors, services
from moderation.api._common import ModerationReasonSerializer, require_moderator, validated
from moderation.api.fields import When
from tickets.api import CommentSerializer, comment_for
from tickets.errors import NotFound
from tickets.identity import actor_from_request
from tickets.models import Comment


class ModeratedCommentSerializer(CommentSerializer):
    """A comment as moderators see it: the public fields, `visibility` (`shadowed` for a
    shadow-banned author's) and `author_key`."""

    # Rendered by `tickets.api.comment_for`, the one definition the ticket API uses too.

    visibility = serializers.CharField()
    author_key = serializers.CharField()

    def to_representation(self, instance: Comment) -> dict[str, Any]:
        return comment_for(instance, moderator=True)


class QueueFlagSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    details = serializers.CharField(allow_blank=True)
    weight = serializers.FloatField()
    created_at = When()


class QueueTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    jurisdiction = serializers.CharField(source="jurisdiction.slug")
    url = serializers.CharField(source="get_absolute_url")


class QueueItemSerializer(serializers.Serializer):
    """A flagged or held comment, its ticket, its flag score and its open flags."""

    comment = ModeratedCommentSerializer()
    ticket = QueueTicketSerializer(source="comment.ticket")
    score = serializers.FloatField()
    held = serializers.BooleanField()
    flags = QueueFlagSerializer(many=True)


class QueueSerializer(serializers.Serializer):
    threshold = serializers.FloatField()
    count = serializers.IntegerField()
    results = QueueItemSerializer(many=True)


def _comment_action(request: Request, comment_id: int, action: str) -> Response:
    data = validated(ModerationReasonSerializer, request)
    comment = services.comment_moderate(
        actor=actor_from_request(request), comment_id=comment_id, action=action, **data
    )
    return Response(ModeratedCommentSerializer(comment).data)


@extend_schema(request=ModerationReasonSerializer, responses={200: ModeratedCommentSerializer})
@api_view(["POST"])
def hide(request: Request, comment_id: int) -> Response:
    return _comment_action(request, comment_id, "hide")


@extend_schema(request=ModerationReasonSerializer, responses={200: ModeratedCommentSerializer})
@api_view(["POST"])
def restore(request: Request, comment_id: int) -> Response:
    return _comment_action(request, comment_id, "restore")


@extend_schema(request=ModerationReasonSerializer, responses={200: ModeratedCommentSerializer})
@api_view(["POST"])
def item_action(request: Request, comment_id: int, action: str) -> Response:
    """approve / reject a held comment, dismiss its flags (also hide / restore)."""
    if action not in services.COMMENT_ACTIONS:
        raise NotFound("Unknown action.")
    return _comment_action(request, comment_id, action)


@extend_schema(responses={200: QueueSerializer})
@api_view(["GET"])
def queue(request: Request) -> Response:
    """Flagged and held comments the caller may act on, highest score first, then oldest."""
    require_moderator(request)
    items = selectors.queue(user=request.user)
    page = {
        "threshold": selectors.moderation_settings()["HIDE_THRESHOLD"],
        "count": len(items),
        "results": items,
    }
    return Response(QueueSerializer(page).data)
