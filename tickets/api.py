"""REST API `/api/v1/`: thin views over `tickets.services` and `tickets.selectors`.

Each endpoint validates its input with one serializer and renders its answer with one (both in
`tickets.serializers`, both given to `@extend_schema`), so the schema cannot drift from the code.
`CommentSerializer` and `comment_for` are also moderation's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import DataError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tickets import permissions, selectors, services
from tickets.api_casework import CaseworkActions
from tickets.api_takedown import TakedownActions
from tickets.errors import RateLimited, ServiceError
from tickets.filters import TicketFilter
from tickets.identity import actor_from_request, existing_identity_id
from tickets.models import Comment, ServiceType, Ticket
from tickets.public import comment_public
from tickets.serializers import (
    CommentCreateSerializer,
    CommentSerializer,
    CountsSerializer,
    EnvelopeSerializer,
    EventsQuerySerializer,
    ServiceTypeSerializer,
    SimilarQuerySerializer,
    SimilarTicketsSerializer,
    TicketCreateSerializer,
    TransitionSerializer,
)
from tickets.serializers_casework import CaseworkTicketSerializer


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
    """The request's body or query string, checked by the endpoint's input serializer."""
    if not isinstance(data, dict):
        raise ValidationError({"detail": "The body must be a JSON object."})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _rendered(
    serializer_class: type[serializers.Serializer],
    instance: Any,
    *,
    context: Mapping[str, Any] | None = None,
    many: bool = False,
    status: int = status.HTTP_200_OK,
) -> Response:
    """The answer, rendered by the endpoint's output serializer."""
    serializer = serializer_class(instance, many=many, context=context or {})
    return Response(serializer.data, status=status)


# --- Views -----------------------------------------------------------------------------------


class TicketViewSet(
    CaseworkActions,
    TakedownActions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    # Staff of a ticket's jurisdiction also read its casework fields (tickets/api_casework.py).
    serializer_class = CaseworkTicketSerializer
    filterset_class = TicketFilter
    queryset = Ticket.objects.none()

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.public_tickets().order_by("-updated_at", "-id")

    def get_object(self) -> Ticket:
        # A taken-down ticket: 404, except for its reporter and moderators.
        actor = actor_from_request(self.request)
        ticket = selectors.ticket_get_for(
            self.kwargs.get("pk"), user=self.request.user, identity_id=existing_identity_id(actor)
        )
        if ticket is None:
            raise Http404
        return ticket

    def _ticket(self, ticket_id: int, *, status: int = status.HTTP_200_OK) -> Response:
        """A ticket as it is now, read again after a write."""
        ticket = selectors.ticket_get(ticket_id)
        if ticket is None:
            raise Http404
        return _rendered(
            CaseworkTicketSerializer, ticket, context=self.get_serializer_context(), status=status
        )

    @extend_schema(request=TicketCreateSerializer, responses={201: CaseworkTicketSerializer})
    def create(self, request: Request) -> Response:
        data = _validated(TicketCreateSerializer, request.data)
        ticket = services.ticket_create(actor=actor_from_request(request), **data)
        return self._ticket(ticket.pk, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: CommentSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=CommentCreateSerializer,
        responses={201: CommentSerializer, 202: CommentSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        actor = actor_from_request(request)
        if request.method == "POST":
            # The storm's hottest write reads the ticket once: the service's read also answers
            # a taken-down ticket with a 404 for anyone but its reporter and moderators.
            if not (pk or "").isdigit() or len(pk or "") > 18:  # no int64 overflow
                raise Http404
            data = _validated(CommentCreateSerializer, request.data)
            comment = services.comment_create(
                actor=actor, ticket_id=int(pk or 0), body=data["body"]
            )
            held = comment.visibility == Comment.Visibility.HELD
            moderator = permissions.is_moderator_for(request.user, comment.ticket.jurisdiction_id)
            return _rendered(
                CommentSerializer,
                comment_for(comment, moderator=moderator),
                status=status.HTTP_202_ACCEPTED if held else status.HTTP_201_CREATED,
            )
        ticket = self.get_object()
        moderator = permissions.is_moderator_for(request.user, ticket.jurisdiction_id)
        identity = actor.identity().pk if actor.is_authenticated or actor.anon_token else None
        comments = selectors.comments_for(ticket, user=request.user, identity_id=identity)
        return _rendered(
            CommentSerializer, [comment_for(c, moderator=moderator) for c in comments], many=True
        )

    @extend_schema(request=TransitionSerializer, responses={200: CaseworkTicketSerializer})
    @action(detail=True, methods=["post"])
    def transitions(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        data = _validated(TransitionSerializer, request.data)
        services.ticket_transition(actor=actor_from_request(request), ticket_id=ticket.pk, **data)
        return self._ticket(ticket.pk)

    def _react(self, request: Request, kind: str) -> Response:
        ticket = self.get_object()
        actor = actor_from_request(request)
        if kind == "unfollow":
            counts = services.ticket_unfollow(actor=actor, ticket_id=ticket.pk)
        else:
            counts = services.ticket_react(actor=actor, ticket_id=ticket.pk, kind=kind)
        return _rendered(CountsSerializer, counts)

    @extend_schema(request=None, responses={200: CountsSerializer})
    @action(detail=True, methods=["post"])
    def follow(self, request: Request, pk: str | None = None) -> Response:
        return self._react(request, "follow")

    @extend_schema(request=None, responses={200: CountsSerializer})
    @action(detail=True, methods=["post"])
    def unfollow(self, request: Request, pk: str | None = None) -> Response:
        return self._react(request, "unfollow")

    @extend_schema(request=None, responses={200: CountsSerializer})
    @action(detail=True, methods=["post"])
    def vote(self, request: Request, pk: str | None = None) -> Response:
        return self._react(request, "vote")

    @extend_schema(request=None, responses={200: CountsSerializer})
    @action(detail=True, methods=["post"])
    def thanks(self, request: Request, pk: str | None = None) -> Response:
        return self._react(request, "thanks")

    @extend_schema(
        parameters=[EventsQuerySerializer], responses={200: EnvelopeSerializer(many=True)}
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def events(self, request: Request, pk: str | None = None) -> Response:
        """Durable events with seq > since, oldest first, at most 500 per call: call again
        with the last seq received until the answer is empty."""
        ticket = self.get_object()
        query = _validated(EventsQuerySerializer, request.query_params)
        envelopes = selectors.public_events_since(ticket.pk, query["since"])
        return _rendered(EnvelopeSerializer, envelopes, many=True)

    @extend_schema(parameters=[SimilarQuerySerializer], responses={200: SimilarTicketsSerializer})
    @action(detail=False, methods=["get"])
    def similar(self, request: Request) -> Response:
        """Open tickets of the same type within 250 m, shown on the report form."""
        query = _validated(SimilarQuerySerializer, request.query_params)
        found = selectors.similar_open_tickets(
            service_type=query["service_code"], lat=query["lat"], long=query["long"]
        )
        return _rendered(
            SimilarTicketsSerializer,
            {"count": len(found), "tickets": found[:10]},
            context=self.get_serializer_context(),
        )


class ServiceTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """Request types offered, with their custom questions (for forms and apps)."""

    serializer_class = ServiceTypeSerializer
    lookup_field = "code"
    pagination_class = None
    queryset = ServiceType.objects.none()

    def get_queryset(self) -> QuerySet[ServiceType]:
        return (
            ServiceType.objects.filter(active=True)
            .select_related("jurisdiction")
            .prefetch_related("questions")
            .order_by("group", "name")
        )
