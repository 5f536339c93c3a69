"""Discovery and the request types (services) with their attributes."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from tickets import jurisdictions
from tickets.models import Jurisdiction, ServiceQuestion, ServiceType
from tickets.open311.params import _jurisdiction, iso
from tickets.open311.render import Open311Error, open311_view, respond

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


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
        parents = jurisdictions.parent_map()
        ids = set(jurisdictions.ancestor_ids(jurisdiction.pk, parents=parents)) | set(
            jurisdictions.descendant_ids([jurisdiction.pk], parents=parents)
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


def attribute_payload(question: ServiceQuestion) -> dict[str, Any]:
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
