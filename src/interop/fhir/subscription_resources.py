"""Subscriptions as FHIR (R4 Subscriptions Backport, rest-hook, id-only): the Subscription resource and the
notification Bundle the delivery job posts. Pure; registers its notification renderer with the referral
domain, which delivers without speaking FHIR."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from interop.messages import stored
from interop.referral import service as referral_service


class SubscriptionView(Protocol):
    """What a Subscription resource shows of a stored subscription."""

    id: uuid.UUID
    status: str
    version: int
    updated_at: datetime
    reason: str | None
    clues: list[str]
    topic: str
    endpoint: str
    events_since_start: int
    failure_count: int
    headers: Any
    error: str | None
    signing_secret: str | None


BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
TOPIC = "https://www.gob.mx/bienestar/fhir/SubscriptionTopic/referral-task"
REFERRAL_TOPIC = "https://www.gob.mx/bienestar/fhir/SubscriptionTopic/referral-service-request"
_DEFAULT_REASON = {
    "task": "Referral Tasks of my units",
    "service-request": "Referencias enviadas por este sistema",
}
ID_ONLY = "id-only"
SECRET_EXTENSION = (  # the extension's URL, not a secret
    "https://www.gob.mx/bienestar/fhir/StructureDefinition/subscription-signing-secret"  # noqa: S105
)


def subscription_resource(sub: SubscriptionView, *, with_secret: bool = False) -> dict[str, Any]:
    """The Subscription; ``with_secret`` adds its signing secret (the create's answer alone)."""
    status = "error" if sub.status == "error" else sub.status
    res: dict[str, Any] = {
        "resourceType": "Subscription",
        "id": str(sub.id),
        "meta": {
            "versionId": str(sub.version),
            "lastUpdated": sub.updated_at.isoformat(),
            "profile": [f"{BACKPORT}backport-subscription"],
        },
        "status": status,
        "reason": sub.reason or _DEFAULT_REASON[sub.topic],
        "criteria": REFERRAL_TOPIC if sub.topic == "service-request" else TOPIC,
        "_criteria": {
            "extension": [
                {
                    "url": f"{BACKPORT}backport-filter-criteria",
                    "valueString": "ServiceRequest?requester=self"
                    if sub.topic == "service-request"
                    else f"Task?owner:identifier={','.join(sub.clues)}",
                }
            ]
        },
        "channel": {
            "type": "rest-hook",
            "endpoint": sub.endpoint,
            "payload": "application/fhir+json",
            "_payload": {"extension": [{"url": f"{BACKPORT}backport-payload-content", "valueCode": ID_ONLY}]},
        },
        "extension": [
            {
                "url": f"{BACKPORT}backport-events-since-subscription-start",
                "valueString": str(sub.events_since_start),
            },
            {
                "url": "https://www.gob.mx/bienestar/fhir/StructureDefinition/subscription-failure-count",
                "valueInteger": sub.failure_count,
            },
        ],
    }
    if sub.headers:
        res["channel"]["header"] = ["<redacted>" for _ in sub.headers]  # secrets stay with the server
    if sub.error:
        res["error"] = stored.said(sub.error)
    if with_secret and sub.signing_secret:
        res["extension"].append({"url": SECRET_EXTENSION, "valueString": sub.signing_secret})
    return res


def notification_bundle(
    *,
    base: str,
    subscription_id: str,
    event_number: int,
    events_since_start: int,
    status: str,
    task_id: str,
    at: datetime,
    resource_type: str = "Task",
) -> dict[str, Any]:
    """An R4 backport id-only event notification for one Task change."""
    status_id = str(uuid.uuid4())
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [f"{BACKPORT}backport-subscription-notification-r4"]},
        "type": "history",
        "timestamp": datetime.now(UTC).isoformat(),
        "entry": [
            {
                "fullUrl": f"urn:uuid:{status_id}",
                "resource": {
                    "resourceType": "Parameters",
                    "id": status_id,
                    "meta": {"profile": [f"{BACKPORT}backport-subscription-status-r4"]},
                    "parameter": [
                        {
                            "name": "subscription",
                            "valueReference": {"reference": f"{base}/Subscription/{subscription_id}"},
                        },
                        {
                            "name": "topic",
                            "valueCanonical": REFERRAL_TOPIC if resource_type == "ServiceRequest" else TOPIC,
                        },
                        {"name": "status", "valueCode": "error" if status == "error" else "active"},
                        {"name": "type", "valueCode": "event-notification"},
                        {"name": "events-since-subscription-start", "valueString": str(events_since_start)},
                        {
                            "name": "notification-event",
                            "part": [
                                {"name": "event-number", "valueString": str(event_number)},
                                {"name": "timestamp", "valueInstant": at.isoformat()},
                                {
                                    "name": "focus",
                                    "valueReference": {"reference": f"{base}/{resource_type}/{task_id}"},
                                },
                            ],
                        },
                    ],
                },
                "request": {"method": "GET", "url": f"{base}/Subscription/{subscription_id}/$status"},
                "response": {"status": "200"},
            },
            {
                "fullUrl": f"{base}/{resource_type}/{task_id}",
                "request": {"method": "PUT", "url": f"{resource_type}/{task_id}"},
                "response": {"status": "200"},
            },
        ],
    }


def notification_body(event: referral_service.NotificationEvent) -> dict[str, Any]:
    return notification_bundle(
        base=event.base,
        subscription_id=event.subscription_id,
        event_number=event.event_number,
        events_since_start=event.events_since_start,
        status=event.status,
        task_id=event.task_id,
        at=event.at,
        resource_type=event.resource_type,
    )


referral_service.render_notifications_with(notification_body)
