"""Service requests: filing (POST requests, api_key required)."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from tickets import config, jurisdictions, ratelimit, services
from tickets.identity import Actor
from tickets.models import Integration, ServiceType
from tickets.open311.discovery import _service_types
from tickets.open311.params import _jurisdiction, _param
from tickets.open311.render import Open311Error, open311_view, respond
from tickets.open311.search import _search, service_notice

EMAIL_MAX = 254
NAME_MAX = 160
PHONE_MAX = 40
ID_MAX = 120
TITLE_FROM_DESCRIPTION = 80
# An integration relays many people; across all of them it may file this many per hour.
INTEGRATION_TICKETS_PER_HOUR = 600


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


def _point(request: HttpRequest) -> tuple[float, float]:
    """`lat` and `long`, both required, as numbers within their bounds."""
    lat, long = _param(request, "lat"), _param(request, "long")
    if not lat or not long:
        raise Open311Error(
            400,
            "lat, long: required. Requests are routed to the jurisdiction whose area holds the "
            "point; address_string and address_id alone are not geocoded here.",
        )
    numbers = []
    for name, raw, bound in (("lat", lat, 90), ("long", long, 180)):
        try:
            number = float(raw)
        except ValueError:
            raise Open311Error(400, f"{name}: must be a number.") from None
        if not math.isfinite(number) or abs(number) > bound:
            raise Open311Error(400, f"{name}: must be between -{bound} and {bound}.")
        numbers.append(number)
    return numbers[0], numbers[1]


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
    lat, long = _point(request)
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
        routed = services.route(lat=lat, long=long)
        if routed.pk not in jurisdictions.descendant_ids([jurisdiction.pk]):
            raise Open311Error(
                400, f"lat, long: this point is in {routed.name}, not in {jurisdiction.name}."
            )
    actor = integration_actor(integration, request)
    ratelimit.hit(
        scope="open311:ticket",
        key=str(integration.pk),
        limit=config.setting_int("OPEN311_TICKETS_PER_HOUR", INTEGRATION_TICKETS_PER_HOUR),
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
