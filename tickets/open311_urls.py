"""Open311 GeoReport v2 routes, mounted at `/open311/v2/`; the format is the extension."""

from django.urls import re_path

from tickets import open311

FMT = r"\.(?P<fmt>json|xml)"

urlpatterns = [
    re_path(rf"^discovery{FMT}$", open311.discovery, name="open311-discovery"),
    re_path(rf"^services{FMT}$", open311.services_list, name="open311-services"),
    re_path(
        rf"^services/(?P<service_code>[-\w]{{1,64}}){FMT}$",
        open311.service_definition,
        name="open311-service",
    ),
    re_path(rf"^requests{FMT}$", open311.requests_view, name="open311-requests"),
    re_path(
        rf"^requests/(?P<service_request_id>[^/]{{1,64}}?){FMT}$",
        open311.request_detail,
        name="open311-request",
    ),
    re_path(rf"^tokens/(?P<token>[^/]{{1,64}}?){FMT}$", open311.token_view, name="open311-token"),
    re_path(rf"^.*?{FMT}$", open311.not_found),
    re_path(r"^.*$", open311.not_found),
]
