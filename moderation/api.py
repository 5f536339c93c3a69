"""Moderation and volunteers in the REST API (`/api/v1/`): thin views over
`moderation.services` and `moderation.selectors`. Errors are the write layer's
(`tickets.api.exception_handler` maps them to 400/403/404/409/429)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from moderation import permissions, selectors, services
from moderation.models import AuditEntry, Flag, Offer, Sanction, TrustGrant
from realtime.events import iso
from tickets import selectors as ticket_selectors
from tickets.api import CommentSerializer, comment_for
from tickets.errors import NotAllowed, NotFound
from tickets.identity import actor_from_request
from tickets.models import EmergencyEvent

# --- Helpers -----------------------------------------------------------------------------------


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


# --- Response schemas (documentation: the answers are built by the *_data functions) -----------


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


class FlagResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    comment = serializers.IntegerField()
    reason = serializers.CharField()
    hidden = serializers.BooleanField()


class SanctionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author_key = serializers.CharField()
    identity_kind = serializers.CharField()
    kind = serializers.CharField()
    reason = serializers.CharField()
    starts_at = serializers.CharField()
    ends_at = serializers.CharField(allow_null=True)
    limit_count = serializers.IntegerField(allow_null=True)
    limit_seconds = serializers.IntegerField(allow_null=True)
    follows_address = serializers.BooleanField()
    active = serializers.BooleanField()
    revoked_at = serializers.CharField(allow_null=True)


class TrustSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    action = serializers.CharField()
    reason = serializers.CharField()
    by = serializers.CharField(allow_null=True)
    at = serializers.CharField()


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


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    starts_at = serializers.CharField()
    ends_at = serializers.CharField(allow_null=True)
    active = serializers.BooleanField()
    premoderate_anonymous = serializers.BooleanField()
    slow_mode_seconds = serializers.IntegerField()
    anonymous_comment_limit = serializers.IntegerField(allow_null=True)
    area = serializers.JSONField(allow_null=True)
    url = serializers.CharField()
    tickets = serializers.IntegerField()


class OfferSerializer(serializers.Serializer):
    """Public form: id, status, author (a label), created_at. The private form (for those
    handling offers, and for its author) adds everything else, contact included."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    author = serializers.CharField(required=False)
    created_at = serializers.CharField()
    ticket = serializers.IntegerField(required=False, allow_null=True)
    event = serializers.CharField(required=False, allow_null=True)
    held = serializers.BooleanField(required=False)
    message = serializers.CharField(required=False)
    skills = serializers.CharField(required=False, allow_blank=True)
    availability = serializers.CharField(required=False, allow_blank=True)
    area = serializers.CharField(required=False, allow_blank=True)
    contact = serializers.CharField(required=False)
    author_key = serializers.CharField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    jurisdiction = serializers.CharField(required=False, allow_null=True)
    jurisdiction_id = serializers.IntegerField(required=False, allow_null=True)


# --- Flags and comment actions ----------------------------------------------------------------


@extend_schema(
    request=inline_serializer(
        "FlagRequest",
        {
            "reason": serializers.ChoiceField(choices=[c for c in Flag.Reason.values if c]),
            "details": serializers.CharField(required=False),
        },
    ),
    responses={201: FlagResultSerializer},
)
@api_view(["POST"])
def flag(request: Request, comment_id: int) -> Response:
    """Flag a comment: anyone, once per person (a second flag answers 409)."""
    data = _body(request)
    created, hidden = services.flag_create(
        actor=actor_from_request(request),
        comment_id=comment_id,
        reason=data.get("reason"),
        details=data.get("details", ""),
    )
    return Response(
        {"id": created.pk, "comment": comment_id, "reason": created.reason, "hidden": hidden},
        status=status.HTTP_201_CREATED,
    )


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


# --- Sanctions ---------------------------------------------------------------------------------


def sanction_data(sanction: Sanction) -> dict[str, Any]:
    return {
        "id": sanction.pk,
        "author_key": sanction.identity.public_key,
        "identity_kind": sanction.identity.kind,
        "kind": sanction.kind,
        "reason": sanction.reason,
        "starts_at": iso(sanction.starts_at),
        "ends_at": iso(sanction.ends_at) if sanction.ends_at else None,
        "limit_count": sanction.limit_count,
        "limit_seconds": sanction.limit_seconds,
        "follows_address": bool(sanction.ip_hash),
        "active": sanction.is_active(),
        "revoked_at": iso(sanction.revoked_at) if sanction.revoked_at else None,
    }


@extend_schema(
    request=inline_serializer(
        "SanctionRequest",
        {
            "author_key": serializers.CharField(),
            "kind": serializers.ChoiceField(choices=Sanction.Kind.values),
            "minutes": serializers.IntegerField(required=False),
            "reason": serializers.CharField(),
            "limit_count": serializers.IntegerField(required=False),
            "limit_seconds": serializers.IntegerField(required=False),
        },
    ),
    responses={201: SanctionSerializer},
)
@extend_schema(methods=["GET"], responses={200: SanctionSerializer(many=True)})
@api_view(["GET", "POST"])
def sanctions(request: Request) -> Response:
    _require_moderator(request)
    if request.method == "GET":
        rows = Sanction.objects.select_related("identity").order_by("-created_at", "-id")[:200]
        return Response([sanction_data(s) for s in rows])
    data = _body(request)
    sanction = services.sanction_create(
        actor=actor_from_request(request),
        author_key=data.get("author_key"),
        kind=data.get("kind"),
        minutes=data.get("minutes"),
        reason=data.get("reason"),
        limit_count=data.get("limit_count"),
        limit_seconds=data.get("limit_seconds"),
    )
    return Response(sanction_data(sanction), status=status.HTTP_201_CREATED)


@extend_schema(request=Reason, responses={200: SanctionSerializer})
@api_view(["POST"])
def sanction_revoke(request: Request, sanction_id: int) -> Response:
    _require_moderator(request)
    sanction = services.sanction_revoke(
        actor=actor_from_request(request),
        sanction_id=sanction_id,
        reason=_body(request).get("reason"),
    )
    return Response(sanction_data(sanction))


# --- Trust -------------------------------------------------------------------------------------

TrustRequest = inline_serializer(
    "TrustRequest", {"username": serializers.CharField(), "reason": serializers.CharField()}
)


def trust_data(record: TrustGrant) -> dict[str, Any]:
    return {
        "id": record.pk,
        "username": record.user.get_username(),
        "action": record.action,
        "reason": record.reason,
        "by": record.by.get_username() if record.by else None,
        "at": iso(record.at),
    }


@extend_schema(request=TrustRequest, responses={201: TrustSerializer})
@api_view(["POST"])
def trust(request: Request) -> Response:
    data = _body(request)
    record = services.trust_grant(
        actor=actor_from_request(request), username=data.get("username"), reason=data.get("reason")
    )
    return Response(trust_data(record), status=status.HTTP_201_CREATED)


@extend_schema(request=TrustRequest, responses={200: TrustSerializer})
@api_view(["POST"])
def trust_revoke(request: Request) -> Response:
    data = _body(request)
    record = services.trust_revoke(
        actor=actor_from_request(request), username=data.get("username"), reason=data.get("reason")
    )
    return Response(trust_data(record))


# --- Audit -------------------------------------------------------------------------------------

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


# --- Emergency events --------------------------------------------------------------------------


def event_data(event: EmergencyEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "name": event.name,
        "slug": event.slug,
        "description": event.description,
        "starts_at": iso(event.starts_at),
        "ends_at": iso(event.ends_at) if event.ends_at else None,
        "active": event.is_active(),
        "premoderate_anonymous": event.premoderate_anonymous,
        "slow_mode_seconds": event.slow_mode_seconds,
        "anonymous_comment_limit": event.anonymous_comment_limit,
        "area": event.area,
        "url": f"/events/{event.slug}/",
        "tickets": event.tickets.count(),
    }


@extend_schema(
    request=inline_serializer(
        "EventRequest",
        {
            "name": serializers.CharField(),
            "slug": serializers.SlugField(),
            "starts_at": serializers.DateTimeField(),
            "ends_at": serializers.DateTimeField(required=False),
            "premoderate_anonymous": serializers.BooleanField(required=False),
            "slow_mode_seconds": serializers.IntegerField(required=False),
            "anonymous_comment_limit": serializers.IntegerField(required=False),
            "area": serializers.JSONField(required=False),
        },
    ),
    responses={201: EventSerializer},
)
@extend_schema(
    methods=["GET"], responses={200: EventSerializer(many=True)}, operation_id="events_list"
)
@api_view(["GET", "POST"])
def events_list(request: Request) -> Response:
    if request.method == "GET":
        return Response([event_data(e) for e in EmergencyEvent.objects.order_by("-starts_at")])
    data = _body(request)
    for flag_name in ("premoderate_anonymous",):
        value = data.get(flag_name, False)
        if not isinstance(value, bool):
            if value in ("true", "1", "on"):
                value = True
            elif value in ("false", "0", "", None):
                value = False
            else:
                raise ValidationError({flag_name: ["Must be true or false."]})
        data[flag_name] = value
    event = services.event_create(
        actor=actor_from_request(request),
        name=data.get("name"),
        slug=data.get("slug"),
        description=data.get("description", ""),
        starts_at=data.get("starts_at"),
        ends_at=data.get("ends_at"),
        premoderate_anonymous=data["premoderate_anonymous"],
        slow_mode_seconds=data.get("slow_mode_seconds", 0),
        anonymous_comment_limit=data.get("anonymous_comment_limit"),
        area=data.get("area"),
        reason=data.get("reason", ""),
    )
    return Response(event_data(event), status=status.HTTP_201_CREATED)


@extend_schema(responses={200: EventSerializer}, operation_id="events_detail")
@api_view(["GET"])
def event_detail(request: Request, slug: str) -> Response:
    event = EmergencyEvent.objects.filter(slug=slug).first()
    if event is None:
        raise NotFound("No such event.")
    return Response(event_data(event))


# --- Volunteer offers --------------------------------------------------------------------------

OfferRequest = inline_serializer(
    "OfferRequest",
    {
        "message": serializers.CharField(),
        "skills": serializers.CharField(required=False),
        "availability": serializers.CharField(required=False),
        "area": serializers.CharField(required=False),
        "contact": serializers.CharField(),
        "event": serializers.SlugField(required=False),
    },
)


def offer_for(offer: Offer, request: Request) -> dict[str, Any]:
    """Private view for the people handling it and for its author; public otherwise."""
    actor = actor_from_request(request)
    if selectors.can_handle_offer(request.user, offer):
        return selectors.offer_private(offer)
    if (actor.is_authenticated or actor.anon_token) and offer.author.key == actor.key:
        data = selectors.offer_private(offer)
        data.pop("author_key", None)
        return data
    return selectors.offer_public(offer)


def _create_offer(request: Request, *, ticket_id: int | None, event: str | None) -> Response:
    data = _body(request)
    offer = services.offer_create(
        actor=actor_from_request(request),
        ticket_id=ticket_id,
        event=event if event is not None else data.get("event"),
        message=data.get("message"),
        skills=data.get("skills", ""),
        availability=data.get("availability", ""),
        area=data.get("area", ""),
        contact=data.get("contact"),
    )
    answer = offer_for(offer, request)
    held = offer.held
    return Response(answer, status=status.HTTP_202_ACCEPTED if held else status.HTTP_201_CREATED)


@extend_schema(request=OfferRequest, responses={201: OfferSerializer, 202: OfferSerializer})
@extend_schema(methods=["GET"], responses={200: OfferSerializer(many=True)})
@api_view(["GET", "POST"])
def ticket_offers(request: Request, ticket_id: int) -> Response:
    """POST: offer help (201, or 202 when held for review). GET: public offers (accepted or
    completed, as "a neighbour is helping"), or all of them for those handling offers."""
    ticket = ticket_selectors.ticket_get(ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.")
    if request.method == "POST":
        return _create_offer(request, ticket_id=ticket.pk, event=None)
    if permissions.can_moderate_ticket(request.user, ticket):
        rows = selectors.offers_for(user=request.user, ticket=ticket)
        return Response([selectors.offer_private(o) for o in rows])
    return Response([selectors.offer_public(o) for o in selectors.public_offers(ticket)])


@extend_schema(request=OfferRequest, responses={201: OfferSerializer, 202: OfferSerializer})
@api_view(["POST"])
def event_offers(request: Request, slug: str) -> Response:
    return _create_offer(request, ticket_id=None, event=slug)


@extend_schema(responses={200: OfferSerializer})
@api_view(["GET"])
def offer_detail(request: Request, offer_id: int) -> Response:
    if offer_id > 2**62:
        raise NotFound("No such offer.")
    offer = Offer.objects.select_related("ticket", "event", "author").filter(pk=offer_id).first()
    if offer is None:
        raise NotFound("No such offer.")
    data = offer_for(offer, request)
    if "contact" not in data and offer.status not in selectors.PUBLIC_OFFER_STATUSES:
        raise NotFound("No such offer.")
    return Response(data)


@extend_schema(
    request=inline_serializer(
        "OfferReview",
        {
            "decision": serializers.ChoiceField(choices=sorted(services.OFFER_DECISIONS)),
            "note": serializers.CharField(required=False),
        },
    ),
    responses={200: OfferSerializer},
)
@api_view(["POST"])
def offer_review(request: Request, offer_id: int) -> Response:
    data = _body(request)
    offer = services.offer_review(
        actor=actor_from_request(request),
        offer_id=offer_id,
        decision=data.get("decision"),
        note=data.get("note", ""),
    )
    return Response(selectors.offer_private(offer))


@extend_schema(request=Reason, responses={200: OfferSerializer})
@api_view(["POST"])
def offer_withdraw(request: Request, offer_id: int) -> Response:
    offer = services.offer_withdraw(
        actor=actor_from_request(request),
        offer_id=offer_id,
        reason=_body(request).get("reason", ""),
    )
    return Response(offer_for(offer, request))
