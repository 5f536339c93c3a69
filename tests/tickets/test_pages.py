"""The server-rendered pages: home, ticket page, report form, POST handlers and accounts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.templatetags.static import static
from django.test import Client

from realtime import counters
from tests.conftest import BOROUGH_POINT, CITY_POINT, OUTSIDE_POINT, actor_for
from tickets import services
from tickets.models import Comment, Identity, Ticket

pytestmark = pytest.mark.django_db

TICKET_HOOKS = [
    "ticket-status",
    "view-count",
    "follower-count",
    "watching-count",
    "vote-count",
    "thanks-count",
    "comment-list",
    "comment-form",
    "live-state",
    "map",
]


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, url: str, **params: Any) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def ticket_url(ticket: Ticket) -> str:
    return f"/tickets/{ticket.pk}/"


# --- Home -------------------------------------------------------------------------------------


def test_home_lists_tickets_with_map_and_filter_form(world: Any, make_ticket: Any) -> None:
    make_ticket(title="Pothole on Harbour Street")
    make_ticket(title="Ice on Maple Avenue", **CITY_POINT)
    html = page(Client(), "/")
    assert "Pothole on Harbour Street" in html
    assert "Ice on Maple Avenue" in html
    assert 'data-testid="map"' in html
    assert 'name="status"' in html and 'name="q"' in html
    assert 'name="service_code"' in html and 'name="jurisdiction"' in html
    assert 'name="updated_since"' in html
    assert html.count("<circle") >= 2  # one dot per listed ticket


def test_home_filters_by_status(world: Any, make_ticket: Any) -> None:
    make_ticket(title="Still open here")
    closed = make_ticket(title="Already fixed there")
    services.ticket_transition(actor=actor_for(world["agent"]), ticket_id=closed.pk, action="close")
    html = page(Client(), "/", status="closed")
    assert "Already fixed there" in html
    assert "Still open here" not in html


def test_home_filters_by_type(world: Any, make_ticket: Any) -> None:
    make_ticket(title="Snow everywhere", service_code="snow")
    make_ticket(title="Tags on a wall", service_code="graffiti")
    html = page(Client(), "/", service_code="graffiti")
    assert "Tags on a wall" in html
    assert "Snow everywhere" not in html


def test_home_filters_by_jurisdiction_including_descendants(world: Any, make_ticket: Any) -> None:
    make_ticket(title="In the old port", **BOROUGH_POINT)
    make_ticket(title="Elsewhere in the city", **CITY_POINT)
    html = page(Client(), "/", jurisdiction="old-port")
    assert "In the old port" in html
    assert "Elsewhere in the city" not in html
    html = page(Client(), "/", jurisdiction="riverton")
    assert "In the old port" in html and "Elsewhere in the city" in html


def test_home_filters_by_text(world: Any, make_ticket: Any) -> None:
    make_ticket(title="Broken bench", description="The bench by the fountain")
    make_ticket(title="Snowbank at the corner")
    html = page(Client(), "/", q="fountain")
    assert "Broken bench" in html
    assert "Snowbank at the corner" not in html


def test_home_bad_filter_input_shows_errors_not_500(world: Any, make_ticket: Any) -> None:
    make_ticket(title="Visible despite bad filters")
    for params in (
        {"status": "melted"},
        {"updated_since": "yesterday-ish"},
        {"service_code": "no-such-type"},
        {"bbox": "1,2,3"},
        {"page": "lots"},
        {"q": "x" * 500},
        {"q": "nul\x00byte"},
    ):
        response = Client().get("/", params)
        assert response.status_code == 200, params
        html = response.content.decode()
        if "page" not in params and "nul" not in params.get("q", ""):
            assert "field-error" in html or "form-errors" in html, params


def test_home_paginates_by_25(world: Any, make_ticket: Any) -> None:
    from django.utils import timezone

    base = make_ticket(title="Template ticket")
    # Created through the write layer once, then bulk-copied: the page only reads them.
    Ticket.objects.bulk_create(
        [
            Ticket(
                title=f"Copy {i}",
                service_type=base.service_type,
                jurisdiction=base.jurisdiction,
                lat=base.lat,
                long=base.long,
                reporter=base.reporter,
                created_at=timezone.now(),
                updated_at=timezone.now(),
            )
            for i in range(30)
        ]
    )
    first = page(Client(), "/")
    assert first.count('data-testid="ticket-row"') == 25
    assert 'rel="next"' in first
    second = page(Client(), "/", page=2)
    assert second.count('data-testid="ticket-row"') == 6


# --- Ticket page ------------------------------------------------------------------------------


def test_ticket_page_has_every_test_hook(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    services.comment_create(actor=actor_for(world["citizen"]), ticket_id=ticket.pk, body="Hi")
    html = page(Client(), ticket_url(ticket))
    for hook in TICKET_HOOKS:
        assert f'data-testid="{hook}"' in html, hook
    assert 'data-testid="comment"' in html
    assert f'data-ticket-id="{ticket.pk}"' in html
    assert 'id="ticket"' in html and "data-seq=" in html
    assert 'data-state="offline"' in html
    assert 'aria-live="polite"' in html
    assert re.search(r'<textarea[^>]*name="body"', html)
    assert static("js/ticket-live.js") in html  # hashed once `make run` collected static
    assert 'data-testid="watching-count" data-counter="watching">0<' in html


def test_ticket_page_unknown_id_is_404(world: Any) -> None:
    assert Client().get("/tickets/999999/").status_code == 404
    assert Client().post("/tickets/999999/comment/", {"body": "x"}).status_code == 404


def test_ticket_page_shows_details_jurisdiction_and_official_badge(
    world: Any, make_ticket: Any
) -> None:
    ticket = make_ticket(
        address="120 Harbour St", service_code="pothole", answers={"depth": "deep"}
    )
    services.comment_create(
        actor=actor_for(world["borough-agent"]), ticket_id=ticket.pk, body="Crew on the way."
    )
    html = page(Client(), ticket_url(ticket))
    assert "Old Port Borough" in html and "Old Port public works" in html
    assert "oldport@riverton.example.org" in html
    assert "120 Harbour St" in html
    assert "5 cm or more" in html  # the public answer, by its name
    assert "Olive" in html  # public reporter
    assert 'data-testid="official-badge"' in html


def test_private_answers_only_for_agents(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket(service_code="pothole", answers={"depth": "deep", "callback": "after 6pm"})
    assert "after 6pm" not in page(Client(), ticket_url(ticket))
    assert "after 6pm" in page(logged_in(world["borough-agent"]), ticket_url(ticket))


def test_comment_body_is_escaped_with_nofollow_link(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    services.comment_create(
        actor=actor_for(world["citizen"]),
        ticket_id=ticket.pk,
        body="<script>alert(1)</script> see https://example.org",
    )
    html = page(Client(), ticket_url(ticket))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.search(r'<a href="https://example.org"[^>]*rel="nofollow"', html)


def test_held_comment_is_marked_for_its_author_only(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    comment = services.comment_create(
        actor=actor_for(world["citizen"]), ticket_id=ticket.pk, body="Wait for me"
    )
    services.comment_set_visibility(comment_id=comment.pk, visibility=Comment.Visibility.HELD)
    assert "Wait for me" not in page(Client(), ticket_url(ticket))
    html = page(logged_in(world["citizen"]), ticket_url(ticket))
    assert "Wait for me" in html and "Awaiting review" in html
    html = page(logged_in(world["volunteer"]), ticket_url(ticket))
    assert "Wait for me" in html and "Awaiting review" in html


def test_ticket_page_view_creates_no_identity(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    before = Identity.objects.count()
    page(Client(), ticket_url(ticket))
    assert Identity.objects.count() == before


def test_view_count_increments_once_per_cookie_identity(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    client = Client()
    for _ in range(3):
        page(client, ticket_url(ticket))
    counters.flush(interval=0)
    ticket.refresh_from_db()
    assert ticket.views == 1


def test_view_count_increments_for_each_fresh_client(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    page(Client(), ticket_url(ticket))
    page(Client(), ticket_url(ticket))
    counters.flush(interval=0)
    ticket.refresh_from_db()
    assert ticket.views == 2


# --- Comments, reactions ------------------------------------------------------------------


def test_anonymous_visitor_can_comment(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    client = Client()
    page(client, ticket_url(ticket))  # gets the identity cookie
    response = client.post(f"/tickets/{ticket.pk}/comment/", {"body": "Seen it too"})
    assert response.status_code == 303
    comment = Comment.objects.get(ticket=ticket, body="Seen it too")
    assert response["Location"].endswith(f"/tickets/{ticket.pk}/#comment-{comment.pk}")
    html = page(client, ticket_url(ticket))
    assert f'data-comment-id="{comment.pk}"' in html
    assert "Your comment is posted." in html


def test_empty_comment_is_a_message_not_a_500(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    client = Client()
    response = client.post(f"/tickets/{ticket.pk}/comment/", {"body": "   "}, follow=True)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_comment_without_csrf_token_is_refused(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    client = Client(enforce_csrf_checks=True)
    client.get(ticket_url(ticket))
    response = client.post(f"/tickets/{ticket.pk}/comment/", {"body": "forged"})
    assert response.status_code == 403
    assert not Comment.objects.filter(body="forged").exists()


def test_comment_with_csrf_token_is_accepted(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    client = Client(enforce_csrf_checks=True)
    html = page(client, ticket_url(ticket))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = client.post(
        f"/tickets/{ticket.pk}/comment/", {"body": "genuine", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 303
    assert Comment.objects.filter(body="genuine").exists()


def test_comment_rate_limit_shows_message(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    client = Client()
    page(client, ticket_url(ticket))
    for i in range(5):
        client.post(f"/tickets/{ticket.pk}/comment/", {"body": f"comment {i}"})
    response = client.post(f"/tickets/{ticket.pk}/comment/", {"body": "one too many"}, follow=True)
    assert response.status_code == 200
    assert "Try again in" in response.content.decode()
    assert not Comment.objects.filter(body="one too many").exists()


def test_follow_vote_thanks_and_unfollow(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    client = logged_in(world["citizen"])
    url = f"/tickets/{ticket.pk}/react/"
    for kind in ("follow", "vote", "thanks", "vote"):
        assert client.post(url, {"kind": kind}).status_code == 303
    ticket.refresh_from_db()
    assert (ticket.followers, ticket.votes, ticket.thanks) == (2, 1, 1)
    html = page(client, ticket_url(ticket))
    assert 'data-testid="unfollow-button"' in html
    assert client.post(url, {"kind": "unfollow"}).status_code == 303
    ticket.refresh_from_db()
    assert ticket.followers == 1
    response = client.post(url, {"kind": "explode"}, follow=True)
    assert response.status_code == 200 and "Unknown action." in response.content.decode()


def test_what_a_button_did_is_said_in_the_visitors_language(world: Any, make_ticket: Any) -> None:
    """The message after following, voting, thanking or a status change is in the language of
    the page it comes back to (they were English on French pages: built once, at import)."""
    ticket = make_ticket()
    citizen, agent = logged_in(world["citizen"]), logged_in(world["agent"])
    react, transition = f"/tickets/{ticket.pk}/react/", f"/tickets/{ticket.pk}/transition/"

    def said(client: Client, url: str, data: dict[str, str], language: str) -> str:
        response = client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        html = response.content.decode()
        assert f'<html lang="{language}">' in html
        return html

    assert "Vous suivez ce signalement." in said(citizen, react, {"kind": "follow"}, "fr")
    assert "C’est noté : vous avez aussi ce problème." in said(
        citizen, react, {"kind": "vote"}, "fr"
    )
    assert "You no longer follow this ticket." in said(citizen, react, {"kind": "unfollow"}, "en")
    assert "Your thanks were sent." in said(citizen, react, {"kind": "thanks"}, "en")
    html = said(agent, transition, {"action": "acknowledge"}, "fr")
    assert "Le signalement est pris en charge." in html
    assert "The ticket is closed." in said(agent, transition, {"action": "close"}, "en")


def test_get_on_post_handlers_is_405(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    for action in ("comment", "react", "transition"):
        assert Client().get(f"/tickets/{ticket.pk}/{action}/").status_code == 405


# --- Transitions ----------------------------------------------------------------------------


def test_agent_sees_acknowledge_and_close(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    html = page(logged_in(world["agent"]), ticket_url(ticket))
    assert 'data-testid="transition-acknowledge"' in html
    assert 'data-testid="transition-close"' in html
    assert 'data-testid="transition-reopen"' not in html


def test_citizen_sees_no_transition_on_open_ticket(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    html = page(logged_in(world["citizen"]), ticket_url(ticket))
    assert 'data-testid="transition-' not in html


def test_citizen_sees_reopen_on_closed_ticket(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    services.ticket_transition(actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="close")
    html = page(logged_in(world["citizen"]), ticket_url(ticket))
    assert 'data-testid="transition-reopen"' in html
    assert 'data-testid="transition-close"' not in html
    assert 'data-testid="transition-reopen"' not in page(Client(), ticket_url(ticket))


def test_agent_acknowledges_and_closes_through_the_page(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    client = logged_in(world["agent"])
    url = f"/tickets/{ticket.pk}/transition/"
    response = client.post(url, {"action": "acknowledge", "note": "On it"})
    assert response.status_code == 303
    ticket.refresh_from_db()
    assert ticket.status == "acknowledged"
    client.post(url, {"action": "close", "note": "Fixed"})
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    html = page(client, ticket_url(ticket))
    # One timeline: the status changes with their notes, among the comments.
    assert html.count('data-testid="status-change"') == 2
    assert 'data-testid="status-note"' in html and "Fixed" in html


def test_outsider_cannot_acknowledge_through_the_post_handler(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    client = logged_in(world["outsider"])
    response = client.post(
        f"/tickets/{ticket.pk}/transition/", {"action": "acknowledge"}, follow=True
    )
    assert response.status_code == 200
    assert "You may not acknowledge this ticket." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_reopen_needs_a_note_and_conflicts_are_messages(world: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    services.ticket_transition(actor=actor_for(world["agent"]), ticket_id=ticket.pk, action="close")
    client = logged_in(world["citizen"])
    url = f"/tickets/{ticket.pk}/transition/"
    response = client.post(url, {"action": "reopen", "note": ""}, follow=True)
    assert "Say why the ticket should be reopened." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    client.post(url, {"action": "reopen", "note": "Back again"})
    ticket.refresh_from_db()
    assert ticket.status == "open"
    agent = logged_in(world["agent"])
    agent.post(url, {"action": "close"})
    response = agent.post(url, {"action": "close"}, follow=True)
    assert response.status_code == 200
    assert "message-error" in response.content.decode()
    response = agent.post(url, {"action": "teleport"}, follow=True)
    assert response.status_code == 200
    assert "message-error" in response.content.decode()


# --- Report form ------------------------------------------------------------------------------


def report_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Bench broken near the quay",
        "description": "Two planks missing.",
        "service_code": "snow",
        "lat": str(BOROUGH_POINT["lat"]),
        "long": str(BOROUGH_POINT["long"]),
        "address": "Quay St",
        "display_name": "",
    }
    data.update(overrides)
    return data


def test_report_form_renders_types_questions_and_map(world: Any) -> None:
    html = page(Client(), "/tickets/new/")
    assert 'data-testid="map"' in html
    assert 'type="radio" name="service_code" value="pothole"' in html
    assert 'data-questions-for="pothole"' in html
    assert 'name="answer-depth"' in html and 'type="checkbox" name="answer-lane"' in html
    assert static("js/report-form.js") in html


def test_anonymous_visitor_reports_through_the_form(world: Any) -> None:
    client = Client()
    page(client, "/tickets/new/")
    response = client.post("/tickets/new/", report_data(anonymous="on"))
    assert response.status_code == 303
    ticket = Ticket.objects.get(title="Bench broken near the quay")
    assert ticket.jurisdiction.slug == "old-port"
    assert ticket.anonymous
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    html = page(client, response["Location"])
    assert "Old Port public works" in html and "Old Port Borough" in html
    assert "Thank you!" in html
    # The same browser comments on its report.
    client.post(f"/tickets/{ticket.pk}/comment/", {"body": "Photo to follow"})
    assert Comment.objects.filter(ticket=ticket, author=ticket.reporter).exists()


def test_report_with_custom_answers(world: Any) -> None:
    client = logged_in(world["citizen"])
    data = report_data(service_code="pothole", **{"answer-depth": "deep", "answer-width_cm": "40"})
    data["answer-lane"] = ["car", "bike"]
    response = client.post("/tickets/new/", data)
    assert response.status_code == 303, response.content.decode()[:2000]
    ticket = Ticket.objects.get(title="Bench broken near the quay")
    assert ticket.answers == {"depth": "deep", "lane": ["car", "bike"], "width_cm": 40}
    assert ticket.display_name  # the account's name


def test_report_missing_required_answer_is_attached_to_the_question(world: Any) -> None:
    response = Client().post("/tickets/new/", report_data(service_code="pothole"))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-error-for="answer-depth"' in html
    assert "is required" in html


def test_report_outside_every_jurisdiction_is_400_with_the_error(world: Any) -> None:
    response = Client().post(
        "/tickets/new/",
        report_data(lat=str(OUTSIDE_POINT["lat"]), long=str(OUTSIDE_POINT["long"])),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "outside every jurisdiction" in html
    assert 'data-error-for="lat"' in html
    assert 'value="Bench broken near the quay"' in html  # input kept
    assert not Ticket.objects.filter(title="Bench broken near the quay").exists()


def test_report_bad_input_is_400_never_500(world: Any) -> None:
    cases = [
        report_data(title=""),
        report_data(lat="north"),
        report_data(lat="95"),
        report_data(service_code="no-such-type"),
        report_data(title="x" * 100_000),
        report_data(service_code="pothole", **{"answer-depth": "bottomless"}),
        report_data(service_code="campus-access"),  # a university type, in the borough
    ]
    for data in cases:
        response = Client().post("/tickets/new/", data)
        assert response.status_code == 400, data.get("service_code")
        assert 'class="field-error"' in response.content.decode() or "form-errors" in (
            response.content.decode()
        )
    assert not Ticket.objects.exists()


# --- Accounts ---------------------------------------------------------------------------------


def test_login_page_has_django_form(world: Any) -> None:
    html = page(Client(), "/accounts/login/")
    assert 'name="username"' in html and 'name="password"' in html
    assert "csrfmiddlewaretoken" in html


def test_login_and_logout_by_post(world: Any) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": "citizen", "password": "demo-citizen"})
    assert response.status_code == 302
    html = page(client, "/")
    assert "citizen" in html and "Log out" in html
    assert client.post("/accounts/logout/").status_code == 302
    assert "Log out" not in page(client, "/")


def test_signup_creates_account_and_logs_in(world: Any) -> None:
    client = Client()
    assert 'name="email"' in page(client, "/accounts/signup/")
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "email": "newbie@example.org",
            "password1": "a-Long-pass-4321",
            "password2": "a-Long-pass-4321",
        },
    )
    assert response.status_code == 303
    html = page(client, "/")
    assert "newbie" in html and "Log out" in html
    bad = client.post("/accounts/signup/", {"username": "x", "password1": "a", "password2": "b"})
    assert bad.status_code == 400


# --- Maps, languages (issue 8) ------------------------------------------------------------------


def test_pages_carry_leaflet_map_data(world: Any, make_ticket: Any, settings: Any) -> None:
    import json

    ticket = make_ticket(title="On the map")
    settings.FIXLINE = {**settings.FIXLINE, "MAP_TILE_URL": ""}
    for url, kind in (("/", "home"), ("/tickets/new/", "picker"), (ticket_url(ticket), "ticket")):
        html = page(Client(), url)
        assert 'data-testid="map" class="map' in html and f'data-map="{kind}"' in html
        match = re.search(r'<script id="map-data" type="application/json">(.*?)</script>', html)
        assert match, url
        data = json.loads(match.group(1))
        assert data["tiles"] == ""  # no tiles: outlines and markers on a plain background
        assert {f["properties"]["slug"] for f in data["areas"]["features"]} >= {"old-port"}
        assert static("vendor/leaflet/leaflet.js") in html and "<script>" not in html
    home = json.loads(
        re.search(r'id="map-data" type="application/json">(.*?)</script>', page(Client(), "/"))[1]
    )
    assert home["feed"] == "/ws/feed/"
    assert [t["id"] for t in home["tickets"]] == [ticket.pk]


def test_language_follows_the_browser_and_the_switcher(world: Any) -> None:
    client = Client()
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert '<html lang="fr">' in html and "Signalements près de chez vous" in html
    assert 'data-testid="language-switcher"' in html
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Tickets near you" in html
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Signaler un problème" in html
    catalog = client.get("/jsi18n/").content.decode()
    assert "Zoom avant" in catalog


@pytest.mark.django_db
def test_actions_fragment_is_per_viewer_and_counts_no_view(world: Any, make_ticket: Any) -> None:
    from django.test import Client

    from realtime import counters

    ticket = make_ticket()
    agent = Client()
    agent.force_login(world["agent"])
    html = agent.get(f"/tickets/{ticket.pk}/actions/").content.decode()
    assert 'data-testid="transition-acknowledge"' in html and "data-may-act" in html
    anonymous = Client().get(f"/tickets/{ticket.pk}/actions/").content.decode()
    assert "transition-" not in anonymous and "data-may-act" not in anonymous
    counters.flush(interval=0)
    ticket.refresh_from_db()
    assert ticket.views == 0
    assert Client().get("/tickets/999999/actions/").status_code == 404


@pytest.mark.django_db
def test_offers_card_fragment(world: Any, make_ticket: Any) -> None:
    from django.test import Client

    ticket = make_ticket()
    html = Client().get(f"/tickets/{ticket.pk}/offers/").content.decode()
    assert 'id="offers"' in html and "Nobody has offered help yet." in html
