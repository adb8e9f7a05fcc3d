"""Programme aggregates of referrals: by entidad, unit and Task status, ageing of unanswered Tasks against
the escalation time of their priority, rejection and completion rates, and outcomes. No names, no CURPs,
no patient ids: only counts per unit code.

Every figure is one grouped SQL query over ``referral_task`` (never a Python loop over rows): the
dashboard page and ``GET /v1/referral-stats`` call the same function, so their numbers are equal.

What is counted (a referral has one Task per unit it was sent to; a rejected Task stays and the referral
moves on to a new Task):
- **asignaciones** per unit and status: Tasks. The referrals a unit holds are its Tasks not rejected;
  its **rechazos** are its rejected Tasks.
- **rejection rate** = rejected / all Tasks; **completion rate** = completed / Tasks not rejected.
- **ageing**: Tasks still ``requested`` (the unit has not answered), by how much of the escalation time of
  their priority has passed since the unit got them: under half, half to all (*por vencer*), past it
  (*vencidas*).
- **outcomes**: referrals by the coded result their unit reported (``Referral.outcome``, CodeSystem
  ``resultado-referencia``; a completion without a code is ``atendido``), ``completed`` or ``failed``, in
  the entidad of the reporting unit.

Entidad is the first two letters of the CLUES (the state code of the DGIS catalogue), so no join leaves
the domain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Float,
    bindparam,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from interop.matching import service as matching_service
from interop.referral.models import Referral, ReferralTask
from interop.referral.stats_schemas import (
    AgeingRow,
    EntidadStats,
    OutcomeCount,
    ProgrammeStats,
    ReferralStats,
    StatusCounts,
    UnitStats,
)
from interop.units import service as units_service

OUTCOME_SYSTEM = "https://www.gob.mx/bienestar/fhir/CodeSystem/resultado-referencia"
# Hours a unit has to answer (accept or reject) a Task of each priority before it is escalated: the
# defaults of ``Settings.referral_answer_hours`` (callers pass the setting).
DEFAULT_ESCALATION_HOURS: dict[str, float] = {"routine": 72.0, "urgent": 24.0, "asap": 4.0, "stat": 1.0}
PRIORITIES = ("stat", "asap", "urgent", "routine")
STATUSES = ("requested", "accepted", "in-progress", "completed", "failed", "cancelled", "rejected")

_ENTIDAD = func.substr(ReferralTask.owner_clues, 1, 2)


def _in_entidades(entidades: frozenset[str] | None) -> ColumnElement[bool]:
    if entidades is None:
        return literal(True)
    return _ENTIDAD.in_(sorted(entidades))


_PENDING = ("requested", "accepted", "in-progress")


def _pivot() -> list[ColumnElement[int]]:
    """One count per status, as columns: a row per group instead of a row per group and status."""
    return [func.count().filter(ReferralTask.status == s) for s in STATUSES]


def _counts(values: Sequence[int]) -> StatusCounts:
    # Trusted ints from the database: ``model_construct`` skips validation, which cost most of the time
    # at 12,000 units.
    return StatusCounts.model_construct(
        None, **{s.replace("-", "_"): int(n) for s, n in zip(STATUSES, values, strict=True)}
    )


async def _by_entidad(
    session: AsyncSession, entidades: frozenset[str] | None
) -> list[tuple[str, StatusCounts]]:
    stmt = (
        select(_ENTIDAD, *_pivot())
        .where(_in_entidades(entidades))
        .group_by(_ENTIDAD)
        .order_by(_ENTIDAD.collate("C"))
    )
    return [(str(row[0]), _counts(row[1:])) for row in (await session.execute(stmt)).all()]


async def _units_page(
    session: AsyncSession, entidades: frozenset[str] | None, offset: int, limit: int | None
) -> tuple[list[tuple[str, StatusCounts]], int]:
    """The units of the page, most pending first then by CLUES (byte order), and how many units hold
    any Task: grouped, ordered and cut in SQL, so a page of a national run reads its own rows only."""
    pending = func.count().filter(ReferralTask.status.in_(_PENDING))
    stmt = (
        select(ReferralTask.owner_clues, func.count().over(), *_pivot())
        .where(_in_entidades(entidades))
        .group_by(ReferralTask.owner_clues)
        .order_by(pending.desc(), ReferralTask.owner_clues.collate("C"))
        .offset(offset)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    if rows:
        return [(str(row[0]), _counts(row[2:])) for row in rows], int(rows[0][1])
    total = select(func.count(func.distinct(ReferralTask.owner_clues))).where(_in_entidades(entidades))
    return [], int((await session.execute(total)).scalar_one())


async def _ageing(
    session: AsyncSession, entidades: frozenset[str] | None, now: datetime, hours: Mapping[str, float]
) -> list[AgeingRow]:
    limit_h = case(
        *((ReferralTask.priority == p, bindparam(f"h_{p}", hours[p], type_=Float)) for p in PRIORITIES),
        else_=bindparam("h_default", hours["routine"], type_=Float),
    )
    age_h = func.extract("epoch", bindparam("now", now) - ReferralTask.authored_on) / 3600.0
    ratio = age_h / limit_h
    stmt = (
        select(
            _ENTIDAD.label("entidad"),
            ReferralTask.priority,
            func.count().filter(ratio < 0.5),
            func.count().filter(ratio >= 0.5, ratio < 1.0),
            func.count().filter(ratio >= 1.0),
            func.max(age_h),
        )
        .where(ReferralTask.status == "requested", _in_entidades(entidades))
        .group_by(_ENTIDAD, ReferralTask.priority)
        .order_by(_ENTIDAD, ReferralTask.priority)
    )
    return [
        AgeingRow(
            entidad=e,
            priority=p,
            escalation_hours=hours.get(p, hours["routine"]),
            on_time=int(a),
            due_soon=int(b),
            overdue=int(c),
            oldest_hours=round(float(m or 0.0), 1),
        )
        for e, p, a, b, c, m in (await session.execute(stmt)).all()
    ]


async def _outcomes(session: AsyncSession, entidades: frozenset[str] | None) -> list[OutcomeCount]:
    # The coded outcome the unit reported (``Referral.outcome``, written by ``update_task`` whether a clinic
    # system or a person answered), placed in the entidad of the unit that reported it. The column holds a
    # JSON null when there is none, hence the test on the code.
    code = Referral.outcome["code"].astext
    unit_entidad = func.substr(Referral.outcome["unit"].astext, 1, 2)
    status = case((Referral.status == "completed", "completed"), else_="failed")
    stmt = (
        select(status, code, func.count())
        .where(code.is_not(None))
        .group_by(status, code)
        .order_by(status, func.count().desc(), code)
    )
    if entidades is not None:
        stmt = stmt.where(unit_entidad.in_(sorted(entidades)))
    return [OutcomeCount(status=s, code=c, count=int(n)) for s, c, n in (await session.execute(stmt)).all()]


def _rates(counts: StatusCounts) -> tuple[float | None, float | None]:
    total = counts.total
    kept = total - counts.rejected
    rejection = round(counts.rejected / total, 4) if total else None
    completion = round(counts.completed / kept, 4) if kept else None
    return rejection, completion


async def referral_stats(
    session: AsyncSession,
    *,
    entidades: Iterable[str] | None,
    now: datetime,
    escalation_hours: Mapping[str, float] | None = None,
    units_offset: int = 0,
    units_limit: int | None = None,
) -> ReferralStats:
    """The programme's referral figures, limited to ``entidades`` (two-letter codes; ``None`` = all).

    ``by_unit`` is the page ``units_offset``, ``units_limit`` (``None``: to the end) of the units, most
    pending first, then by CLUES; totals, entidades, ageing and outcomes always cover the whole scope."""
    wanted = None if entidades is None else frozenset(e.strip().upper() for e in entidades)
    hours = {**DEFAULT_ESCALATION_HOURS, **(escalation_hours or {})}
    per_entidad = await _by_entidad(session, wanted)
    totals = StatusCounts.model_construct(
        None,
        **{f: sum(getattr(c, f) for _, c in per_entidad) for f in StatusCounts.model_fields},
    )
    page, units_total = await _units_page(session, wanted, units_offset, units_limit)
    units = []
    for clues, counts in page:
        rejection, completion = _rates(counts)
        units.append(
            UnitStats.model_construct(
                clues=clues,
                entidad=clues[:2],
                nombre=None,
                counts=counts,
                rejection_rate=rejection,
                completion_rate=completion,
            )
        )
    next_offset = units_offset + len(units)
    by_entidad = []
    for entidad, counts in per_entidad:
        rejection, completion = _rates(counts)
        by_entidad.append(
            EntidadStats(entidad=entidad, counts=counts, rejection_rate=rejection, completion_rate=completion)
        )
    rejection, completion = _rates(totals)
    return ReferralStats(
        entidades=None if wanted is None else sorted(wanted),
        generated_at=now,
        escalation_hours=hours,
        totals=totals,
        rejection_rate=rejection,
        completion_rate=completion,
        by_entidad=by_entidad,
        by_unit=units,
        by_unit_total=units_total,
        by_unit_offset=units_offset,
        by_unit_next_offset=next_offset if next_offset < units_total else None,
        ageing=await _ageing(session, wanted, now, hours),
        outcomes=await _outcomes(session, wanted),
    )


async def programme_stats(
    session: AsyncSession,
    *,
    entidades: Iterable[str] | None,
    now: datetime,
    escalation_hours: Mapping[str, float] | None = None,
    units_offset: int = 0,
    units_limit: int | None = None,
) -> ProgrammeStats:
    """What the dashboard and ``GET /v1/referral-stats`` show: referral figures with unit names, and the
    match-review backlog, for the same entidades (``by_unit`` paged as ``referral_stats`` says)."""
    wanted = None if entidades is None else sorted({e.strip().upper() for e in entidades})
    referrals = await referral_stats(
        session,
        entidades=wanted,
        now=now,
        escalation_hours=escalation_hours,
        units_offset=units_offset,
        units_limit=units_limit,
    )
    paged = units_offset > 0 or referrals.by_unit_next_offset is not None
    names = await units_service.names_in(
        session, entidades=wanted, clues=[u.clues for u in referrals.by_unit] if paged else None
    )
    for unit in referrals.by_unit:
        unit.nombre = names.get(unit.clues)
    backlog = await matching_service.review_backlog(session, entidades=wanted, now=now)
    return ProgrammeStats(referrals=referrals, review_backlog=backlog)
