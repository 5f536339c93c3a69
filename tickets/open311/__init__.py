"""Open311 GeoReport v2 at `/open311/v2/`, as the standard writes it, in JSON and XML.

Thin views over `tickets.services` (the only write layer) and plain read queries. Every answer
is built from public fields only: the contact details a POST carries (`email`, `first_name`,
`last_name`, `phone`) are stored privately on the ticket and never returned. See docs/open311.md.
The routes are in `tickets/open311_urls.py`.
"""

from tickets.open311.discovery import (
    SPECIFICATION,
    attribute_payload,
    discovery,
    service_definition,
    service_payload,
    services_list,
)
from tickets.open311.filing import IntegrationActor, integration_actor, requests_view
from tickets.open311.params import iso
from tickets.open311.render import Open311Error, errors, not_found, open311_view, respond, to_xml
from tickets.open311.search import (
    media_url,
    open311_status,
    request_detail,
    request_payload,
    service_notice,
    token_view,
)

__all__ = [
    "SPECIFICATION",
    "IntegrationActor",
    "Open311Error",
    "attribute_payload",
    "discovery",
    "errors",
    "integration_actor",
    "iso",
    "media_url",
    "not_found",
    "open311_status",
    "open311_view",
    "request_detail",
    "request_payload",
    "requests_view",
    "respond",
    "service_definition",
    "service_notice",
    "service_payload",
    "services_list",
    "to_xml",
    "token_view",
]
