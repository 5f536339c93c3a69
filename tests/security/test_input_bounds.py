"""Untrusted input is bounded before it costs anything: JSON nested thousands deep (HTTP and
WebSocket) is refused before the recursive parser sees it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from realtime.consumers import CLOSE_POLICY, MAX_CLIENT_ERRORS
from tests.realtime.conftest import _fresh_layer, connect, expect_close, stop_background_tasks
from tickets.models import Ticket

__all__ = ["_fresh_layer", "stop_background_tasks"]  # the socket tests' fixtures


def nested(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


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
