"""What the console relies on, through the API: flags on tickets and offers, queue items of
every kind, a late click's clear 409, sanctions with a duration that can spare the address,
the collateral count, lifting, and the offers card's own thank-you (issue 18)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from moderation import services as mod
from moderation.models import AuditEntry, Flag, Offer
from tests.conftest import actor_for, client_for
from tests.moderation.conftest import anon_client, comment_on
from tickets.models import Comment, Identity


def _flag(client: Any, what: str, pk: int, reason: str = "personal_info") -> Any:
    return client.post(f"/api/v1/{what}/{pk}/flag/", {"reason": reason}, format="json")


def _queue(world: dict[str, Any]) -> list[dict[str, Any]]:
    answer = client_for(world["volunteer"]).get("/api/v1/moderation/queue/")
    assert answer.status_code == 200
    return list(answer.json()["results"])


def _accepted_offer(world: dict[str, Any], ticket: Any) -> Offer:
    offer = mod.offer_create(
        actor=actor_for(anon="helper-cookie-000001"),
        ticket_id=ticket.pk,
        message="I have a shovel",
        contact="555-0199",
    )
    return mod.offer_review(actor=actor_for(world["agent"]), offer_id=offer.pk, decision="accept")


# --- Flags on tickets and offers ---------------------------------------------------------------


def test_anyone_flags_a_ticket_once_and_it_waits_in_the_queue(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    neighbour = anon_client("flagging-cookie-0001", ip="203.0.113.21")
    answer = _flag(neighbour, "tickets", borough_ticket.pk)
    assert answer.status_code == 201, answer.content
    assert answer.json()["kind"] == "ticket" and answer.json()["hidden"] is False
    again = _flag(neighbour, "tickets", borough_ticket.pk)
    assert again.status_code == 409 and "already flagged" in again.json()["detail"]
    assert _flag(client_for(world["outsider"]), "tickets", borough_ticket.pk).status_code == 201
    items = [i for i in _queue(world) if i["kind"] == "ticket"]
    assert [i["id"] for i in items] == [borough_ticket.pk]
    assert items[0]["comment"] is None and items[0]["ticket"]["id"] == borough_ticket.pk
    assert len(items[0]["flags"]) == 2 and items[0]["author_key"]


def test_flag_bad_reason_names_the_field(world: dict[str, Any], borough_ticket: Any) -> None:
    offer = _accepted_offer(world, borough_ticket)
    for what, pk in (("tickets", borough_ticket.pk), ("offers", offer.pk)):
        answer = _flag(client_for(world["outsider"]), what, pk, reason="meh")
        assert answer.status_code == 400 and "reason" in answer.json(), answer.content


def test_only_public_offers_can_be_flagged_by_the_public(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    pending = mod.offer_create(
        actor=actor_for(world["owner"]), ticket_id=borough_ticket.pk, message="m", contact="c"
    )
    assert _flag(client_for(world["outsider"]), "offers", pending.pk).status_code == 404
    offer = _accepted_offer(world, borough_ticket)
    answer = _flag(anon_client(), "offers", offer.pk, reason="spam")
    assert answer.status_code == 201 and answer.json()["offer"] == offer.pk
    assert _flag(anon_client(), "offers", offer.pk, reason="spam").status_code == 409
    item = next(i for i in _queue(world) if i["kind"] == "offer")
    assert item["offer"]["id"] == offer.pk and "contact" not in item["offer"]
    # Declining it from the queue declines the offer and resolves its flag.
    url = f"/api/v1/moderation/items/offer/{offer.pk}/decline/"
    done = client_for(world["volunteer"]).post(url, {"reason": "spam"}, format="json")
    assert done.status_code == 200, done.content
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED
    assert not Flag.objects.filter(offer=offer, resolution="").exists()
    late = client_for(world["agent"]).post(url, {"reason": "spam"}, format="json")
    assert late.status_code == 409 and "Already handled by volunteer" in late.json()["detail"]


def test_a_flag_has_exactly_one_target(world: dict[str, Any], borough_ticket: Any) -> None:
    from django.db import IntegrityError, transaction

    comment = comment_on(borough_ticket, "x", user=world["outsider"])
    identity = actor_for(world["owner"]).identity()
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(
            identity=identity, reason="spam", comment=comment, ticket=borough_ticket
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(identity=identity, reason="spam")


def test_taking_a_flagged_ticket_down_from_the_queue(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    _flag(client_for(world["outsider"]), "tickets", borough_ticket.pk)
    url = f"/api/v1/moderation/items/ticket/{borough_ticket.pk}/hide/"
    answer = client_for(world["volunteer"]).post(url, {"reason": "phone number"}, format="json")
    assert answer.status_code == 200, answer.content
    borough_ticket.refresh_from_db()
    assert borough_ticket.visibility == "hidden"
    assert not Flag.objects.filter(ticket=borough_ticket, resolution="").exists()
    dismiss = f"/api/v1/moderation/items/ticket/{borough_ticket.pk}/dismiss/"
    citizen = client_for(world["outsider"]).post(dismiss, {"reason": "x"}, format="json")
    assert citizen.status_code == 403


# --- Two moderators, one item ------------------------------------------------------------------


def test_a_late_click_gets_who_did_what_and_no_second_outcome(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    comment = comment_on(borough_ticket, "my number is 555-0100", user=world["outsider"])
    mod.flag_create(actor=actor_for(world["owner"]), comment_id=comment.pk, reason="personal_info")
    first = client_for(world["volunteer"]).post(
        f"/api/v1/moderation/items/{comment.pk}/hide/", {"reason": "personal_info"}, format="json"
    )
    assert first.status_code == 200
    for action in ("hide", "restore", "dismiss"):
        late = client_for(world["agent"]).post(
            f"/api/v1/moderation/items/{comment.pk}/{action}/", {"reason": "x"}, format="json"
        )
        assert late.status_code == 409, (action, late.content)
        assert late.json()["detail"] == "Already handled by volunteer: hidden."
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.HIDDEN
    entries = AuditEntry.objects.filter(target_type="comment", target_id=str(comment.pk))
    assert [e.action for e in entries] == ["hide"]


def test_the_late_message_is_french_in_french(world: dict[str, Any], borough_ticket: Any) -> None:
    comment = comment_on(borough_ticket, "x", user=world["outsider"])
    mod.flag_create(actor=actor_for(world["owner"]), comment_id=comment.pk, reason="spam")
    mod.comment_moderate(
        actor=actor_for(world["volunteer"]),
        comment_id=comment.pk,
        action="dismiss",
        reason="fine",
        from_queue=True,
    )
    late = client_for(world["agent"]).post(
        f"/api/v1/moderation/items/{comment.pk}/hide/",
        {"reason": "x"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert late.status_code == 409
    assert late.json()["detail"] == "Déjà traité par volunteer : signalements écartés."


# --- Sanctions ---------------------------------------------------------------------------------


def _sanction(world: dict[str, Any], **body: Any) -> Any:
    return client_for(world["volunteer"]).post(
        "/api/v1/moderation/sanctions/", {"reason": "trolling", **body}, format="json"
    )


def _post(client: Any, ticket: Any, body: str = "hello") -> Any:
    return client.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": body}, format="json")


@pytest.mark.parametrize("minutes", [-5, 0, 5256001, "soon", 1.5, True])
def test_bad_durations_answer_400_naming_minutes(
    world: dict[str, Any], borough_ticket: Any, minutes: Any
) -> None:
    key = comment_on(borough_ticket, "x", user=world["outsider"]).author.public_key
    answer = _sanction(world, author_key=key, kind="mute", minutes=minutes)
    assert answer.status_code == 400 and "minutes" in answer.json(), answer.content


def test_collateral_count_and_a_cookie_only_sanction(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    shared = "198.51.100.80"
    troll = anon_client("troll-cookie-10000001", ip=shared)
    posted = _post(troll, borough_ticket, "troll")
    assert posted.status_code == 201
    key = Comment.objects.get(pk=posted.json()["id"]).author.public_key
    for n in range(2):  # two neighbours on the same mobile network
        assert (
            _post(anon_client(f"neighbour-cookie-000{n}", ip=shared), borough_ticket).status_code
            == 201
        )
    assert (
        _post(anon_client("far-cookie-00000001", ip="198.51.100.81"), borough_ticket).status_code
        == 201
    )
    volunteer = client_for(world["volunteer"])
    check = volunteer.get(f"/api/v1/moderation/collateral/?author_key={key}")
    assert check.status_code == 200 and check.json()["others"] == 2, check.content
    assert check.json()["identity_kind"] == Identity.Kind.ANONYMOUS
    assert volunteer.get("/api/v1/moderation/collateral/?author_key=nope").status_code == 400
    assert (
        client_for(world["outsider"])
        .get(f"/api/v1/moderation/collateral/?author_key={key}")
        .status_code
        == 403
    )

    answer = _sanction(world, author_key=key, kind="mute", minutes=60, cookie_only=True)
    assert answer.status_code == 201 and answer.json()["follows_address"] is False
    assert answer.json()["ends_at"]
    assert _post(troll, borough_ticket).status_code == 403  # the troll's browser is muted
    # A neighbour behind the same address is not: the sanction did not follow the IP hash.
    assert _post(anon_client("neighbour-cookie-0000", ip=shared), borough_ticket).status_code == 201
    assert _post(anon_client("neighbour-cookie-0009", ip=shared), borough_ticket).status_code == 201


def test_lift_is_audited_once_and_broadcast(world: dict[str, Any], borough_ticket: Any) -> None:
    key = comment_on(borough_ticket, "x", user=world["outsider"]).author.public_key
    sanction = _sanction(world, author_key=key, kind="ban", minutes=10080).json()
    active = client_for(world["volunteer"]).get("/api/v1/moderation/sanctions/?active=1").json()
    assert [s["id"] for s in active] == [sanction["id"]]
    url = f"/api/v1/moderation/sanctions/{sanction['id']}/lift/"
    assert (
        client_for(world["outsider"]).post(url, {"reason": "x"}, format="json").status_code == 403
    )
    lifted = client_for(world["agent"]).post(url, {"reason": "apologised"}, format="json")
    assert lifted.status_code == 200 and lifted.json()["active"] is False
    again = client_for(world["volunteer"]).post(url, {"reason": "again"}, format="json")
    assert again.status_code == 409
    assert AuditEntry.objects.filter(action="sanction.revoke").count() == 1
    assert client_for(world["volunteer"]).get("/api/v1/moderation/sanctions/?active=1").json() == []
    assert _post(client_for(world["outsider"]), borough_ticket).status_code == 201


# --- The console's pages and the offers card ---------------------------------------------------


def test_console_fragments_are_for_moderators(world: dict[str, Any], borough_ticket: Any) -> None:
    comment = comment_on(borough_ticket, "x", user=world["outsider"])
    mod.flag_create(actor=actor_for(world["owner"]), comment_id=comment.pk, reason="spam")
    moderator, citizen = Client(), Client()
    moderator.force_login(world["volunteer"])
    citizen.force_login(world["outsider"])
    for url in (
        "/moderation/",
        f"/moderation/items/comment/{comment.pk}/",
        "/moderation/sanctions/",
        "/moderation/audit/?offset=0",
    ):
        assert moderator.get(url).status_code == 200, url
        assert citizen.get(url).status_code == 403, url
    assert moderator.get(f"/moderation/items/ticket/{borough_ticket.pk}/").status_code == 404


def test_the_thank_you_is_where_the_offer_form_lands(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    """Issue 18: on a phone the redirect's anchor scrolled past the site-wide message."""
    browser = Client()
    sent = browser.post(
        f"/tickets/{borough_ticket.pk}/offer/", {"message": "I can help", "contact": "555-0123"}
    )
    assert sent.status_code == 303 and sent["Location"].endswith("#offer-result")
    page = browser.get(sent["Location"].split("#")[0]).content.decode()
    card = page[page.index('id="offers"') :]
    assert 'id="offer-result"' in card and "Thank you" in card.split("</section>")[0]
    assert "Thank you" not in page[: page.index('id="offers"')]
    # Shown once.
    assert 'id="offer-result"' not in browser.get(f"/tickets/{borough_ticket.pk}/").content.decode()


def test_reporting_an_offer_from_the_ticket_page(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    offer = _accepted_offer(world, borough_ticket)
    browser = Client()
    page = browser.get(f"/tickets/{borough_ticket.pk}/").content.decode()
    assert 'data-testid="offers-helping"' in page and "555-0199" not in page
    assert f"/tickets/{borough_ticket.pk}/offers/{offer.pk}/flag/" in page
    sent = browser.post(f"/tickets/{borough_ticket.pk}/offers/{offer.pk}/flag/", {"reason": "spam"})
    assert sent.status_code == 303
    assert Flag.objects.filter(offer=offer).count() == 1
    assert (
        "a moderator will look at it"
        in browser.get(f"/tickets/{borough_ticket.pk}/").content.decode()
    )


def test_an_unknown_offer_flag_reason_is_a_400_naming_reason_with_the_form_again(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    offer = _accepted_offer(world, borough_ticket)
    browser = Client()
    url = f"/tickets/{borough_ticket.pk}/offers/{offer.pk}/flag/"
    refused = browser.post(url, {"reason": "meh"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'data-error-for="reason"' in page and "Choose what is wrong from the list." in page
    assert f'action="{url}"' in page and 'name="reason"' in page  # usable without JavaScript
    assert not Flag.objects.filter(offer=offer).exists()
    french = browser.post(url, {"reason": ""}, HTTP_ACCEPT_LANGUAGE="fr")
    assert french.status_code == 400
    assert "Choisissez ce qui ne va pas dans la liste." in french.content.decode()
    assert browser.post(url, {"reason": "spam"}).status_code == 303
    assert Flag.objects.filter(offer=offer).count() == 1


@pytest.mark.django_db(transaction=True)
def test_eight_moderators_race_on_one_queue_item(
    world: dict[str, Any], borough_ticket: Any
) -> None:
    """Different moderators, different buttons, one item: one outcome, one audit entry, and
    every other click is told who was first. (Only buttons the console offers on a visible
    flagged comment race here: "restore" on it is a wrong button, answered "already visible"
    whoever is first.)"""
    from tests.moderation.test_concurrency import _race
    from tickets.errors import Conflict

    comment = comment_on(borough_ticket, "contested", user=world["outsider"])
    mod.flag_create(actor=actor_for(world["owner"]), comment_id=comment.pk, reason="abuse")
    people = [world["agent"], world["volunteer"], world["admin"], world["borough-agent"]]
    actions = ["hide", "dismiss", "hide", "dismiss"]

    def click(i: int) -> Any:
        return mod.comment_moderate(
            actor=actor_for(people[i % 4]),
            comment_id=comment.pk,
            action=actions[i % 4],
            reason=f"moderator {i}",
            from_queue=True,
        )

    done, errors = _race(click)
    assert len(done) == 1, errors
    assert len(errors) == 7 and all(isinstance(e, Conflict) for e in errors), errors
    assert all(str(e.message).startswith("Already handled by ") for e in errors)
    entries = AuditEntry.objects.filter(target_type="comment", target_id=str(comment.pk))
    assert entries.count() == 1
