"""``/v1/referral-stats``: the programme's referral figures and review backlog, the same numbers the
dashboard page shows (both call ``referral.service.programme_stats``). Counts only, no people."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from interop.api.deps import SessionDep, SettingsDep
from interop.auth.dependencies import require
from interop.context import RequestContext
from interop.referral import service as referral_service
from interop.referral.errors import InvalidEntidad
from interop.referral.stats_schemas import ProgrammeStats

router = APIRouter(tags=["referral-stats"])
# A page of the busiest units is what a programme manager reads; the national 12,000 in one answer were
# 2.6 MB and over a second (docs/decisions.md, "National figures: units paged").
DEFAULT_UNITS_PAGE = 100
MAX_UNITS_PAGE = 1000

EntidadParam = Annotated[
    list[str] | None,
    Query(
        max_length=32,
        description="Two-letter entidad codes (CLUES / CURP state code); repeat for several. None: all.",
    ),
]


@router.get(
    "/referral-stats",
    summary="Referrals by entidad, unit and status; ageing, rates, outcomes; match-review backlog",
    response_model=ProgrammeStats,
    responses={422: {"description": "A malformed entidad code"}},
)
async def get_referral_stats(
    session: SessionDep,
    settings: SettingsDep,
    _ctx: Annotated[RequestContext, Depends(require("Dashboard", "r"))],
    entidad: EntidadParam = None,
    units_limit: Annotated[
        int,
        Query(ge=0, le=MAX_UNITS_PAGE, description="Units in `by_unit`, busiest first (0: totals only)."),
    ] = DEFAULT_UNITS_PAGE,
    units_offset: Annotated[
        int, Query(ge=0, le=1_000_000, description="Where `by_unit` starts: a `by_unit_next_offset`.")
    ] = 0,
) -> Response:
    """Totals, entidades, ageing, outcomes and the review backlog cover every entidad asked for (all
    when none); `by_unit` is one page of its units, most pending first (`units_limit`,
    `units_offset`; `by_unit_total` and `by_unit_next_offset` say what is left)."""
    if entidad is not None:
        entidad = [_entidad(e) for e in entidad]
    stats = await referral_service.programme_stats(
        session,
        entidades=entidad,
        now=datetime.now(UTC),
        escalation_hours=settings.referral_answer_hours,
        units_offset=units_offset,
        units_limit=units_limit,
    )
    # Serialised by pydantic's own encoder: national figures list every unit (12,000, a few MB), and
    # the generic path (to Python objects, then JSON) costs several times more.
    return Response(stats.model_dump_json(), media_type="application/json")


def _entidad(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise InvalidEntidad.said("referral.entidad_invalid")
    return code
