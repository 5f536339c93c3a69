"""The audit log, as JSON pages or a CSV export."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import permissions, selectors
from moderation.api.fields import Key, When, WholeNumber
from tickets.errors import NotAllowed


class AuditFilterSerializer(serializers.Serializer):
    """The query of the CSV export: exact matches, ignored when empty."""

    action = Key(required=False, default="")
    target_type = Key(required=False, default="")
    target_id = Key(required=False, default="")


class AuditQuerySerializer(AuditFilterSerializer):
    """The query of a JSON page: the filters, `limit` (1–1000, 100 by default) and `offset`."""

    limit = WholeNumber(message="Must be a whole number.", default=100, blank=False)
    offset = WholeNumber(message="Must be a whole number.", default=0, blank=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["limit"] = min(max(attrs["limit"], 1), 1000)
        attrs["offset"] = min(max(attrs["offset"], 0), 2**31)
        return attrs


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = When()
    by = serializers.CharField(source="actor_name", allow_blank=True)
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    ticket = serializers.IntegerField(source="ticket_id_ref", allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    before = serializers.DictField()
    after = serializers.DictField()


class AuditPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = AuditEntrySerializer(many=True)


AUDIT_FIELDS = list(AuditEntrySerializer().fields)


class AuditCSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        out = io.StringIO()
        rows = data.get("results") if isinstance(data, dict) and "results" in data else data
        if not isinstance(rows, list):  # an error answer
            return json.dumps(data).encode()
        writer = csv.DictWriter(out, fieldnames=AUDIT_FIELDS)
        writer.writeheader()
        for row in rows:
            flat = {k: row.get(k) for k in AUDIT_FIELDS}
            for key in ("before", "after"):
                flat[key] = json.dumps(flat[key], ensure_ascii=False, sort_keys=True)
            writer.writerow({k: _csv_safe(v) for k, v in flat.items()})
        return out.getvalue().encode("utf-8")


def _csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in exported text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


@extend_schema(
    parameters=[
        OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
        AuditQuerySerializer,
    ],
    responses={(200, "application/json"): AuditPageSerializer, (200, "text/csv"): OpenApiTypes.STR},
)
@api_view(["GET"])
@renderer_classes([JSONRenderer, AuditCSVRenderer])
def audit(request: Request) -> Response:
    """The audit log, newest first (JSON, or `?format=csv` for the whole log as CSV)."""
    if not permissions.can_read_audit(request.user):
        raise NotAllowed("Only agents, trusted volunteers and admins can read the audit log.")
    csv_export = request.accepted_renderer.format == "csv"
    query = _query(AuditFilterSerializer if csv_export else AuditQuerySerializer, request)
    entries = selectors.audit_log(user=request.user)
    for name in ("action", "target_type", "target_id"):
        if query[name]:
            entries = entries.filter(**{name: query[name]})
    if csv_export:
        response = Response(AuditEntrySerializer(entries.iterator(), many=True).data)
        response["Content-Disposition"] = 'attachment; filename="fixline-audit.csv"'
        return response
    offset, limit = query["offset"], query["limit"]
    page = {"count": entries.count(), "results": entries[offset : offset + limit]}
    return Response(AuditPageSerializer(page).data)
