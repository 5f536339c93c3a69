"""Trust: agents and admins grant or revoke trusted-volunteer status."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from moderation import permissions
from moderation.models import TrustGrant
from moderation.services._common import _reason
from moderation.services.audit import _audit
from tickets.errors import Conflict, InvalidInput, NotAllowed
from tickets.identity import Actor


def _trust(*, actor: Actor, username: Any, reason: Any, grant: bool) -> TrustGrant:
    from tickets.permissions import TRUSTED_VOLUNTEERS_GROUP

    if not permissions.can_grant_trust(actor.user):
        raise NotAllowed(_("Only agents and admins can grant or revoke trust."))
    reason = _reason(reason)
    if not isinstance(username, str) or not username:
        raise InvalidInput(_("This field is required."), field="username")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise InvalidInput(_("No account has this username."), field="username")
    with transaction.atomic():
        group, _created = Group.objects.get_or_create(name=TRUSTED_VOLUNTEERS_GROUP)
        get_user_model().objects.select_for_update().get(pk=user.pk)
        member = user.groups.filter(pk=group.pk).exists()
        if grant and member:
            raise Conflict(_("This person is already a trusted volunteer."))
        if not grant and not member:
            raise Conflict(_("This person is not a trusted volunteer."))
        if grant:
            user.groups.add(group)
        else:
            user.groups.remove(group)
        user.__dict__.pop("_fixline_perm_cache", None)
        record = TrustGrant.objects.create(
            user=user,
            action=TrustGrant.Action.GRANT if grant else TrustGrant.Action.REVOKE,
            reason=reason,
            by=actor.user if actor.is_authenticated else None,
        )
        _audit(
            actor=actor,
            action="trust.grant" if grant else "trust.revoke",
            target_type="user",
            target_id=user.get_username(),
            reason=reason,
            before={"trusted": member},
            after={"trusted": grant},
        )
    return record


def trust_grant(*, actor: Actor, username: Any, reason: Any) -> TrustGrant:
    return _trust(actor=actor, username=username, reason=reason, grant=True)


def trust_revoke(*, actor: Actor, username: Any, reason: Any) -> TrustGrant:
    return _trust(actor=actor, username=username, reason=reason, grant=False)
