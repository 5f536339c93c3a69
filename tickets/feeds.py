"""RSS 2.0 and Atom feeds (django.contrib.syndication), public data only.

- `/feeds/tickets/<id>.rss|.atom`: one ticket's public history (report, visible comments,
  status changes); hidden, held and shadowed comments never appear.
- `/feeds/jurisdictions/<slug>.rss|.atom`: latest tickets there and in its descendants.
- `/feeds/events/<slug>.rss|.atom`: latest tickets of an emergency (the wire says "event").
- `/feeds/area.rss|.atom?bbox=minlong,minlat,maxlong,maxlat`: latest tickets in a map area.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.feedgenerator import Atom1Feed

from tickets import jurisdictions, selectors
from tickets.filters import BBoxField
from tickets.models import Comment, EmergencyEvent, Jurisdiction, StatusChange, Ticket
from tickets.public import render_body

FEED_SIZE = 50
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean(text: Any) -> str:
    """XML 1.0 cannot carry control characters: drop them rather than fail the feed."""
    return _CONTROL.sub("", str(text or ""))


def html(text: str) -> str:
    """Feed readers render descriptions as HTML: give them escaped, linkified text."""
    return clean(render_body(clean(text)))


@dataclass
class Entry:
    """One item of a ticket's history."""

    guid: str
    title: str
    body: str
    author: str
    at: datetime
    link: str


# --- Lists of tickets ------------------------------------------------------------------------


class TicketListFeed(Feed):
    """Shared item rendering for feeds whose items are tickets."""

    description_template = None

    def item_title(self, item: Ticket) -> str:
        return clean(f"#{item.pk} {item.title} [{item.get_status_display()}]")

    def item_description(self, item: Ticket) -> str:
        parts = [item.description or item.title]
        if item.address:
            parts.append(item.address)
        parts.append(f"{item.service_type.local_name} · {item.jurisdiction.name}")
        return html("\n\n".join(parts))

    def item_link(self, item: Ticket) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Ticket) -> str:
        return f"fixline-ticket-{item.pk}"

    item_guid_is_permalink = False

    def item_author_name(self, item: Ticket) -> str:
        return clean(item.public_reporter)

    def item_pubdate(self, item: Ticket) -> datetime:
        return item.created_at

    def item_updateddate(self, item: Ticket) -> datetime:
        return item.updated_at

    def item_categories(self, item: Ticket) -> list[str]:
        return [clean(item.service_type.local_name), item.status]

    def latest(self, qs: Any) -> list[Ticket]:
        return list(qs.order_by("-created_at", "-id")[:FEED_SIZE])


class JurisdictionFeed(TicketListFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Jurisdiction:
        found = Jurisdiction.objects.filter(slug=slug).first()
        if found is None:
            raise Http404("No such jurisdiction")
        return found

    def title(self, obj: Jurisdiction) -> str:
        return clean(f"Fixline: tickets in {obj.name}")

    def link(self, obj: Jurisdiction) -> str:
        return f"/?jurisdiction={obj.slug}"

    def description(self, obj: Jurisdiction) -> str:
        return clean(f"The latest tickets reported in {obj.name} and the places within it.")

    def items(self, obj: Jurisdiction) -> list[Ticket]:
        ids = jurisdictions.descendant_ids([obj.pk])
        return self.latest(selectors.public_tickets().filter(jurisdiction_id__in=ids))


class JurisdictionAtomFeed(JurisdictionFeed):
    feed_type = Atom1Feed
    subtitle = JurisdictionFeed.description


# Other apps add entries to an event's feed (moderation: its announcements); tickets knows
# nothing of them. Registered in their AppConfig.ready().
EventFeedExtra = Callable[[EmergencyEvent], list[Entry]]
_EVENT_FEED_EXTRAS: list[EventFeedExtra] = []


def register_event_feed_extra(extra: EventFeedExtra) -> None:
    if extra not in _EVENT_FEED_EXTRAS:
        _EVENT_FEED_EXTRAS.append(extra)


class EmergencyFeed(TicketListFeed):
    """The event's tickets and, pinned by date among them, the extra entries (announcements)."""

    def get_object(self, request: HttpRequest, slug: str) -> EmergencyEvent:
        found = EmergencyEvent.objects.filter(slug=slug).first()
        if found is None:
            raise Http404("No such event")
        return found

    def title(self, obj: EmergencyEvent) -> str:
        return clean(f"Fixline: {obj.name}")

    def link(self, obj: EmergencyEvent) -> str:
        return f"/?event={obj.slug}"

    def description(self, obj: EmergencyEvent) -> str:
        return clean(obj.description or f"Tickets reported during {obj.name}.")

    def items(self, obj: EmergencyEvent) -> list[Any]:
        rows: list[Any] = self.latest(selectors.public_tickets().filter(event=obj))
        for extra in _EVENT_FEED_EXTRAS:
            rows.extend(extra(obj))
        rows.sort(
            key=lambda row: row.at if isinstance(row, Entry) else row.created_at, reverse=True
        )
        return rows[:FEED_SIZE]

    # An Entry is rendered as TicketFeed renders one; a Ticket as every ticket list does.
    def item_title(self, item: Any) -> str:
        return clean(item.title) if isinstance(item, Entry) else super().item_title(item)

    def item_description(self, item: Any) -> str:
        return html(item.body) if isinstance(item, Entry) else super().item_description(item)

    def item_link(self, item: Any) -> str:
        return item.link if isinstance(item, Entry) else super().item_link(item)

    def item_guid(self, item: Any) -> str:
        return item.guid if isinstance(item, Entry) else super().item_guid(item)

    def item_author_name(self, item: Any) -> str:
        return clean(item.author) if isinstance(item, Entry) else super().item_author_name(item)

    def item_pubdate(self, item: Any) -> datetime:
        return item.at if isinstance(item, Entry) else super().item_pubdate(item)

    def item_updateddate(self, item: Any) -> datetime:
        return item.at if isinstance(item, Entry) else super().item_updateddate(item)

    def item_categories(self, item: Any) -> list[str]:
        return ["announcement"] if isinstance(item, Entry) else super().item_categories(item)


class EmergencyAtomFeed(EmergencyFeed):
    feed_type = Atom1Feed
    subtitle = EmergencyFeed.description


class AreaFeed(TicketListFeed):
    """`?bbox=minlong,minlat,maxlong,maxlat`; a missing or malformed bbox is a 400."""

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            box = BBoxField(required=True).clean(request.GET.get("bbox", ""))
        except Exception as exc:  # django.forms.ValidationError
            messages = getattr(exc, "messages", [str(exc)])
            return JsonResponse({"bbox": [str(m) for m in messages]}, status=400)
        request.fixline_bbox = box  # type: ignore[attr-defined]
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request: HttpRequest) -> tuple[float, float, float, float]:
        return request.fixline_bbox  # type: ignore[attr-defined]

    def title(self, obj: tuple[float, ...]) -> str:
        return "Fixline: tickets in a map area"

    def link(self, obj: tuple[float, ...]) -> str:
        return "/?bbox=" + ",".join(f"{n:g}" for n in obj)

    def description(self, obj: tuple[float, ...]) -> str:
        return "The latest tickets reported in the area " + ",".join(f"{n:g}" for n in obj)

    def items(self, obj: tuple[float, float, float, float]) -> list[Ticket]:
        min_long, min_lat, max_long, max_lat = obj
        return self.latest(
            selectors.public_tickets().filter(
                long__gte=min_long, long__lte=max_long, lat__gte=min_lat, lat__lte=max_lat
            )
        )


class AreaAtomFeed(AreaFeed):
    feed_type = Atom1Feed
    subtitle = AreaFeed.description


# --- One ticket's history -----------------------------------------------------------------------


class TicketFeed(Feed):
    """The report, its visible comments and its status changes, newest first."""

    item_guid_is_permalink = False

    def get_object(self, request: HttpRequest, pk: int) -> Ticket:
        ticket = selectors.public_tickets().filter(pk=pk).first()  # a feed has no viewer
        if ticket is None:
            raise Http404("No such ticket")
        return ticket

    def title(self, obj: Ticket) -> str:
        return clean(f"Fixline #{obj.pk}: {obj.title}")

    def link(self, obj: Ticket) -> str:
        return obj.get_absolute_url()

    def description(self, obj: Ticket) -> str:
        return clean(
            f"{obj.get_status_display()} · {obj.service_type.local_name} · {obj.jurisdiction.name}"
        )

    def items(self, obj: Ticket) -> list[Entry]:
        link = obj.get_absolute_url()
        entries = [
            Entry(
                guid=f"fixline-ticket-{obj.pk}",
                title=f"Reported: {obj.title}",
                body=obj.description or obj.title,
                author=obj.public_reporter,
                at=obj.created_at,
                link=link,
            )
        ]
        public = obj.comments.filter(visibility=Comment.Visibility.VISIBLE, shadow=False)
        for comment in public.order_by("-created_at", "-id")[:FEED_SIZE]:
            entries.append(
                Entry(
                    guid=f"fixline-comment-{comment.pk}",
                    title=("Official reply" if comment.official else "Comment")
                    + f" by {comment.public_author}",
                    body=comment.body,
                    author=comment.public_author,
                    at=comment.created_at,
                    link=f"{link}#comment-{comment.pk}",
                )
            )
        labels = dict(Ticket.Status.choices)
        changes = StatusChange.objects.filter(ticket=obj).order_by("-at", "-id")[:FEED_SIZE]
        for change in changes:
            entries.append(
                Entry(
                    guid=f"fixline-status-{change.pk}",
                    title=f"Status: {labels.get(change.from_status, change.from_status)} → "
                    f"{labels.get(change.to_status, change.to_status)}",
                    body=change.note or str(labels.get(change.to_status, change.to_status)),
                    author=change.actor_name or "Fixline",
                    at=change.at,
                    link=link,
                )
            )
        entries.sort(key=lambda e: e.at, reverse=True)
        return entries[:FEED_SIZE]

    def item_title(self, item: Entry) -> str:
        return clean(item.title)

    def item_description(self, item: Entry) -> str:
        return html(item.body)

    def item_link(self, item: Entry) -> str:
        return item.link

    def item_guid(self, item: Entry) -> str:
        return item.guid

    def item_author_name(self, item: Entry) -> str:
        return clean(item.author)

    def item_pubdate(self, item: Entry) -> datetime:
        return item.at

    def item_updateddate(self, item: Entry) -> datetime:
        return item.at


class TicketAtomFeed(TicketFeed):
    feed_type = Atom1Feed
    subtitle = TicketFeed.description


# Mounted at `/feeds/` by project/urls.py.
urlpatterns = [
    path("tickets/<int:pk>.rss", TicketFeed(), name="feed-ticket-rss"),
    path("tickets/<int:pk>.atom", TicketAtomFeed(), name="feed-ticket-atom"),
    path("jurisdictions/<slug:slug>.rss", JurisdictionFeed(), name="feed-jurisdiction-rss"),
    path("jurisdictions/<slug:slug>.atom", JurisdictionAtomFeed(), name="feed-jurisdiction-atom"),
    path("events/<slug:slug>.rss", EmergencyFeed(), name="feed-event-rss"),
    path("events/<slug:slug>.atom", EmergencyAtomFeed(), name="feed-event-atom"),
    path("area.rss", AreaFeed(), name="feed-area-rss"),
    path("area.atom", AreaAtomFeed(), name="feed-area-atom"),
]
