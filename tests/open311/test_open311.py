"""Open311 GeoReport v2, called the way an existing Open311 client calls it: plain GETs and
form-encoded POSTs, answers read as JSON or parsed as XML with ElementTree."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.conftest import BOROUGH_POINT, CITY_POINT, OUTSIDE_POINT, UNIVERSITY_POINT, actor_for
from tickets import services
from tickets.models import Integration, Ticket

pytestmark = pytest.mark.django_db

KEY = "demo-open311-key"
BASE = "/open311/v2"
PRIVATE = {
    "email": "private.person@example.net",
    "first_name": "Privatefirst",
    "last_name": "Privatelast",
    "phone": "+1-555-0199",
}


@pytest.fixture
def client(world: dict[str, Any]) -> Client:
    Integration.ensure(name="Demo Open311 client", raw_key=KEY)
    return Client()


def get_json(client: Client, path: str, expect: int = 200, **params: Any) -> Any:
    answer = client.get(f"{BASE}/{path}.json", params)
    assert answer.status_code == expect, answer.content
    assert answer["Content-Type"].startswith("application/json")
    return json.loads(answer.content.decode("utf-8"))


def get_xml(client: Client, path: str, expect: int = 200, **params: Any) -> ET.Element:
    answer = client.get(f"{BASE}/{path}.xml", params)
    assert answer.status_code == expect, answer.content
    assert answer["Content-Type"].startswith("text/xml")
    assert answer.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(answer.content)


def post(client: Client, fmt: str = "json", **fields: Any) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", fields)


def pothole(**extra: Any) -> dict[str, Any]:
    return {
        "api_key": KEY,
        "service_code": "pothole",
        "lat": str(BOROUGH_POINT["lat"]),
        "long": str(BOROUGH_POINT["long"]),
        "address_string": "120 Harbour St",
        "description": "Huge pothole\nright in front of the bakery.",
        "attribute[depth]": "deep",
        "attribute[lane][]": ["car", "bike"],
        "device_id": "phone-42",
        **PRIVATE,
        **extra,
    }


def assert_no_private(raw: bytes) -> None:
    text = raw.decode("utf-8")
    for value in PRIVATE.values():
        assert value not in text
    assert "Privatefirst" not in text


# --- Discovery and services ------------------------------------------------------------------


def test_discovery_in_both_formats(client: Client) -> None:
    data = get_json(client, "discovery")
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert data["changeset"] and data["contact"]
    root = get_xml(client, "discovery")
    assert root.tag == "discovery"
    formats = [f.text for f in root.findall("./endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]


def test_services_list_in_both_formats(client: Client) -> None:
    data = get_json(client, "services")
    by_code = {s["service_code"]: s for s in data}
    assert {"pothole", "snow", "streetlight", "graffiti", "fallen-tree"} <= set(by_code)
    assert by_code["pothole"]["metadata"] is True
    assert by_code["snow"]["metadata"] is False
    assert by_code["pothole"]["type"] == "realtime"
    assert set(by_code["pothole"]) == {
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
    }  # fmt: skip
    root = get_xml(client, "services")
    assert root.tag == "services"
    services_xml = root.findall("service")
    assert len(services_xml) == len(data)
    first = services_xml[0]
    assert first.findtext("service_code") == data[0]["service_code"]
    assert first.findtext("metadata") in ("true", "false")


def test_services_filtered_by_jurisdiction_and_unknown_jurisdiction(client: Client) -> None:
    old_port = {s["service_code"] for s in get_json(client, "services", jurisdiction_id="old-port")}
    assert "pothole" in old_port  # inherited from the city
    assert "campus-access" not in old_port  # the university's own
    campus = get_json(client, "services", jurisdiction_id="riverton-university")
    assert "campus-access" in {s["service_code"] for s in campus}
    error = get_json(client, "services", expect=404, jurisdiction_id="atlantis")
    assert error[0]["code"] == 404 and "jurisdiction_id" in error[0]["description"]
    root = get_xml(client, "services", expect=404, jurisdiction_id="atlantis")
    assert root.tag == "errors" and root.find("error/code").text == "404"


def test_service_definition_in_both_formats(client: Client) -> None:
    data = get_json(client, "services/pothole")
    assert data["service_code"] == "pothole"
    attributes = {a["code"]: a for a in data["attributes"]}
    depth = attributes["depth"]
    assert depth["variable"] is True and depth["required"] is True
    assert depth["datatype"] == "singlevaluelist"
    assert depth["values"] == [
        {"key": "shallow", "name": "Less than 5 cm"},
        {"key": "deep", "name": "5 cm or more"},
    ]
    assert attributes["lane"]["datatype"] == "multivaluelist"
    assert attributes["width_cm"]["datatype"] == "number"
    assert [a["order"] for a in data["attributes"]] == sorted(
        a["order"] for a in data["attributes"]
    )
    for attribute in data["attributes"]:
        assert set(attribute) == {
            "variable", "code", "datatype", "required", "datatype_description", "order",
            "description", "values",
        }  # fmt: skip
    root = get_xml(client, "services/pothole")
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "pothole"
    xml_depth = root.find("attributes/attribute[code='depth']")
    assert xml_depth is not None
    assert xml_depth.findtext("required") == "true" and xml_depth.findtext("variable") == "true"
    assert [v.findtext("key") for v in xml_depth.findall("values/value")] == ["shallow", "deep"]


def test_unknown_service_is_a_404_error_list(client: Client) -> None:
    error = get_json(client, "services/no-such-thing", expect=404)
    assert error == [{"code": 404, "description": error[0]["description"]}]
    root = get_xml(client, "services/no-such-thing", expect=404)
    assert root.tag == "errors" and root.find("error/description").text


# --- Filing a request --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_with_key_creates_a_request(client: Client, fmt: str) -> None:
    answer = post(client, fmt, **pothole())
    assert answer.status_code == 200, answer.content
    assert_no_private(answer.content)
    if fmt == "json":
        created = json.loads(answer.content)
        assert isinstance(created, list) and len(created) == 1
        request_id = created[0]["service_request_id"]
        assert created[0]["service_notice"]
    else:
        root = ET.fromstring(answer.content)
        assert root.tag == "service_requests"
        request_id = root.findtext("request/service_request_id")
        assert root.findtext("request/service_notice")
    ticket = Ticket.objects.get(pk=int(request_id))
    assert ticket.jurisdiction.slug == "old-port"
    assert ticket.answers == {"depth": "deep", "lane": ["car", "bike"]}
    assert ticket.title == "Huge pothole"
    assert ticket.address == "120 Harbour St"
    # The private fields are kept, privately.
    assert ticket.contact_email == PRIVATE["email"]
    assert ticket.contact_name == "Privatefirst Privatelast"
    assert ticket.contact_phone == PRIVATE["phone"]
    assert ticket.public_reporter == "Anonymous"
    # ...and never come back, in any format, from any read.
    for path in ("requests", f"requests/{request_id}", f"tokens/{request_id}"):
        for read_fmt in ("json", "xml"):
            read = client.get(f"{BASE}/{path}.{read_fmt}")
            assert read.status_code == 200
            assert_no_private(read.content)
    assert_no_private(client.get(f"/api/v1/tickets/{request_id}/").content)
    assert_no_private(client.get("/api/v1/tickets/").content)


@pytest.mark.parametrize("key", [None, "", "wrong-key"])
def test_post_without_a_valid_key_is_403(client: Client, key: str | None) -> None:
    fields = pothole()
    if key is None:
        del fields["api_key"]
    else:
        fields["api_key"] = key
    answer = post(client, **fields)
    assert answer.status_code == 403
    body = json.loads(answer.content)
    assert body[0]["code"] == 403 and "api_key" in body[0]["description"]
    xml_answer = post(client, "xml", **fields)
    assert xml_answer.status_code == 403
    root = ET.fromstring(xml_answer.content)
    assert root.tag == "errors" and root.findtext("error/code") == "403"
    assert not Ticket.objects.exists()


def test_inactive_integration_key_is_refused(client: Client) -> None:
    Integration.objects.update(active=False)
    assert post(client, **pothole()).status_code == 403


def test_post_is_csrf_exempt(world: dict[str, Any]) -> None:
    Integration.ensure(name="Demo Open311 client", raw_key=KEY)
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, **pothole()).status_code == 200


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"attribute[depth]": "bottomless"}, "attribute[depth]"),
        ({"attribute[depth]": ""}, "attribute[depth]"),
        ({"attribute[lane][]": ["car", "boat"]}, "attribute[lane]"),
        ({"attribute[width_cm]": "wide"}, "attribute[width_cm]"),
        ({"attribute[colour]": "red"}, "colour"),
        ({"lat": "", "long": ""}, "lat"),
        ({"lat": "north"}, "lat"),
        ({"lat": "95"}, "lat"),
        ({"lat": str(OUTSIDE_POINT["lat"]), "long": str(OUTSIDE_POINT["long"])}, "lat"),
        ({"service_code": ""}, "service_code"),
        ({"email": "not-an-address"}, "email"),
        ({"description": "x" * 5001}, "description"),
        ({"jurisdiction_id": "riverton-university"}, "not in Riverton University"),
    ],
)
def test_bad_requests_are_400_error_lists(
    client: Client, change: dict[str, Any], fragment: str
) -> None:
    answer = post(client, **pothole(**change))
    assert answer.status_code == 400, answer.content
    body = json.loads(answer.content)
    assert body[0]["code"] == 400 and fragment in body[0]["description"]
    assert not Ticket.objects.exists()


def test_address_alone_is_refused_because_we_route_by_location(client: Client) -> None:
    fields = pothole()
    del fields["lat"], fields["long"]
    answer = post(client, "xml", **fields)
    assert answer.status_code == 400
    root = ET.fromstring(answer.content)
    assert "address_string" in root.findtext("error/description")


def test_unknown_service_code_on_post_is_404(client: Client) -> None:
    answer = post(client, **pothole(service_code="ufo"))
    assert answer.status_code == 404


def test_post_with_jurisdiction_id_inside_it(client: Client) -> None:
    answer = post(client, **pothole(jurisdiction_id="riverton"))
    assert answer.status_code == 200, answer.content
    answer = post(client, **pothole(jurisdiction_id="nowhere"))
    assert answer.status_code == 404


@pytest.mark.usefixtures("rate_window")
def test_integration_is_not_throttled_like_an_anonymous_neighbour(client: Client) -> None:
    """Anonymous people may file 3 tickets per 10 minutes; an integration relays many people,
    each known by its device_id / account_id, none of them by the server's address."""
    for n in range(8):
        answer = post(client, **pothole(device_id=f"phone-{n}", description=f"Hole {n}"))
        assert answer.status_code == 200, answer.content
    # One person through the integration has the integration tier's own limit.
    limit = settings.FIXLINE["RATE_LIMITS"]["integration"]["ticket"][0]
    codes = [post(client, **pothole(device_id="same")).status_code for _ in range(limit + 1)]
    assert codes[:limit] == [200] * limit and codes[-1] == 429


# --- Reading requests --------------------------------------------------------------------------


@pytest.fixture
def tickets(world: dict[str, Any], make_ticket: Any) -> dict[str, Ticket]:
    agent = actor_for(world["agent"])
    opened = make_ticket(title="Open one")
    acked = make_ticket(title="Acknowledged one", service_code="streetlight", **CITY_POINT)
    services.ticket_transition(actor=agent, ticket_id=acked.pk, action="acknowledge", note="Crew")
    closed = make_ticket(title="Closed one", service_code="graffiti", **CITY_POINT)
    services.ticket_transition(
        actor=agent, ticket_id=closed.pk, action="close", note="Painted over."
    )
    campus = make_ticket(title="Campus one", service_code="campus-access", **UNIVERSITY_POINT)
    return {"open": opened, "acked": acked, "closed": closed, "campus": campus}


def test_requests_list_and_status_mapping(client: Client, tickets: dict[str, Ticket]) -> None:
    data = get_json(client, "requests")
    by_id = {r["service_request_id"]: r for r in data}
    assert by_id[str(tickets["open"].pk)]["status"] == "open"
    assert by_id[str(tickets["acked"].pk)]["status"] == "open"
    closed = by_id[str(tickets["closed"].pk)]
    assert closed["status"] == "closed" and closed["status_notes"] == "Painted over."
    expected = {
        "service_request_id", "status", "status_notes", "service_name", "service_code",
        "description", "agency_responsible", "service_notice", "requested_datetime",
        "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
        "long", "media_url",
    }  # fmt: skip
    assert set(closed) == expected
    assert closed["agency_responsible"] == "Riverton 311"
    assert closed["service_notice"].startswith("Handled by Riverton 311")
    assert closed["requested_datetime"].endswith("+00:00")
    assert closed["media_url"] is None  # no photo
    only_open = get_json(client, "requests", status="open")
    assert {r["status"] for r in only_open} == {"open"} and len(only_open) == 3
    only_closed = get_json(client, "requests", status="closed")
    assert [r["service_request_id"] for r in only_closed] == [str(tickets["closed"].pk)]
    assert len(get_json(client, "requests", status="open,closed")) == 4
    assert get_json(client, "requests", expect=400, **{"status": "pending"})[0]["code"] == 400


def test_requests_xml_roots_and_elements(client: Client, tickets: dict[str, Ticket]) -> None:
    root = get_xml(client, "requests")
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == 4
    one = root.find(f"request[service_request_id='{tickets['acked'].pk}']")
    assert one is not None
    assert one.findtext("status") == "open"
    assert one.findtext("service_code") == "streetlight"
    assert float(one.findtext("lat")) == pytest.approx(CITY_POINT["lat"])
    assert one.find("expected_datetime") is not None and one.findtext("media_url") == ""


def test_single_request_is_an_array_in_both_formats(
    client: Client, tickets: dict[str, Ticket]
) -> None:
    pk = tickets["closed"].pk
    data = get_json(client, f"requests/{pk}")
    assert isinstance(data, list) and len(data) == 1 and data[0]["status"] == "closed"
    root = get_xml(client, f"requests/{pk}")
    assert root.tag == "service_requests" and len(root.findall("request")) == 1


@pytest.mark.parametrize("request_id", ["999999", "abc", "1e3"])
def test_unknown_request_is_404_in_the_spec_format(
    client: Client, tickets: dict[str, Ticket], request_id: str
) -> None:
    data = get_json(client, f"requests/{request_id}", expect=404)
    assert data[0]["code"] == 404 and data[0]["description"]
    root = get_xml(client, f"requests/{request_id}", expect=404)
    assert root.tag == "errors" and root.findtext("error/code") == "404"


def test_search_by_ids_and_service_code(client: Client, tickets: dict[str, Ticket]) -> None:
    ids = f"{tickets['open'].pk},{tickets['closed'].pk}"
    found = get_json(client, "requests", service_request_id=ids)
    assert {r["service_request_id"] for r in found} == set(ids.split(","))
    # service_request_id overrides the other arguments.
    found = get_json(client, "requests", service_request_id=ids, status="open")
    assert len(found) == 2
    codes = get_json(client, "requests", service_code="graffiti,streetlight")
    assert {r["service_code"] for r in codes} == {"graffiti", "streetlight"}
    assert get_json(client, "requests", expect=400, service_request_id="1,x")[0]["code"] == 400


def test_jurisdiction_filter_includes_descendants(
    client: Client, tickets: dict[str, Ticket]
) -> None:
    city = get_json(client, "requests", jurisdiction_id="riverton")
    assert len(city) == 4
    borough = get_json(client, "requests", jurisdiction_id="old-port")
    assert [r["service_request_id"] for r in borough] == [str(tickets["open"].pk)]
    campus = get_json(client, "requests", jurisdiction_id="riverton-university")
    assert [r["service_request_id"] for r in campus] == [str(tickets["campus"].pk)]
    get_json(client, f"requests/{tickets['campus'].pk}", jurisdiction_id="riverton")
    get_json(client, f"requests/{tickets['campus'].pk}", expect=404, jurisdiction_id="old-port")
    get_json(client, "requests", expect=404, jurisdiction_id="atlantis")
    get_json(client, f"tokens/{tickets['open'].pk}", expect=404, jurisdiction_id="atlantis")


def test_date_window_defaults_to_90_days(client: Client, tickets: dict[str, Ticket]) -> None:
    old = tickets["open"]
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=120))
    recent = {r["service_request_id"] for r in get_json(client, "requests")}
    assert str(old.pk) not in recent and len(recent) == 3
    since = (timezone.now() - timedelta(days=200)).isoformat()
    everything = get_json(client, "requests", start_date=since)
    assert str(old.pk) in {r["service_request_id"] for r in everything}
    until = (timezone.now() - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = get_json(client, "requests", end_date=until)
    assert [r["service_request_id"] for r in before] == [str(old.pk)]
    assert get_json(client, "requests", expect=400, start_date="yesterday")[0]["code"] == 400
    later = timezone.now().isoformat()
    get_json(client, "requests", expect=400, start_date=later, end_date=since)


def test_page_and_page_size(client: Client, tickets: dict[str, Ticket]) -> None:
    all_ids = [r["service_request_id"] for r in get_json(client, "requests")]
    first = get_json(client, "requests", page_size="3")
    second = get_json(client, "requests", page_size="3", page="2")
    assert [r["service_request_id"] for r in first + second] == all_ids
    assert len(first) == 3 and len(second) == 1
    assert get_json(client, "requests", page_size="3", page="3") == []
    get_json(client, "requests", expect=400, page_size="0")
    get_json(client, "requests", expect=400, page_size="5000")
    get_json(client, "requests", expect=400, page="-1")


def test_tokens_return_the_request_id(client: Client) -> None:
    created = json.loads(post(client, **pothole()).content)[0]
    request_id = created["service_request_id"]
    data = get_json(client, f"tokens/{request_id}")
    assert data == [{"service_request_id": request_id, "token": request_id}]
    root = get_xml(client, f"tokens/{request_id}")
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == request_id
    assert root.findtext("request/token") == request_id
    get_json(client, "tokens/nope", expect=404)


def test_no_anonymous_cookie_and_no_html_errors(client: Client) -> None:
    answer = client.get(f"{BASE}/services.json")
    assert settings.FIXLINE["ANON_COOKIE_NAME"] not in answer.cookies
    answer = client.get(f"{BASE}/whatever.json")
    assert answer.status_code == 404 and json.loads(answer.content)[0]["code"] == 404
    answer = client.get(f"{BASE}/services.yaml")
    assert answer.status_code == 404


def test_control_characters_never_break_the_xml(client: Client, make_ticket: Any) -> None:
    make_ticket(title="Bell \x07 in the title", description="Tab\tand bell\x07 <b>&amp;</b>")
    root = get_xml(client, "requests")
    assert root.findtext("request/description") == "Tab\tand bell <b>&amp;</b>"
