"""Moderation pages: the moderators' live dashboard and an emergency event's public page."""

from django.urls import path

from moderation import event_views, views

urlpatterns = [
    path("moderation/", views.dashboard, name="moderation-dashboard"),
    path("events/<slug:slug>/", event_views.emergency_page, name="event-page"),
    path("events/<slug:slug>/announce/", event_views.event_announce, name="event-announce"),
    path("moderation/events/new/", event_views.event_new, name="event-new"),
    path("moderation/events/<slug:slug>/edit/", event_views.event_edit, name="event-edit"),
    path("moderation/events/<slug:slug>/end/", event_views.event_end, name="event-end-page"),
    path("tickets/<int:pk>/offer/", views.ticket_offer, name="ticket-offer"),
    path("tickets/<int:pk>/offers/", views.ticket_offers, name="ticket-offers-card"),
]
