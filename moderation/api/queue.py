"""The review queue and the actions on its comments."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import selectors, services
from moderation.api._common import Reason, _body, _require_moderator
from realtime.events import iso
from tickets.api import CommentSerializer, comment_for
from tickets.errors import NotFound
from tickets.identity import actor_from_request


class ModeratedCommentSerializer(CommentSerializer):
    visibility = serializers.CharField()
    author_key = serializers.CharField()


class QueueFlagSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    details = serializers.CharField(allow_blank=True)
    weight = serializers.FloatField()
    created_at = serializers.CharField()


class QueueTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    jurisdiction = serializers.CharField()
    url = serializers.CharField()


class QueueItemSerializer(serializers.Serializer):
    comment = ModeratedCommentSerializer()
    ticket = QueueTicketSerializer()
    score = serializers.FloatField()
    held = serializers.BooleanField()
    flags = QueueFlagSerializer(many=True)


class QueueSerializer(serializers.Serializer):
    threshold = serializers.FloatField()
    count = serializers.IntegerField()
    results = QueueItemSerializer(many=True)


def _comment_action(request: Request, comment_id: int, action: str) -> Response:
    comment = services.comment_moderate(
        actor=actor_from_request(request),
        comment_id=comment_id,
        action=action,
        reason=_body(request).get("reason"),
    )
    return Response(comment_for(comment, moderator=True))


@extend_schema(request=Reason, responses={200: ModeratedCommentSerializer})
@api_view(["POST"])
def hide(request: Request, comment_id: int) -> Response:
    return _comment_action(request, comment_id, "hide")


@extend_schema(request=Reason, responses={200: ModeratedCommentSerializer})
@api_view(["POST"])
def restore(request: Request, comment_id: int) -> Response:
    return _comment_action(request, comment_id, "restore")


@extend_schema(request=Reason, responses={200: ModeratedCommentSerializer})
@api_view(["POST"])
def item_action(request: Request, comment_id: int, action: str) -> Response:
    """approve / reject a held comment, dismiss its flags (also hide / restore)."""
    if action not in services.COMMENT_ACTIONS:
        raise NotFound("Unknown action.")
    return _comment_action(request, comment_id, action)


def queue_item(item: dict[str, Any]) -> dict[str, Any]:
    comment = item["comment"]
    return {
        "comment": comment_for(comment, moderator=True),
        "ticket": {
            "id": comment.ticket_id,
            "title": comment.ticket.title,
            "jurisdiction": comment.ticket.jurisdiction.slug,
            "url": comment.ticket.get_absolute_url(),
        },
        "score": item["score"],
        "held": item["held"],
        "flags": [
            {
                "id": f.pk,
                "reason": f.reason,
                "details": f.details,
                "weight": f.weight,
                "created_at": iso(f.created_at),
            }
            for f in item["flags"]
        ],
    }


@extend_schema(responses={200: QueueSerializer})
@api_view(["GET"])
def queue(request: Request) -> Response:
    """Flagged and held comments the caller may act on, highest score first, then oldest."""
    _require_moderator(request)
    items = selectors.queue(user=request.user)
    return Response(
        {
            "threshold": selectors.moderation_settings()["HIDE_THRESHOLD"],
            "count": len(items),
            "results": [queue_item(i) for i in items],
        }
    )
