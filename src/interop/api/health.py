"""Liveness, readiness and metrics: public, no personal data."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import text

from interop.api import metrics
from interop.db.migrate import current_revision, head_revision
from interop.db.outage import Outage

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database is reachable and at the migration head",
    responses={503: {"description": "Not ready"}},
)
async def readyz(request: Request) -> Response:
    engine = request.app.state.engine
    outage: Outage | None = getattr(request.app.state, "db_outage", None)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            revision = await current_revision(conn)
    except Exception as exc:
        if outage is not None:
            outage.failed(exc)
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    if outage is not None:
        outage.succeeded()
    head = head_revision()
    if revision != head:
        return JSONResponse(
            {"status": "unavailable", "database": "migrations pending", "revision": revision, "head": head},
            status_code=503,
        )
    return JSONResponse({"status": "ready", "revision": revision})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics_endpoint(request: Request) -> Response:
    render = getattr(request.app.state, "render_metrics", None)
    body = await render() if render is not None else generate_latest(metrics.REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
