"""Pydantic shapes of the matching domain (the /v1 API and the online match function)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Grade = Literal["certain", "probable", "possible", "certainly-not"]
ReviewOrder = Literal["value", "id"]


class IdentityProbe(BaseModel):
    """The identity data of a record to match, as written (visit finding, FHIR Patient).
    ``roll_record_id`` / ``patient_id``: stored records the probe says it is (a padrón record id, a
    registry Patient id); they tell online matching whose reviewed NO_MATCH decisions apply."""

    model_config = ConfigDict(frozen=True)

    curp: str | None = None
    given_names: str | None = None
    paternal_surname: str | None = None
    maternal_surname: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    entidad: str | None = None
    municipio: str | None = None
    localidad: str | None = None
    domicilio: str | None = None
    telefono: str | None = None
    roll_record_id: str | None = None
    patient_id: uuid.UUID | None = None


class FieldEvidenceRead(BaseModel):
    comparison: str
    level: str
    weight: float


class OnlineCandidate(BaseModel):
    """One stored record matching a probe, best first. ``grade`` follows the configured thresholds;
    certainly-not when a reviewer decided this record is another person."""

    source: str
    record_id: str
    record_pk: int | None = None
    patient_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    probability: float = Field(description="Calibrated probability that the two are one person.")
    raw_probability: float | None = Field(default=None, description="The model's own probability.")
    match_weight: float
    grade: Grade
    model_version: str
    evidence: list[FieldEvidenceRead] = Field(default_factory=list)


class MatchRunCreate(BaseModel):
    retrain: bool = Field(default=False, description="Train a new model version before scoring.")


class ReviewOutcome(BaseModel):
    """The reviews a run queued and what reviewers decided of them so far."""

    queued: int = 0
    open: int = 0
    decided: int = 0
    matches: int = Field(default=0, description="Decided reviews found to be the same person.")
    match_share: float | None = Field(default=None, description="matches / decided, once any is decided.")


class MatchRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    job_id: int | None
    retrain: bool
    model_version: str | None
    counts: dict[str, Any]
    records_scored: int
    error: str | None = None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: dict[str, Any] = Field(default_factory=dict)
    reviews: ReviewOutcome = Field(default_factory=ReviewOutcome)


class RecordRef(BaseModel):
    source: str
    record_id: str


class MatchReviewRead(BaseModel):
    id: int
    status: str
    score: float = Field(description="Calibrated probability that the two records are one person.")
    raw_score: float | None = Field(default=None, description="The model's own probability.")
    left: RecordRef
    right: RecordRef
    model_version: str | None
    decision: str | None = None
    decided_by: str | None = None
    created_at: datetime


class MatchReviewList(BaseModel):
    items: list[MatchReviewRead]
    next_after: int | None = Field(default=None, description="Pass as `after` for the next page.")


class ReviewRecord(BaseModel):
    """One side of a review, as the reviewer compares it."""

    source: str
    record_id: str
    person_id: uuid.UUID | None = None
    fields: dict[str, str | None]


class MatchReviewDetail(MatchReviewRead):
    left_record: ReviewRecord
    right_record: ReviewRecord
    evidence: list[FieldEvidenceRead]
    match_weight: float | None = None
    reason: str | None = None


class ReviewDecisionCreate(BaseModel):
    decision: Literal["link", "not-link"]
    reason: str = Field(min_length=1, max_length=2000)


class ReviewReversalCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
    decision: Literal["link", "not-link"] | None = Field(
        default=None,
        description="The decision being reversed, as the caller saw it: a replayed reversal (double "
        "submit, retry) finds it already reversed and is refused with 409 instead of undoing itself.",
    )


class DecidedVisitReview(BaseModel):
    """A decided review whose left record is a visit's provisional Patient (for the referrals to follow)."""

    review_id: int
    visit_record_id: str
    right_source: str
    right_record_id: str
    decision: str
    open_reviews_left: int


class PairwiseRead(BaseModel):
    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted_pairs: int
    true_pairs: int


class EvaluationReport(BaseModel):
    auto: dict[str, PairwiseRead]
    auto_and_review: dict[str, PairwiseRead]
    records_in_truth: int
    records_assigned: int


class ReviewBacklogRow(BaseModel):
    """Open match reviews of one entidad (of the stored record under review; ``None`` when unknown)."""

    entidad: str | None
    open: int
    from_visits: int
    under_1_day: int
    days_1_to_7: int
    over_7_days: int
    oldest_days: float
