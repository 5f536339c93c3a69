"""`/api/v1/notifications/`: the signed-in caller's in-app notifications (newest first, with
the unread count) and marking them read. `/api/v1/push/subscriptions/`: Web Push."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import inapp, push
from notifications.models import Notification
from tickets.identity import actor_from_request

PAGE_MAX = 100


class SignedInRequest(Request):
    """The request of a view with `IsAuthenticated`: its user is signed in."""

    user: User


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    ticket = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.CharField()
    read = serializers.BooleanField()


class NotificationPage(serializers.Serializer):
    unread = serializers.IntegerField(
        help_text=f"Unread notifications, counted up to {inapp.UNREAD_CAP}."
    )
    results = NotificationSerializer(many=True)


class NotificationList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=NotificationPage,
        description="Newest first (at most 100); `?unread=1` for unread ones only.",
    )
    def get(self, request: SignedInRequest) -> Response:
        qs = Notification.objects.filter(user=request.user)
        if request.query_params.get("unread") in {"1", "true"}:
            qs = qs.filter(read_at__isnull=True)
        rows = [inapp.serialize(n) for n in qs[:PAGE_MAX]]
        return Response({"unread": inapp.unread_count(request.user.pk), "results": rows})


class MarkAllBody(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False)


class MarkedAnswer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField(
        help_text=f"Unread notifications, counted up to {inapp.UNREAD_CAP}."
    )


class MarkOneRead(APIView):
    """`POST /api/v1/notifications/{id}/read/`: mark one of the caller's notifications read."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="notifications_mark_read", request=None, responses=MarkedAnswer)
    def post(self, request: SignedInRequest, pk: int) -> Response:
        changed = inapp.mark_read(request.user, [pk])
        return Response({"marked": changed, "unread": inapp.unread_count(request.user.pk)})


class MarkAllRead(APIView):
    """`POST /api/v1/notifications/read/`: mark all (or those listed in `ids`) read."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_mark_all_read", request=MarkAllBody, responses=MarkedAnswer
    )
    def post(self, request: SignedInRequest) -> Response:
        ids: Any = None
        if isinstance(request.data, dict) and "ids" in request.data:
            raw = request.data.get("ids")
            if not isinstance(raw, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in raw
            ):
                return Response({"ids": ["A list of notification ids."]}, status=400)
            ids = raw[:1000]
        changed = inapp.mark_read(request.user, ids)
        return Response({"marked": changed, "unread": inapp.unread_count(request.user.pk)})


# --- Web Push subscriptions (notifications/push.py) -------------------------------------------


class PushKeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200)
    auth = serializers.CharField(max_length=100)


class PushSubscribeBody(serializers.Serializer):
    """What the browser's `PushSubscription.toJSON()` gives."""

    endpoint = serializers.CharField(max_length=push.ENDPOINT_MAX)
    keys = PushKeysSerializer()


class PushSubscribed(serializers.Serializer):
    id = serializers.IntegerField()


class PushUnsubscribeBody(serializers.Serializer):
    endpoint = serializers.CharField(max_length=push.ENDPOINT_MAX)


def _push_input(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    if not push.enabled():
        raise NotFound(_("Push notifications are not configured on this site."))
    if not isinstance(data, dict):
        raise ValidationError({"detail": "The body must be a JSON object."})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class PushSubscriptions(APIView):
    """`/api/v1/push/subscriptions/`: this browser's Web Push subscription, tied to the
    caller (an account, or the anonymous browser known by its cookie). 404 when push is off."""

    @extend_schema(
        operation_id="push_subscribe",
        request=PushSubscribeBody,
        responses={201: PushSubscribed},
    )
    def post(self, request: Request) -> Response:
        data = _push_input(PushSubscribeBody, request.data)
        actor = actor_from_request(request)
        if not (actor.is_authenticated or actor.anon_token):
            raise PermissionDenied(_("Push needs an account, or cookies allowed for this site."))
        try:
            row = push.subscribe(
                actor=actor,
                endpoint=data["endpoint"],
                p256dh=data["keys"]["p256dh"],
                auth=data["keys"]["auth"],
                language=translation.get_language() or "",
            )
        except push.PushInputError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None
        return Response({"id": row.pk}, status=201)

    @extend_schema(
        operation_id="push_unsubscribe", request=PushUnsubscribeBody, responses={204: None}
    )
    def delete(self, request: Request) -> Response:
        data = _push_input(PushUnsubscribeBody, request.data)
        push.unsubscribe(actor=actor_from_request(request), endpoint=data["endpoint"])
        return Response(status=204)
