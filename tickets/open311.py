"""Open311 GeoReport v2 at `/open311/v2/`, as the standard writes it, in JSON and XML.

Thin views over `tickets.services` (the only write layer) and plain read queries. Every answer
is built from public fields only: the contact details a POST carries (`email`, `first_name`,
`last_name`, `phone`) are stored privately on the ticket and never returned. See docs/open311.md.
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from tickets import ratelimit, selectors, services
from tickets.errors import RateLimited, ServiceError
from tickets.filters import _jurisdiction_and_descendants
from tickets.identity import Actor
from tickets.models import Integration, Jurisdiction, ServiceType, StatusChange, Ticket

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_WINDOW_DAYS = 90
PAGE_SIZE_DEFAULT = 1000  # the spec's recommended default limit
PAGE_SIZE_MAX = 1000
EMAIL_MAX = 254
NAME_MAX = 160
PHONE_MAX = 40
ID_MAX = 120
TITLE_FROM_DESCRIPTION = 80
# An integration relays many people; across all of them it may file this many per hour.
INTEGRATION_TICKETS_PER_HOUR = 600

# Lists in XML: the element name of each item, by the name of the list.
XML_ITEM_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- Answers: JSON or XML --------------------------------------------------------------------


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _xml_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_FORBIDDEN.sub("", str(value))


def _xml_fill(element: ET.Element, value: Any, tag: str) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _xml_fill(ET.SubElement(element, key), child, key)
    elif isinstance(value, list):
        item_tag = XML_ITEM_TAGS.get(tag, "item")
        for child in value:
            _xml_fill(ET.SubElement(element, item_tag), child, item_tag)
    else:
        element.text = _xml_text(value)


def to_xml(root: str, item: str | None, payload: Any) -> bytes:
    """`payload` under `<root>`: a list becomes one `<item>` per entry, a dict its children."""
    element = ET.Element(root)
    if item is not None:
        for entry in payload:
            _xml_fill(ET.SubElement(element, item), entry, item)
    else:
        _xml_fill(element, payload, root)
    # The standard asks for this exact declaration (encoding="UTF-8") before the root.
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode("utf-8")


def respond(
    fmt: str, payload: Any, *, root: str, item: str | None = None, status: int = 200
) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(
            to_xml(root, item, payload), status=status, content_type="text/xml; charset=utf-8"
        )
    return JsonResponse(
        payload,
        status=status,
        safe=False,
        json_dumps_params={"ensure_ascii": False},
        content_type="application/json; charset=utf-8",
    )


def errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    payload = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt, payload, root="errors", item="error", status=status)


def open311_view(view: Any) -> Any:
    """Turn our errors and the write layer's into the standard's error list."""

    def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, fmt, **kwargs)
        except Open311Error as exc:
            return errors(fmt, exc.status, exc.description)
        except RateLimited as exc:
            response = errors(fmt, 429, exc.message)
            response["Retry-After"] = str(exc.retry_after)
            return response
        except ServiceError as exc:
            status = exc.status if exc.status in (400, 403, 404) else 400
            return errors(fmt, status, _describe(exc))

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _describe(exc: ServiceError) -> str:
    field = exc.field or ""
    if field.startswith("answers."):
        field = f"attribute[{field.removeprefix('answers.')}]"
    elif field == "answers":
        field = "attribute"
    elif field == "address":
        field = "address_string"
    elif field == "title":
        field = "description"
    return f"{field}: {exc.message}" if field else exc.message


# --- Shared reading ---------------------------------------------------------------------------


def _param(request: HttpRequest, name: str) -> str:
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name, "")
    return value.replace("\x00", "").strip()


def _jurisdiction(request: HttpRequest) -> Jurisdiction | None:
    slug = _param(request, "jurisdiction_id")
    if not slug:
        return None
    found = Jurisdiction.objects.filter(slug=slug[:80]).first()
    if found is None:
        raise Open311Error(404, f"jurisdiction_id: unknown jurisdiction “{slug[:80]}”.")
    return found


def iso(moment: datetime | None) -> str | None:
    """W3C / ISO 8601 with the offset, as the standard writes dates."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse_moment(name: str, raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        moment = parse_datetime(raw.replace(" ", "+"))  # a "+" in a query string became " "
        if moment is None:
            day = parse_date(raw)
            if day is not None:
                moment = datetime(day.year, day.month, day.day)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(
            400, f"{name}: not a date and time (ISO 8601, e.g. 2026-01-31T08:00:00Z)."
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def _positive_int(request: HttpRequest, name: str, default: int, maximum: int) -> int:
    raw = _param(request, name)
    if not raw:
        return default
    try:
        number = int(raw)
    except ValueError:
        raise Open311Error(400, f"{name}: must be a whole number.") from None
    if not 1 <= number <= maximum:
        raise Open311Error(400, f"{name}: must be between 1 and {maximum}.")
    return number


# --- Discovery and services -------------------------------------------------------------------


def _root_jurisdiction() -> Jurisdiction | None:
    return Jurisdiction.objects.filter(parent__isnull=True).order_by("id").first()


@open311_view
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """Where the endpoint is and which formats it speaks."""
    _jurisdiction(request)
    root = _root_jurisdiction()
    contact = ""
    if root is not None:
        contact = ", ".join(p for p in (root.team_name, root.contact_email, root.contact_url) if p)
    latest = (
        ServiceType.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    )
    changeset = iso(latest) or iso(timezone.now())
    payload = {
        "changeset": changeset,
        "contact": contact,
        "key_service": "API keys are issued per integration by the city's administrators "
        f"({root.contact_email if root and root.contact_email else 'ask the city'}).",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2/").rstrip("/"),
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, payload, root="discovery")


def _service_types(jurisdiction: Jurisdiction | None) -> QuerySet[ServiceType]:
    qs = ServiceType.objects.filter(active=True).select_related("jurisdiction")
    if jurisdiction is not None:
        # Offered there: defined for it or an ancestor (inherited), or for a place inside it.
        ids = set(jurisdiction.ancestor_ids()) | set(
            _jurisdiction_and_descendants(jurisdiction.slug)
        )
        qs = qs.filter(jurisdiction_id__in=ids)
    return qs.order_by("group", "name", "code")


def service_payload(service: ServiceType, *, metadata: bool) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": metadata,
        "type": "realtime",
        "keywords": ", ".join(k for k in re.split(r"[\s,]+", service.keywords) if k),
        "group": service.group,
    }


@open311_view
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET services: every active request type (in `jurisdiction_id` when given)."""
    jurisdiction = _jurisdiction(request)
    types = list(_service_types(jurisdiction))
    with_questions = set(
        ServiceType.objects.filter(pk__in=[t.pk for t in types], questions__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    payload = [service_payload(t, metadata=t.pk in with_questions) for t in types]
    return respond(fmt, payload, root="services", item="service")


def attribute_payload(question: Any) -> dict[str, Any]:
    lists = question.datatype in ("singlevaluelist", "multivaluelist")
    return {
        "variable": True,
        "code": question.code,
        "datatype": question.datatype,
        "required": question.required,
        "datatype_description": question.get_datatype_display() if not lists else "",
        "order": question.order,
        "description": question.description,
        "values": [
            {"key": str(v.get("key")), "name": str(v.get("name", v.get("key")))}
            for v in (question.values or [])
            if isinstance(v, dict)
        ]
        if lists
        else [],
    }


@open311_view
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    """GET services/{service_code}: the custom questions (attributes) of one request type."""
    jurisdiction = _jurisdiction(request)
    service = _service_types(jurisdiction).filter(code=service_code).first()
    if service is None:
        raise Open311Error(404, f"service_code: unknown service “{service_code[:80]}”.")
    payload = {
        "service_code": service.code,
        "attributes": [attribute_payload(q) for q in service.questions.all()],
    }
    return respond(fmt, payload, root="service_definition")


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


def request_payload(request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
    """One service request, public fields only."""
    return {
        "service_request_id": str(ticket.pk),
        "status": open311_status(ticket.status),
        "status_notes": getattr(ticket, "latest_note", None) or "",
        "service_name": ticket.service_type.name,
        "service_code": ticket.service_type.code,
        "description": ticket.description or ticket.title,
        "agency_responsible": ticket.jurisdiction.team_name or ticket.jurisdiction.name,
        "service_notice": service_notice(ticket.jurisdiction),
        "requested_datetime": iso(ticket.created_at),
        "updated_datetime": iso(ticket.updated_at),
        "expected_datetime": None,
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
    qs = selectors.ticket_list().annotate(latest_note=Subquery(latest_note[:1]))
    if jurisdiction is not None:
        qs = qs.filter(jurisdiction_id__in=_jurisdiction_and_descendants(jurisdiction.slug))
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


# --- Service requests: filing -----------------------------------------------------------------


@dataclass
class IntegrationActor(Actor):
    """A person reported through an Open311 integration. Known by the integration and the
    client's own account_id / device_id / e-mail, never by the integration server's network
    address (shared by everyone it relays). Throttled on the `integration` tier."""

    rate_tier: str = "integration"


def integration_actor(integration: Integration, request: HttpRequest) -> IntegrationActor:
    person = (
        _param(request, "account_id")
        or _param(request, "device_id")
        or _param(request, "email").lower()
        or "integration"
    )
    digest = hashlib.sha256(person.encode()).hexdigest()[:24]
    return IntegrationActor(user=None, anon_token=f"open311-{integration.pk}-{digest}", ip="")


def _attributes(request: HttpRequest) -> dict[str, Any]:
    """attribute[code]=value, and attribute[code][]=value for several choices."""
    answers: dict[str, Any] = {}
    pattern = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
    for key in request.POST:
        match = pattern.match(key)
        if match is None:
            if key.startswith("attribute"):
                raise Open311Error(400, f"{key[:80]}: write attributes as attribute[code].")
            continue
        code, multiple = match.group(1), match.group(2)
        values = [v.replace("\x00", "") for v in request.POST.getlist(key)]
        if multiple or len(values) > 1:
            answers[code] = [*answers.get(code, []), *values]
        else:
            answers[code] = values[0]
    return answers


def _private(request: HttpRequest, name: str, maximum: int) -> str:
    value = _param(request, name)
    if len(value) > maximum:
        raise Open311Error(400, f"{name}: at most {maximum} characters.")
    return value


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    key = _param(request, "api_key")
    integration = Integration.for_key(key) if key else None
    if integration is None:
        raise Open311Error(403, "api_key: missing or not valid." if key else "api_key: required.")
    jurisdiction = _jurisdiction(request)
    service_code = _param(request, "service_code")
    if not service_code:
        raise Open311Error(400, "service_code: required.")
    if not _service_types(jurisdiction).filter(code=service_code).exists():
        raise Open311Error(404, f"service_code: unknown service “{service_code[:80]}”.")
    lat, long = _param(request, "lat"), _param(request, "long")
    if not lat or not long:
        raise Open311Error(
            400,
            "lat, long: required. Requests are routed to the jurisdiction whose area holds the "
            "point; address_string and address_id alone are not geocoded here.",
        )
    for name, raw, bound in (("lat", lat, 90), ("long", long, 180)):
        try:
            number = float(raw)
        except ValueError:
            raise Open311Error(400, f"{name}: must be a number.") from None
        if not math.isfinite(number) or abs(number) > bound:
            raise Open311Error(400, f"{name}: must be between -{bound} and {bound}.")
    email = _private(request, "email", EMAIL_MAX)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, "email: not a valid e-mail address.") from None
    name = " ".join(
        p for p in (_private(request, "first_name", 80), _private(request, "last_name", 80)) if p
    )
    phone = _private(request, "phone", PHONE_MAX)
    for optional in ("device_id", "account_id", "address_id"):
        _private(request, optional, ID_MAX)
    description = _param(request, "description")
    service = ServiceType.objects.get(code=service_code)
    first_line = description.splitlines()[0].strip() if description else ""
    title = first_line or service.name
    if len(title) > TITLE_FROM_DESCRIPTION:
        title = title[: TITLE_FROM_DESCRIPTION - 1].rstrip() + "…"

    if jurisdiction is not None:
        routed = services.route(lat=float(lat), long=float(long))
        if routed.pk not in _jurisdiction_and_descendants(jurisdiction.slug):
            raise Open311Error(
                400, f"lat, long: this point is in {routed.name}, not in {jurisdiction.name}."
            )
    actor = integration_actor(integration, request)
    ratelimit.hit(
        scope="open311:ticket",
        key=str(integration.pk),
        limit=settings.FIXLINE.get("OPEN311_TICKETS_PER_HOUR", INTEGRATION_TICKETS_PER_HOUR),
        window=3600,
    )
    ticket = services.ticket_create(
        actor=actor,
        title=title,
        description=description,
        service_code=service_code,
        lat=lat,
        long=long,
        address=_param(request, "address_string"),
        answers=_attributes(request),
        contact_email=email,
        contact_name=name[:NAME_MAX],
        contact_phone=phone,
        anonymous=True,
    )
    payload = [
        {
            "service_request_id": str(ticket.pk),
            "service_notice": service_notice(ticket.jurisdiction),
            "account_id": _param(request, "account_id") or None,
        }
    ]
    return respond(fmt, payload, root="service_requests", item="request")


@csrf_exempt
@open311_view
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET requests: search. POST requests: file one (api_key required)."""
    if request.method == "POST":
        return _create(request, fmt)
    if request.method not in ("GET", "HEAD"):
        raise Open311Error(405, "Use GET to search or POST to file a request.")
    return _search(request, fmt)


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


def not_found(request: HttpRequest, fmt: str = "json", **kwargs: Any) -> HttpResponse:
    return errors(fmt, 404, "No such Open311 resource: see discovery.")
