"""`/api/v1/notifications/`: the signed-in caller's in-app notifications (newest first, with
the unread count) and marking them read."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import inapp
from notifications.models import Notification

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
    unread = serializers.IntegerField()
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
    unread = serializers.IntegerField()


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
