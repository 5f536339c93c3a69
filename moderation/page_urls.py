"""Moderation pages: the moderators' live dashboard and an emergency event's public page."""

from django.urls import path

from moderation import views

urlpatterns = [
    path("moderation/", views.dashboard, name="moderation-dashboard"),
    path("events/<slug:slug>/", views.emergency_page, name="event-page"),
    path("tickets/<int:pk>/offer/", views.ticket_offer, name="ticket-offer"),
    path("tickets/<int:pk>/offers/", views.ticket_offers, name="ticket-offers-card"),
]
