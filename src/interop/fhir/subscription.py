"""``/fhir/Subscription`` (R4 Subscriptions Backport, rest-hook, id-only): create / read / search / delete;
the resource and the notification Bundle are in ``subscription_resources``. A clinic subscribes to changes
of its units' Tasks; the notification names the Task, and the clinic then reads it (polling with
``_lastUpdated`` stays the contract).

Notifications are signed (``interop.referral.signature``). The secret travels in the extension
``SECRET_EXTENSION`` of the Subscription: the client may send its own in the create, and the answer to the
create carries the secret in use; no later read shows it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from interop.api.deps import SessionDep, SettingsDep
from interop.api.policy import require
from interop.context import RequestContext
from interop.errors import Invalid
from interop.fhir import search as fs
from interop.fhir.capability import ResourceCapability, register
from interop.fhir.responses import FhirResponse
from interop.fhir.subscription_resources import (
    BACKPORT,
    ID_ONLY,
    REFERRAL_TOPIC,
    SECRET_EXTENSION,
    TOPIC,
    subscription_resource,
)
from interop.fhir.version import Subscription as SubscriptionModel
from interop.referral import service as referral_service
from interop.referral.errors import SubscriptionNotFound

router = APIRouter(tags=["fhir"])


def _spec(body: dict[str, Any]) -> referral_service.SubscriptionCreate:
    if body.get("resourceType") != "Subscription":
        raise Invalid.said("fhir.subscription.not_subscription")
    try:
        SubscriptionModel.model_validate(body)
    except ValidationError as exc:
        raise Invalid.said(
            "fhir.subscription.invalid", count=exc.error_count(), path=fs.first_problem(exc)
        ) from None
    channel = body.get("channel") or {}
    if channel.get("type") != "rest-hook":
        raise Invalid.said("fhir.subscription.rest_hook_only")
    content = next(
        (
            e.get("valueCode")
            for e in (channel.get("_payload") or {}).get("extension") or []
            if e.get("url") == f"{BACKPORT}backport-payload-content"
        ),
        ID_ONLY,
    )
    if content != ID_ONLY:
        raise Invalid.said("fhir.subscription.id_only")
    criteria = body.get("criteria")
    if criteria not in (None, TOPIC, "Task", REFERRAL_TOPIC, "ServiceRequest"):
        raise Invalid.said("fhir.subscription.criteria", topic=TOPIC, referral_topic=REFERRAL_TOPIC)
    topic = "service-request" if criteria in (REFERRAL_TOPIC, "ServiceRequest") else "task"
    clues: list[str] | None = None
    for ext in (body.get("_criteria") or {}).get("extension") or []:
        if ext.get("url") == f"{BACKPORT}backport-filter-criteria" and topic == "task":
            raw = str(ext.get("valueString", ""))
            _, _, value = raw.partition("=")
            clues = [fs.parse_token(v)[1] for v in value.split(",") if v]
    secrets = [e.get("valueString") for e in body.get("extension") or [] if e.get("url") == SECRET_EXTENSION]
    return referral_service.SubscriptionCreate(
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
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Subscription", "c"))],
) -> FhirResponse:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise Invalid.said("fhir.body_not_json") from None
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
        headers={"Location": f"{fs.base_url(request, settings)}/Subscription/{sub.id}", "ETag": 'W/"1"'},
    )


def _id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise SubscriptionNotFound.said("referral.subscription_not_found") from None


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
    settings: SettingsDep,
    ctx: Annotated[RequestContext, Depends(require("Subscription", "s"))],
) -> FhirResponse:
    fs.params_of(request, (), settings)
    subs = await referral_service.list_subscriptions(session, ctx)
    return FhirResponse(
        fs.searchset(
            request,
            base=fs.base_url(request, settings),
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
