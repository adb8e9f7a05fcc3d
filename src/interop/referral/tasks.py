"""``referral.notify``: deliver one subscription event (rest-hook, id-only).

At least once: the event is marked delivered only after a 2xx; a failure is recorded on the subscription
(status ``error``, a generic reason, the count) and the job is retried with the queue's exponential
back-off. Jobs share the subscription's queue key, so a failing event holds back the later ones: order is
kept.

What the client sees of a failure is the same whatever went wrong (refused address, no such name, refused
connection, timeout, an HTTP status): otherwise the ``error`` field would be a port scanner of the
ministry's network. The operator gets the detail in the log (``subscription delivery failed``), in the
notification's ``last_error`` and in the metric ``interop_subscription_delivery_failures_total{reason}``.

Delivery connects to the addresses ``endpoints.pin`` checked (no second lookup), does not follow
redirects and ignores proxy settings of the environment (a proxy would choose the address itself). A
subscription of a revoked client is switched off instead of delivered.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from sqlalchemy import update

from interop.api.metrics import observe_delivery_failure
from interop.auth import service as auth_service
from interop.context import system_context
from interop.job import service as job_service
from interop.job.worker import JobContext, TransientJobError, handler
from interop.messages import stored
from interop.referral import endpoints, identity_flow, lifecycle, notification_body, routing_queue, signature
from interop.referral.lifecycle import ESCALATE_JOB
from interop.referral.models import Notification, Subscription
from interop.referral.records import NOTIFY_JOB, NOTIFY_MAX_ATTEMPTS

log = logging.getLogger(__name__)
TIMEOUT_S = 10.0


def client_error(event_number: int, *, final: bool) -> str:
    """What the Subscription's ``error`` says of a failed delivery, never why (a stored message: the
    subscriber reads it in its own language)."""
    key = "subscription.delivery_failed_final" if final else "subscription.delivery_failed"
    return stored.keep(key, event=event_number)


async def _post(
    targets: list[endpoints.Target], body: bytes, headers: dict[str, str]
) -> tuple[str, str] | None:
    """Post to the first target that accepts a connection; None on a 2xx, else (reason, detail)."""
    failure: tuple[str, str] = ("connect", "no address accepted the connection")
    async with httpx.AsyncClient(timeout=TIMEOUT_S, trust_env=False, follow_redirects=False) as http:
        for target in targets:
            extensions = {"sni_hostname": target.sni} if target.sni else None
            try:
                # Streamed and never read: an endpoint's answer may be as large or as slow as it likes.
                async with http.stream(
                    "POST",
                    target.url,
                    content=body,
                    headers={**headers, "Host": target.host},
                    extensions=extensions,
                ) as resp:
                    status = resp.status_code
            except httpx.ConnectError as exc:
                failure = ("connect", f"connection to {target.address} failed ({type(exc).__name__})")
                continue
            except httpx.TimeoutException as exc:
                return "timeout", f"{target.address}: {type(exc).__name__}"
            except httpx.HTTPError as exc:
                return "transport", f"{target.address}: {type(exc).__name__}"
            if 200 <= status < 300:
                return None
            return "status", f"{target.address} answered HTTP {status}"
    return failure


async def _switch_off(ctx: JobContext, sub: Subscription, note_id: int) -> None:
    now = datetime.now(UTC)
    async with ctx.sessionmaker() as session:
        await session.execute(
            update(Notification)
            .where(Notification.id == note_id)
            .values(state="cancelled", last_error="client revoked")
        )
        await session.execute(
            update(Subscription)
            .where(Subscription.id == sub.id)
            .values(
                status="off",
                error=stored.keep("subscription.revoked"),
                updated_at=now,
            )
        )
        await session.commit()
    log.warning("subscription switched off: client revoked", extra={"subscription_id": str(sub.id)})


@handler(NOTIFY_JOB)
async def deliver(ctx: JobContext) -> dict[str, Any] | None:
    note_id = int(ctx.payload["notification_id"])
    async with ctx.sessionmaker() as session:
        note = await session.get(Notification, note_id)
        sub = await session.get(Subscription, note.subscription_id) if note is not None else None
        active = await auth_service.client_active(session, name=sub.client_id) if sub is not None else None
    if note is None or sub is None or sub.status == "off":
        return {"skipped": True}
    if active is False:  # unknown (None) is a client of an external issuer: its revocation is the issuer's
        await _switch_off(ctx, sub, note_id)
        return {"skipped": True, "revoked": True}
    settings = ctx.settings
    base = (settings.base_url or f"http://{settings.host}:{settings.port}").rstrip("/") + "/fhir"
    bundle = notification_body.render(
        notification_body.NotificationEvent(
            base=base,
            subscription_id=str(sub.id),
            event_number=note.event_number,
            events_since_start=sub.events_since_start,
            status=sub.status,
            task_id=str(note.task_id),
            at=note.created_at,
            resource_type=note.resource_type,
        )
    )
    body = orjson.dumps(bundle)
    headers = {**endpoints.client_headers(sub.headers), "Content-Type": "application/fhir+json"}
    if sub.signing_secret:
        headers.update(
            signature.headers(
                sub.signing_secret,
                message_id=f"{sub.id}.{note.event_number}",
                timestamp=int(time.time()),
                body=body,
            )
        )
    failure: tuple[str, str] | None
    try:
        targets = await endpoints.pin(
            sub.endpoint,
            settings.subscription_endpoint_hosts,
            allow_private=settings.subscription_allow_private,
        )
    except endpoints.DeliveryRefused as refused:
        failure = (refused.reason, refused.detail)
    else:
        failure = await _post(targets, body, headers)
    now = datetime.now(UTC)
    final = ctx.attempt >= NOTIFY_MAX_ATTEMPTS
    async with ctx.sessionmaker() as session:
        if failure is None:
            await session.execute(
                update(Notification)
                .where(Notification.id == note_id)
                .values(
                    state="delivered", attempts=Notification.attempts + 1, delivered_at=now, last_error=None
                )
            )
            await session.execute(
                update(Subscription)
                .where(Subscription.id == sub.id)
                .values(status="active", error=None, last_delivered_at=now, updated_at=now)
            )
        else:
            await session.execute(
                update(Notification)
                .where(Notification.id == note_id)
                .values(
                    state="failed" if final else "pending",
                    attempts=Notification.attempts + 1,
                    last_error=failure[1][:500],
                )
            )
            await session.execute(
                update(Subscription)
                .where(Subscription.id == sub.id)
                .values(
                    status="error",
                    error=client_error(note.event_number, final=final),
                    failure_count=Subscription.failure_count + 1,
                    updated_at=now,
                )
            )
        await session.commit()
    if failure is not None:
        reason, detail = failure
        observe_delivery_failure(reason)
        log.warning(
            "subscription delivery failed",
            extra={
                "subscription_id": str(sub.id),
                "event": note.event_number,
                "attempt": ctx.attempt,
                "reason": reason,
                "detail": detail,
            },
        )
        raise TransientJobError(stored.keep("subscription.delivery_retry", reason=reason))
    return {"delivered": note.event_number}


ROUTE_WAITING_JOB = routing_queue.ROUTE_WAITING_JOB


@handler(ROUTE_WAITING_JOB)
async def route_waiting_job(ctx: JobContext) -> dict[str, Any] | None:
    """After a units import: referrals waiting to be routed try the rules again."""
    async with ctx.sessionmaker() as session:
        routed = await routing_queue.route_waiting(
            session, system_context(request_id=f"job-{ctx.job_id}", trace_id=ctx.trace_id or "0" * 32)
        )
        await session.commit()
    return {"routed": routed}


@handler(ESCALATE_JOB)
async def escalate_job(ctx: JobContext) -> dict[str, Any] | None:
    """Escalate unanswered referrals, then queue the next sweep (one pending sweep at a time)."""
    settings = ctx.settings
    async with ctx.sessionmaker() as session:
        escalated = await lifecycle.escalate_unanswered(
            session,
            system_context(request_id=f"job-{ctx.job_id}", trace_id=ctx.trace_id or "0" * 32),
            now=datetime.now(UTC),
            hours=settings.referral_answer_hours,
        )
        await job_service.enqueue(
            session,
            kind=ESCALATE_JOB,
            payload={},
            queue_key=ESCALATE_JOB,
            delay_s=settings.referral_escalation_sweep_s,
        )
        await session.commit()
    return {"escalated": escalated}


@handler(identity_flow.DECISION_JOB)
async def follow_identity_decision_job(ctx: JobContext) -> dict[str, Any] | None:
    """A reviewer decided (or reversed) a visit's review: its referrals follow."""
    async with ctx.sessionmaker() as session:
        moved = await identity_flow.follow_identity_decision(
            session,
            system_context(request_id=f"job-{ctx.job_id}", trace_id=ctx.trace_id or "0" * 32),
            review_id=int(ctx.payload["review_id"]),
        )
        await session.commit()
    return {"moved": moved}
