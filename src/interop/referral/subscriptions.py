"""Rest-hook subscriptions of clinic clients to their units' Tasks (R4 Subscriptions Backport, id-only).

A subscription covers the units of the client that created it (or a subset named in its filter). Delivery
is the ``referral.notify`` job: one job per event, queued per subscription so events go out in order,
retried with back-off, at least once; failures show on the subscription (``status`` error, ``error``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.context import RequestContext
from interop.referral import endpoints
from interop.referral.errors import InvalidSubscription, SubscriptionNotFound
from interop.referral.models import Subscription
from interop.referral.queries import resolve_clues


@dataclass(frozen=True)
class SubscriptionCreate:
    criteria: str
    endpoint: str
    headers: list[str]
    clues: list[str] | None  # units named in the filter; None = all the client's units
    reason: str | None = None


async def create_subscription(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    spec: SubscriptionCreate,
    allowed_hosts: Sequence[str] = (),
) -> Subscription:
    reason = endpoints.refusal(spec.endpoint, allowed_hosts)
    if reason is not None:
        raise InvalidSubscription(reason)
    own = set(await resolve_clues(session, sorted(ctx.actor.clues)))
    wanted = set(await resolve_clues(session, spec.clues)) if spec.clues else own
    if not wanted or not wanted <= own:
        raise InvalidSubscription("a subscription may only cover the client's own units")
    now = datetime.now(UTC)
    sub = Subscription(
        id=uuid.uuid4(),
        client_id=ctx.actor.client_id,
        clues=sorted(wanted),
        criteria=spec.criteria,
        endpoint=spec.endpoint,
        headers=spec.headers,
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
    return sub


async def get_subscription(
    session: AsyncSession, ctx: RequestContext, *, subscription_id: uuid.UUID
) -> Subscription:
    sub = await session.get(Subscription, subscription_id, populate_existing=True)
    if sub is None or (ctx.actor.role not in ("admin", "system") and sub.client_id != ctx.actor.client_id):
        raise SubscriptionNotFound("no such Subscription")
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
