"""The stored anonymous page served before Django's handler (tickets/pagefront.py, issue 14).
Through the ASGI application daphne runs (the front, then Django's handler), on the embedded
cache and on a real Redis: a neighbour arriving from a shared link gets the page without
Django's handler, and notices nothing else: their cookies, a working comment form, the
same headers, their language, their view counted, no hidden comment, compression."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.cache import cache
from django.test import override_settings

from moderation import services as mod
from project.handlers import SyncChainASGIHandler
from realtime import counters
from tests.conftest import actor_for
from tickets import pagefront, services
from tickets.models import Comment, Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # Its writes run in asgiref's thread, whose connection must be closed after each test.
    pytest.mark.usefixtures("stop_background_tasks"),
]

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')
PER_ANSWER = {"set-cookie", "content-length", "date", "server"}


class CountingDjango:
    """Django's handler, counting the requests that reach it (the front's misses)."""

    def __init__(self) -> None:
        self.app = SyncChainASGIHandler()
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.app(scope, receive, send)


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Visitor:
    """A browser: its cookie jar, through the whole ASGI application."""

    app: Any
    cookies: SimpleCookie = field(default_factory=SimpleCookie)
    language: str = ""

    async def request(self, method: str, path: str, body: bytes = b"", **extra: str) -> Answer:
        path, _, query = path.partition("?")
        headers = [(b"host", b"testserver")]
        if self.cookies:
            jar = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
            headers.append((b"cookie", jar.encode()))
        if self.language:
            headers.append((b"accept-language", self.language.encode()))
        for name, value in extra.items():
            headers.append((name.replace("_", "-").encode(), value.encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("testserver", 80),
        }
        talk = ApplicationCommunicator(self.app, scope)
        await talk.send_input({"type": "http.request", "body": body})
        start = await talk.receive_output(20)
        content = b""
        while True:
            message = await talk.receive_output(20)
            content += message.get("body", b"")
            if not message.get("more_body"):
                break
        answer = Answer(
            start["status"],
            [(k.decode(), v.decode("latin1")) for k, v in start["headers"]],
            content,
        )
        for name, value in answer.headers:
            if name.lower() == "set-cookie":
                self.cookies.load(value)
        return answer

    async def page(self, ticket: Ticket, **extra: str) -> Answer:
        answer = await self.request("GET", f"/tickets/{ticket.pk}/", **extra)
        assert answer.status == 200, answer.body[:300]
        return answer


def views(ticket: Ticket) -> int:
    ticket.refresh_from_db()
    return ticket.views + counters.pending_views(ticket.pk)


@pytest.fixture(params=["embedded", "redis"])
def django_app(request: pytest.FixtureRequest) -> Iterator[CountingDjango]:
    """The application, on the embedded default's cache or on a real Redis (production)."""
    pagefront.forget_headers()
    if request.param == "embedded":
        cache.clear()
        yield CountingDjango()
        return
    url = request.getfixturevalue("redis_server").url
    caches = {
        "default": {
            "BACKEND": "project.cache.SharedPoolRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "fixline-front-test",
        }
    }
    with override_settings(REDIS_URL=url, CACHES=caches):
        counters.reset_for_tests()
        cache.clear()
        yield CountingDjango()
        cache.clear()
    counters.reset_for_tests()


@pytest.fixture
def app(django_app: CountingDjango) -> pagefront.PageFront:
    return pagefront.PageFront(django_app)


async def primed(app: Any, ticket: Ticket) -> None:
    """Someone's loads have stored the page and taught the front its headers."""
    await Visitor(app).page(ticket)
    await Visitor(app).page(ticket)


async def test_a_neighbour_from_a_shared_link_gets_the_page_without_django(
    app: pagefront.PageFront, django_app: CountingDjango, make_ticket: Any
) -> None:
    ticket = await make_ticket_async(make_ticket)
    await primed(app, ticket)
    reached = django_app.calls
    neighbour = Visitor(app)
    page = await neighbour.page(ticket)
    assert django_app.calls == reached  # served by the front
    assert page.header("X-Fixline-Cache") == "hit"
    assert ticket.title in page.text
    # Their own cookies, as Django gives a new browser: identity, CSRF, "nothing of mine".
    assert {"fx_anon", "csrftoken", "fx_personal"} <= set(neighbour.cookies)
    assert neighbour.cookies["fx_personal"].value == "0"
    assert neighbour.cookies["fx_anon"]["httponly"]
    # The next load of the same browser keeps them (the same identity, the same CSRF secret).
    before = {k: m.value for k, m in neighbour.cookies.items()}
    again = await neighbour.page(ticket)
    assert again.header("X-Fixline-Cache") == "hit" and django_app.calls == reached
    # Django renews the CSRF cookie whenever its token is used; the identity is not re-minted.
    assert not [v for k, v in again.headers if k.lower() == "set-cookie" and "fx_anon" in v]
    assert {k: m.value for k, m in neighbour.cookies.items()} == before


async def test_the_front_answers_with_the_headers_django_gives(
    app: pagefront.PageFront, django_app: CountingDjango, make_ticket: Any
) -> None:
    ticket = await make_ticket_async(make_ticket)
    from_django = await Visitor(app).page(ticket)
    from_front = await Visitor(app).page(ticket)
    assert django_app.calls == 1
    shared = {(k.lower(), v) for k, v in from_django.headers if k.lower() not in PER_ANSWER}
    front = {(k.lower(), v) for k, v in from_front.headers if k.lower() not in PER_ANSWER}
    shared.discard(("x-fixline-cache", "miss"))
    front.discard(("x-fixline-cache", "hit"))
    assert front == shared
    assert {"content-security-policy", "x-frame-options", "vary"} <= {k for k, _ in front}
    assert from_front.header("Content-Length") == str(len(from_front.body))
    cookie_names = {
        SimpleCookie(v).popitem()[0] for k, v in from_front.headers if k.lower() == "set-cookie"
    }
    assert cookie_names == {"fx_anon", "csrftoken", "fx_personal"}


async def test_a_neighbour_comments_from_a_page_the_front_served(
    app: pagefront.PageFront, django_app: CountingDjango, make_ticket: Any
) -> None:
    ticket = await make_ticket_async(make_ticket)
    await primed(app, ticket)
    neighbour = Visitor(app)
    page = await neighbour.page(ticket)
    assert django_app.calls == 1
    tokens = set(TOKEN.findall(page.text))
    assert len(tokens) == 1
    other = await Visitor(app).page(ticket)
    assert set(TOKEN.findall(other.text)) != tokens  # never one visitor's token to another
    form = urlencode({"body": "Posted from the front", "csrfmiddlewaretoken": tokens.pop()})
    posted = await neighbour.request(
        "POST",
        f"/tickets/{ticket.pk}/comment/",
        form.encode(),
        content_type="application/x-www-form-urlencoded",
        origin="http://testserver",
        referer=f"http://testserver/tickets/{ticket.pk}/",
    )
    assert posted.status in (302, 303), posted.body[:500]
    assert await comment_exists(ticket, "Posted from the front")
    mine = await neighbour.page(ticket)  # from now on their own page, from Django
    assert mine.header("X-Fixline-Cache") == "bypass"
    assert "Posted from the front" in mine.text


async def test_views_count_once_per_visitor_on_the_front(
    app: pagefront.PageFront, django_app: CountingDjango, make_ticket: Any
) -> None:
    ticket = await make_ticket_async(make_ticket)
    await primed(app, ticket)
    before = await views_async(ticket)
    for _ in range(4):  # four browsers without cookies: four visitors
        await Visitor(app).page(ticket)
    same = Visitor(app)
    await same.page(ticket)
    await same.page(ticket)  # the same browser again within 30 minutes: not counted
    assert django_app.calls == 1
    assert await views_async(ticket) == before + 5


async def test_french_and_english_are_served_apart(
    app: pagefront.PageFront, django_app: CountingDjango, make_ticket: Any
) -> None:
    ticket = await make_ticket_async(make_ticket)
    await primed(app, ticket)
    await Visitor(app, language="fr-CA,fr;q=0.9").page(ticket)  # Django, in French
    reached = django_app.calls
    french = await Visitor(app, language="fr").page(ticket)
    english = await Visitor(app, language="en-GB").page(ticket)
    assert django_app.calls == reached
    assert '<html lang="fr"' in french.text and french.header("Content-Language") == "fr"
    assert '<html lang="en"' in english.text and english.header("Content-Language") == "en"


async def test_a_hidden_comment_is_gone_from_the_next_load(
    app: pagefront.PageFront, django_app: CountingDjango, make_ticket: Any, world: Any
) -> None:
    ticket = await make_ticket_async(make_ticket)
    comment = await write(
        lambda: services.comment_create(
            actor=actor_for(anon="a-neighbour-token-2"), ticket_id=ticket.pk, body="555-0177"
        )
    )
    await primed(app, ticket)
    assert "555-0177" in (await Visitor(app).page(ticket)).text
    await write(
        lambda: mod.comment_moderate(
            actor=actor_for(world["agent"]),
            comment_id=comment.pk,
            action="hide",
            reason="personal info",
        )
    )
    for _ in range(3):
        assert "555-0177" not in (await Visitor(app).page(ticket)).text
    added = await write(
        lambda: services.comment_create(
            actor=actor_for(anon="a-neighbour-token-3"), ticket_id=ticket.pk, body="Ploughed!"
        )
    )
    assert added.visibility == Comment.Visibility.VISIBLE
    assert "Ploughed!" in (await Visitor(app).page(ticket)).text


async def test_compressed_for_a_browser_that_accepts_it(
    app: pagefront.PageFront, django_app: CountingDjango, make_ticket: Any
) -> None:
    ticket = await make_ticket_async(make_ticket)
    await primed(app, ticket)
    page = await Visitor(app).page(ticket, accept_encoding="gzip, deflate, br")
    assert django_app.calls == 1
    assert page.header("Content-Encoding") == "gzip"
    assert page.header("Content-Length") == str(len(page.body))
    html = gzip.decompress(page.body).decode()
    assert ticket.title in html and len(TOKEN.findall(html)) >= 1


async def test_who_may_have_a_page_of_their_own_goes_to_django(
    app: pagefront.PageFront, django_app: CountingDjango, make_ticket: Any, world: Any
) -> None:
    ticket = await make_ticket_async(make_ticket)
    await primed(app, ticket)
    reached = django_app.calls
    personal = Visitor(app)
    personal.cookies["fx_personal"] = "1"
    assert (await personal.page(ticket)).header("X-Fixline-Cache") == "bypass"
    session = Visitor(app)
    session.cookies["sessionid"] = "whatever"
    await session.page(ticket)
    query = await Visitor(app).request("GET", f"/tickets/{ticket.pk}/?from=share")
    assert query.status == 200 and query.header("X-Fixline-Cache") == "bypass"
    assert django_app.calls == reached + 3


async def test_head_gets_the_headers_without_the_page(
    app: pagefront.PageFront, django_app: CountingDjango, make_ticket: Any
) -> None:
    ticket = await make_ticket_async(make_ticket)
    await primed(app, ticket)
    head = await Visitor(app).request("HEAD", f"/tickets/{ticket.pk}/")
    assert head.status == 200 and head.body == b""
    assert django_app.calls == 1 and head.header("X-Fixline-Cache") == "hit"


# --- The database from the test's event loop (Django refuses sync ORM calls there) ----------


async def make_ticket_async(make_ticket: Any) -> Ticket:
    ticket: Ticket = await write(make_ticket)
    return ticket


async def write(fn: Any) -> Any:
    from asgiref.sync import sync_to_async  # only these helpers cross to a thread

    return await sync_to_async(fn, thread_sensitive=True)()


async def views_async(ticket: Ticket) -> int:
    return int(await write(lambda: views(ticket)))


async def comment_exists(ticket: Ticket, body: str) -> bool:
    return bool(await write(lambda: Comment.objects.filter(ticket=ticket, body=body).exists()))
