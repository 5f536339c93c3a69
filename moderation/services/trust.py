"""Trust: agents and admins grant or revoke trusted-volunteer status."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils.translation import gettext as _

from moderation import permissions
from moderation.models import TrustGrant
from moderation.services import audit
from moderation.services._common import account_of, require_reason
from realtime import publish
from tickets.errors import Conflict, InvalidInput, NotAllowed
from tickets.identity import Actor
from tickets.permissions import TRUSTED_VOLUNTEERS_GROUP, forget_roles


def require_trust_granter(actor: Actor) -> None:
    """Checked first (a 403 before any 400): the API calls it before reading the body."""
    if not permissions.can_grant_trust(actor.user):
        raise NotAllowed(_("Only agents and admins can grant or revoke trust."))


def _trust(*, actor: Actor, username: str, reason: str, grant: bool) -> TrustGrant:
    require_trust_granter(actor)
    require_reason(reason)
    if not username:
        raise InvalidInput(_("This field is required."), field="username")
    user = User.objects.filter(username=username).first()
    if user is None:
        raise InvalidInput(_("No account has this username."), field="username")
    with transaction.atomic():
        group, _created = Group.objects.get_or_create(name=TRUSTED_VOLUNTEERS_GROUP)
        User.objects.select_for_update().get(pk=user.pk)
        member = user.groups.filter(pk=group.pk).exists()
        if grant and member:
            raise Conflict(_("This person is already a trusted volunteer."))
        if not grant and not member:
            raise Conflict(_("This person is not a trusted volunteer."))
        if grant:
            user.groups.add(group)
        else:
            user.groups.remove(group)
        forget_roles(user)
        # After commit the account's open sockets re-check their role: a revoked volunteer's
        # /ws/moderation/ closes (4403). (The group change's own signal says it too, for the
        # admin's edits: security.sessions.)
        publish.recheck_on_commit([user.pk])
        record = TrustGrant.objects.create(
            user=user,
            action=TrustGrant.Action.GRANT if grant else TrustGrant.Action.REVOKE,
            reason=reason,
            by=account_of(actor),
        )
        audit.record(
            actor=actor,
            action="trust.grant" if grant else "trust.revoke",
            target_type="user",
            target_id=user.get_username(),
            reason=reason,
            before={"trusted": member},
            after={"trusted": grant},
        )
    return record


def trust_grant(*, actor: Actor, username: str, reason: str) -> TrustGrant:
    return _trust(actor=actor, username=username, reason=reason, grant=True)


def trust_revoke(*, actor: Actor, username: str, reason: str) -> TrustGrant:
    return _trust(actor=actor, username=username, reason=reason, grant=False)
