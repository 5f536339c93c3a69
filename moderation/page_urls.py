"""Moderation pages: the moderators' live dashboard and an emergency event's public page."""

from django.urls import path

from moderation import event_views, views

urlpatterns = [
    path("moderation/", views.dashboard, name="moderation-dashboard"),
    # The console's fragments: one queue item, one offer, the sanctions, an audit page.
    path("moderation/items/<slug:kind>/<int:pk>/", views.queue_item, name="moderation-item"),
    path("moderation/offers/<int:pk>/", views.offer_item, name="moderation-offer"),
    path("moderation/sanctions/", views.sanction_list, name="moderation-sanction-list"),
    path("moderation/audit/", views.audit_page, name="moderation-audit-page"),
    path(
        "tickets/<int:pk>/offers/<int:offer_id>/flag/", views.offer_flag, name="ticket-offer-flag"
    ),
    path("events/<slug:slug>/", event_views.emergency_page, name="event-page"),
    path("events/<slug:slug>/announce/", event_views.event_announce, name="event-announce"),
    path("moderation/events/new/", event_views.event_new, name="event-new"),
    path("moderation/events/<slug:slug>/edit/", event_views.event_edit, name="event-edit"),
    path("moderation/events/<slug:slug>/end/", event_views.event_end, name="event-end-page"),
    path("tickets/<int:pk>/offer/", views.ticket_offer, name="ticket-offer"),
    path("tickets/<int:pk>/offers/", views.ticket_offers, name="ticket-offers-card"),
]
