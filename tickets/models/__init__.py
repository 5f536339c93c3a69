"""The ticket domain's models, one module per concept, all named from here (`tickets.models`)
as Django and the migrations know them. Models hold data and small derived properties only:
every write goes through `tickets.services`, which also appends the durable event of each
visible change."""

from tickets.models.base import NeverDeleted, NeverDeletedQuerySet, validate_geojson_area
from tickets.models.casework import CaseworkEvent, CaseworkNote, Priority, Team
from tickets.models.integrations import Integration
from tickets.models.merging import MergeRecord
from tickets.models.pending import PendingPhoto
from tickets.models.people import Identity, IpSalt, _new_public_key
from tickets.models.photos import Photo, _photo_path
from tickets.models.places import EmergencyEvent, Jurisdiction, ServiceQuestion, ServiceType
from tickets.models.reactions import Follow, Reaction, Thanks, Vote
from tickets.models.tickets import Comment, StatusChange, Ticket, TicketEvent

__all__ = [
    "CaseworkEvent",
    "CaseworkNote",
    "Comment",
    "EmergencyEvent",
    "Follow",
    "Identity",
    "Integration",
    "IpSalt",
    "Jurisdiction",
    "MergeRecord",
    "NeverDeleted",
    "NeverDeletedQuerySet",
    "PendingPhoto",
    "Photo",
    "Priority",
    "Reaction",
    "ServiceQuestion",
    "ServiceType",
    "StatusChange",
    "Team",
    "Thanks",
    "Ticket",
    "TicketEvent",
    "Vote",
    "validate_geojson_area",
    "_new_public_key",  # named by migration 0001
    "_photo_path",  # named by migration 0002
]
