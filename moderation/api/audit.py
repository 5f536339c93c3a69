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
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import permissions, selectors
from moderation.models import AuditEntry
from realtime.events import iso
from tickets.errors import NotAllowed


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.CharField()
    by = serializers.CharField(allow_blank=True)
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    ticket = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    before = serializers.DictField()
    after = serializers.DictField()


class AuditPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = AuditEntrySerializer(many=True)


AUDIT_FIELDS = [
    "id", "at", "by", "action", "target_type", "target_id", "ticket", "reason", "before", "after",
]  # fmt: skip


def audit_data(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "at": iso(entry.at),
        "by": entry.actor_name,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "ticket": entry.ticket_id_ref,
        "reason": entry.reason,
        "before": entry.before,
        "after": entry.after,
    }


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


@extend_schema(
    parameters=[
        OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
        OpenApiParameter("limit", OpenApiTypes.INT),
        OpenApiParameter("offset", OpenApiTypes.INT),
    ],
    responses={200: AuditPageSerializer},
)
@api_view(["GET"])
@renderer_classes([JSONRenderer, AuditCSVRenderer])
def audit(request: Request) -> Response:
    """The audit log, newest first (JSON, or `?format=csv` for the whole log as CSV)."""
    if not permissions.can_read_audit(request.user):
        raise NotAllowed("Only agents, trusted volunteers and admins can read the audit log.")
    qs = selectors.audit_log(user=request.user)
    for name in ("action", "target_type", "target_id"):
        value = request.query_params.get(name)
        if value:
            qs = qs.filter(**{name: value})
    if request.accepted_renderer.format == "csv":
        response = Response([audit_data(e) for e in qs.iterator()])
        response["Content-Disposition"] = 'attachment; filename="fixline-audit.csv"'
        return response
    try:
        limit = min(max(int(request.query_params.get("limit", 100)), 1), 1000)
        offset = min(max(int(request.query_params.get("offset", 0)), 0), 2**31)
    except ValueError:
        raise ValidationError({"limit": ["Must be a whole number."]}) from None
    total = qs.count()
    return Response(
        {"count": total, "results": [audit_data(e) for e in qs[offset : offset + limit]]}
    )
