"""The jurisdiction tree, walked one way (`tickets.jurisdictions`): ancestors, descendants, and
the public names that delegate to it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import actor_for
from tickets import jurisdictions, permissions
from tickets.models import Jurisdiction

pytestmark = pytest.mark.django_db


def test_ancestors_nearest_first(world: dict[str, Any]) -> None:
    city, borough = world["city"], world["old_port"]
    assert jurisdictions.ancestor_ids(borough.pk) == [borough.pk, city.pk]
    assert jurisdictions.ancestor_ids(city.pk) == [city.pk]
    assert borough.ancestor_ids() == [borough.pk, city.pk]  # the model delegates
    assert jurisdictions.depth(borough.pk) == 2


def test_descendants_include_the_roots(world: dict[str, Any]) -> None:
    city, borough, campus = world["city"], world["old_port"], world["university"]
    assert jurisdictions.descendant_ids([city.pk]) == {city.pk, borough.pk, campus.pk}
    assert jurisdictions.descendant_ids([borough.pk]) == {borough.pk}
    assert jurisdictions.descendant_ids([]) == frozenset()
    assert jurisdictions.descendant_ids_of_slug("riverton") == {city.pk, borough.pk, campus.pk}
    assert jurisdictions.descendant_ids_of_slug("nowhere") == frozenset()


def test_a_cycle_in_the_data_never_loops_forever() -> None:
    parents = {1: 2, 2: 1, 3: None}
    assert jurisdictions.ancestor_ids(1, parents=parents) == [1, 2]
    assert jurisdictions.descendant_ids([3], parents=parents) == {3}


def test_one_query_for_a_whole_walk(world: dict[str, Any]) -> None:
    with CaptureQueriesContext(connection) as queries:
        jurisdictions.descendant_ids([world["city"].pk])
    assert len(queries) == 1


def test_topmost(world: dict[str, Any]) -> None:
    parents = jurisdictions.parent_map()
    city, borough = world["city"], world["old_port"]
    assert jurisdictions.topmost([borough.pk, city.pk], parents=parents) == [city.pk]
    assert jurisdictions.topmost([borough.pk], parents=parents) == [borough.pk]


def test_agents_act_on_descendants(world: dict[str, Any]) -> None:
    ids = permissions.agent_jurisdiction_ids(actor_for(world["agent"]).user)
    assert {world["city"].pk, world["old_port"].pk, world["university"].pk} <= ids


def test_an_agents_jurisdictions_take_one_query_and_stop_at_their_own(
    world: dict[str, Any],
) -> None:
    """The borough's agent acts on the borough (and what it holds), not on the city above it
    nor on the university beside it; someone who is nobody's agent acts nowhere."""
    users = get_user_model().objects
    city, borough, university = world["city"], world["old_port"], world["university"]
    inside = Jurisdiction.objects.create(
        name="Old Port market", slug="old-port-market", parent=borough, boundary=borough.boundary
    )
    for username, expected in (
        ("borough-agent", {borough.pk, inside.pk}),
        ("agent", {city.pk, borough.pk, inside.pk, university.pk}),
        ("citizen", set()),
    ):
        user = users.get(username=username)  # a fresh user: nothing cached on it yet
        with CaptureQueriesContext(connection) as queries:
            ids = permissions.agent_jurisdiction_ids(user)
            assert permissions.is_agent_for(user, borough.pk) == (borough.pk in expected)
        assert set(ids) == expected, username
        assert len(queries) == 1, username
