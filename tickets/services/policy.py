"""Posting policies (moderation's sanctions plug in here) and rate limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tickets import config, permissions, ratelimit
from tickets.identity import Actor
from tickets.models import (
    Comment,
    Identity,
    Ticket,
)

# --- Posting policies ----------------------------------------------------------------------
# Moderation plugs its sanctions in here (registered in its AppConfig.ready), so `tickets`
# never imports `moderation` and every way of posting obeys the same rules.


@dataclass
class PostingDecision:
    visibility: str = Comment.Visibility.VISIBLE
    shadow: bool = False


PostingPolicy = Callable[..., PostingDecision | None]
_posting_policies: list[PostingPolicy] = []


def register_posting_policy(policy: PostingPolicy) -> None:
    if policy not in _posting_policies:
        _posting_policies.append(policy)


def _posting_decision(
    *, actor: Actor, identity: Identity, ticket: Ticket | None, kind: str
) -> PostingDecision:
    """Raise NotAllowed / RateLimited, or say how the new item is shown."""
    decision = PostingDecision()
    for policy in _posting_policies:
        outcome = policy(actor=actor, identity=identity, ticket=ticket, kind=kind)
        if outcome is not None:
            if outcome.visibility == Comment.Visibility.HELD:
                decision.visibility = Comment.Visibility.HELD
            decision.shadow = decision.shadow or outcome.shadow
    return decision


def _rate_limit(actor: Actor, scope: str, *, override: tuple[int, int] | None = None) -> None:
    if permissions.is_exempt_from_rate_limits(actor.user):
        return
    # Integrations (Open311) name their own tier; see tickets/open311/filing.py.
    tier = "citizen" if actor.is_authenticated else getattr(actor, "rate_tier", "anonymous")
    limit, window = override or config.rate_limit(tier, scope)
    ratelimit.hit(scope=scope, key=actor.key, limit=limit, window=window)
    if not actor.is_authenticated and actor.anon_token and actor.ip:
        # Many neighbours can share one address, so the address limit is wider; it stops a
        # troll who clears cookies between posts.
        ratelimit.hit(scope=f"{scope}:ip", key=actor.ip_hash, limit=limit * 5, window=window)
