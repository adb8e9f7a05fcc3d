"""/v1 routes of the matching domain: batch runs and the review queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from interop.api.deps import SessionDep
from interop.api.policy import require
from interop.context import RequestContext
from interop.matching import reviews, service
from interop.matching.models import MatchRun
from interop.matching.schemas import (
    MatchReviewDetail,
    MatchReviewList,
    MatchReviewRead,
    MatchRunCreate,
    MatchRunRead,
    ReviewDecisionCreate,
    ReviewOrder,
    ReviewOutcome,
    ReviewReversalCreate,
)
from interop.messages import stored

router = APIRouter(tags=["matching"])

_ERRORS: dict[int | str, dict[str, str]] = {404: {"description": "Not found"}}


def _run_read(
    run: MatchRun, progress: dict[str, object], outcome: ReviewOutcome | None = None
) -> MatchRunRead:
    read = MatchRunRead.model_validate(run)
    # The stored reason is a catalogue key: it reads in the caller's language.
    error = stored.said(run.error) if run.error else None
    update = {"progress": progress, "reviews": outcome or ReviewOutcome(), "error": error}
    return read.model_copy(update=update)


@router.post("/match-runs", status_code=status.HTTP_202_ACCEPTED, response_model=MatchRunRead)
async def create_match_run(
    body: MatchRunCreate,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("MatchRun", "c"))],
) -> MatchRunRead:
    """Queue a batch run: deduplicate the roll, link it with the registries, update the person index."""
    run = await service.start_run(session, ctx, retrain=body.retrain)
    return _run_read(run, {})


@router.get("/match-runs/{run_id}", response_model=MatchRunRead, responses=_ERRORS)
async def read_match_run(
    run_id: int,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("MatchRun", "r"))],
) -> MatchRunRead:
    run, progress = await service.get_run(session, run_id=run_id)
    return _run_read(run, progress, await reviews.run_review_outcome(session, run_id=run_id))


@router.get("/match-reviews", response_model=MatchReviewList)
async def list_match_reviews(
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("MatchReview", "s"))],
    review_status: Annotated[str | None, Query(alias="status", pattern="^(open|decided|obsolete)$")] = "open",
    after: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    order: Annotated[
        ReviewOrder,
        Query(description="value: reviews a visit waits on first, then by score; id: as queued."),
    ] = "value",
) -> MatchReviewList:
    """Reviews, most worth a reviewer's time first (``order=value``)."""
    items, next_after = await reviews.list_reviews(
        session, status=review_status, after=after, limit=limit, order=order
    )
    return MatchReviewList(items=items, next_after=next_after)


@router.get("/match-reviews/{review_id}", response_model=MatchReviewDetail, responses=_ERRORS)
async def read_match_review(
    review_id: int,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("MatchReview", "r"))],
) -> MatchReviewDetail:
    """Both records side by side, with the comparison level and match weight of each field."""
    return await reviews.get_review(session, ctx, review_id=review_id)


@router.post(
    "/match-reviews/{review_id}/decision",
    response_model=MatchReviewRead,
    responses={**_ERRORS, 409: {"description": "Already decided"}},
)
async def decide_match_review(
    review_id: int,
    body: ReviewDecisionCreate,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("MatchReview", "u"))],
) -> MatchReviewRead:
    return await reviews.decide_review(
        session, ctx, review_id=review_id, decision=body.decision, reason=body.reason
    )


@router.post(
    "/match-reviews/{review_id}/reversal",
    response_model=MatchReviewRead,
    responses={**_ERRORS, 409: {"description": "Not decided yet"}},
    summary="Reverse a decided review (link ↔ not-link), with the reason; the referrals follow",
)
async def reverse_match_review(
    review_id: int,
    body: ReviewReversalCreate,
    session: SessionDep,
    ctx: Annotated[RequestContext, Depends(require("MatchReview", "u"))],
) -> MatchReviewRead:
    return await reviews.reverse_decision(
        session, ctx, review_id=review_id, reason=body.reason, expected=body.decision
    )
