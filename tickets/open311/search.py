"""Service requests: reading (search, one request, tokens)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from tickets import jurisdictions, selectors
from tickets.models import Jurisdiction, StatusChange, Ticket
from tickets.open311.params import _jurisdiction, _param, _parse_moment, _positive_int, iso
from tickets.open311.render import Open311Error, open311_view, respond

DEFAULT_WINDOW_DAYS = 90
PAGE_SIZE_DEFAULT = 1000  # the spec's recommended default limit
PAGE_SIZE_MAX = 1000


# --- Service requests: reading ----------------------------------------------------------------


def open311_status(status: str) -> str:
    return "closed" if status == Ticket.Status.CLOSED else "open"


def service_notice(jurisdiction: Jurisdiction) -> str:
    who = jurisdiction.team_name or jurisdiction.name
    how = ", ".join(p for p in (jurisdiction.contact_email, jurisdiction.contact_phone) if p)
    return f"Handled by {who}" + (f" ({how})." if how else ".")


def media_url(request: HttpRequest, ticket: Ticket) -> str | None:
    """The ticket's photo, when it has one (tickets carry no photos yet)."""
    photo = getattr(ticket, "photo", None)
    url = getattr(photo, "url", None) if photo else None
    return request.build_absolute_uri(url) if url else None


def _status_notes(ticket: Ticket) -> str:
    """The latest status note; a merged duplicate says which request it duplicates."""
    note = getattr(ticket, "latest_note", None) or ""
    if ticket.duplicate_of_id is not None and f"#{ticket.duplicate_of_id}" not in note:
        note = f"Duplicate of #{ticket.duplicate_of_id}. {note}".strip()
    return note


def request_payload(request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
    """One service request, public fields only."""
    return {
        "service_request_id": str(ticket.pk),
        "status": open311_status(ticket.status),
        "status_notes": _status_notes(ticket),
        "service_name": ticket.service_type.name,
        "service_code": ticket.service_type.code,
        "description": ticket.description or ticket.title,
        "agency_responsible": ticket.jurisdiction.team_name or ticket.jurisdiction.name,
        "service_notice": service_notice(ticket.jurisdiction),
        "requested_datetime": iso(ticket.created_at),
        "updated_datetime": iso(ticket.updated_at),
        # The due date staff set (or the type's default): when the city expects to be done.
        "expected_datetime": iso(ticket.due_at) if ticket.due_at else None,
        "address": ticket.address,
        "address_id": None,
        "zipcode": None,
        "lat": ticket.lat,
        "long": ticket.long,
        "media_url": media_url(request, ticket),
    }


def _requests_queryset(jurisdiction: Jurisdiction | None) -> QuerySet[Ticket]:
    latest_note = (
        StatusChange.objects.filter(ticket=OuterRef("pk")).order_by("-at", "-id").values("note")
    )
    qs = selectors.public_tickets().annotate(latest_note=Subquery(latest_note[:1]))
    if jurisdiction is not None:
        qs = qs.filter(jurisdiction_id__in=jurisdictions.descendant_ids([jurisdiction.pk]))
    return qs


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _ticket_ids(raw: str) -> list[int]:
    ids = []
    for part in _split(raw):
        if not part.isdigit() or len(part) > 18:
            raise Open311Error(400, f"service_request_id: “{part[:40]}” is not a request id.")
        ids.append(int(part))
    return ids


def _search(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    qs = _requests_queryset(jurisdiction)
    ids_raw = _param(request, "service_request_id")
    page = _positive_int(request, "page", 1, 1_000_000)
    page_size = _positive_int(request, "page_size", PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX)
    if ids_raw:
        # The standard: service_request_id overrides every other search argument.
        qs = qs.filter(pk__in=_ticket_ids(ids_raw)[:PAGE_SIZE_MAX])
    else:
        codes = _split(_param(request, "service_code"))
        if codes:
            qs = qs.filter(service_type__code__in=codes)
        statuses = _split(_param(request, "status").lower())
        if any(s not in ("open", "closed") for s in statuses):
            raise Open311Error(400, "status: must be open or closed.")
        if statuses and set(statuses) != {"open", "closed"}:
            if statuses[0] == "closed":
                qs = qs.filter(status=Ticket.Status.CLOSED)
            else:
                qs = qs.exclude(status=Ticket.Status.CLOSED)
        start = _parse_moment("start_date", _param(request, "start_date"))
        end = _parse_moment("end_date", _param(request, "end_date"))
        if start is None and end is None:
            start = timezone.now() - timedelta(days=DEFAULT_WINDOW_DAYS)
        elif start is None and end is not None:
            start = end - timedelta(days=DEFAULT_WINDOW_DAYS)
        if start is not None and end is not None and start > end:
            raise Open311Error(400, "start_date: must not be after end_date.")
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lte=end)
    qs = qs.order_by("-created_at", "-id")
    offset = (page - 1) * page_size
    tickets = list(qs[offset : offset + page_size])
    payload = [request_payload(request, t) for t in tickets]
    return respond(fmt, payload, root="service_requests", item="request")


@open311_view
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    """GET requests/{service_request_id}: one request, as a list of one."""
    jurisdiction = _jurisdiction(request)
    ticket = None
    if service_request_id.isdigit() and len(service_request_id) <= 18:
        ticket = _requests_queryset(jurisdiction).filter(pk=int(service_request_id)).first()
    if ticket is None:
        raise Open311Error(404, f"service_request_id: no request “{service_request_id[:40]}”.")
    return respond(fmt, [request_payload(request, ticket)], root="service_requests", item="request")


@open311_view
def token_view(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """GET tokens/{token}. Requests are created at once, so POST answers with the
    service_request_id itself; a request's id also works as its token."""
    jurisdiction = _jurisdiction(request)
    ticket = None
    if token.isdigit() and len(token) <= 18:
        ticket = _requests_queryset(jurisdiction).filter(pk=int(token)).first()
    if ticket is None:
        raise Open311Error(404, f"token: no request for token “{token[:40]}”.")
    payload = [{"service_request_id": str(ticket.pk), "token": token}]
    return respond(fmt, payload, root="service_requests", item="request")
