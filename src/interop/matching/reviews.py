"""The review queue: listing, each pair side by side with its evidence, and reviewers' decisions (which
become MANUAL links that no run overturns). Never commits (the edge does).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.context import RequestContext
from interop.identity.fields import IDENTITY_FIELDS
from interop.job import service as job_service
from interop.matching import calibration_fit, links
from interop.matching.errors import ReviewAlreadyDecided, ReviewNotDecided, ReviewNotFound
from interop.matching.models import MatchLink, MatchRecord, MatchReview, Person
from interop.matching.schemas import (
    DecidedVisitReview,
    FieldEvidenceRead,
    MatchReviewDetail,
    MatchReviewRead,
    RecordRef,
    ReviewOrder,
    ReviewOutcome,
    ReviewRecord,
)

VISIT_SOURCE = "visit"
# What a reviewer sees of each record: the identity columns of the CSV contract, without the record's
# own identifier (shown apart) and the phone (not evidence the model uses).
_RECORD_FIELDS = tuple(f for f in IDENTITY_FIELDS if f not in ("record_id", "telefono"))


def actor_name(ctx: RequestContext) -> str:
    return ctx.actor.user or ctx.actor.client_id


def _review_read(r: MatchReview) -> MatchReviewRead:
    return MatchReviewRead(
        id=r.id,
        status=r.status,
        score=r.score,
        raw_score=r.raw_score,
        left=RecordRef(source=r.left_source, record_id=r.left_record_id),
        right=RecordRef(source=r.right_source, record_id=r.right_record_id),
        model_version=r.model_version,
        decision=r.decision,
        decided_by=r.decided_by,
        created_at=r.created_at,
    )


def _waiting() -> ColumnElement[int]:
    """1 for a review a visit waits on (its referral went out to a provisional patient), else 0."""
    return case((MatchReview.left_source == VISIT_SOURCE, 1), else_=0)


async def list_reviews(
    session: AsyncSession,
    *,
    status: str | None = "open",
    after: int | None = None,
    limit: int = 50,
    order: ReviewOrder = "value",
) -> tuple[list[MatchReviewRead], int | None]:
    """One page of reviews. ``value`` (the default) puts first what a decision is worth most: reviews
    a visit waits on (a referral to a provisional patient), then the likeliest matches (score), then
    the oldest; ``id`` keeps the order they were queued in. ``after`` is the last id of the previous
    page, in either order."""
    query = select(MatchReview).limit(limit + 1)
    if status:
        query = query.where(MatchReview.status == status)
    waiting = _waiting()
    if order == "id":
        query = query.order_by(MatchReview.id)
        if after is not None:
            query = query.where(MatchReview.id > after)
    else:
        query = query.order_by(waiting.desc(), MatchReview.score.desc(), MatchReview.id)
        last = await session.get(MatchReview, after) if after is not None else None
        if last is not None:
            w0 = 1 if last.left_source == VISIT_SOURCE else 0
            query = query.where(
                or_(
                    waiting < w0,
                    and_(waiting == w0, MatchReview.score < last.score),
                    and_(waiting == w0, MatchReview.score == last.score, MatchReview.id > last.id),
                )
            )
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return [_review_read(r) for r in rows], (rows[-1].id if more and rows else None)


async def run_review_outcome(session: AsyncSession, *, run_id: int) -> ReviewOutcome:
    """How the reviews a run queued fared: still open, decided, and decided to be the same person."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(MatchReview.status == "open"),
                func.count().filter(MatchReview.status == "decided"),
                func.count().filter(MatchReview.decision == "link"),
            ).where(MatchReview.run_id == run_id)
        )
    ).one()
    queued, open_, decided, matches = (int(x) for x in row)
    return ReviewOutcome(
        queued=queued,
        open=open_,
        decided=decided,
        matches=matches,
        match_share=round(matches / decided, 4) if decided else None,
    )


async def _record_side(session: AsyncSession, source: str, record_id: str) -> ReviewRecord:
    person = (
        await session.execute(
            select(MatchRecord.person_id).where(
                MatchRecord.source == source, MatchRecord.record_id == record_id
            )
        )
    ).scalar_one_or_none()
    row = (
        (
            await session.execute(
                text(
                    f"SELECT {', '.join(_RECORD_FIELDS)} FROM identity_record "
                    "WHERE source = :s AND record_id = :r"
                ),
                {"s": source, "r": record_id},
            )
        )
        .mappings()
        .one_or_none()
    )
    fields = {k: (None if row is None or row[k] is None else str(row[k])) for k in _RECORD_FIELDS}
    return ReviewRecord(source=source, record_id=record_id, person_id=person, fields=fields)


async def get_review(session: AsyncSession, ctx: RequestContext, *, review_id: int) -> MatchReviewDetail:
    review = await session.get(MatchReview, review_id)
    if review is None:
        raise ReviewNotFound.said("matching.review_not_found")
    if review.left_source == VISIT_SOURCE:
        snap = review.left_snapshot or {}
        left = ReviewRecord(
            source=VISIT_SOURCE,
            record_id=review.left_record_id,
            fields={k: (None if snap.get(k) is None else str(snap.get(k))) for k in _RECORD_FIELDS},
        )
    else:
        left = await _record_side(session, review.left_source, review.left_record_id)
    right = await _record_side(session, review.right_source, review.right_record_id)
    await audit_service.record(
        session,
        ctx,
        action="R",
        subtype="read",
        entities=[AuditEntity(type="MatchReview", id=str(review.id))],
    )
    evidence: list[dict[str, Any]] = review.evidence if isinstance(review.evidence, list) else []
    return MatchReviewDetail(
        **_review_read(review).model_dump(),
        left_record=left,
        right_record=right,
        evidence=[FieldEvidenceRead(**e) for e in evidence],
        match_weight=review.match_weight,
        reason=review.reason,
    )


async def _set_link(
    session: AsyncSession,
    *,
    pkey: str,
    source: str,
    record_id: str,
    person_id: uuid.UUID,
    state: str,
    review: MatchReview,
    decided_by: str,
    reason: str,
) -> None:
    """The record's link to ``person_id``, in the record's partition ``pkey`` (its key row locked:
    ``links.lock_records``)."""
    if state == "MATCH":
        # The record's current MATCH (automatic or manual) gives way to the reviewer's decision.
        await links.clear(session, pkey, source, record_id, person=None)
    await links.clear(session, pkey, source, record_id, person=person_id)
    session.add(
        MatchLink(
            pkey=pkey,
            source=source,
            record_id=record_id,
            person_id=person_id,
            state=state,
            origin="MANUAL",
            score=review.score,
            model_version=review.model_version,
            evidence={"review_id": review.id},
            decided_by=decided_by,
            reason=reason,
        )
    )
    await session.flush()


# The referral domain follows identity decisions through this job (matching never imports referral):
# every open referral whose subject changes gets a new version and its unit is notified.
DECISION_JOB = "referral.follow_identity_decision"


async def decide_review(
    session: AsyncSession, ctx: RequestContext, *, review_id: int, decision: str, reason: str
) -> MatchReviewRead:
    """Link: the left record joins the right record's person (MANUAL MATCH). Not-link: the left record
    may never join that person (MANUAL NO_MATCH), and leaves it if a run had put it there. Queues
    ``DECISION_JOB`` so the referrals of the decided record follow."""
    review = await _locked(session, review_id)
    if review.status == "decided":
        raise ReviewAlreadyDecided.said("matching.review_already_decided")
    return await _decided(session, ctx, review, decision=decision, reason=reason, subtype="decision")


async def reverse_decision(
    session: AsyncSession, ctx: RequestContext, *, review_id: int, reason: str, expected: str | None = None
) -> MatchReviewRead:
    """A reviewer reverses a decided review (link ↔ not-link), with the reason: the links are set as the
    opposite decision would have set them, the reversal is audited, and the referrals follow it the same
    way (``DECISION_JOB``). 409 when the review is not decided yet."""
    review = await _locked(session, review_id)
    if review.status != "decided" or review.decision not in ("link", "not-link"):
        raise ReviewNotDecided.said("matching.reversal_undecided")
    if not reason.strip():
        raise ReviewNotDecided.said("matching.reversal_reason_needed")
    if expected is not None and expected != review.decision:  # a replay: the reversal already happened
        raise ReviewAlreadyDecided.said("matching.reversal_stale")
    opposite = "not-link" if review.decision == "link" else "link"
    return await _decided(
        session, ctx, review, decision=opposite, reason=f"reversión: {reason}", subtype="decision-reversal"
    )


async def _decided(
    session: AsyncSession,
    ctx: RequestContext,
    review: MatchReview,
    *,
    decision: str,
    reason: str,
    subtype: str,
) -> MatchReviewRead:
    """A decision (or its reversal) taken: the links set, audited as ``subtype``, the referrals queued to
    follow it (``DECISION_JOB``), the calibration told; the review as read back."""
    await _apply(session, review, decision=decision, reason=reason, by=actor_name(ctx))
    await audit_service.record(
        session,
        ctx,
        action="U",
        subtype=subtype,
        entities=[AuditEntity(type="MatchReview", id=str(review.id))],
    )
    await _follow(session, ctx, review)
    await calibration_fit.after_decision(session)
    return _review_read(review)


async def _locked(session: AsyncSession, review_id: int) -> MatchReview:
    review = (
        await session.execute(select(MatchReview).where(MatchReview.id == review_id).with_for_update())
    ).scalar_one_or_none()
    if review is None:
        raise ReviewNotFound.said("matching.review_not_found")
    return review


async def _follow(session: AsyncSession, ctx: RequestContext, review: MatchReview) -> None:
    if review.left_source == VISIT_SOURCE:
        await job_service.enqueue(
            session,
            kind=DECISION_JOB,
            payload={"review_id": review.id},
            queue_key=f"identity-decision:{review.left_record_id}",
            trace_id=ctx.trace_id,
        )


async def _apply(session: AsyncSession, review: MatchReview, *, decision: str, reason: str, by: str) -> None:
    left, right = (review.left_source, review.left_record_id), (review.right_source, review.right_record_id)
    pkeys = await links.lock_records(session, [left, right])

    async def link(source: str, record_id: str, person_id: uuid.UUID, state: str) -> None:
        await _set_link(
            session,
            pkey=pkeys[(source, record_id)],
            source=source,
            record_id=record_id,
            person_id=person_id,
            state=state,
            review=review,
            decided_by=by,
            reason=reason,
        )

    async def person_is(source: str, record_id: str, person_id: uuid.UUID) -> None:
        # The key row's person is what `$match` and the refusals read by person: it follows the MATCH.
        await session.execute(
            text(
                "UPDATE match_record SET person_id = :p, updated_at = now() "
                "WHERE source = :s AND record_id = :r"
            ),
            {"p": person_id, "s": source, "r": record_id},
        )

    async def new_person_for(source: str, record_id: str) -> uuid.UUID:
        person_id = uuid.uuid4()
        session.add(Person(id=person_id))
        await session.flush()
        await link(source, record_id, person_id, "MATCH")
        await person_is(source, record_id, person_id)
        return person_id

    right_person = await links.person_of(session, pkeys[right], *right)
    if right_person is None:
        right_person = await new_person_for(review.right_source, review.right_record_id)
    left_person = await links.person_of(session, pkeys[left], *left)
    await link(
        review.left_source,
        review.left_record_id,
        right_person,
        "MATCH" if decision == "link" else "NO_MATCH",
    )
    if decision == "link":
        new_left = right_person
    elif left_person is not None and left_person != right_person:
        new_left = left_person
    else:
        new_left = await new_person_for(review.left_source, review.left_record_id)
    await person_is(review.left_source, review.left_record_id, new_left)
    review.status = "decided"
    review.decision = decision
    review.reason = reason
    review.decided_by = by
    review.decided_at = datetime.now(UTC)
    await session.flush()


async def decided_visit_review(session: AsyncSession, *, review_id: int) -> DecidedVisitReview | None:
    """What the referral domain needs to follow a decision on a visit's review: the records, the decision,
    and how many reviews of the same visit record are still open."""
    review = await session.get(MatchReview, review_id)
    if review is None or review.left_source != VISIT_SOURCE or review.status != "decided":
        return None
    still_open = await session.scalar(
        select(func.count()).where(
            MatchReview.left_source == VISIT_SOURCE,
            MatchReview.left_record_id == review.left_record_id,
            MatchReview.status == "open",
        )
    )
    return DecidedVisitReview(
        review_id=review.id,
        visit_record_id=review.left_record_id,
        right_source=review.right_source,
        right_record_id=review.right_record_id,
        decision=str(review.decision),
        open_reviews_left=int(still_open or 0),
    )
