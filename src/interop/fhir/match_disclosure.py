"""What ``Patient/$match`` discloses to whom, and the audit of what it disclosed.

``$match`` never tells a caller more than its reads would: a candidate is shown whole or not at all (no
opaque id, no score or grade of a record the caller may not read, so a probe cannot even learn that a person
is on the pension roll or registered at some unit):

- a clinic (any token bound to CLUES): the registry Patients it may already read — those registered at its
  units and the subjects of referrals its units hold (the Patient read rule, ``referral.queries``); never a
  pension-roll record, never another unit's patient;
- Bienestar: the pension-roll records (its own padrón), and the registry Patients it may already read (the
  subjects of its own visits' referrals);
- reviewers and administrators: every candidate, whole (deciding identities needs both sides);
- any other role: what it may read, like a clinic, and never the roll.

Every disclosed record is audited: one event per registry Patient (BALP: one per patient), and one per
roll record (entity ``RollRecord`` in the patient role, by its padrón record id).
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.auth.isolation import unit_scope
from interop.context import Actor, RequestContext
from interop.matching import service as matching_service
from interop.matching.online import statement as match_online_statement
from interop.matching.schemas import OnlineCandidate
from interop.referral import service as referral_service
from interop.referral.scopes import Scope

WHOLE_ROLES = frozenset({"admin", "reviewer", "system"})
ROLL_ROLES = frozenset({"bienestar", *WHOLE_ROLES})


def sees_every_candidate(actor: Actor) -> bool:
    """Reviewers and administrators not bound to units: every candidate is disclosed."""
    return actor.role in WHOLE_ROLES and unit_scope(actor) is None


Views = dict[tuple[str, str], dict[str, Any]]


async def disclosed_records(
    session: AsyncSession, ctx: RequestContext, candidates: list[OnlineCandidate], count: int
) -> tuple[list[OnlineCandidate], Views]:
    """The first ``count`` candidates this caller may see, in the order given (see the module docstring
    for the rules), and the current identity records of those it may see, by (source, record_id) — in one
    statement (a round trip fewer than asking who is readable, then reading): the records are read only
    for the candidates the caller may see, so a record it may not read never leaves the database."""
    actor = ctx.actor
    if sees_every_candidate(actor):
        shown = candidates[:count]
        return shown, await _records(session, shown)
    roll_allowed = actor.role in ROLL_ROLES and unit_scope(actor) is None
    registry = [c for c in candidates if c.source != "roll" and c.patient_id is not None]
    if not registry:
        shown = [c for c in candidates if roll_allowed and c.source == "roll"][:count]
        return shown, await _records(session, shown)
    scope = await referral_service.scope_for(session, ctx)
    rolls = [c.record_id for c in candidates if c.source == "roll"] if roll_allowed else []
    sql, params = _disclosure_query(scope, rolls, registry)
    readable: set[uuid.UUID] = set()
    views: Views = {}
    for row in (await session.execute(match_online_statement(sql), params)).mappings():
        view = dict(row)
        if (pid := view.pop("readable_id")) is not None:
            readable.add(pid)
        if view["record_id"] is not None:  # None: a readable candidate whose record is gone
            views[(view["source"], view["record_id"])] = view
    shown = [c for c in candidates if (roll_allowed if c.source == "roll" else c.patient_id in readable)][
        :count
    ]
    return shown, views


# The candidate record's columns one by one (the disclosure read names them per branch).
_CANDIDATE_COLUMNS = tuple(c.strip() for c in matching_service.CANDIDATE_COLUMNS.split(","))


def _disclosure_query(
    scope: Scope, rolls: list[str], registry: list[OnlineCandidate]
) -> tuple[str, dict[str, Any]]:
    """The records of the roll candidates (``rolls``: the caller may see the roll) and of the registry
    candidates whose Patient the caller may read (``referral.readable_ids_sql``, the Patient read rule),
    each registry candidate's row also naming its Patient as readable (``readable_id``), so that one
    whose record is gone is still disclosed as before. Per source, a lookup on the record id (each
    source's unique index of current records, as ``matching.service.candidate_records_query``)."""
    params: dict[str, Any] = {
        "ids": sorted({c.patient_id for c in registry if c.patient_id is not None}),
        **referral_service.readable_params(scope),
    }
    if rolls:
        params["roll_ids"] = rolls
    by_source: dict[str, list[OnlineCandidate]] = {}
    for cand in registry:
        by_source.setdefault(cand.source, []).append(cand)
    for i, (source, cands) in enumerate(sorted(by_source.items())):
        params[f"s{i}"] = source
        params[f"r{i}"] = [c.record_id for c in cands]
        params[f"p{i}"] = [c.patient_id for c in cands]
    sql = _disclosure_sql(scope.clues is not None, scope.requester is not None, bool(rolls), len(by_source))
    return sql, params


@functools.lru_cache(maxsize=64)
def _disclosure_sql(by_clues: bool, by_requester: bool, rolls: bool, sources: int) -> str:
    """The disclosure statement of one shape (the values are bound): built once, not on every call."""
    readable = referral_service.readable_ids_sql(by_clues, by_requester)
    columns = _CANDIDATE_COLUMNS
    branches = []
    if rolls:
        branches.append(
            f"SELECT NULL::uuid AS readable_id, {', '.join(columns)} FROM identity_record "
            "WHERE source = 'roll' AND record_id = ANY(CAST(:roll_ids AS text[]))"
        )
    for i in range(sources):
        branches.append(
            f"SELECT c.patient_id AS readable_id, {', '.join(f'r.{col}' for col in columns)} "
            f"FROM unnest(CAST(:r{i} AS text[]), CAST(:p{i} AS uuid[])) AS c(record_id, patient_id) "
            "JOIN readable v ON v.id = c.patient_id "
            # One lookup per readable candidate by its record id (the LIMIT keeps PostgreSQL from
            # flattening it into a join it may turn into a walk over every record partition).
            f"LEFT JOIN LATERAL (SELECT {', '.join(columns)} FROM identity_record "
            f"WHERE source = CAST(:s{i} AS text) AND record_id = c.record_id LIMIT 1) r ON true"
        )
    return f"WITH readable AS ({readable}) {' UNION ALL '.join(branches)}"


async def _records(session: AsyncSession, shown: list[OnlineCandidate]) -> Views:
    return await matching_service.read_candidate_records(
        session, keys=[(c.source, c.record_id) for c in shown]
    )


def _roll_entity(cand: OnlineCandidate) -> AuditEntity:
    # A padrón record id is an identifier; should a roll use CURPs as record ids, the row key stands in
    # (the audit holds no CURP).
    record = cand.record_id
    if audit_service.holds_personal_data(record):
        record = f"pk:{cand.record_pk}"
    return AuditEntity(type="RollRecord", id=record, role="patient")


async def audit_disclosure(
    session: AsyncSession, ctx: RequestContext, candidates: list[OnlineCandidate]
) -> None:
    """One operation event per disclosed registry Patient and per disclosed roll record; one event naming
    nobody when nothing was disclosed (the query itself is still on record)."""
    patients = list(
        dict.fromkeys(str(c.patient_id) for c in candidates if c.source != "roll" and c.patient_id)
    )
    roll = [c for c in candidates if c.source == "roll"]
    if patients or not roll:
        await audit_service.record(
            session,
            ctx,
            action="E",
            subtype="operation",
            entities=[AuditEntity(type="Patient", id=p) for p in patients],
            patients=[f"Patient/{p}" for p in patients],
        )
    for cand in roll:
        await audit_service.record(
            session, ctx, action="E", subtype="operation", entities=[_roll_entity(cand)]
        )
