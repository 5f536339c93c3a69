"""Untrusted input is bounded before it costs anything: photos are checked from their headers
and only decoded for a writer who may write, at most a few at a time (item 2 of issue 17), and
JSON nested thousands deep (HTTP and WebSocket) is refused before the recursive parser sees it
(item 11)."""

from __future__ import annotations

import io
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from moderation import services as moderation
from realtime.consumers import CLOSE_POLICY, MAX_CLIENT_ERRORS
from tests.conftest import BOROUGH_POINT, actor_for
from tests.realtime.conftest import _fresh_layer, connect, expect_close
from tests.realtime.processes import Daphne, demo_env
from tickets import services
from tickets.errors import InvalidInput, NotAllowed, RateLimited
from tickets.models import Comment, Photo, Ticket
from tickets.photos import decode_slots

__all__ = ["_fresh_layer"]  # the socket tests' layer (stop_background_tasks: tests/conftest.py)


def nested(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


# --- Photos (item 2) -----------------------------------------------------------------------------


def png(width: int, height: int) -> bytes:
    """A palette PNG: a few kilobytes that declare width × height pixels."""
    out = io.BytesIO()
    Image.new("P", (width, height)).save(out, format="PNG", optimize=True)
    return out.getvalue()


BOMB = png(7_745, 7_745)  # the bomb: 60 MP, under the old cap, 7 KB
PHOTO = png(640, 480)


def upload(data: bytes, name: str = "bomb.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "image/png")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ticket(make_ticket: Any) -> Ticket:
    return make_ticket()


@pytest.mark.django_db
def test_a_pixel_bomb_is_refused_from_its_header(world: Any, ticket: Ticket) -> None:
    assert len(BOMB) < 16_000
    before = decode_slots.started
    with pytest.raises(InvalidInput) as caught:
        services.comment_create(
            actor=actor_for(anon="visitor"),
            ticket_id=ticket.pk,
            body="Look at this",
            photos=[upload(BOMB) for _ in range(3)],
        )
    assert caught.value.field == "photos"
    assert "bomb.png" in caught.value.message and "25 megapixels" in caught.value.message
    # Over HTTP, through the report form: a 400 naming the field.
    client = Client()
    client.get("/tickets/new/")
    response = client.post(
        "/tickets/new/",
        {
            "title": "Bomb",
            "service_code": "snow",
            "lat": BOROUGH_POINT["lat"],
            "long": BOROUGH_POINT["long"],
            "photos": [upload(BOMB) for _ in range(3)],
        },
    )
    assert response.status_code == 400
    assert "25 megapixels" in response.content.decode()
    assert decode_slots.started == before, "a bomb was decoded"
    assert not Ticket.objects.filter(title="Bomb").exists()


@pytest.mark.django_db
def test_sanctioned_and_rate_limited_posters_cost_no_decode(world: Any, ticket: Ticket) -> None:
    poster = actor_for(anon="troll", ip="198.51.100.66")
    first = services.comment_create(actor=poster, ticket_id=ticket.pk, body="first")
    moderation.sanction_create(
        actor=actor_for(world["admin"]),
        author_key=first.author.public_key,
        kind="ban",
        reason="spam",
    )
    before = decode_slots.started
    with pytest.raises(NotAllowed):
        services.comment_create(
            actor=poster, ticket_id=ticket.pk, body="again", photos=[upload(PHOTO, "p.png")]
        )
    with pytest.raises(NotAllowed):
        services.ticket_create(
            actor=poster,
            title="again",
            service_code="snow",
            photos=[upload(PHOTO, "p.png")],
            **BOROUGH_POINT,
        )
    assert decode_slots.started == before, "a sanctioned poster's photo was decoded"

    flooder = actor_for(anon="flooder", ip="198.51.100.67")
    for n in range(5):  # the anonymous comment limit: 5 a minute
        services.comment_create(actor=flooder, ticket_id=ticket.pk, body=f"n{n}")
    before = decode_slots.started
    with pytest.raises(RateLimited):
        services.comment_create(
            actor=flooder, ticket_id=ticket.pk, body="more", photos=[upload(PHOTO, "p.png")]
        )
    assert decode_slots.started == before, "a rate-limited poster's photo was decoded"


@pytest.mark.django_db
def test_a_legit_photo_still_works(world: Any, ticket: Ticket) -> None:
    before = decode_slots.started
    comment = services.comment_create(
        actor=actor_for(anon="neighbour"),
        ticket_id=ticket.pk,
        body="Here it is",
        photos=[upload(PHOTO, "bench.png"), upload(png(5_000, 5_000), "big.png")],
    )
    stored = list(Photo.objects.filter(comment=comment).order_by("pk"))
    assert [(p.width, p.height) for p in stored] == [(640, 480), (1600, 1600)]
    assert decode_slots.started == before + 2


@pytest.mark.django_db
def test_no_free_decode_slot_is_a_quick_429(world: Any, ticket: Ticket, settings: Any) -> None:
    settings.FIXLINE = {**settings.FIXLINE, "PHOTO_DECODE_WAIT_SECONDS": 1}
    held = [decode_slots.acquire(), decode_slots.acquire()]  # every slot, as two decodes would
    try:
        started = time.monotonic()
        with pytest.raises(RateLimited) as caught:
            services.comment_create(
                actor=actor_for(anon="neighbour"),
                ticket_id=ticket.pk,
                body="Here it is",
                photos=[upload(PHOTO, "bench.png")],
            )
        assert time.monotonic() - started < 5
        assert "try again" in caught.value.message
        # A slot freed while a request waits is taken: no hang, no refusal.
        threading.Timer(0.3, held.pop().release).start()
        services.comment_create(
            actor=actor_for(anon="patient"),
            ticket_id=ticket.pk,
            body="Here it is",
            photos=[upload(PHOTO, "bench.png")],
        )
    finally:
        for semaphore in held:
            semaphore.release()
    assert Comment.objects.filter(body="Here it is").count() == 1


# --- JSON depth (item 11) ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("levels", [1_000, 100_000])
def test_deeply_nested_json_is_a_400_over_http(world: Any, levels: int) -> None:
    client = APIClient()
    for body in (
        nested(levels),
        json.dumps({"title": "x"})[:-1] + ', "answers": ' + nested(levels) + "}",
    ):
        response = client.post("/api/v1/tickets/", body, content_type="application/json")
        assert response.status_code == 400, response.content[:300]
        assert "nested deeper than 32" in response.json()["detail"]
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_ordinary_nesting_still_parses(world: Any) -> None:
    response = APIClient().post(
        "/api/v1/tickets/",
        {
            "title": "Bench [broken] {badly}",
            "description": "[" * 40,  # brackets inside strings do not count
            "service_code": "snow",
            "lat": 45.505,
            "long": -73.552,
            "answers": {},
        },
        format="json",
    )
    assert response.status_code == 201, response.content


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_background_tasks")
async def test_deeply_nested_socket_frame_is_an_error_frame_and_counts(world: Any) -> None:
    comm = await connect("/ws/feed/")
    frame = nested(8_000)
    assert len(frame.encode()) <= 16_384  # one frame under the size limit
    await comm.send_to(text_data=frame)
    answer = json.loads((await comm.receive_output(3))["text"])
    assert answer["type"] == "error" and answer["data"]["code"] == "too_deep"
    # The socket lives on: a ping is still answered.
    await comm.send_to(text_data=json.dumps({"type": "ping"}))
    assert json.loads((await comm.receive_output(3))["text"])["type"] == "pong"
    # And the deep frames count towards MAX_CLIENT_ERRORS like any other bad frame.
    for _ in range(MAX_CLIENT_ERRORS - 1):
        await comm.send_to(text_data=frame)
        assert json.loads((await comm.receive_output(3))["text"])["data"]["code"] == "too_deep"
    assert await expect_close(comm) == CLOSE_POLICY


# --- Photo bombs against a real daphne (item 2) ------------------------------------------------


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def post_report(base: str, photos: list[bytes]) -> int:
    """The report form as a browser sends it: the page first (cookies, CSRF token), then the
    multipart post."""
    session = requests.Session()
    session.get(f"{base}/tickets/new/", timeout=60)
    answer = session.post(
        f"{base}/tickets/new/",
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "title": "Look at this",
            "service_code": "snow",
            "lat": str(BOROUGH_POINT["lat"]),
            "long": str(BOROUGH_POINT["long"]),
        },
        files=[("photos", (f"p{n}.png", data, "image/png")) for n, data in enumerate(photos)],
        allow_redirects=False,
        timeout=180,
    )
    return answer.status_code


@pytest.mark.processes
@pytest.mark.timeout(400)
def test_concurrent_bomb_posts_keep_daphne_small() -> None:
    daphne = Daphne(demo_env(prefix="fixline-photo-bombs-"))
    try:
        assert post_report(daphne.url, [PHOTO]) == 303  # warm: a legit photo works
        baseline = peak_rss_mb(daphne.process.pid)
        # The attack: eight concurrent posts of three 60 MP bombs (5.1 GB before).
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: post_report(daphne.url, [BOMB] * 3), range(8)))
        assert statuses == [400] * 8
        after_bombs = peak_rss_mb(daphne.process.pid)
        # Photos just under the cap are decoded, a bounded number at a time.
        at_cap = png(5_000, 5_000)
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda _: post_report(daphne.url, [at_cap] * 3), range(4)))
        assert set(statuses) <= {303, 429}, statuses
        peak = peak_rss_mb(daphne.process.pid)
        assert daphne.process.poll() is None, daphne.output()
    finally:
        daphne.stop()
    print(
        f"\nphoto bombs: daphne peak RSS {baseline:.0f} MB at rest, {after_bombs:.0f} MB after "
        f"8×3 60 MP bombs, {peak:.0f} MB after 4×3 25 MP photos"
    )
    assert after_bombs - baseline < 100, (baseline, after_bombs)
    assert peak - baseline < 600, (baseline, peak)
