"""The programme aggregates of ``GET /v1/referral-stats`` and the dashboard page: counts, no people."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from interop.matching.schemas import ReviewBacklogRow


class StatusCounts(BaseModel):
    """Tasks by status. ``rejected`` are a unit's refusals (the referral moved on to another unit)."""

    model_config = ConfigDict(validate_assignment=False)

    requested: int = 0
    accepted: int = 0
    in_progress: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        return (
            self.requested
            + self.accepted
            + self.in_progress
            + self.completed
            + self.failed
            + self.cancelled
            + self.rejected
        )

    @property
    def pending(self) -> int:
        """Referrals the unit holds and has not finished: requested, accepted or in progress."""
        return self.requested + self.accepted + self.in_progress


class UnitStats(BaseModel):
    clues: str
    entidad: str
    nombre: str | None
    counts: StatusCounts
    rejection_rate: float | None
    completion_rate: float | None


class EntidadStats(BaseModel):
    entidad: str
    counts: StatusCounts
    rejection_rate: float | None
    completion_rate: float | None


class AgeingRow(BaseModel):
    """Unanswered (``requested``) Tasks of one entidad and priority, by the share of the escalation time
    passed since the unit got them."""

    entidad: str
    priority: str
    escalation_hours: float
    on_time: int
    due_soon: int
    overdue: int
    oldest_hours: float


class OutcomeCount(BaseModel):
    status: str
    code: str
    count: int


class ReferralStats(BaseModel):
    entidades: list[str] | None
    generated_at: datetime
    escalation_hours: dict[str, float]
    totals: StatusCounts
    rejection_rate: float | None
    completion_rate: float | None
    by_entidad: list[EntidadStats]
    by_unit: list[UnitStats]
    by_unit_total: int = Field(
        0, description="Units in scope that hold any Task; `by_unit` is one page of them, busiest first."
    )
    by_unit_offset: int = Field(0, description="Where this page of `by_unit` starts in that order.")
    by_unit_next_offset: int | None = Field(
        None, description="Pass as `units_offset` for the next page of units; null on the last page."
    )
    ageing: list[AgeingRow]
    outcomes: list[OutcomeCount]


class ProgrammeStats(BaseModel):
    """What the dashboard shows: the referral figures and the match-review backlog, for the same entidades."""

    referrals: ReferralStats
    review_backlog: list[ReviewBacklogRow]
