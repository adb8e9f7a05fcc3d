"""Online matching: candidates from the indexed blocking keys in ``match_record``, scored in Python with
the active model (the same m/u and term frequencies the batch used)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.matching.features import FEATURE_COLUMNS, MatchFeatures, features_of
from interop.matching.models_store import LoadedModel
from interop.matching.schemas import FieldEvidenceRead, IdentityProbe, OnlineCandidate
from interop.matching.scoring import PairScore, grade, score_pair
from interop.matching.spec import ANCHOR_COMPARISONS, BLOCKING_RULES

PER_RULE_LIMIT = 20
_STORED = [c for c in FEATURE_COLUMNS if c != "unique_id"]


def probe_features(probe: IdentityProbe) -> MatchFeatures:
    return features_of(
        source="probe",
        record_id="-",
        curp=probe.curp,
        given_names=probe.given_names,
        paternal_surname=probe.paternal_surname,
        maternal_surname=probe.maternal_surname,
        birth_date=probe.birth_date,
        sex=probe.sex,
        entidad=probe.entidad,
        municipio=probe.municipio,
        localidad=probe.localidad,
        domicilio=probe.domicilio,
    )


def candidate_query(probe: MatchFeatures) -> tuple[str, dict[str, Any]]:
    """One UNION of index lookups, each rule in both orientations (the probe on either side)."""
    branches: list[str] = []
    params: dict[str, Any] = {}
    seen: set[tuple[tuple[str, str], ...]] = set()
    for rule in BLOCKING_RULES:
        for pairs in (rule.pairs, tuple((b, a) for a, b in rule.pairs)):
            if pairs in seen:
                continue
            seen.add(pairs)
            conditions = []
            for probe_col, stored_col in pairs:
                value = getattr(probe, probe_col)
                if value is None:
                    break
                name = f"p{len(params)}"
                params[name] = value
                conditions.append(f"{stored_col} = :{name}")
            else:
                branches.append(
                    f"(SELECT source, record_id FROM match_record WHERE {' AND '.join(conditions)} "
                    f"LIMIT {PER_RULE_LIMIT})"
                )
    if not branches:
        return "", params
    columns = ", ".join(f"m.{c}" for c in _STORED)
    sql = (
        f"SELECT {columns}, m.record_pk, m.patient_id, m.person_id FROM match_record m "
        f"JOIN ({' UNION '.join(branches)}) c ON c.source = m.source AND c.record_id = m.record_id"
    )
    return sql, params


def _grade(
    scored: PairScore, *, auto_threshold: float, review_threshold: float
) -> Literal["certain", "probable", "possible"]:
    """As the batch decides: certain needs the auto threshold and an anchor (CURP or birth date)."""
    graded = grade(scored.probability, auto_threshold=auto_threshold, review_threshold=review_threshold)
    anchored = any(e.weight > 0 for e in scored.evidence if e.comparison in ANCHOR_COMPARISONS)
    return "probable" if graded == "certain" and not anchored else graded


async def match(
    session: AsyncSession,
    *,
    model: LoadedModel,
    probe: IdentityProbe,
    limit: int,
    auto_threshold: float,
    review_threshold: float,
    minimum: float | None = None,
) -> list[OnlineCandidate]:
    features = probe_features(probe)
    sql, params = candidate_query(features)
    if not sql:
        return []
    rows = (await session.execute(text(sql), params)).all()
    floor = review_threshold if minimum is None else minimum
    out: list[OnlineCandidate] = []
    n = len(_STORED)
    for row in rows:
        values = list(row[:n])
        stored = MatchFeatures(f"{values[0]}|{values[1]}", *values)
        scored = score_pair(model.scoring, features, stored)
        if scored.probability < floor:
            continue
        record_pk, patient_id, person_id = row[n], row[n + 1], row[n + 2]
        out.append(
            OnlineCandidate(
                source=stored.source,
                record_id=stored.record_id,
                record_pk=record_pk,
                patient_id=patient_id if isinstance(patient_id, uuid.UUID) else None,
                person_id=person_id if isinstance(person_id, uuid.UUID) else None,
                probability=scored.probability,
                match_weight=scored.match_weight,
                grade=_grade(scored, auto_threshold=auto_threshold, review_threshold=review_threshold),
                model_version=model.version,
                evidence=[FieldEvidenceRead(**e.as_dict()) for e in scored.evidence],
            )
        )
    out.sort(key=lambda c: (-c.match_weight, c.source, c.record_id))
    return out[:limit]
