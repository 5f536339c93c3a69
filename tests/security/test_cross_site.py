"""Another site cannot make its visitors write: the API takes JSON only (form-encoded and
multipart bodies, which a page of another origin can send without a CORS preflight, get 415),
and API and Open311 writes that a browser sends from a page of another origin get 403.
Requests without `Origin` (server-to-server clients, Open311 integrations) keep working.
At the end, the same attack in Chromium, from a real page on another port."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from moderation.models import Flag
from tests.conftest import BOROUGH_POINT, actor_for
from tickets import services
from tickets.models import Comment, Follow, Integration, Thanks, Ticket, Vote

pytestmark = pytest.mark.django_db

EVIL = "http://evil.example"
OTHER_PORT = "http://testserver:8081"  # same host, another port: another origin


@pytest.fixture
def ticket(make_ticket: Any) -> Ticket:
    return make_ticket()


@pytest.fixture
def comment(world: dict[str, Any], ticket: Ticket) -> Comment:
    return services.comment_create(
        actor=actor_for(world["outsider"]), ticket_id=ticket.pk, body="A fair point."
    )


def writes(ticket: Ticket, comment: Comment) -> list[tuple[str, dict[str, Any]]]:
    """Anonymous writes of the API: comment, vote, thanks, follow, flag, report, reopen."""
    return [
        (f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "Posted by another site"}),
        (f"/api/v1/tickets/{ticket.pk}/vote/", {}),
        (f"/api/v1/tickets/{ticket.pk}/thanks/", {}),
        (f"/api/v1/tickets/{ticket.pk}/follow/", {}),
        (f"/api/v1/comments/{comment.pk}/flag/", {"reason": "spam"}),
        (
            "/api/v1/tickets/",
            {"title": "Forged", "service_code": "snow", **BOROUGH_POINT},
        ),
    ]


def reactions(ticket: Ticket) -> int:
    return sum(m.objects.filter(ticket=ticket).count() for m in (Vote, Thanks, Follow))


def state(ticket: Ticket) -> tuple[int, int, int, int]:
    return (
        Comment.objects.filter(ticket=ticket).count(),
        reactions(ticket),
        Flag.objects.count(),
        Ticket.objects.count(),
    )


@pytest.mark.parametrize("fmt", ["multipart", "form"])
def test_form_encoded_api_posts_get_415(
    world: dict[str, Any], ticket: Ticket, comment: Comment, fmt: str
) -> None:
    client = APIClient()
    before = state(ticket)
    for path, data in writes(ticket, comment):
        if fmt == "multipart":
            response = client.post(path, data or {"x": "1"}, format="multipart")
        else:
            body = "&".join(f"{k}={v}" for k, v in (data or {"x": "1"}).items())
            response = client.post(path, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 415, (path, response.status_code, response.content)
    # text/plain, the third content type a page may send without a preflight.
    response = client.post(
        f"/api/v1/tickets/{ticket.pk}/comments/", '{"body": "x"}', content_type="text/plain"
    )
    assert response.status_code == 415
    assert state(ticket) == before


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": EVIL},
        {"HTTP_ORIGIN": OTHER_PORT},
        {"HTTP_ORIGIN": "https://testserver"},  # another scheme
        {"HTTP_ORIGIN": "null"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},
    ],
)
def test_anonymous_writes_from_another_origin_get_403(
    world: dict[str, Any], ticket: Ticket, comment: Comment, headers: dict[str, str]
) -> None:
    client = APIClient()
    before = state(ticket)
    for path, data in writes(ticket, comment):
        response = client.post(path, data, format="json", **headers)
        assert response.status_code == 403, (path, response.content)
        assert "other sites" in response.json()["detail"]
    assert state(ticket) == before


def test_same_origin_and_origin_less_writes_keep_working(
    world: dict[str, Any], ticket: Ticket, comment: Comment
) -> None:
    for headers in (
        {"HTTP_ORIGIN": "http://testserver", "HTTP_SEC_FETCH_SITE": "same-origin"},
        {},  # a server-to-server client sends no Origin
    ):
        client = APIClient()
        client.cookies.clear()
        before = state(ticket)
        for path, data in writes(ticket, comment):
            response = client.post(path, data, format="json", REMOTE_ADDR="203.0.113.9", **headers)
            assert response.status_code in (200, 201, 202), (path, response.content)
        assert state(ticket) != before
        for model in (Vote, Thanks, Follow, Flag):
            model.objects.all().delete()


def test_trusted_origins_are_ours(world: dict[str, Any], ticket: Ticket, settings: Any) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://fixline.example"]
    response = APIClient().post(
        f"/api/v1/tickets/{ticket.pk}/vote/", HTTP_ORIGIN="https://fixline.example"
    )
    assert response.status_code == 200, response.content


def test_token_clients_and_reads_are_not_affected(world: dict[str, Any], ticket: Ticket) -> None:
    assert APIClient().get("/api/v1/tickets/", HTTP_ORIGIN=EVIL).status_code == 200
    client = APIClient()
    client.force_authenticate(world["owner"])
    response = client.post(f"/api/v1/tickets/{ticket.pk}/vote/", format="json")
    assert response.status_code == 200


def test_open311_posts_from_another_origin_get_403_and_integrations_keep_working(
    world: dict[str, Any],
) -> None:
    Integration.ensure(name="Demo Open311 client", raw_key="demo-open311-key")
    fields = {
        "api_key": "demo-open311-key",
        "service_code": "pothole",
        "lat": str(BOROUGH_POINT["lat"]),
        "long": str(BOROUGH_POINT["long"]),
        "description": "Filed from a page of another site",
        "attribute[depth]": "deep",
    }
    before = Ticket.objects.count()
    forged = Client().post("/open311/v2/requests.json", fields, HTTP_ORIGIN=EVIL)
    assert forged.status_code == 403
    assert Ticket.objects.count() == before
    filed = Client().post("/open311/v2/requests.json", fields)
    assert filed.status_code in (200, 201), filed.content
    assert Ticket.objects.count() == before + 1


def test_html_forms_keep_their_csrf_check(world: Any, ticket: Ticket) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(f"/tickets/{ticket.pk}/")  # the anonymous cookie and the CSRF cookie
    before = reactions(ticket)
    response = client.post(f"/tickets/{ticket.pk}/react/", {"kind": "vote"})
    assert response.status_code == 403
    assert reactions(ticket) == before


# --- In Chromium: a page of another origin (another port) -----------------------------------

ATTACK_PAGE = """<!doctype html><title>win a prize</title><script>
(async function () {
  var base = "%(base)s";
  function send(path, body, type) {
    var init = { method: "POST", mode: "no-cors", credentials: "include" };
    if (body !== null) { init.body = body; init.headers = { "Content-Type": type }; }
    return fetch(base + path, init).catch(function () {});
  }
  await send("/api/v1/tickets/%(ticket)s/vote/", null, null);
  await send("/api/v1/tickets/%(ticket)s/thanks/", "", "text/plain");
  await send("/api/v1/tickets/%(ticket)s/comments/", "body=Posted+by+another+site",
             "application/x-www-form-urlencoded");
  await send("/api/v1/tickets/%(ticket)s/comments/", '{"body": "Posted by another site"}',
             "text/plain");
  await send("/api/v1/comments/%(comment)s/flag/", "reason=spam",
             "application/x-www-form-urlencoded");
  // JSON needs a preflight, which is never granted: the request itself is never sent.
  await fetch(base + "/api/v1/tickets/%(ticket)s/comments/", {
    method: "POST", credentials: "include", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ body: "Posted by another site" })
  }).catch(function () {});
  document.title = "done";
})();
</script>"""


class _AttackSite:
    """A page on another port of the same host: another origin, the same site."""

    def __init__(self, html: str) -> None:
        import http.server
        import threading

        body = html.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def demo() -> Any:
    from tests.realtime.processes import demo_env, demo_server

    yield from demo_server(demo_env(prefix="fixline-cross-site-"))


@pytest.fixture
def chromium_browser() -> Any:
    # Function-scoped: Playwright's event loop must be gone before the database teardown.
    from tests.realtime.processes import chromium

    yield from chromium()


@pytest.mark.browser
@pytest.mark.processes
def test_a_page_on_another_port_cannot_flag_vote_or_comment(
    demo: Any, chromium_browser: Any
) -> None:
    from playwright.sync_api import expect

    from tests.realtime.processes import http

    base = demo.url
    answer = http("GET", f"{base}/api/v1/tickets/?status=open")[1]
    ticket = next(row["id"] for row in answer["results"] if not row.get("event"))
    comments = http("GET", f"{base}/api/v1/tickets/{ticket}/comments/")[1]
    if not comments:  # a neighbour's comment to flag
        status, posted = http("POST", f"{base}/api/v1/tickets/{ticket}/comments/", {"body": "Hi"})
        assert status in (201, 202), posted
        comments = [posted]
    before = http("GET", f"{base}/api/v1/tickets/{ticket}/")[1]

    context = chromium_browser.new_context(locale="en-US")
    page = context.new_page()
    # The visitor has been on Fixline (their anonymous cookie is set) ...
    page.goto(f"{base}/tickets/{ticket}/", wait_until="load")
    # ... then opens the other site's page, which posts to Fixline with that cookie.
    site = _AttackSite(ATTACK_PAGE % {"base": base, "ticket": ticket, "comment": comments[0]["id"]})
    seen: list[tuple[str, str, int]] = []

    def record(response: Any) -> None:
        if response.url.startswith(base + "/api/"):
            seen.append((response.request.method, response.url, response.status))

    page.on("response", record)
    try:
        page.goto(site.url, wait_until="load")
        expect(page).to_have_title("done", timeout=15_000)
    finally:
        site.stop()
    posts = [(url, code) for method, url, code in seen if method == "POST"]
    assert len(posts) == 5, seen  # the JSON one never left the browser (no preflight grant)
    assert all(code == 403 for _url, code in posts), posts
    after = http("GET", f"{base}/api/v1/tickets/{ticket}/")[1]
    for count in ("votes", "thanks", "followers"):
        assert after[count] == before[count], (count, before, after)
    now = http("GET", f"{base}/api/v1/tickets/{ticket}/comments/")[1]
    assert [c["id"] for c in now] == [c["id"] for c in comments]

    # Our own page still posts (ticket-live.js sends JSON through the API).
    page.goto(f"{base}/tickets/{ticket}/", wait_until="load")
    form = page.get_by_test_id("comment-form")
    form.locator("textarea[name=body]").fill("Posted from Fixline itself")
    form.locator("[type=submit]").click()
    expect(page.get_by_test_id("comment-list")).to_contain_text(
        "Posted from Fixline itself", timeout=10_000
    )
    context.close()
