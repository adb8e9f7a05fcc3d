"""The ``PUT`` / ``PATCH`` shape shared by ``Task`` (a clinic moves it) and ``ServiceRequest`` (Bienestar
withdraws or corrects it): the wanted resource is the JSON sent (PUT), or the current resource with the
JSON Patch (RFC 6902) or JSON Merge Patch (RFC 7386, as fhirpy's ``patch`` sends) applied (PATCH). The
body is read before the current resource, so a body that is not JSON is 422 whatever the id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import Request

from interop.config import Settings
from interop.errors import Invalid
from interop.fhir.patch import PatchLimits, apply_json_patch, apply_merge_patch


async def read_json(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise Invalid.said("fhir.body_not_json") from None


async def apply_patch(current: dict[str, Any], ops: Any, settings: Settings) -> Any:
    """``ops`` applied to a copy of ``current``, within the settings' bounds; bounded, but still CPU work
    proportional to the body, so off the event loop."""
    limits = PatchLimits(
        max_operations=settings.patch_max_operations,
        max_result_bytes=settings.patch_max_result_bytes,
        max_depth=settings.patch_max_depth,
    )
    if isinstance(ops, list):
        return await asyncio.to_thread(apply_json_patch, current, ops, limits)
    if isinstance(ops, dict):
        return await asyncio.to_thread(apply_merge_patch, current, ops, limits)
    raise Invalid.said("fhir.patch.body_shape")


async def wanted(
    request: Request,
    settings: Settings,
    current_of: Callable[[], Awaitable[dict[str, Any]]],
    *,
    patch: bool,
) -> tuple[dict[str, Any], Any]:
    """The current resource and the one the caller wants: the body (PUT) or the patched current (PATCH)."""
    sent = await read_json(request)
    current = await current_of()
    return current, (await apply_patch(current, sent, settings) if patch else sent)
