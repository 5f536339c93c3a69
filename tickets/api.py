"""REST API `/api/v1/`: thin views over `tickets.services` and `tickets.selectors`."""

from __future__ import annotations

from typing import Any

from django.db import DataError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tickets import permissions, selectors, services
from tickets.errors import RateLimited, ServiceError
from tickets.filters import TicketFilter
from tickets.identity import actor_from_request
from tickets.models import Comment, ServiceType, Ticket
from tickets.public import comment_public


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Write-layer errors become 400/403/404/409/429 with what is wrong."""
    if isinstance(exc, OverflowError | DataError):
        # A number too large for the database (ids, offsets): bad input, not a server error.
        return Response({"detail": "A number in the request is out of range."}, status=400)
    if isinstance(exc, ServiceError):
        response = Response(exc.as_dict(), status=exc.status)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    return drf_exception_handler(exc, context)


# --- Serializers ------------------------------------------------------------------------------


class TicketSerializer(serializers.ModelSerializer):
    service_code = serializers.CharField(source="service_type.code")
    service_name = serializers.CharField(source="service_type.name")
    jurisdiction = serializers.CharField(source="jurisdiction.slug")
    event = serializers.SerializerMethodField()
    reporter = serializers.CharField(source="public_reporter")
    url = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id", "title", "description", "status", "service_code", "service_name",
            "jurisdiction", "event", "lat", "long", "address", "reporter", "answers",
            "views", "followers", "votes", "thanks", "seq", "created_at", "updated_at",
            "acknowledged_at", "closed_at", "url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_event(self, ticket: Ticket) -> str | None:
        return ticket.event.slug if ticket.event_id else None

    def get_url(self, ticket: Ticket) -> str:
        request = self.context.get("request")
        path = ticket.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    def get_answers(self, ticket: Ticket) -> dict[str, Any]:
        """Answers to custom questions, except the ones the type keeps private."""
        private = self.context.setdefault("_private_codes", {})
        if ticket.service_type_id not in private:
            private[ticket.service_type_id] = set(
                ticket.service_type.questions.filter(private=True).values_list("code", flat=True)
            )
        hidden = private[ticket.service_type_id]
        return {k: v for k, v in (ticket.answers or {}).items() if k not in hidden}


class TicketCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=services.TITLE_MAX)
    description = serializers.CharField(
        max_length=services.DESCRIPTION_MAX, required=False, allow_blank=True
    )
    service_code = serializers.CharField(max_length=64)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    long = serializers.FloatField(min_value=-180, max_value=180)
    address = serializers.CharField(
        max_length=services.ADDRESS_MAX, required=False, allow_blank=True
    )
    event = serializers.SlugField(max_length=80, required=False, allow_null=True, allow_blank=True)
    anonymous = serializers.BooleanField(required=False, default=False)
    display_name = serializers.CharField(
        max_length=services.DISPLAY_NAME_MAX, required=False, allow_blank=True
    )
    answers = serializers.DictField(required=False, child=serializers.JSONField())


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ticket = serializers.IntegerField()
    body = serializers.CharField()
    body_html = serializers.CharField()
    author = serializers.CharField()
    official = serializers.BooleanField()
    created_at = serializers.CharField()
    visibility = serializers.CharField(required=False)
    author_key = serializers.CharField(required=False)


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=services.COMMENT_MAX)


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(services.TRANSITIONS))
    note = serializers.CharField(
        max_length=services.NOTE_MAX, required=False, allow_blank=True, default=""
    )


class CountsSerializer(serializers.Serializer):
    followers = serializers.IntegerField()
    votes = serializers.IntegerField()
    thanks = serializers.IntegerField()
    views = serializers.IntegerField()


class EnvelopeSerializer(serializers.Serializer):
    type = serializers.CharField()
    ticket = serializers.IntegerField()
    seq = serializers.IntegerField()
    at = serializers.CharField()
    data = serializers.DictField()


class QuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()
    datatype = serializers.CharField()
    required = serializers.BooleanField()
    values = serializers.ListField(child=serializers.DictField())
    order = serializers.IntegerField()


class ServiceTypeSerializer(serializers.ModelSerializer):
    jurisdiction = serializers.CharField(source="jurisdiction.slug")
    questions = QuestionSerializer(many=True)

    class Meta:
        model = ServiceType
        fields = ["code", "name", "description", "group", "keywords", "jurisdiction", "questions"]


def comment_for(comment: Comment, *, moderator: bool) -> dict[str, Any]:
    data = comment_public(comment)
    if moderator:
        data["visibility"] = (
            "shadowed" if comment.shadow and comment.visibility == "visible" else comment.visibility
        )
        data["author_key"] = comment.author.public_key
    elif comment.visibility != Comment.Visibility.VISIBLE or comment.shadow:
        data["visibility"] = comment.visibility  # the author sees their own held/hidden post
    return data


def _validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError({"detail": "The body must be a JSON object."})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- Views -----------------------------------------------------------------------------------


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    queryset = Ticket.objects.none()

    def get_queryset(self) -> Any:
        return selectors.ticket_list().order_by("-updated_at", "-id")

    def get_object(self) -> Ticket:
        ticket = selectors.ticket_get(self.kwargs.get("pk"))
        if ticket is None:
            raise Http404
        return ticket

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request: Request) -> Response:
        data = _validated(TicketCreateSerializer, request.data)
        ticket = services.ticket_create(actor=actor_from_request(request), **data)
        ticket = selectors.ticket_get(ticket.pk)
        return Response(self.get_serializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: CommentSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=CommentCreateSerializer,
        responses={201: CommentSerializer, 202: CommentSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        actor = actor_from_request(request)
        moderator = permissions.is_moderator_for(request.user, ticket.jurisdiction_id)
        if request.method == "POST":
            data = _validated(CommentCreateSerializer, request.data)
            comment = services.comment_create(actor=actor, ticket_id=ticket.pk, body=data["body"])
            held = comment.visibility == Comment.Visibility.HELD
            return Response(
                comment_for(comment, moderator=moderator),
                status=status.HTTP_202_ACCEPTED if held else status.HTTP_201_CREATED,
            )
        identity = actor.identity().pk if actor.is_authenticated or actor.anon_token else None
        comments = selectors.comments_for(ticket, user=request.user, identity_id=identity)
        return Response([comment_for(c, moderator=moderator) for c in comments])

    @extend_schema(request=TransitionSerializer, responses={200: TicketSerializer})
    @action(detail=True, methods=["post"])
    def transitions(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        data = _validated(TransitionSerializer, request.data)
        services.ticket_transition(actor=actor_from_request(request), ticket_id=ticket.pk, **data)
        return Response(self.get_serializer(selectors.ticket_get(ticket.pk)).data)

    def _react(self, request: Request, kind: str) -> Response:
        ticket = self.get_object()
        counts = services.ticket_react(
            actor=actor_from_request(request), ticket_id=ticket.pk, kind=kind
        )
        return Response(counts)

    @extend_schema(request=None, responses={200: CountsSerializer})
    @action(detail=True, methods=["post"])
    def follow(self, request: Request, pk: str | None = None) -> Response:
        return self._react(request, "follow")

    @extend_schema(request=None, responses={200: CountsSerializer})
    @action(detail=True, methods=["post"])
    def unfollow(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        return Response(
            services.ticket_unfollow(actor=actor_from_request(request), ticket_id=ticket.pk)
        )

    @extend_schema(request=None, responses={200: CountsSerializer})
    @action(detail=True, methods=["post"])
    def vote(self, request: Request, pk: str | None = None) -> Response:
        return self._react(request, "vote")

    @extend_schema(request=None, responses={200: CountsSerializer})
    @action(detail=True, methods=["post"])
    def thanks(self, request: Request, pk: str | None = None) -> Response:
        return self._react(request, "thanks")

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.INT, description="Last seq seen (0 for all).")
        ],
        responses={200: EnvelopeSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def events(self, request: Request, pk: str | None = None) -> Response:
        """Durable events with seq > since, oldest first, at most 500 per call: call again
        with the last seq received until the answer is empty."""
        ticket = self.get_object()
        raw = request.query_params.get("since", "0") or "0"
        try:
            since = int(raw)
            if since < 0 or since > 2**31:
                raise ValueError
        except ValueError:
            raise ValidationError({"since": ["Must be a whole number of 0 or more."]}) from None
        return Response(selectors.public_events_since(ticket.pk, since))

    @extend_schema(
        parameters=[
            OpenApiParameter("service_code", OpenApiTypes.STR, required=True),
            OpenApiParameter("lat", OpenApiTypes.FLOAT, required=True),
            OpenApiParameter("long", OpenApiTypes.FLOAT, required=True),
        ],
        responses={
            200: inline_serializer(
                "SimilarTickets",
                {"count": serializers.IntegerField(), "tickets": TicketSerializer(many=True)},
            )
        },
    )
    @action(detail=False, methods=["get"])
    def similar(self, request: Request) -> Response:
        """Open tickets of the same type within 250 m, shown on the report form."""
        q = request.query_params
        errors: dict[str, list[str]] = {}
        service_type = ServiceType.objects.filter(code=q.get("service_code", "")).first()
        if service_type is None:
            errors["service_code"] = ["Unknown service code."]
        coords: dict[str, float] = {}
        for name, bound in (("lat", 90.0), ("long", 180.0)):
            try:
                coords[name] = services.parse_coordinate(q.get(name), field=name, bound=bound)
            except ServiceError as exc:
                errors[name] = [exc.message]
        if errors:
            raise ValidationError(errors)
        found = selectors.similar_open_tickets(service_type=service_type, **coords)
        return Response(
            {"count": len(found), "tickets": self.get_serializer(found[:10], many=True).data}
        )


class ServiceTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """Request types offered, with their custom questions (for forms and apps)."""

    serializer_class = ServiceTypeSerializer
    lookup_field = "code"
    pagination_class = None
    queryset = ServiceType.objects.none()

    def get_queryset(self) -> Any:
        return (
            ServiceType.objects.filter(active=True)
            .select_related("jurisdiction")
            .prefetch_related("questions")
            .order_by("group", "name")
        )
