"""The server-rendered pages, one module per page. Reads go through `tickets.selectors`, writes
through `tickets.services`; a `ServiceError` becomes a message (or a form error), never a 500."""

from tickets import selectors as selectors  # the pages' read layer (drills patch it here)
from tickets.views.actions import ticket_comment, ticket_react, ticket_transition
from tickets.views.base import SeeOther
from tickets.views.detail import ticket_actions, ticket_detail
from tickets.views.home import PAGE_SIZE, home
from tickets.views.maps import Projection, leaflet_data
from tickets.views.report import ticket_new
from tickets.views.signup import signup

__all__ = [
    "PAGE_SIZE",
    "Projection",
    "SeeOther",
    "home",
    "leaflet_data",
    "selectors",
    "signup",
    "ticket_actions",
    "ticket_comment",
    "ticket_detail",
    "ticket_new",
    "ticket_react",
    "ticket_transition",
]
