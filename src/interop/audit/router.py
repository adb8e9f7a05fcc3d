"""``/v1`` routes of the audit trail: one case end to end, verification, export, checkpoints, and the
Merkle tree log's keys, signed heads, leaves and proofs (DESIGN.md "Audit proofs").

Reading the trail is itself recorded (an auditor's reads are security-relevant too).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from interop.api.deps import ReadingSessionDep, SessionDep
from interop.api.policy import require
from interop.audit import export as audit_export
from interop.audit import proofs, verification
from interop.audit import service as audit_service
from interop.audit.errors import InvalidAuditQuery
from interop.audit.schemas import (
    AuditEntity,
    AuditKeyList,
    ConsistencyProofRead,
    InclusionProofRead,
    LeafRead,
    TraceRead,
    TreeHeadRead,
    VerificationRead,
)
from interop.context import RequestContext
from interop.messages import stored

router = APIRouter(tags=["audit"])

_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No valid bearer token"},
    403: {"description": "The token lacks the scope"},
    422: {"description": "Invalid parameters"},
}


@router.get(
    "/trace/{trace_id}",
    response_model=TraceRead,
    summary="One case end to end, in time order",
    responses=_ERRORS,
)
async def get_trace(
    trace_id: Annotated[str, Path(description="W3C trace id: 32 lowercase hex digits.")],
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("Trace", "r"))],
) -> TraceRead:
    """Events carrying the trace id (the visit and everything done in its requests and jobs), and
    events of other requests on the same resources (a clinic reading or moving the referral's Task)."""
    if not audit_service.valid_trace_id(trace_id):
        raise InvalidAuditQuery.said("audit.trace_id_invalid")
    result = await audit_service.trace(session, trace_id=trace_id)
    await audit_service.record(session, ctx, action="E", subtype="search-type", query=f"trace_id={trace_id}")
    return result


@router.get(
    "/audit/verification",
    response_model=VerificationRead,
    summary="Walk the hash chain and the signed checkpoints",
    responses=_ERRORS,
)
async def get_verification(
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("AuditVerification", "r"))],
) -> VerificationRead:
    """Recomputes every hash, checks seq continuity and every checkpoint signature; names the first bad
    entry. The walk is one transaction's snapshot and takes about as long as reading the table."""
    report = await verification.verify(
        session, verifier=audit_service.current_signer().verifier, workers=os.cpu_count() or 1
    )
    await audit_service.record(
        session, ctx, action="E", subtype="verify", outcome="0" if report.ok else "4", query=None
    )
    # The reason is kept as a catalogue key: it reads in the caller's language.
    return report.model_copy(update={"reason": stored.said(report.reason) if report.reason else None})


@router.post(
    "/audit/checkpoints",
    response_model=TreeHeadRead | None,
    status_code=201,
    summary="Sequence committed events and sign the tree head now",
    responses=_ERRORS,
)
async def create_checkpoint(
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("AuditVerification", "c"))],
) -> TreeHeadRead | None:
    await audit_service.record(session, ctx, action="C", subtype="checkpoint")
    return await audit_service.checkpoint(session)


def _instant(value: str, *, name: str) -> datetime:
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidAuditQuery.said("audit.moment_invalid", name=name) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get(
    "/audit/export",
    summary="NDJSON export of a date range: its tree leaves and the signed head that covers them",
    response_class=StreamingResponse,
    responses={**_ERRORS, 200: {"content": {"application/x-ndjson": {}}}},
)
async def export_range(
    request: Request,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("AuditEvent", "s"))],
    from_: Annotated[str, Query(alias="from", description="Start (inclusive): date or instant.")],
    to: Annotated[str, Query(description="End (exclusive): date or instant.")],
) -> StreamingResponse:
    """Header line, one line per leaf, then the latest signed head with the consistency proof to it (see
    ``interop.audit.export`` for how an auditor checks it with the public key)."""
    signer = audit_service.current_signer()
    plan = await audit_export.plan(
        session,
        start=_instant(from_, name="from"),
        end=_instant(to, name="to"),
        signer=signer,
        origin=audit_service.log_origin(),
    )
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="export",
        query=f"from={plan.start.isoformat()}&to={plan.end.isoformat()}",
    )
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker

    async def body() -> AsyncIterator[bytes]:
        # The request's session commits before streaming starts; the rows stream from one of their own.
        async with sessionmaker() as stream_session:
            async for line in audit_export.lines(
                stream_session, export=plan, public_pem=signer.verifier.public_pem()
            ):
                yield line

    filename = f"audit-{plan.start.date()}-{plan.end.date()}.ndjson"
    return StreamingResponse(
        body(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


_PROOF_ERRORS: dict[int | str, dict[str, str]] = {**_ERRORS, 404: {"description": "No such head or leaf"}}
_Auditor = Annotated[RequestContext, Depends(require("AuditVerification", "r"))]


@router.get(
    "/audit/keys", response_model=AuditKeyList, summary="The tree heads' public keys", responses=_ERRORS
)
async def get_audit_keys(ctx: _Auditor) -> AuditKeyList:
    """Ed25519 keys as JWKs; an auditor keeps them to check heads and proofs offline."""
    return proofs.keys(audit_service.current_signer())


@router.get(
    "/audit/heads/latest",
    response_model=TreeHeadRead,
    summary="The latest signed tree head",
    responses=_PROOF_ERRORS,
)
async def get_latest_head(session: ReadingSessionDep, ctx: _Auditor) -> TreeHeadRead:
    return await proofs.latest_head(session)


@router.get(
    "/audit/heads",
    response_model=TreeHeadRead,
    summary="The signed tree head of a size",
    responses=_PROOF_ERRORS,
)
async def get_head(
    session: ReadingSessionDep,
    ctx: _Auditor,
    tree_size: Annotated[int, Query(ge=1, description="Tree size.")],
) -> TreeHeadRead:
    return await proofs.head_at(session, tree_size=tree_size)


@router.get(
    "/audit/entries/{index}", response_model=LeafRead, summary="One leaf of the tree", responses=_PROOF_ERRORS
)
async def get_entry(
    session: SessionDep, ctx: _Auditor, index: Annotated[int, Path(ge=0, description="Leaf index.")]
) -> LeafRead:
    """The leaf's exact bytes (the event's canonical form) and the AuditEvent it records. Audited."""
    result = await proofs.leaf(session, index=index)
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="read",
        entities=[AuditEntity(type="AuditEvent", id=result.event[11:])],
    )
    return result


@router.get(
    "/audit/proofs/inclusion",
    response_model=InclusionProofRead,
    summary="Inclusion proof of a leaf in a signed tree (RFC 9162 §2.1.3)",
    responses=_PROOF_ERRORS,
)
async def get_inclusion_proof(
    session: ReadingSessionDep,
    ctx: _Auditor,
    index: Annotated[int, Query(ge=0, description="Leaf index.")],
    tree_size: Annotated[int, Query(ge=1, description="Size of a signed tree head.")],
) -> InclusionProofRead:
    return await proofs.inclusion(session, index=index, tree_size=tree_size)


@router.get(
    "/audit/proofs/consistency",
    response_model=ConsistencyProofRead,
    summary="Consistency proof between two signed trees (RFC 9162 §2.1.4)",
    responses=_PROOF_ERRORS,
)
async def get_consistency_proof(
    session: ReadingSessionDep,
    ctx: _Auditor,
    first: Annotated[int, Query(ge=1, description="Size of the older signed tree head.")],
    second: Annotated[int, Query(ge=1, description="Size of the newer signed tree head.")],
) -> ConsistencyProofRead:
    return await proofs.consistency(session, first=first, second=second)
