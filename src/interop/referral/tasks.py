"""``referral.notify``: deliver one subscription event (rest-hook, id-only).

At least once: the event is marked delivered only after a 2xx; a failure is recorded on the subscription
(status ``error``, the reason, the count) and the job is retried with the queue's exponential back-off.
Jobs share the subscription's queue key, so a failing event holds back the later ones: order is kept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from sqlalchemy import update

from interop.fhir.subscription import notification_bundle
from interop.job.worker import JobContext, handler
from interop.referral import endpoints
from interop.referral.models import Notification, Subscription
from interop.referral.records import NOTIFY_JOB, NOTIFY_MAX_ATTEMPTS

TIMEOUT_S = 10.0


def _headers(raw: list[str]) -> dict[str, str]:
    out = {"Content-Type": "application/fhir+json"}
    for line in raw:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            out[name.strip()] = value.strip()
    return out


@handler(NOTIFY_JOB)
async def deliver(ctx: JobContext) -> dict[str, Any] | None:
    note_id = int(ctx.payload["notification_id"])
    async with ctx.sessionmaker() as session:
        note = await session.get(Notification, note_id)
        sub = await session.get(Subscription, note.subscription_id) if note is not None else None
    if note is None or sub is None or sub.status == "off":
        return {"skipped": True}
    settings = ctx.settings
    base = (settings.base_url or f"http://{settings.host}:{settings.port}").rstrip("/") + "/fhir"
    bundle = notification_bundle(
        base=base,
        subscription_id=str(sub.id),
        event_number=note.event_number,
        events_since_start=sub.events_since_start,
        status=sub.status,
        task_id=str(note.task_id),
        at=note.created_at,
    )
    error = await endpoints.delivery_refusal(sub.endpoint, settings.subscription_endpoint_hosts)
    if error is None:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
                resp = await http.post(
                    sub.endpoint, content=orjson.dumps(bundle), headers=_headers(sub.headers)
                )
            if not 200 <= resp.status_code < 300:
                error = f"endpoint answered HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            error = f"endpoint unreachable ({type(exc).__name__})"
    now = datetime.now(UTC)
    async with ctx.sessionmaker() as session:
        if error is None:
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
            final = ctx.attempt >= NOTIFY_MAX_ATTEMPTS
            await session.execute(
                update(Notification)
                .where(Notification.id == note_id)
                .values(
                    state="failed" if final else "pending",
                    attempts=Notification.attempts + 1,
                    last_error=error,
                )
            )
            await session.execute(
                update(Subscription)
                .where(Subscription.id == sub.id)
                .values(
                    status="error",
                    error=f"event {note.event_number}: {error}",
                    failure_count=Subscription.failure_count + 1,
                    updated_at=now,
                )
            )
        await session.commit()
    if error is not None:
        raise RuntimeError(error)
    return {"delivered": note.event_number}
