"""Subscription (R4 Subscriptions Backport, rest-hook, id-only) create / read / search / delete, and the
notification Bundle the delivery job posts. A clinic subscribes to changes of its units' Tasks; the
notification names the Task, and the clinic then reads it (polling with ``_lastUpdated`` stays the contract).

Notifications are signed (``interop.referral.signature``). The secret travels in the extension
``SECRET_EXTENSION`` of the Subscription: the client may send its own in the create, and the answer to the
create carries the secret in use; no later read shows it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fhir.resources.R4B.subscription import Subscription as SubscriptionModel
from pydantic import ValidationError

from interop.api.deps import SessionDep
from interop.auth.dependencies import require
from interop.context import RequestContext
from interop.errors import Invalid
from interop.fhir import search as fs
from interop.fhir.capability import ResourceCapability, register
from interop.fhir.responses import FhirResponse
from interop.referral import service as referral_service
from interop.referral.errors import SubscriptionNotFound
from interop.referral.models import Subscription
from interop.referral.subscriptions import SubscriptionCreate

router = APIRouter(tags=["fhir"])


BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
TOPIC = "https://www.gob.mx/bienestar/fhir/SubscriptionTopic/referral-task"
REFERRAL_TOPIC = "https://www.gob.mx/bienestar/fhir/SubscriptionTopic/referral-service-request"
ID_ONLY = "id-only"
SECRET_EXTENSION = (  # the extension's URL, not a secret
    "https://www.gob.mx/bienestar/fhir/StructureDefinition/subscription-signing-secret"  # noqa: S105
)


_DEFAULT_REASON = {
    "task": "Referral Tasks of my units",
    "service-request": "Referencias enviadas por este sistema",
}


def subscription_resource(sub: Subscription, *, with_secret: bool = False) -> dict[str, Any]:
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
        res["error"] = sub.error
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
    """An R4 backport id-only event notification for one Task (or ServiceRequest) change."""
    topic = REFERRAL_TOPIC if resource_type == "ServiceRequest" else TOPIC
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
                        {"name": "topic", "valueCanonical": topic},
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


def _spec(body: dict[str, Any]) -> SubscriptionCreate:
    if body.get("resourceType") != "Subscription":
        raise Invalid("the body must be a Subscription")
    try:
        SubscriptionModel.model_validate(body)
    except ValidationError as exc:
        raise Invalid(
            f"not a valid Subscription: {exc.error_count()} problem(s), first at {fs.first_problem(exc)}"
        ) from None
    channel = body.get("channel") or {}
    if channel.get("type") != "rest-hook":
        raise Invalid("only rest-hook channels are supported")
    content = next(
        (
            e.get("valueCode")
            for e in (channel.get("_payload") or {}).get("extension") or []
            if e.get("url") == f"{BACKPORT}backport-payload-content"
        ),
        ID_ONLY,
    )
    if content != ID_ONLY:
        raise Invalid("only id-only payloads are sent (read the Task after the notification)")
    criteria = body.get("criteria")
    if criteria not in (None, TOPIC, "Task", REFERRAL_TOPIC, "ServiceRequest"):
        raise Invalid(f"criteria must be the topic {TOPIC} (Tasks) or {REFERRAL_TOPIC} (referrals sent)")
    topic = "service-request" if criteria in (REFERRAL_TOPIC, "ServiceRequest") else "task"
    clues: list[str] | None = None
    for ext in (body.get("_criteria") or {}).get("extension") or []:
        if ext.get("url") == f"{BACKPORT}backport-filter-criteria" and topic == "task":
            raw = str(ext.get("valueString", ""))
            _, _, value = raw.partition("=")
            clues = [fs.parse_token(v)[1] for v in value.split(",") if v]
    secrets = [e.get("valueString") for e in body.get("extension") or [] if e.get("url") == SECRET_EXTENSION]
    return SubscriptionCreate(
        topic=topic,
        criteria=REFERRAL_TOPIC if topic == "service-request" else TOPIC,
        endpoint=str(channel.get("endpoint") or ""),
        headers=list(channel.get("header") or []),
        clues=clues,
        reason=body.get("reason"),
        signing_secret=str(secrets[0]) if secrets and secrets[0] else None,
    )


@router.post(
    "/Subscription",
    summary="Register a rest-hook Subscription for my units' Tasks",
    status_code=201,
    response_class=FhirResponse,
    responses={422: {"description": "Invalid Subscription"}},
)
async def create(
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Subscription", "c"))],
) -> FhirResponse:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise Invalid("the body is not JSON") from None
    settings = request.app.state.settings
    sub = await referral_service.create_subscription(
        session,
        ctx,
        spec=_spec(body),
        allowed_hosts=settings.subscription_endpoint_hosts,
        allow_private=settings.subscription_allow_private,
        max_per_client=settings.subscription_max_per_client,
    )
    res = subscription_resource(sub, with_secret=True)
    return FhirResponse(
        res,
        status_code=201,
        headers={"Location": f"{fs.base_url(request)}/Subscription/{sub.id}", "ETag": 'W/"1"'},
    )


def _id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise SubscriptionNotFound("no such Subscription") from None


@router.get(
    "/Subscription/{subscription_id}",
    summary="Read a Subscription (status, error)",
    response_class=FhirResponse,
)
async def read(
    subscription_id: str,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Subscription", "r"))],
) -> FhirResponse:
    sub = await referral_service.get_subscription(session, ctx, subscription_id=_id(subscription_id))
    return FhirResponse(subscription_resource(sub))


@router.get("/Subscription", summary="My Subscriptions", response_class=FhirResponse)
async def search(
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Subscription", "s"))],
) -> FhirResponse:
    fs.params_of(request, ())
    subs = await referral_service.list_subscriptions(session, ctx)
    return FhirResponse(
        fs.searchset(
            request,
            resource_type="Subscription",
            matches=[subscription_resource(s) for s in subs],
            total=len(subs),
            next_cursor=None,
        )
    )


@router.delete("/Subscription/{subscription_id}", summary="Delete a Subscription", status_code=204)
async def delete(
    subscription_id: str,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Subscription", "d"))],
) -> Response:
    await referral_service.delete_subscription(session, ctx, subscription_id=_id(subscription_id))
    return Response(status_code=204)


register(
    ResourceCapability(
        type="Subscription",
        interactions=["create", "read", "delete", "search-type"],
        versioning="no-version",
        profile=f"{BACKPORT}backport-subscription",
    )
)
