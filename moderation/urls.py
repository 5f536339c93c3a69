"""Moderation and volunteer routes under `/api/v1/` (included before the router)."""

from django.urls import path

from moderation import api

urlpatterns = [
    path("comments/<int:comment_id>/flag/", api.flag, name="comment-flag"),
    path("comments/<int:comment_id>/hide/", api.hide, name="comment-hide"),
    path("comments/<int:comment_id>/restore/", api.restore, name="comment-restore"),
    path("moderation/queue/", api.queue, name="moderation-queue"),
    path(
        "moderation/items/<int:comment_id>/<slug:action>/",
        api.item_action,
        name="moderation-item-action",
    ),
    path("moderation/sanctions/", api.sanctions, name="moderation-sanctions"),
    path(
        "moderation/sanctions/<int:sanction_id>/revoke/",
        api.sanction_revoke,
        name="moderation-sanction-revoke",
    ),
    path(
        "moderation/sanctions/<int:sanction_id>/lift/",
        api.sanction_revoke,
        name="moderation-sanction-lift",
    ),
    path("moderation/collateral/", api.collateral, name="moderation-collateral"),
    path(
        "moderation/items/<slug:kind>/<int:target_id>/<slug:action>/",
        api.target_action,
        name="moderation-target-action",
    ),
    path("tickets/<int:ticket_id>/flag/", api.flag_ticket, name="ticket-flag"),
    path("offers/<int:offer_id>/flag/", api.flag_offer, name="offer-flag"),
    path("moderation/offers/", api.offer_queue, name="moderation-offers"),
    path("moderation/trust/", api.trust, name="moderation-trust"),
    path("moderation/trust/revoke/", api.trust_revoke, name="moderation-trust-revoke"),
    path("moderation/audit/", api.audit, name="moderation-audit"),
    path("events/", api.emergency_list, name="events"),
    path("events/<slug:slug>/", api.emergency_detail, name="event-api"),
    path("events/<slug:slug>/end/", api.emergency_end, name="event-end"),
    path("events/<slug:slug>/announcements/", api.announcements, name="event-announcements"),
    path(
        "announcements/<int:announcement_id>/hide/",
        api.announcement_hide,
        name="announcement-hide",
    ),
    path("events/<slug:slug>/offers/", api.emergency_offers, name="event-offers"),
    path("tickets/<int:ticket_id>/offers/", api.ticket_offers, name="ticket-offers"),
    path("offers/<int:offer_id>/", api.offer_detail, name="offer-detail"),
    path("offers/<int:offer_id>/review/", api.offer_review, name="offer-review"),
    path("offers/<int:offer_id>/withdraw/", api.offer_withdraw, name="offer-withdraw"),
]
