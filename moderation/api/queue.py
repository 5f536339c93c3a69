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


class QueueOfferSerializer(serializers.Serializer):
    """A flagged offer as moderators see it (its contact stays on the offer queue)."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    message = serializers.CharField()
    author_key = serializers.CharField(source="author.public_key")


class QueueItemSerializer(serializers.Serializer):
    """A flagged or held comment, or a flagged ticket or offer (`kind`): its ticket, its flag
    score and its open flags. `comment` / `offer` is null for the other kinds."""

    kind = serializers.ChoiceField(choices=["comment", "ticket", "offer"])
    id = serializers.IntegerField()
    comment = ModeratedCommentSerializer(allow_null=True)
    offer = QueueOfferSerializer(allow_null=True)
    ticket = QueueTicketSerializer(allow_null=True)
    author_key = serializers.SerializerMethodField()
    score = serializers.FloatField()
    held = serializers.BooleanField()
    flags = QueueFlagSerializer(many=True)

    def get_author_key(self, item: dict[str, Any]) -> str:
        target = item["comment"] or item["offer"] or item["ticket"]
        author = target.reporter if item["kind"] == "ticket" else target.author
        return str(author.public_key)


class QueueSerializer(serializers.Serializer):
    threshold = serializers.FloatField()
    count = serializers.IntegerField()
    results = QueueItemSerializer(many=True)


def _comment_action(
    request: Request, comment_id: int, action: str, *, from_queue: bool = False
) -> Response:
    data = validated(ModerationReasonSerializer, request)
    comment = services.comment_moderate(
        actor=actor_from_request(request),
        comment_id=comment_id,
        action=action,
        from_queue=from_queue,
        **data,
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


@extend_schema(
    operation_id="moderation_item_comment_action",
    request=ModerationReasonSerializer,
    responses={200: ModeratedCommentSerializer},
)
@api_view(["POST"])
def item_action(request: Request, comment_id: int, action: str) -> Response:
    """approve / reject a held comment, dismiss its flags (also hide / restore). The comment
    must still be in the queue: a late click answers 409 "Already handled by …"."""
    if action not in services.COMMENT_ACTIONS:
        raise NotFound("Unknown action.")
    return _comment_action(request, comment_id, action, from_queue=True)


class TargetActionSerializer(serializers.Serializer):
    """What became of a flagged ticket or offer."""

    kind = serializers.CharField()
    id = serializers.IntegerField()
    action = serializers.CharField()


@extend_schema(
    operation_id="moderation_item_target_action",
    request=ModerationReasonSerializer,
    responses={200: TargetActionSerializer},
)
@api_view(["POST"])
def target_action(request: Request, kind: str, target_id: int, action: str) -> Response:
    """A flagged ticket (`hide` = take down, `dismiss`) or offer (`decline`, `dismiss`)."""
    actions = {"ticket": services.TICKET_ACTIONS, "offer": services.OFFER_ACTIONS}
    if action not in actions.get(kind, ()):
        raise NotFound("Unknown action.")
    data = validated(ModerationReasonSerializer, request)
    actor = actor_from_request(request)
    if kind == "ticket":
        services.ticket_flags_moderate(actor=actor, ticket_id=target_id, action=action, **data)
    else:
        services.offer_flags_moderate(actor=actor, offer_id=target_id, action=action, **data)
    answer = {"kind": kind, "id": target_id, "action": action}
    return Response(TargetActionSerializer(answer).data)


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
