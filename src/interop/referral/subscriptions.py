"""Rest-hook subscriptions (R4 Subscriptions Backport, id-only): clinic clients to their units' Tasks, and
Bienestar systems to the referrals (ServiceRequests) they sent.

A subscription covers the units of the client that created it (or a subset named in its filter). Delivery
is the ``referral.notify`` job: one job per event, queued per subscription so events go out in order,
retried with back-off, at least once; failures show on the subscription (``status`` error, and a generic
``error``: the details go to the operator's log and metrics only). Each client holds at most
``max_per_client`` subscriptions; each has a signing secret (``signature``); creating and deleting one is
audited in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import RequestContext
from interop.messages import stored
from interop.referral import endpoints, signature
from interop.referral.errors import InvalidSubscription, SubscriptionNotFound
from interop.referral.models import Subscription
from interop.referral.scopes import resolve_clues


@dataclass(frozen=True)
class SubscriptionCreate:
    criteria: str
    endpoint: str
    headers: list[str]
    clues: list[str] | None  # units named in the filter; None = all the client's units
    reason: str | None = None
    signing_secret: str | None = None  # the client's own whsec_ secret; None: the service makes one
    topic: str = "task"  # or "service-request": a Bienestar system's own referrals


async def create_subscription(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    spec: SubscriptionCreate,
    allowed_hosts: Sequence[str] = (),
    allow_private: bool = False,
    max_per_client: int = 10,
) -> Subscription:
    """A new live subscription; its ``signing_secret`` is for the create's answer alone."""
    reason = endpoints.refusal(spec.endpoint, allowed_hosts, allow_private=allow_private)
    reason = reason or endpoints.header_refusal(spec.headers)
    if reason is not None:
        key, params = stored.unpack(reason)
        raise InvalidSubscription.said(key, **params)
    secret = spec.signing_secret or signature.new_secret()
    try:
        signature.key_of(secret)
    except signature.BadSecret:
        raise InvalidSubscription.said("referral.subscription.secret_format") from None
    # One creation at a time per client, so two concurrent ones cannot both pass the cap.
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtext(f"subscription:{ctx.actor.client_id}")))
    )
    held = await session.scalar(select(func.count()).where(Subscription.client_id == ctx.actor.client_id))
    if int(held or 0) >= max_per_client:
        raise InvalidSubscription.said("referral.subscription.limit", held=held, max=max_per_client)
    if spec.topic == "service-request":
        # Limited to what the client may read: the referrals it sent, never a unit's or another client's.
        if ctx.actor.role not in ("bienestar", "admin"):
            raise InvalidSubscription.said("referral.subscription.referrals_bienestar_only")
        wanted: set[str] = set()
    else:
        own = set(await resolve_clues(session, sorted(ctx.actor.clues)))
        wanted = set(await resolve_clues(session, spec.clues)) if spec.clues else own
        if not wanted or not wanted <= own:
            raise InvalidSubscription.said("referral.subscription.own_units")
    now = datetime.now(UTC)
    sub = Subscription(
        id=uuid.uuid4(),
        client_id=ctx.actor.client_id,
        topic=spec.topic,
        clues=sorted(wanted),
        criteria=spec.criteria,
        endpoint=spec.endpoint,
        headers=spec.headers,
        signing_secret=secret,
        status="active",
        error=None,
        failure_count=0,
        events_since_start=0,
        reason=spec.reason,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(sub)
    await session.flush()
    await audit_service.record(
        session,
        ctx,
        action="C",
        subtype="create",
        entities=[AuditEntity(type="Subscription", id=str(sub.id))],
    )
    return sub


async def get_subscription(
    session: AsyncSession, ctx: RequestContext, *, subscription_id: uuid.UUID
) -> Subscription:
    sub = await session.get(Subscription, subscription_id, populate_existing=True)
    if sub is None or (ctx.actor.role not in ("admin", "system") and sub.client_id != ctx.actor.client_id):
        raise SubscriptionNotFound.said("referral.subscription_not_found")
    return sub


async def list_subscriptions(session: AsyncSession, ctx: RequestContext) -> list[Subscription]:
    stmt = select(Subscription).order_by(Subscription.created_at)
    if ctx.actor.role not in ("admin", "system"):
        stmt = stmt.where(Subscription.client_id == ctx.actor.client_id)
    return list((await session.execute(stmt)).scalars().all())


async def delete_subscription(
    session: AsyncSession, ctx: RequestContext, *, subscription_id: uuid.UUID
) -> None:
    sub = await get_subscription(session, ctx, subscription_id=subscription_id)
    await session.delete(sub)
    await session.flush()
    await audit_service.record(
        session,
        ctx,
        action="D",
        subtype="delete",
        entities=[AuditEntity(type="Subscription", id=str(sub.id))],
    )
