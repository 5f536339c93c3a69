"""The agents' dashboard: their jurisdictions' queue, KPIs and a 30-day chart (inline SVG drawn
here, no chart library), live through the public area feed and, for casework (assignment,
notes, priority, reroutes), the agents' moderation socket; with bulk acknowledge / close /
assign and the casework views "mine", "my team's" and "unassigned".

Reads only; every change goes through `services.ticket_transition`, one ticket at a time, so
permissions, events and notifications are exactly those of the ticket page."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets import jurisdictions, permissions, services
from tickets.errors import ServiceError
from tickets.identity import actor_from_request
from tickets.models import Jurisdiction, ServiceType, Team, Ticket
from tickets.models.places import in_language

QUEUE_LIMIT = 200
CHART_DAYS = 30
KPI_DAYS = 90
QUEUE_STATUSES = (Ticket.Status.OPEN, Ticket.Status.ACKNOWLEDGED)
VIEWS = ("mine", "team", "unassigned")  # casework views of the queue


def _check_agent(request: HttpRequest) -> None:
    if not request.user.is_authenticated:
        raise _LoginRequired
    if not (permissions.is_agent(request.user) or permissions.is_admin(request.user)):
        raise PermissionDenied(_("The dashboard is for the jurisdictions' agents."))


class _LoginRequired(Exception):
    pass


def _scope(user: Any) -> QuerySet[Jurisdiction]:
    """Jurisdictions the agent acts on (admins: all)."""
    if permissions.is_admin(user):
        return Jurisdiction.objects.all()
    return Jurisdiction.objects.filter(pk__in=permissions.agent_jurisdiction_ids(user))


def _feeds(user: Any, scope: list[Jurisdiction]) -> list[str]:
    """Feed sockets covering the scope: the topmost jurisdictions (a feed carries its
    descendants' tickets too)."""
    parents = {j.pk: j.parent_id for j in scope}
    top_ids = set(jurisdictions.topmost(list(parents), parents=parents))
    tops = [j for j in scope if j.pk in top_ids]
    if permissions.is_admin(user) and len(tops) > 3:
        return ["/ws/feed/"]
    return [f"/ws/feed/?{urlencode({'jurisdiction': j.slug})}" for j in tops]


@dataclass
class Filters:
    service_code: str = ""
    status: str = ""
    jurisdiction: str = ""
    view: str = ""

    def query(self) -> str:
        return urlencode({k: v for k, v in self.__dict__.items() if v})


def _filters(request: HttpRequest, scope: list[Jurisdiction]) -> Filters:
    status = request.GET.get("status", "")
    slug = request.GET.get("jurisdiction", "")
    return Filters(
        service_code=request.GET.get("service_code", "")[:64],
        status=status if status in QUEUE_STATUSES else "",
        jurisdiction=slug if slug in {j.slug for j in scope} else "",
        view=request.GET.get("view", "") if request.GET.get("view") in VIEWS else "",
    )


def queue_queryset(scope_ids: list[int], filters: Filters, user: Any = None) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(jurisdiction_id__in=scope_ids, status__in=QUEUE_STATUSES)
    if filters.view == "mine":
        tickets = tickets.filter(assignee_id=getattr(user, "pk", None))
    elif filters.view == "team":
        tickets = tickets.filter(team__members=user) if user is not None else tickets.none()
    elif filters.view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True, team__isnull=True)
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.service_code:
        tickets = tickets.filter(service_type__code=filters.service_code)
    if filters.jurisdiction:
        tickets = tickets.filter(jurisdiction__slug=filters.jurisdiction)
    return tickets.select_related(
        "service_type", "jurisdiction", "event", "assignee", "team"
    ).order_by("created_at", "id")


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = seconds / 60
    if minutes < 60:
        n: float = max(1, round(minutes))
        return ngettext("%(n)s minute", "%(n)s minutes", n) % {"n": n}
    hours = minutes / 60
    if hours < 48:
        n = round(hours, 1) if hours < 10 else round(hours)
        return ngettext("%(n)s hour", "%(n)s hours", n) % {"n": n}
    n = round(hours / 24, 1)
    return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}


def kpis(scope_ids: list[int], *, now: datetime) -> dict[str, Any]:
    since = now - timedelta(days=KPI_DAYS)
    recent = Ticket.objects.filter(jurisdiction_id__in=scope_ids, created_at__gte=since)
    to_ack = [
        (answered - created).total_seconds()
        for created, ack, closed in recent.filter(
            Q(acknowledged_at__isnull=False) | Q(closed_at__isnull=False)
        ).values_list("created_at", "acknowledged_at", "closed_at")
        if (answered := ack or closed) is not None
    ]
    to_close = [
        (closed - created).total_seconds()
        for created, closed in recent.filter(
            status=Ticket.Status.CLOSED, closed_at__isnull=False
        ).values_list("created_at", "closed_at")
        if closed is not None
    ]
    # Each type as the page's language names it.
    language = get_language()
    per_type: list[dict[str, Any]] = [
        {
            **row,
            "name": in_language(row["service_type__name"], row["service_type__name_fr"], language),
        }
        for row in Ticket.objects.filter(jurisdiction_id__in=scope_ids, status__in=QUEUE_STATUSES)
        .values("service_type__name", "service_type__name_fr", "service_type__code")
        .annotate(n=Count("id"))
        .order_by("-n", "service_type__name")
    ]
    counts = Ticket.objects.filter(jurisdiction_id__in=scope_ids).aggregate(
        open=Count("id", filter=Q(status=Ticket.Status.OPEN)),
        acknowledged=Count("id", filter=Q(status=Ticket.Status.ACKNOWLEDGED)),
    )
    overdue = Ticket.objects.filter(
        jurisdiction_id__in=scope_ids, status__in=QUEUE_STATUSES, due_at__lt=now
    ).count()
    ack_median = _median(to_ack)
    close_median = _median(to_close)
    return {
        "median_ack_seconds": ack_median,
        "median_close_seconds": close_median,
        "median_ack": human_duration(ack_median),
        "median_close": human_duration(close_median),
        "open": counts["open"],
        "acknowledged": counts["acknowledged"],
        "overdue": overdue,
        "per_type": per_type,
        "days": KPI_DAYS,
    }


def daily_counts(scope_ids: list[int], *, today: date) -> list[dict[str, Any]]:
    """Tickets opened and closed per day, the last CHART_DAYS days (local dates)."""
    first = today - timedelta(days=CHART_DAYS - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    days = {first + timedelta(days=i): {"opened": 0, "closed": 0} for i in range(CHART_DAYS)}
    base = Ticket.objects.filter(jurisdiction_id__in=scope_ids)
    for moment in base.filter(created_at__gte=start).values_list("created_at", flat=True):
        day = timezone.localtime(moment).date()
        if day in days:
            days[day]["opened"] += 1
    for closed in base.filter(closed_at__gte=start).values_list("closed_at", flat=True):
        if closed is None:  # not after the filter; the column is nullable
            continue
        day = timezone.localtime(closed).date()
        if day in days:
            days[day]["closed"] += 1
    return [{"day": day, **values} for day, values in sorted(days.items())]


def chart_svg_data(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of the grouped bar chart (drawn by the template as inline SVG)."""
    width, height = 640, 220
    left, right, top, bottom = 32, 8, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([1] + [max(r["opened"], r["closed"]) for r in rows])
    # A round top for the axis: 1, 2, 5, 10, 20, 50…
    step = 1
    while peak / step > 5:
        step = step * 2 if str(step)[0] in "15" else int(step * 2.5)
    top_value = step * -(-peak // step)
    slot = plot_w / max(len(rows), 1)
    bar = max(slot * 0.38, 1)
    groups = []
    for i, row in enumerate(rows):
        x = left + i * slot
        h_open = plot_h * row["opened"] / top_value
        h_closed = plot_h * row["closed"] / top_value
        groups.append(
            {
                **row,
                "label": date_format(row["day"], "SHORT_DATE_FORMAT"),
                "tick": date_format(row["day"], "j M") if i % 7 == 0 or i == len(rows) - 1 else "",
                "x_opened": round(x + slot * 0.1, 1),
                "x_closed": round(x + slot * 0.1 + bar, 1),
                "x_mid": round(x + slot / 2, 1),
                "y_opened": round(top + plot_h - h_open, 1),
                "y_closed": round(top + plot_h - h_closed, 1),
                "h_opened": round(h_open, 1),
                "h_closed": round(h_closed, 1),
            }
        )
    gridlines = [
        {"value": v, "y": round(top + plot_h - plot_h * v / top_value, 1)}
        for v in range(0, top_value + 1, step)
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "baseline": top + plot_h,
        "bar": round(bar, 1),
        "groups": groups,
        "gridlines": gridlines,
        "total_opened": sum(r["opened"] for r in rows),
        "total_closed": sum(r["closed"] for r in rows),
    }


def _queue_context(request: HttpRequest) -> dict[str, Any]:
    scope = list(_scope(request.user).order_by("name"))
    scope_ids = [j.pk for j in scope]
    filters = _filters(request, scope)
    queue_all = queue_queryset(scope_ids, filters, request.user)
    queue = list(queue_all[:QUEUE_LIMIT])
    now = timezone.now()
    return {
        "scope": scope,
        "scope_ids": scope_ids,
        "filters": filters,
        "queue": queue,
        "queue_total": queue_all.count() if len(queue) == QUEUE_LIMIT else len(queue),
        "now": now,
        "overdue_ids": {t.pk for t in queue if services.is_overdue(t, now=now)},
    }


def assign_choices(scope: list[Jurisdiction]) -> dict[str, list[Any]]:
    """Agents and teams a ticket of these jurisdictions may be given to (theirs and their
    ancestors'); the write layer checks each ticket again."""
    places: set[int] = set()
    for jurisdiction in scope:
        places.update(jurisdiction.ancestor_ids())
    agents = (
        get_user_model()
        .objects.filter(Q(agent_of__in=places) | Q(is_superuser=True), is_active=True)
        .distinct()
        .order_by("username")
    )
    return {
        "agents": list(agents),
        "teams": list(Team.objects.filter(jurisdiction_id__in=places).order_by("name")),
    }


def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        _check_agent(request)
    except _LoginRequired:
        return redirect_to_login(request.get_full_path())
    context = _queue_context(request)
    scope_ids = context["scope_ids"]
    now = timezone.now()
    service_types = ServiceType.objects.filter(active=True).order_by("name")
    context.update(
        {
            "kpis": kpis(scope_ids, now=now),
            "chart": chart_svg_data(daily_counts(scope_ids, today=timezone.localdate(now))),
            "chart_days": CHART_DAYS,
            "service_types": service_types,
            "statuses": [(s, Ticket.Status(s).label) for s in QUEUE_STATUSES],
            "feeds": _feeds(request.user, context["scope"]),
            "views": [
                ("mine", _("My tickets")),
                ("team", _("My team's")),
                ("unassigned", _("Unassigned")),
            ],
            **assign_choices(context["scope"]),
        }
    )
    return render(request, "tickets/dashboard.html", context)


def dashboard_queue(request: HttpRequest) -> HttpResponse:
    """The queue alone: the live refresh of the dashboard fetches it."""
    try:
        _check_agent(request)
    except _LoginRequired:
        return redirect_to_login(request.get_full_path())
    response = render(request, "tickets/_queue.html", _queue_context(request))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def dashboard_bulk(request: HttpRequest) -> HttpResponse:
    try:
        _check_agent(request)
    except _LoginRequired:
        return redirect_to_login(reverse("dashboard"))
    back = request.POST.get("next", "")
    if not back.startswith("/dashboard/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        back = reverse("dashboard")
    action = request.POST.get("action", "")
    if action not in ("acknowledge", "close", "assign"):
        messages.error(request, _("Choose to acknowledge, to close or to assign."))
        return HttpResponseRedirect(back, status=303)
    ids = []
    for raw in request.POST.getlist("tickets")[:QUEUE_LIMIT]:
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    if not ids:
        messages.error(request, _("Select at least one ticket."))
        return HttpResponseRedirect(back, status=303)
    actor = actor_from_request(request)
    note = request.POST.get("note", "")
    done, failures = [], []
    assignee, team = assign_target(request.POST.get("assign_to", ""))
    for ticket_id in ids:
        try:
            if action == "assign":
                services.ticket_assign(
                    actor=actor, ticket_id=ticket_id, assignee=assignee, team=team
                )
            else:
                services.ticket_transition(
                    actor=actor, ticket_id=ticket_id, action=action, note=note
                )
        except ServiceError as exc:
            failures.append((ticket_id, exc.message))
        else:
            done.append(ticket_id)
    if done:
        if action == "assign":
            text = ngettext("%(n)s ticket assigned.", "%(n)s tickets assigned.", len(done))
        elif action == "acknowledge":
            text = ngettext("%(n)s ticket acknowledged.", "%(n)s tickets acknowledged.", len(done))
        else:
            text = ngettext("%(n)s ticket closed.", "%(n)s tickets closed.", len(done))
        messages.success(request, text % {"n": len(done)})
    for ticket_id, message in failures:
        messages.error(
            request, _("#%(id)s was not changed: %(reason)s") % {"id": ticket_id, "reason": message}
        )
    return HttpResponseRedirect(back, status=303)


def assign_target(value: str) -> tuple[str | None, str | None]:
    """The assign select's value: "user:<username>", "team:<slug>" or "" (nobody)."""
    kind, _sep, name = value.partition(":")
    if kind == "user" and name:
        return name, None
    if kind == "team" and name:
        return None, name
    return None, None
