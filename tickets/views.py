"""The server-rendered pages. Reads go through `tickets.selectors`, writes through
`tickets.services`; a `ServiceError` becomes a message (or a form error), never a 500."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from realtime import counters
from tickets import permissions, selectors, services
from tickets.errors import NotFound, RateLimited, ServiceError
from tickets.filters import TicketFilter
from tickets.forms import (
    ReportForm,
    SignUpForm,
    answers_from_post,
    photos_field,
    question_inputs,
)
from tickets.identity import actor_from_request
from tickets.models import (
    Comment,
    Follow,
    Identity,
    Jurisdiction,
    Photo,
    ServiceQuestion,
    ServiceType,
    Thanks,
    Ticket,
    Vote,
)

PAGE_SIZE = 25


class SeeOther(HttpResponseRedirect):
    status_code = 303


# --- A tiny map: lon/lat projected into an SVG box ------------------------------------------


@dataclass
class Projection:
    """Equirectangular projection (longitudes shrunk by cos(latitude)) of a lon/lat box into
    an SVG of `width` units; `height` follows the box's aspect."""

    min_long: float
    min_lat: float
    max_long: float
    max_lat: float
    width: float = 1000.0

    def __post_init__(self) -> None:
        # Never a zero-sized box (one ticket, or none): pad it.
        if self.max_long - self.min_long < 0.002:
            mid = (self.min_long + self.max_long) / 2
            self.min_long, self.max_long = mid - 0.001, mid + 0.001
        if self.max_lat - self.min_lat < 0.002:
            mid = (self.min_lat + self.max_lat) / 2
            self.min_lat, self.max_lat = mid - 0.001, mid + 0.001
        pad_long = (self.max_long - self.min_long) * 0.05
        pad_lat = (self.max_lat - self.min_lat) * 0.05
        self.min_long -= pad_long
        self.max_long += pad_long
        self.min_lat -= pad_lat
        self.max_lat += pad_lat
        mid_lat = math.radians((self.min_lat + self.max_lat) / 2)
        self.kx = max(math.cos(mid_lat), 0.01)
        self.scale = self.width / ((self.max_long - self.min_long) * self.kx)
        self.height = (self.max_lat - self.min_lat) * self.scale

    def xy(self, lat: float, long: float) -> tuple[float, float]:
        return (
            round((long - self.min_long) * self.kx * self.scale, 1),
            round((self.max_lat - lat) * self.scale, 1),
        )

    def path(self, boundary: Any) -> str:
        parts = []
        for ring in _rings(boundary):
            points = [self.xy(lat, long) for long, lat, *_rest in ring]
            if points:
                parts.append(
                    "M" + " L".join(f"{x},{y}" for x, y in points) + " Z",
                )
        return " ".join(parts)

    def attrs(self) -> dict[str, Any]:
        """What a script needs to turn a click back into lon/lat."""
        return {
            "min_long": self.min_long,
            "max_lat": self.max_lat,
            "x_scale": self.kx * self.scale,
            "y_scale": self.scale,
            "width": round(self.width, 1),
            "height": round(self.height, 1),
        }


def _rings(boundary: Any) -> list[list[list[float]]]:
    if isinstance(boundary, dict) and boundary.get("type") == "Feature":
        boundary = boundary.get("geometry")
    if not isinstance(boundary, dict):
        return []
    coords = boundary.get("coordinates") or []
    if boundary.get("type") == "Polygon":
        return list(coords)
    if boundary.get("type") == "MultiPolygon":
        return [ring for polygon in coords for ring in polygon]
    return []


def _bounds(points: list[tuple[float, float]]) -> tuple[float, float, float, float] | None:
    """(min_long, min_lat, max_long, max_lat) of (lat, long) points."""
    if not points:
        return None
    lats = [p[0] for p in points]
    longs = [p[1] for p in points]
    return min(longs), min(lats), max(longs), max(lats)


def _jurisdiction_shapes() -> list[tuple[Jurisdiction, list[tuple[float, float]]]]:
    shapes = []
    for jurisdiction in Jurisdiction.objects.all().order_by("parent_id", "name"):
        points = [(lat, long) for ring in _rings(jurisdiction.boundary) for long, lat, *_ in ring]
        shapes.append((jurisdiction, points))
    return shapes


def _map_context(tickets: list[Ticket]) -> dict[str, Any]:
    shapes = _jurisdiction_shapes()
    all_points = [p for _j, pts in shapes for p in pts] + [(t.lat, t.long) for t in tickets]
    box = _bounds(all_points) or (-180.0, -85.0, 180.0, 85.0)
    projection = Projection(*box)
    return {
        "projection": projection.attrs(),
        "areas": [
            {"jurisdiction": j, "d": projection.path(j.boundary), "depth": len(j.ancestor_ids())}
            for j, _pts in shapes
        ],
        "dots": [{"ticket": t, "xy": projection.xy(t.lat, t.long)} for t in tickets],
    }


def leaflet_data(
    tickets: list[Ticket], *, feed: str | None = None, label: str = ""
) -> dict[str, Any]:
    """What static/js/map.js draws (a json_script block): tiles, outlines, tickets."""
    config = settings.FIXLINE
    areas = []
    for jurisdiction, _pts in _jurisdiction_shapes():
        geometry = jurisdiction.boundary
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        areas.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "name": jurisdiction.name,
                    "slug": jurisdiction.slug,
                    "depth": len(jurisdiction.ancestor_ids()),
                },
            }
        )
    return {
        "tiles": config.get("MAP_TILE_URL", ""),
        "attribution": config.get("MAP_TILE_ATTRIBUTION", ""),
        "areas": {"type": "FeatureCollection", "features": areas},
        "tickets": [
            {
                "id": t.pk,
                "title": t.title,
                "status": t.status,
                "lat": t.lat,
                "long": t.long,
                "url": t.get_absolute_url(),
            }
            for t in tickets
        ],
        "feed": feed,
        "label": label,
    }


def _feed_path(request: HttpRequest) -> str:
    slug = request.GET.get("jurisdiction", "")
    if slug and Jurisdiction.objects.filter(slug=slug).exists():
        return f"/ws/feed/?{urlencode({'jurisdiction': slug})}"
    return "/ws/feed/"


# --- Home -----------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    queryset = (
        selectors.ticket_list()
        .order_by("-created_at", "-id")
        .annotate(
            comment_count=Count(
                "comments",
                filter=Q(comments__visibility=Comment.Visibility.VISIBLE, comments__shadow=False),
            )
        )
    )
    ticket_filter = TicketFilter(request.GET or None, queryset=queryset, request=request)
    form = ticket_filter.form
    form.fields["jurisdiction"].widget = django_forms.Select(
        choices=[("", _("All jurisdictions"))]
        + [(j.slug, j.name) for j in Jurisdiction.objects.order_by("name")]
    )
    form.fields["status"].empty_label = _("Any status")
    form.fields["service_code"].empty_label = _("Any type")
    form.fields["updated_since"].widget = django_forms.TextInput(
        attrs={"placeholder": "2025-01-31T08:00", "inputmode": "numeric"}
    )
    form.fields["updated_since"].help_text = _("Date and time, e.g. 2025-01-31T08:00")
    valid = ticket_filter.is_valid() if ticket_filter.is_bound else True
    # Invalid fields are left out of the filtering; their errors are shown on the form.
    paginator = Paginator(ticket_filter.qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    tickets = list(page.object_list)
    context = {
        "filter": ticket_filter,
        "form": form,
        "filter_valid": valid,
        "visible_fields": [form[name] for name in ("q", "status", "service_code", "jurisdiction")],
        "extra_fields": [form["updated_since"]],
        "hidden_fields": [form[name] for name in ("event", "bbox") if request.GET.get(name)],
        "page": page,
        "tickets": tickets,
        "map": _map_context(tickets),
        "leaflet": leaflet_data(tickets, feed=_feed_path(request)),
    }
    return render(request, "tickets/home.html", context)


# --- Ticket page ----------------------------------------------------------------------------


def _existing_identity_id(actor: Any) -> int | None:
    """The viewer's Identity pk if they already have one; a page view never creates one."""
    return Identity.objects.filter(key=actor.key).values_list("pk", flat=True).first()


def _public_answers(ticket: Ticket, *, show_private: bool) -> list[dict[str, Any]]:
    answers = ticket.answers or {}
    rows = []
    for question in ticket.service_type.questions.all():
        if question.code not in answers or (question.private and not show_private):
            continue
        value = answers[question.code]
        names = {
            str(v.get("key")): v.get("name") for v in question.values or [] if isinstance(v, dict)
        }
        if question.datatype in (ServiceQuestion.Datatype.SINGLE, ServiceQuestion.Datatype.MULTI):
            values = value if isinstance(value, list) else [value]
            shown = ", ".join(str(names.get(str(v), v)) for v in values)
        else:
            shown = str(value)
        rows.append({"question": question, "value": shown, "private": question.private})
    return rows


def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(pk)
    if ticket is None:
        raise Http404(_("No such ticket."))
    actor = actor_from_request(request)
    services.ticket_view(ticket_id=ticket.pk, visitor_key=actor.key)
    identity_id = _existing_identity_id(actor)
    user = request.user
    is_agent = permissions.is_agent_for(user, ticket.jurisdiction_id)
    comments = list(selectors.comments_for(ticket, user=user, identity_id=identity_id))
    reacted = {"follow": False, "vote": False, "thanks": False}
    if identity_id is not None:
        for kind, model in (("follow", Follow), ("vote", Vote), ("thanks", Thanks)):
            reacted[kind] = model.objects.filter(ticket=ticket, identity_id=identity_id).exists()
    context = {
        "ticket": ticket,
        "jurisdiction": ticket.jurisdiction,
        "answers": _public_answers(ticket, show_private=is_agent),
        "comments": comments,
        "is_agent": is_agent,
        "actions": permissions.allowed_actions(user, identity_id, ticket),
        "may_act": bool(permissions.possible_actions(user, identity_id, ticket)),
        "reacted": reacted,
        "views": ticket.views + counters.pending_views(ticket.pk),
        "status_changes": list(ticket.status_changes.all()),
        "map": _map_context([ticket]),
        "leaflet": leaflet_data([ticket]),
        "photos": [p for p in ticket.photos.all() if p.comment_id is None],
        "comment_photos": _comment_photos(ticket, comments),
        "photo_field": photos_field(),
    }
    return render(request, "tickets/detail.html", context)


@require_http_methods(["GET"])
def ticket_actions(request: HttpRequest, pk: int) -> HttpResponse:
    """Just the transition buttons for this viewer: what the live page fetches after a status
    change, instead of re-rendering the whole page (and counting a view) for every watcher."""
    ticket = selectors.ticket_get(pk)
    if ticket is None:
        raise Http404(_("No such ticket."))
    identity_id = _existing_identity_id(actor_from_request(request))
    context = {
        "ticket": ticket,
        "actions": permissions.allowed_actions(request.user, identity_id, ticket),
        "may_act": bool(permissions.possible_actions(request.user, identity_id, ticket)),
    }
    return render(request, "tickets/_actions.html", context)


def _comment_photos(ticket: Ticket, comments: list[Comment]) -> dict[int, list[Any]]:
    """Photos of the shown comments, by comment id (one query)."""
    shown = {c.pk for c in comments}
    by_comment: dict[int, list[Any]] = {}
    for photo in Photo.objects.filter(ticket=ticket, comment__isnull=False):
        if photo.comment_id in shown:
            by_comment.setdefault(photo.comment_id, []).append(photo)
    return by_comment


def _back_to(ticket_id: int, anchor: str = "") -> SeeOther:
    return SeeOther(reverse("ticket-detail", args=[ticket_id]) + anchor)


def _report_error(request: HttpRequest, exc: ServiceError) -> None:
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    if isinstance(exc, RateLimited):
        messages.error(
            request,
            _("%(message)s Try again in %(seconds)s seconds.")
            % {"message": exc.message, "seconds": exc.retry_after},
        )
        return
    messages.error(request, exc.message)


@require_POST
def ticket_comment(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_from_request(request)
    try:
        comment = services.comment_create(
            actor=actor,
            ticket_id=pk,
            body=request.POST.get("body", ""),
            photos=request.FILES.getlist("photos"),
        )
    except ServiceError as exc:
        _report_error(request, exc)
        return _back_to(pk, "#comment-form")
    if comment.visibility == Comment.Visibility.HELD:
        messages.info(request, _("Thanks! Your comment will appear once a moderator reviews it."))
    else:
        messages.success(request, _("Your comment is posted."))
    return _back_to(pk, f"#comment-{comment.pk}")


REACTION_MESSAGES = {
    "follow": _("You follow this ticket."),
    "unfollow": _("You no longer follow this ticket."),
    "vote": _("Counted: you have this problem too."),
    "thanks": _("Your thanks were sent."),
}


@require_POST
def ticket_react(request: HttpRequest, pk: int) -> HttpResponse:
    kind = request.POST.get("kind", "")
    if kind not in ("follow", "unfollow", "vote", "thanks"):
        messages.error(request, _("Unknown action."))
        return _back_to(pk)
    actor = actor_from_request(request)
    try:
        if kind == "unfollow":
            services.ticket_unfollow(actor=actor, ticket_id=pk)
        else:
            services.ticket_react(actor=actor, ticket_id=pk, kind=kind)
    except ServiceError as exc:
        _report_error(request, exc)
        return _back_to(pk)
    messages.success(request, str(REACTION_MESSAGES[kind]))
    return _back_to(pk)


TRANSITION_MESSAGES = {
    "acknowledge": _("The ticket is acknowledged."),
    "close": _("The ticket is closed."),
    "reopen": _("The ticket is reopened."),
}


@require_POST
def ticket_transition(request: HttpRequest, pk: int) -> HttpResponse:
    if selectors.ticket_get(pk) is None:
        raise Http404(_("No such ticket."))
    action = request.POST.get("action", "")
    actor = actor_from_request(request)
    try:
        services.ticket_transition(
            actor=actor, ticket_id=pk, action=action, note=request.POST.get("note", "")
        )
    except ServiceError as exc:
        _report_error(request, exc)
        return _back_to(pk, "#actions")
    messages.success(request, str(TRANSITION_MESSAGES[action]))
    return _back_to(pk)


# --- Report form ----------------------------------------------------------------------------


def _report_context(form: ReportForm, data: Any, answer_errors: dict[str, str]) -> dict[str, Any]:
    types = (
        ServiceType.objects.filter(active=True)
        .prefetch_related("questions")
        .order_by("group", "name")
    )
    selected = form["service_code"].value() or ""
    fieldsets = [
        {"type": stype, "rows": question_inputs(stype, data, answer_errors)}
        for stype in types
        if stype.questions.all()
    ]
    return {
        "form": form,
        "fieldsets": fieldsets,
        "selected_code": selected,
        "answer_errors": answer_errors,
        "map": _map_context([]),
        "leaflet": leaflet_data([]),
    }


@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {}
        for name in ("lat", "long", "service_code"):
            if request.GET.get(name):
                initial[name] = request.GET[name][:40]
        if request.user.is_authenticated:
            actor = actor_from_request(request)
            initial["display_name"] = actor.display_name
        form = ReportForm(initial=initial)
        return render(request, "tickets/new.html", _report_context(form, None, {}))

    form = ReportForm(request.POST, request.FILES)
    answer_errors: dict[str, str] = {}
    status = 400
    retry_after = 0
    if form.is_valid():
        data = form.cleaned_data
        stype = ServiceType.objects.filter(code=data["service_code"], active=True).first()
        try:
            ticket = services.ticket_create(
                actor=actor_from_request(request),
                title=data["title"],
                description=data["description"],
                service_code=data["service_code"],
                lat=data["lat"],
                long=data["long"],
                address=data["address"],
                anonymous=data["anonymous"],
                display_name=data["display_name"],
                answers=answers_from_post(stype, request.POST),
                photos=data.get("photos") or [],
            )
        except ServiceError as exc:
            status = exc.status
            message = exc.message
            if isinstance(exc, RateLimited):
                retry_after = exc.retry_after
                message = _("%(message)s Try again in %(seconds)s seconds.") % {
                    "message": exc.message,
                    "seconds": exc.retry_after,
                }
            field = exc.field or ""
            if field.startswith("answers."):
                answer_errors[field.removeprefix("answers.")] = message
                form.add_error(None, _("Please check the answers to the questions below."))
            elif field in form.fields:
                form.add_error(field, message)
            else:
                form.add_error(None, message)
        else:
            jurisdiction = ticket.jurisdiction
            messages.success(
                request,
                _("Thank you! Report #%(id)s was sent to %(team)s (%(place)s).")
                % {
                    "id": ticket.pk,
                    "team": jurisdiction.team_name or jurisdiction.name,
                    "place": jurisdiction.name,
                },
            )
            return SeeOther(ticket.get_absolute_url())
    context = _report_context(form, request.POST, answer_errors)
    response = render(request, "tickets/new.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


# --- Sign-up --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST":
        form = SignUpForm(request.POST)
        if form.is_valid():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Fixline, %(name)s!") % {"name": user})
            return SeeOther(next_url or reverse("home"))
        status = 400
    else:
        form = SignUpForm()
        status = 200
    return render(
        request, "registration/signup.html", {"form": form, "next": next_url}, status=status
    )
